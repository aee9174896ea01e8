//! `crm status`: a short summary of the CIB. The crm_mon-style rendering
//! belongs to the policy engine (it needs the computed placement); until
//! that exists this prints what the CIB alone says.

use cib::xml::Element;

/// A plain summary: counts, nodes and configured resources.
pub fn render(cib: &Element) -> String {
    let conf = cib.child("configuration");
    let nodes: Vec<String> = conf
        .and_then(|c| c.child("nodes"))
        .map(|n| {
            n.elements()
                .filter_map(|e| e.attr("uname").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut prims = Vec::new();
    fn walk(e: &Element, out: &mut Vec<String>) {
        if e.name == "primitive" {
            let agent = match (e.attr("class"), e.attr("provider"), e.attr("type")) {
                (Some(c), Some(p), Some(t)) => format!("{c}:{p}:{t}"),
                (Some(c), None, Some(t)) => format!("{c}:{t}"),
                _ => format!("@{}", e.attr("template").unwrap_or("")),
            };
            out.push(format!(
                "  * {}\t({agent}):\t Stopped",
                e.attr("id").unwrap_or("")
            ));
        }
        for c in e.elements() {
            walk(c, out);
        }
    }
    if let Some(r) = conf.and_then(|c| c.child("resources")) {
        walk(r, &mut prims);
    }
    let mut s = String::from("Cluster Summary:\n");
    s.push_str(&format!("  * {} nodes configured\n", nodes.len()));
    s.push_str(&format!(
        "  * {} resource instances configured\n\n",
        prims.len()
    ));
    s.push_str("Node List:\n");
    for n in &nodes {
        s.push_str(&format!("  * Node {n}: UNCLEAN (offline)\n"));
    }
    s.push_str("\nFull List of Resources:\n");
    if prims.is_empty() {
        s.push_str("  * No resources\n");
    }
    for p in prims {
        s.push_str(&p);
        s.push('\n');
    }
    s
}

//! The ids crmsh generates for elements the user did not name.
//!
//! An element's id is derived from the nearest enclosing id (the prefix):
//! `<p>-instance_attributes`, `<p>-<name>` for an nvpair,
//! `<p>-<op>-<interval>` for an op, `<p>-rule`, `<p>-expression`, and the
//! prefix itself for resource sets, alert attributes and ACL permissions.
//! When the candidate is taken, `-0`, `-1`, ... are appended until it is
//! free, so a second parameter set of `d7` is `d7-instance_attributes-0` and
//! the sets of constraint `o1` are `o1-0`, `o1-1`.

use std::collections::HashSet;

use cib::xml::{Element, Node};

/// Elements whose `id` is a reference, not a definition.
pub fn is_reference(name: &str) -> bool {
    matches!(name, "resource_ref" | "obj_ref" | "role" | "crmsh-ref")
}

/// Every id defined in `el` (node ids excepted: nodes live in their own
/// namespace, crmsh allows a primitive named like a node).
pub fn collect(el: &Element, out: &mut HashSet<String>) {
    if !is_reference(&el.name) && el.name != "node" {
        if let Some(id) = el.attr("id") {
            out.insert(id.to_string());
        }
    }
    for c in el.elements() {
        collect(c, out);
    }
}

/// `base`, or `base-0`, `base-1`, ... whichever is free first; marks it used.
pub fn unique(base: &str, used: &mut HashSet<String>) -> String {
    let id = if !used.contains(base) {
        base.to_string()
    } else {
        (0..)
            .map(|n| format!("{base}-{n}"))
            .find(|c| !used.contains(c))
            .expect("unbounded")
    };
    used.insert(id.clone());
    id
}

/// The prefix ids are derived from: a node id may be a number ("3"), and
/// ids derived from it must still be valid XML ids, so crmsh prefixes them
/// with "num-".
pub fn prefix(p: &str) -> String {
    if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) {
        format!("num-{p}")
    } else {
        p.to_string()
    }
}

/// The id candidate for `child` under prefix `p`, or `None` when this kind
/// of element carries no id.
fn candidate(child: &Element, p: &str) -> Option<String> {
    let p = prefix(p);
    let p = p.as_str();
    Some(match child.name.as_str() {
        "instance_attributes" | "meta_attributes" | "utilization" => format!("{p}-{}", child.name),
        "nvpair" => format!("{p}-{}", child.attr("name")?),
        "op" => format!(
            "{p}-{}-{}",
            child.attr("name").unwrap_or(""),
            child.attr("interval").unwrap_or("0")
        ),
        "rule" => format!("{p}-rule"),
        "expression" | "date_expression" => format!("{p}-expression"),
        "duration" => format!("{p}-duration"),
        "date_spec" => format!("{p}-date_spec"),
        "resource_set" | "attribute" | "acl_permission" => p.to_string(),
        "fencing-level" => "fencing".to_string(),
        "cluster_property_set" => "cib-bootstrap-options".to_string(),
        _ => return None,
    })
}

/// Assigns ids to `el`'s descendants that need one and lack both `id` and
/// `id-ref`, in document order. `pfx` is the prefix for direct children
/// when `el` itself has no id.
pub fn assign(el: &mut Element, pfx: &str, used: &mut HashSet<String>) {
    let p = el.attr("id").unwrap_or(pfx).to_string();
    for n in el.children.iter_mut() {
        let Node::Element(c) = n else { continue };
        if c.attr("id").is_none() && c.attr("id-ref").is_none() {
            if let Some(base) = candidate(c, &p) {
                let id = unique(&base, used);
                c.set_attr("id", id);
            }
        }
        assign(c, &p, used);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes() {
        let mut used = HashSet::new();
        used.insert("o1".to_string());
        assert_eq!(unique("o1", &mut used), "o1-0");
        assert_eq!(unique("o1", &mut used), "o1-1");
        assert_eq!(unique("x", &mut used), "x");
    }

    #[test]
    fn numeric_node_ids() {
        let mut node = Element::new("node").with_attr("id", "3").with_child(
            Element::new("instance_attributes").with_child(
                Element::new("nvpair")
                    .with_attr("name", "standby")
                    .with_attr("value", "on"),
            ),
        );
        assign(&mut node, "3", &mut HashSet::new());
        let set = node.child("instance_attributes").unwrap();
        assert_eq!(set.attr("id"), Some("num-3-instance_attributes"));
        assert_eq!(
            set.child("nvpair").unwrap().attr("id"),
            Some("num-3-instance_attributes-standby")
        );
    }
}

//! `configure show`: the configuration in crmsh's CLI layout.
//!
//! Objects come out grouped by kind (nodes, templates, primitives, groups,
//! ms, clones, bundles, tags, colocations, locations, orders, fencing
//! topology, tickets, property sets, rsc/op defaults, ACL roles and
//! targets, alerts), each group sorted by id, as crmsh does with its default
//! `sort-elements=yes`. Continuation lines are joined with ` \` + newline +
//! tab. A value is printed bare only when it is made of letters, digits,
//! `_`, `.` and `-`; anything else is double-quoted with `"` escaped.
//! Parameters whose name starts with `passw` are masked. An object crmsh
//! cannot express in CLI syntax (a one-resource order, non-ASCII values) is
//! printed as `xml <element ...>`.

use std::collections::HashSet;

use cib::xml::Element;

use crate::config::is_resource;

/// Quotes a value the way crmsh's `show` does.
pub fn q(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('"', "\\\""))
    }
}

fn score_show(s: &str) -> String {
    match s {
        "INFINITY" => "inf".into(),
        "-INFINITY" => "-inf".into(),
        "+INFINITY" => "+inf".into(),
        other => other.to_string(),
    }
}

struct Ctx {
    /// ids somebody refers to with `id-ref` (their rules keep `$id=`).
    referenced: HashSet<String>,
    /// node names, for collapsing `fencing_topology`.
    nodes: Vec<String>,
}

fn collect_refs(el: &Element, out: &mut HashSet<String>) {
    if let Some(r) = el.attr("id-ref") {
        out.insert(r.to_string());
    }
    for c in el.elements() {
        collect_refs(c, out);
    }
}

fn id_of(e: &Element) -> String {
    e.attr("id").unwrap_or("").to_string()
}

/// Every showable object with the name `show NAME` selects it by, in
/// display order.
pub fn objects<'a>(conf: &'a Element) -> Vec<(String, &'a Element)> {
    let mut groups: Vec<Vec<(String, &'a Element)>> = vec![Vec::new(); 20];
    let mut push = |g: usize, key: String, e: &'a Element| groups[g].push((key, e));
    if let Some(nodes) = conf.child("nodes") {
        for n in nodes.elements() {
            push(0, id_of(n), n);
        }
    }
    if let Some(res) = conf.child("resources") {
        let mut stack: Vec<&Element> = res.elements().collect();
        while let Some(e) = stack.pop() {
            let g = match e.name.as_str() {
                "template" => 1,
                "primitive" => 2,
                "group" => 3,
                "master" => 4,
                "clone" => 5,
                "bundle" => 6,
                _ => continue,
            };
            push(g, id_of(e), e);
            stack.extend(e.elements().filter(|c| is_resource(&c.name)));
        }
    }
    if let Some(tags) = conf.child("tags") {
        for t in tags.elements() {
            push(7, id_of(t), t);
        }
    }
    if let Some(cons) = conf.child("constraints") {
        for c in cons.elements() {
            let g = match c.name.as_str() {
                "rsc_colocation" => 8,
                "rsc_location" => 9,
                "rsc_order" => 10,
                "rsc_ticket" => 12,
                _ => continue,
            };
            push(g, id_of(c), c);
        }
    }
    if let Some(f) = conf.child("fencing-topology") {
        push(11, "fencing_topology".into(), f);
    }
    if let Some(c) = conf.child("crm_config") {
        for s in c.elements() {
            push(13, id_of(s), s);
        }
    }
    for (i, sec) in ["rsc_defaults", "op_defaults"].iter().enumerate() {
        if let Some(c) = conf.child(sec) {
            for s in c.elements() {
                push(14 + i, id_of(s), s);
            }
        }
    }
    if let Some(a) = conf.child("acls") {
        for e in a.elements() {
            let g = if e.name == "acl_role" { 16 } else { 17 };
            push(g, id_of(e), e);
        }
    }
    if let Some(a) = conf.child("alerts") {
        for e in a.elements() {
            push(18, id_of(e), e);
        }
    }
    let mut out = Vec::new();
    for mut g in groups {
        g.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(g);
    }
    out
}

/// The object ids `show ARGS` selects: ids as given, `type:KIND` (crmsh's
/// command word, e.g. `type:order`), `related:ID` (ID and every object
/// that refers to it).
pub fn select(conf: &Element, args: &[String]) -> Vec<String> {
    let objs = objects(conf);
    let mut out: Vec<String> = Vec::new();
    for a in args {
        if let Some(kind) = a.strip_prefix("type:") {
            for (k, e) in &objs {
                if crate::config::cli_name(&e.name) == kind {
                    out.push(k.clone());
                }
            }
        } else if let Some(id) = a.strip_prefix("related:") {
            for (k, e) in &objs {
                if k == id || refers_to(e, id) {
                    out.push(k.clone());
                }
            }
        } else {
            out.push(a.clone());
        }
    }
    out
}

fn refers_to(e: &Element, id: &str) -> bool {
    let attrs = ["rsc", "with-rsc", "first", "then", "template"];
    if attrs.iter().any(|a| e.attr(a) == Some(id)) {
        return true;
    }
    e.elements().any(|c| {
        (matches!(c.name.as_str(), "resource_ref" | "obj_ref") && c.attr("id") == Some(id))
            || (is_resource(&c.name) && c.attr("id") == Some(id))
            || (!is_resource(&c.name) && refers_to(c, id))
    })
}

/// The `xml ...` fallback form.
pub fn xml_form(el: &Element) -> String {
    let x = el.to_xml();
    let x: String = x
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("&#{};", c as u32)
            }
        })
        .collect();
    let lines: Vec<&str> = x.trim_end().lines().collect();
    format!("xml {}", lines.join(" \\\n"))
}

fn has_non_ascii(el: &Element) -> bool {
    el.attrs.iter().any(|(_, v)| !v.is_ascii()) || el.elements().any(has_non_ascii)
}

fn join(lines: Vec<String>) -> String {
    lines.join(" \\\n\t")
}

fn render(cx: &Ctx, el: &Element) -> String {
    let section_parent = matches!(el.name.as_str(), "cluster_property_set" | "meta_attributes");
    if has_non_ascii(el) && !section_parent {
        return xml_form(el);
    }
    if section_parent && has_non_ascii(el) {
        return xml_form(el);
    }
    match el.name.as_str() {
        "node" => node(cx, el),
        "primitive" | "template" => primitive(cx, el),
        "group" | "clone" | "master" => container(cx, el),
        "bundle" => bundle(cx, el),
        "tag" => {
            let mut s = format!("tag {}", id_of(el));
            for r in el.elements() {
                s.push(' ');
                s.push_str(r.attr("id").unwrap_or(""));
            }
            s
        }
        "rsc_location" => location(cx, el),
        "rsc_colocation" | "rsc_order" | "rsc_ticket" => {
            constraint(el).unwrap_or_else(|| xml_form(el))
        }
        "fencing-topology" => fencing(cx, el),
        "cluster_property_set" => nvset(cx, "property", el),
        "meta_attributes" => {
            // rsc_defaults / op_defaults sets; the caller's section decides
            // the word, found from the id convention is not reliable, so the
            // parent is passed through the element name below.
            nvset(cx, "", el)
        }
        "acl_role" => acl_role(el),
        "acl_target" | "acl_group" => {
            let mut lines = vec![format!("{} {}", el.name, id_of(el))];
            for r in el.elements() {
                lines.push(r.attr("id").unwrap_or("").to_string());
            }
            join(lines)
        }
        "alert" => alert(cx, el),
        _ => xml_form(el),
    }
}

/// Renders the whole configuration, or only the objects named in `only`
/// (in display order). `rsc_defaults`/`op_defaults` sets need to know
/// their section, so they are told apart here.
pub fn show_config(conf: &Element, only: &[String]) -> String {
    let mut referenced = HashSet::new();
    collect_refs(conf, &mut referenced);
    let nodes: Vec<String> = conf
        .child("nodes")
        .map(|n| {
            n.elements()
                .filter_map(|e| e.attr("uname").or(e.attr("id")).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let cx = Ctx { referenced, nodes };
    let rd: Vec<*const Element> = conf
        .child("rsc_defaults")
        .map(|s| s.elements().map(|e| e as *const Element).collect())
        .unwrap_or_default();
    let od: Vec<*const Element> = conf
        .child("op_defaults")
        .map(|s| s.elements().map(|e| e as *const Element).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (key, el) in objects(conf) {
        if !only.is_empty() && !only.contains(&key) {
            continue;
        }
        let p = el as *const Element;
        let mut text = if rd.contains(&p) {
            if has_non_ascii(el) {
                xml_form(el)
            } else {
                nvset(&cx, "rsc_defaults", el)
            }
        } else if od.contains(&p) {
            if has_non_ascii(el) {
                xml_form(el)
            } else {
                nvset(&cx, "op_defaults", el)
            }
        } else {
            render(&cx, el)
        };
        // crmsh's rule: an object is shown in CLI form only when that form
        // reads back as the same XML; anything else is shown as XML, so
        // `show` never silently drops what it cannot express
        if !text.starts_with("xml ") && !roundtrips(&text, el, conf) {
            text = xml_form(el);
        }
        out.push(text);
    }
    let mut s = out.join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

/// Whether `text` (one object in CLI form) parses back into `el`, ids of
/// sub-elements aside (crmsh does not show generated ids).
fn roundtrips(text: &str, el: &Element, conf: &Element) -> bool {
    let lines = crate::lex::logical_lines(text, 1);
    let [ll] = lines.as_slice() else { return false };
    let Ok(toks) = crate::lex::tokenize(ll) else {
        return false;
    };
    let Some(first) = toks.first() else {
        return false;
    };
    let Some(cmd) = crate::parse::canonical_command(&first.text.to_ascii_lowercase()) else {
        return false;
    };
    let look = crate::config::Config::new(conf.clone());
    let end = crate::lex::Loc {
        line: 1,
        col: ll.text.chars().count() + 1,
    };
    let Ok(mut back) = crate::parse::parse_command(cmd, &toks, end, &look) else {
        return false;
    };
    if matches!(back.name.as_str(), "rsc_defaults" | "op_defaults") {
        let Some(set) = back.elements().next().cloned() else {
            return false;
        };
        back = set;
    }
    if back.name == "node" && back.attr("id").is_none() {
        let u = back.attr("uname").unwrap_or("").to_string();
        back.set_attr("id", u);
    }
    if matches!(
        back.name.as_str(),
        "cluster_property_set" | "meta_attributes"
    ) && back.attr("id").is_none()
    {
        return false;
    }
    normalise(el.clone(), true).canonical() == normalise(back, true).canonical()
}

/// Drops what the CLI form does not carry: ids of sub-elements, the
/// default `type="string"` of expressions, masked values; and reduces
/// contained resources to references.
fn normalise(mut el: Element, root: bool) -> Element {
    if !root {
        el.remove_attr("id");
    }
    if el.name == "expression" && el.attr("type") == Some("string") {
        el.remove_attr("type");
    }
    if el.name == "rule" && el.attr("boolean-op") == Some("and") {
        // the default; crm_resource writes it, the CLI form cannot
        el.remove_attr("boolean-op");
    }
    if el.name == "nvpair" && el.attr("name").is_some_and(|n| n.starts_with("passw")) {
        el.remove_attr("value");
    }
    let container = matches!(el.name.as_str(), "group" | "clone" | "master" | "bundle");
    let kids = std::mem::take(&mut el.children);
    for n in kids {
        match n {
            cib::xml::Node::Element(c) if container && is_resource(&c.name) => {
                let id = c.attr("id").unwrap_or("").to_string();
                el.push(Element::new("crmsh-ref").with_attr("id", id));
            }
            cib::xml::Node::Element(c) if c.name == "crmsh-ref" => el.push(c),
            cib::xml::Node::Element(c) => el.push(normalise(c, false)),
            other => el.children.push(other),
        }
    }
    if matches!(el.name.as_str(), "group" | "clone" | "master" | "bundle") {
        // the CLI form lists members apart from the attribute sets, so their
        // relative order in the XML is not expressible (nor meaningful)
        let (refs, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut el.children)
            .into_iter()
            .partition(|n| matches!(n, cib::xml::Node::Element(c) if c.name == "crmsh-ref"));
        el.children = rest;
        el.children.extend(refs);
    }
    el
}

fn nvpair(nv: &Element, mask: bool) -> String {
    if let Some(r) = nv.attr("id-ref") {
        return match nv.attr("name") {
            Some(n) => format!("@{r}:{n}"),
            None => format!("@{r}"),
        };
    }
    let name = nv.attr("name").unwrap_or("");
    match nv.attr("value") {
        None => name.to_string(),
        Some(_) if mask && name.starts_with("passw") => format!("{name}=\"******\""),
        Some(v) => format!("{name}={}", q(v)),
    }
}

fn rule(cx: &Ctx, r: &Element) -> String {
    let mut s = String::from("rule");
    if let Some(x) = r.attr("id-ref") {
        s.push_str(&format!(" $id-ref={x}"));
        return s;
    }
    if let Some(id) = r.attr("id") {
        if cx.referenced.contains(id) {
            s.push_str(&format!(" $id={id}"));
        }
    }
    if let Some(role) = r.attr("role") {
        s.push_str(&format!(" $role={role}"));
    }
    if let Some(sc) = r.attr("score") {
        if sc != "INFINITY" {
            s.push_str(&format!(" {}:", score_show(sc)));
        }
    } else if let Some(sa) = r.attr("score-attribute") {
        s.push_str(&format!(" {sa}:"));
    }
    let op = r.attr("boolean-op").unwrap_or("and");
    let exprs: Vec<String> = r.elements().map(expression).collect();
    if !exprs.is_empty() {
        s.push(' ');
        s.push_str(&exprs.join(&format!(" {op} ")));
    }
    s
}

fn expression(e: &Element) -> String {
    match e.name.as_str() {
        "expression" => {
            let attr = e.attr("attribute").unwrap_or("");
            let op = e.attr("operation").unwrap_or("");
            if op == "defined" || op == "not_defined" {
                return format!("{op} {attr}");
            }
            let ty = match e.attr("type") {
                Some(t) if t != "string" => format!("{t}:"),
                _ => String::new(),
            };
            format!("{attr} {ty}{op} {}", q(e.attr("value").unwrap_or("")))
        }
        "date_expression" => {
            let op = e.attr("operation").unwrap_or("");
            match op {
                "lt" => format!("date lt {}", q(e.attr("end").unwrap_or(""))),
                "gt" => format!("date gt {}", q(e.attr("start").unwrap_or(""))),
                "in_range" => {
                    let mut s = String::from("date in");
                    for k in ["start", "end"] {
                        if let Some(v) = e.attr(k) {
                            s.push_str(&format!(" {k}={}", q(v)));
                        }
                    }
                    if let Some(d) = e.child("duration") {
                        for (k, v) in d.attrs.iter().filter(|(k, _)| k != "id") {
                            s.push_str(&format!(" {k}={}", q(v)));
                        }
                    }
                    s
                }
                _ => {
                    let mut s = String::from("date spec");
                    if let Some(d) = e.child("date_spec") {
                        for (k, v) in d.attrs.iter().filter(|(k, _)| k != "id") {
                            s.push_str(&format!(" {k}={}", q(v)));
                        }
                    }
                    s
                }
            }
        }
        "rule" => "rule".into(),
        _ => String::new(),
    }
}

/// `params [score:] [rule ...] a=b ...` for one attribute set.
fn attr_set(cx: &Ctx, kw: &str, set: &Element, mask: bool) -> String {
    if let Some(r) = set.attr("id-ref") {
        return format!("{kw} $id-ref={r}");
    }
    let mut parts = vec![kw.to_string()];
    if let Some(id) = set.attr("id").filter(|id| cx.referenced.contains(*id)) {
        parts.push(format!("$id={id}"));
    }
    if let Some(s) = set.attr("score") {
        parts.push(format!("{}:", score_show(s)));
    }
    for c in set.elements() {
        match c.name.as_str() {
            "rule" => parts.push(rule(cx, c)),
            "nvpair" => parts.push(nvpair(c, mask)),
            _ => {}
        }
    }
    parts.join(" ")
}

fn set_kw(name: &str) -> Option<&'static str> {
    Some(match name {
        "instance_attributes" => "params",
        "meta_attributes" => "meta",
        "utilization" => "utilization",
        _ => return None,
    })
}

/// crmsh prints an object's description as its own continuation line.
fn description(el: &Element, lines: &mut Vec<String>) {
    if let Some(d) = el.attr("description") {
        lines.push(format!("description={}", q(d)));
    }
}

fn agent(el: &Element) -> String {
    if let Some(t) = el.attr("template") {
        return format!("@{t}");
    }
    let class = el.attr("class").unwrap_or("");
    let ty = el.attr("type").unwrap_or("");
    match (class, el.attr("provider")) {
        ("ocf", Some("heartbeat")) => ty.to_string(),
        (c, Some(p)) => format!("{c}:{p}:{ty}"),
        (c, None) => format!("{c}:{ty}"),
    }
}

fn primitive(cx: &Ctx, el: &Element) -> String {
    let word = if el.name == "template" {
        "rsc_template"
    } else {
        "primitive"
    };
    let head = format!("{word} {} {}", id_of(el), agent(el));
    let mut lines = vec![head];
    description(el, &mut lines);
    for c in el.elements() {
        if let Some(kw) = set_kw(&c.name) {
            lines.push(attr_set(cx, kw, c, kw == "params"));
        } else if c.name == "operations" {
            if let Some(r) = c.attr("id-ref") {
                lines.push(format!("operations $id-ref={r}"));
                continue;
            }
            if let Some(id) = c.attr("id") {
                lines.push(format!("operations $id={id}"));
            }
            for op in c.elements().filter(|o| o.name == "op") {
                let mut s = format!("op {}", op.attr("name").unwrap_or(""));
                for (k, v) in &op.attrs {
                    if k != "id" && k != "name" {
                        s.push_str(&format!(" {k}={}", q(v)));
                    }
                }
                lines.push(s);
                for set in op.elements() {
                    let kw = match set.name.as_str() {
                        "instance_attributes" => "op_params",
                        "meta_attributes" => "op_meta",
                        _ => continue,
                    };
                    lines.push(attr_set(cx, kw, set, false));
                }
            }
        }
    }
    join(lines)
}

fn container(cx: &Ctx, el: &Element) -> String {
    let word = match el.name.as_str() {
        "master" => "ms",
        other => other,
    };
    let mut head = format!("{word} {}", id_of(el));
    for c in el.elements().filter(|c| is_resource(&c.name)) {
        head.push(' ');
        head.push_str(c.attr("id").unwrap_or(""));
    }
    let mut lines = vec![head];
    description(el, &mut lines);
    for c in el.elements() {
        if let Some(kw) = set_kw(&c.name) {
            lines.push(attr_set(cx, kw, c, false));
        }
    }
    join(lines)
}

fn bundle(cx: &Ctx, el: &Element) -> String {
    let mut lines = vec![format!("bundle {}", id_of(el))];
    let mut prims = Vec::new();
    for c in el.elements() {
        match c.name.as_str() {
            "primitive" => prims.push(format!("primitive {}", id_of(c))),
            "meta_attributes" => lines.push(attr_set(cx, "meta", c, false)),
            name => {
                let mut s = name.to_string();
                for (k, v) in &c.attrs {
                    s.push_str(&format!(" {k}={}", q(v)));
                }
                for m in c.elements() {
                    s.push(' ');
                    s.push_str(&m.name);
                    for (k, v) in &m.attrs {
                        s.push_str(&format!(" {k}={}", q(v)));
                    }
                }
                lines.push(s);
            }
        }
    }
    lines.extend(prims);
    join(lines)
}

fn node(cx: &Ctx, el: &Element) -> String {
    let id = id_of(el);
    let uname = el.attr("uname").unwrap_or(&id).to_string();
    let mut head = if id != uname && !id.is_empty() {
        format!("node {id}: {uname}")
    } else {
        format!("node {uname}")
    };
    if let Some(t) = el.attr("type").filter(|t| *t != "normal") {
        head.push_str(&format!(":{t}"));
    }
    let mut lines = vec![head];
    description(el, &mut lines);
    for c in el.elements() {
        let kw = match c.name.as_str() {
            "instance_attributes" => "attributes",
            "utilization" => "utilization",
            _ => continue,
        };
        lines.push(attr_set(cx, kw, c, false));
    }
    join(lines)
}

fn member_list(set: &Element, q_attr: &str) -> Vec<String> {
    let qual = set.attr(q_attr);
    set.elements()
        .filter(|r| r.name == "resource_ref")
        .map(|r| {
            let id = r.attr("id").unwrap_or("");
            match qual {
                Some(x) => format!("{id}:{x}"),
                None => id.to_string(),
            }
        })
        .collect()
}

fn sets_text(el: &Element, q_attr: &str) -> String {
    let mut parts = Vec::new();
    for s in el.elements().filter(|s| s.name == "resource_set") {
        let m = member_list(s, q_attr).join(" ");
        let seq_false = s.attr("sequential") == Some("false");
        if s.attr("require-all") == Some("false") {
            if seq_false {
                parts.push(format!("[ {m} ]"));
            } else {
                parts.push(format!("[ {m} sequential=true ]"));
            }
        } else if seq_false {
            parts.push(format!("( {m} )"));
        } else {
            parts.push(m);
        }
    }
    parts.join(" ")
}

fn location(cx: &Ctx, el: &Element) -> String {
    let mut head = format!("location {}", id_of(el));
    if let Some(r) = el.attr("rsc") {
        head.push_str(&format!(" {r}"));
    } else if let Some(p) = el.attr("rsc-pattern") {
        head.push_str(&format!(" /{p}/"));
    } else {
        for s in el.elements().filter(|s| s.name == "resource_set") {
            head.push_str(&format!(" {{ {} }}", member_list(s, "role").join(" ")));
        }
    }
    for k in ["resource-discovery", "role"] {
        if let Some(v) = el.attr(k) {
            head.push_str(&format!(" {k}={v}"));
        }
    }
    if let Some(n) = el.attr("node") {
        let sc = el
            .attr("score")
            .map(score_show)
            .or_else(|| el.attr("score-attribute").map(str::to_string))
            .unwrap_or_default();
        head.push_str(&format!(" {sc}: {n}"));
        return head;
    }
    let mut lines = vec![head];
    for r in el.elements().filter(|r| r.name == "rule") {
        lines.push(rule(cx, r));
    }
    join(lines)
}

/// colocation / order / rsc_ticket; `None` when crmsh would fall back to XML.
fn constraint(el: &Element) -> Option<String> {
    let id = id_of(el);
    let sets: Vec<&Element> = el.elements().filter(|s| s.name == "resource_set").collect();
    let total: usize = sets.iter().map(|s| s.elements().count()).sum();
    match el.name.as_str() {
        "rsc_colocation" => {
            let sc = el
                .attr("score")
                .map(score_show)
                .or_else(|| el.attr("score-attribute").map(str::to_string))
                .unwrap_or_default();
            let mut s = format!("colocation {id} {sc}:");
            if sets.is_empty() {
                for (a, r) in [("rsc", "rsc-role"), ("with-rsc", "with-rsc-role")] {
                    s.push(' ');
                    s.push_str(el.attr(a)?);
                    if let Some(x) = el.attr(r) {
                        s.push_str(&format!(":{x}"));
                    }
                }
            } else {
                if total < 2 {
                    return None;
                }
                s.push_str(&format!(" {}", sets_text(el, "role")));
            }
            if let Some(na) = el.attr("node-attribute") {
                s.push_str(&format!(" node-attribute={na}"));
            }
            Some(s)
        }
        "rsc_order" => {
            let mut s = format!("order {id}");
            if let Some(k) = el.attr("kind") {
                s.push_str(&format!(" {k}:"));
            } else if let Some(sc) = el.attr("score") {
                s.push_str(&format!(" {}:", score_show(sc)));
            }
            if sets.is_empty() {
                for (a, r) in [("first", "first-action"), ("then", "then-action")] {
                    s.push(' ');
                    s.push_str(el.attr(a)?);
                    if let Some(x) = el.attr(r) {
                        s.push_str(&format!(":{x}"));
                    }
                }
            } else {
                if total < 2 {
                    return None;
                }
                s.push_str(&format!(" {}", sets_text(el, "action")));
            }
            if let Some(sym) = el.attr("symmetrical") {
                s.push_str(&format!(" symmetrical={sym}"));
            }
            Some(s)
        }
        _ => {
            let mut s = format!("rsc_ticket {id} {}:", el.attr("ticket").unwrap_or(""));
            if sets.is_empty() {
                s.push(' ');
                s.push_str(el.attr("rsc")?);
                if let Some(x) = el.attr("rsc-role") {
                    s.push_str(&format!(":{x}"));
                }
            } else {
                s.push_str(&format!(" {}", sets_text(el, "role")));
            }
            if let Some(lp) = el.attr("loss-policy") {
                s.push_str(&format!(" loss-policy={lp}"));
            }
            Some(s)
        }
    }
}

fn fencing(cx: &Ctx, el: &Element) -> String {
    let mut targets: Vec<(String, Vec<String>)> = Vec::new();
    let mut plain = true;
    for l in el.elements() {
        let t = if let Some(t) = l.attr("target") {
            t.to_string()
        } else if let Some(p) = l.attr("target-pattern") {
            plain = false;
            format!("pattern:{p}")
        } else {
            plain = false;
            format!(
                "attr:{}={}",
                l.attr("target-attribute").unwrap_or(""),
                l.attr("target-value").unwrap_or("")
            )
        };
        let d = l.attr("devices").unwrap_or("").to_string();
        match targets.iter_mut().find(|(x, _)| *x == t) {
            Some((_, v)) => v.push(d),
            None => targets.push((t, vec![d])),
        }
    }
    let names: Vec<&String> = targets.iter().map(|(t, _)| t).collect();
    let all_same = targets.windows(2).all(|w| w[0].1 == w[1].1);
    if plain
        && !targets.is_empty()
        && all_same
        && names
            .iter()
            .map(|s| s.as_str())
            .eq(cx.nodes.iter().map(|s| s.as_str()))
    {
        return format!("fencing_topology {}", targets[0].1.join(" "));
    }
    let mut lines = vec!["fencing_topology".to_string()];
    for (t, devs) in targets {
        lines.push(format!("{t}: {}", devs.join(" ")));
    }
    join(lines)
}

fn nvset(cx: &Ctx, word: &str, el: &Element) -> String {
    let mut lines = vec![format!("{word} {}:", id_of(el))];
    for c in el.elements() {
        match c.name.as_str() {
            "rule" => lines.push(rule(cx, c)),
            "nvpair" => lines.push(nvpair(c, false)),
            _ => {}
        }
    }
    join(lines)
}

fn acl_role(el: &Element) -> String {
    let mut lines = vec![format!("role {}", id_of(el))];
    for p in el.elements() {
        let mut s = p.attr("kind").unwrap_or("").to_string();
        if let Some(x) = p.attr("xpath") {
            match crate::acl::unexpand(x) {
                Some(short) => s.push_str(&format!(" {short}")),
                None => s.push_str(&format!(" xpath:{}", q(x))),
            }
        }
        if let Some(r) = p.attr("reference") {
            s.push_str(&format!(" ref:{}", q(r)));
        }
        if let Some(a) = p.attr("attribute") {
            s.push_str(&format!(" attr:{}", q(a)));
        }
        if let Some(t) = p.attr("object-type") {
            s.push_str(&format!(" type:{}", q(t)));
        }
        lines.push(s);
    }
    join(lines)
}

fn alert(cx: &Ctx, el: &Element) -> String {
    let head = format!("alert {} {}", id_of(el), q(el.attr("path").unwrap_or("")));
    let mut lines = vec![head];
    description(el, &mut lines);
    for c in el.elements() {
        match c.name.as_str() {
            "instance_attributes" => lines.push(attr_set(cx, "attributes", c, false)),
            "meta_attributes" => lines.push(attr_set(cx, "meta", c, false)),
            "select" => {
                let mut s = String::from("select");
                for st in c.elements() {
                    let kind = st.name.strip_prefix("select_").unwrap_or(&st.name);
                    s.push(' ');
                    s.push_str(kind);
                    if kind == "attributes" {
                        let names: Vec<&str> =
                            st.elements().filter_map(|a| a.attr("name")).collect();
                        s.push_str(&format!(" {{ {} }}", names.join(" ")));
                    }
                }
                lines.push(s);
            }
            "recipient" => {
                let mut s = format!("to {}", q(c.attr("value").unwrap_or("")));
                for set in c.elements() {
                    let kw = match set.name.as_str() {
                        "instance_attributes" => "attributes",
                        "meta_attributes" => "meta",
                        _ => continue,
                    };
                    s.push(' ');
                    s.push_str(&attr_set(cx, kw, set, false));
                }
                lines.push(s);
            }
            _ => {}
        }
    }
    join(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(q("abc-1.2_x"), "abc-1.2_x");
        assert_eq!(q("/x"), "\"/x\"");
        assert_eq!(q(""), "\"\"");
        assert_eq!(q("he said \"hi\""), "\"he said \\\"hi\\\"\"");
    }
}

#[cfg(test)]
mod fallback_tests {
    use super::*;

    fn conf(resources: &str) -> Element {
        cib::xml::parse(&format!(
            "<configuration><crm_config/><nodes/><resources>{resources}</resources><constraints/></configuration>"
        ))
        .unwrap()
    }

    #[test]
    fn what_the_cli_cannot_say_is_shown_as_xml() {
        // an op without interval (as other tools may write) would read back
        // with interval="0": shown as XML, not silently changed
        let c = conf(
            "<primitive id=\"p\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\">\
             <operations><op id=\"p-start\" name=\"start\" timeout=\"20s\"/></operations></primitive>\
             <primitive id=\"q\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>",
        );
        let s = show_config(&c, &[]);
        assert!(s.starts_with("xml <primitive id=\"p\""), "{s}");
        assert!(s.contains("\nprimitive q Dummy\n"), "{s}");
    }

    #[test]
    fn generated_ids_do_not_force_xml() {
        let c = conf(
            "<primitive id=\"p\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\">\
             <instance_attributes id=\"custom\"><nvpair id=\"whatever\" name=\"a\" value=\"1\"/></instance_attributes></primitive>",
        );
        assert_eq!(show_config(&c, &[]), "primitive p Dummy \\\n\tparams a=1\n");
    }
}

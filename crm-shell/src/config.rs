//! The `<configuration>` being edited: placing parsed objects, the edit
//! commands (`delete`, `rename`, `modgroup`, `monitor`, `set`), and the
//! checks a commit must pass.
//!
//! Every edit works on the tree in place and may leave it half-changed when
//! it fails; callers edit a clone and keep it only on success (see
//! [`crate::session`]), which is what makes a rejected line stage nothing.

use std::collections::HashSet;

use cib::xml::{Element, Node};

use crate::ids;
use crate::parse::{Lookup, RA_CLASSES};

/// Why an edit was refused. The message names the object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(msg.into()))
}

/// Resource element names.
pub fn is_resource(name: &str) -> bool {
    matches!(
        name,
        "primitive" | "group" | "clone" | "master" | "bundle" | "template"
    )
}

/// Constraint element names.
pub fn is_constraint(name: &str) -> bool {
    matches!(
        name,
        "rsc_location" | "rsc_colocation" | "rsc_order" | "rsc_ticket"
    )
}

/// A valid XML id (NCName, ASCII subset): a letter or `_` first, then
/// letters, digits, `_`, `-`, `.`.
pub fn valid_id(id: &str) -> bool {
    let mut cs = id.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Path of child indices (into `children`) from the configuration root.
type Path = Vec<usize>;

fn find_path(el: &Element, pred: &dyn Fn(&Element) -> bool) -> Option<Path> {
    for (i, n) in el.children.iter().enumerate() {
        if let Node::Element(c) = n {
            if pred(c) {
                return Some(vec![i]);
            }
            if let Some(mut p) = find_path(c, pred) {
                p.insert(0, i);
                return Some(p);
            }
        }
    }
    None
}

fn at<'a>(el: &'a Element, path: &[usize]) -> &'a Element {
    let mut cur = el;
    for &i in path {
        cur = match &cur.children[i] {
            Node::Element(e) => e,
            _ => unreachable!("paths only lead through elements"),
        };
    }
    cur
}

fn at_mut<'a>(el: &'a mut Element, path: &[usize]) -> &'a mut Element {
    let mut cur = el;
    for &i in path {
        cur = match &mut cur.children[i] {
            Node::Element(e) => e,
            _ => unreachable!("paths only lead through elements"),
        };
    }
    cur
}

fn take(el: &mut Element, path: &[usize]) -> Element {
    let (last, parent) = path.split_last().expect("non-empty path");
    match at_mut(el, parent).children.remove(*last) {
        Node::Element(e) => e,
        _ => unreachable!("paths only lead through elements"),
    }
}

fn walk_mut(el: &mut Element, f: &mut dyn FnMut(&mut Element)) {
    f(el);
    for c in el.elements_mut() {
        walk_mut(c, f);
    }
}

fn walk(el: &Element, f: &mut dyn FnMut(&Element)) {
    f(el);
    for c in el.elements() {
        walk(c, f);
    }
}

/// The staged `<configuration>` element.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The `<configuration>` element.
    pub conf: Element,
}

/// Default id of the set a `property`/`rsc_defaults`/`op_defaults` command
/// without `$id` edits.
fn default_set_id(section: &str) -> &'static str {
    match section {
        "rsc_defaults" => "rsc-options",
        "op_defaults" => "op-options",
        _ => "cib-bootstrap-options",
    }
}

impl Lookup for Config {
    fn resolve_id_ref(&self, tag: &str, id: &str) -> String {
        if let Some(p) = find_path(&self.conf, &|e| {
            e.attr("id") == Some(id) && e.name != "node"
        }) {
            let el = at(&self.conf, &p);
            if el.name == tag {
                return id.to_string();
            }
            if let Some(q) = find_path(el, &|e| e.name == tag && e.attr("id").is_some()) {
                return at(el, &q).attr("id").unwrap_or(id).to_string();
            }
        }
        id.to_string()
    }

    fn node_ids(&self) -> Vec<String> {
        self.conf
            .child("nodes")
            .map(|n| {
                n.elements()
                    .filter_map(|e| e.attr("uname").or(e.attr("id")).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Config {
    /// Wraps a `<configuration>` element.
    pub fn new(conf: Element) -> Self {
        Config { conf }
    }

    /// The section `name`, created (appended) when missing.
    pub fn section(&mut self, name: &str) -> &mut Element {
        if self.conf.child(name).is_none() {
            self.conf.push(Element::new(name));
        }
        self.conf.child_mut(name).expect("just ensured")
    }

    fn used_ids(&self) -> HashSet<String> {
        let mut s = HashSet::new();
        ids::collect(&self.conf, &mut s);
        s
    }

    fn resource_path(&self, id: &str) -> Option<Path> {
        let ri = self
            .conf
            .children
            .iter()
            .position(|n| matches!(n, Node::Element(e) if e.name == "resources"))?;
        let res = at(&self.conf, &[ri]);
        let mut p = find_path(res, &|e| is_resource(&e.name) && e.attr("id") == Some(id))?;
        p.insert(0, ri);
        Some(p)
    }

    /// The resource (primitive, group, clone, ms, bundle, template) `id`.
    pub fn resource(&self, id: &str) -> Option<&Element> {
        self.resource_path(id).map(|p| at(&self.conf, &p))
    }

    /// Path of the object (anything with an id that `show`/`delete` can
    /// name; nodes by id or uname).
    fn object_path(&self, id: &str) -> Option<Path> {
        if let Some(p) = self.resource_path(id) {
            return Some(p);
        }
        let pred = |e: &Element| {
            (e.attr("id") == Some(id)
                && (is_constraint(&e.name)
                    || matches!(
                        e.name.as_str(),
                        "cluster_property_set"
                            | "tag"
                            | "alert"
                            | "acl_role"
                            | "acl_target"
                            | "acl_group"
                    )))
                || (e.name == "node" && (e.attr("id") == Some(id) || e.attr("uname") == Some(id)))
        };
        if let Some(p) = find_path(&self.conf, &pred) {
            return Some(p);
        }
        for sec in ["rsc_defaults", "op_defaults"] {
            if let Some(si) = self.section_index(sec) {
                let s = at(&self.conf, &[si]);
                if let Some(i) = s
                    .children
                    .iter()
                    .position(|n| matches!(n, Node::Element(e) if e.attr("id") == Some(id)))
                {
                    return Some(vec![si, i]);
                }
            }
        }
        if id == "fencing_topology" {
            return self.section_index("fencing-topology").map(|i| vec![i]);
        }
        None
    }

    fn section_index(&self, name: &str) -> Option<usize> {
        self.conf
            .children
            .iter()
            .position(|n| matches!(n, Node::Element(e) if e.name == name))
    }

    /// Whether an object named `id` exists.
    pub fn exists(&self, id: &str) -> bool {
        self.object_path(id).is_some()
    }

    /// The object named `id`.
    pub fn object(&self, id: &str) -> Option<&Element> {
        self.object_path(id).map(|p| at(&self.conf, &p))
    }

    /// Places a parsed object (see [`crate::parse`]). Returns warnings.
    pub fn add(&mut self, el: Element) -> Result<Vec<String>, EditError> {
        self.add_opts(el, true)
    }

    /// [`Config::add`]; `follow` = false keeps constraints on new group or
    /// clone members as they are (used when an edited object is re-read).
    pub fn add_opts(&mut self, mut el: Element, follow: bool) -> Result<Vec<String>, EditError> {
        let mut warnings = Vec::new();
        let name = el.name.clone();
        match name.as_str() {
            "cluster_property_set" => return self.merge_set("crm_config", el),
            "rsc_defaults" | "op_defaults" => {
                let set = el
                    .elements()
                    .next()
                    .cloned()
                    .expect("parser builds one set");
                return self.merge_set(&name, set);
            }
            "op" => return self.add_monitor(el),
            "fencing-topology" => {
                let mut used = self.used_ids();
                if let Some(i) = self.section_index("fencing-topology") {
                    let old = take(&mut self.conf, &[i]);
                    let mut old_ids = HashSet::new();
                    ids::collect(&old, &mut old_ids);
                    used.retain(|x| !old_ids.contains(x));
                }
                ids::assign(&mut el, "fencing", &mut used);
                self.conf.push(el);
                return Ok(warnings);
            }
            _ => {}
        }
        if name == "node" && el.attr("id").is_none() {
            let uname = el.attr("uname").unwrap_or("").to_string();
            el.set_attr("id", uname);
        }
        let id = el.attr("id").unwrap_or("").to_string();
        if name != "node" && !valid_id(&id) {
            return err(format!("{id}: invalid object id"));
        }
        if name == "node" {
            let uname = el.attr("uname").unwrap_or("").to_string();
            let nodes = self.section("nodes");
            if nodes
                .elements()
                .any(|n| n.attr("uname") == Some(uname.as_str()) || n.attr("id") == el.attr("id"))
            {
                return err(format!("Cannot create node {uname}: it already exists"));
            }
        } else if let Some(p) = self
            .object_path(&id)
            .filter(|p| at(&self.conf, p).name != "node")
        {
            let other = at(&self.conf, &p);
            return err(format!(
                "Cannot create {} with ID '{id}': Found existing {} with same ID.",
                cli_name(&name),
                cli_name(&other.name)
            ));
        } else if self.used_ids().contains(&id) {
            return err(format!(
                "Cannot create {} with ID '{id}': the ID is already used",
                cli_name(&name)
            ));
        }
        // Resolve references to existing resources (group members, the
        // clone child, a bundle's primitive).
        let refs: Vec<String> = el
            .elements()
            .filter(|c| c.name == "crmsh-ref")
            .filter_map(|c| c.attr("id").map(str::to_string))
            .collect();
        if !refs.is_empty() {
            let mut resolved: Vec<Option<Element>> = Vec::new();
            for r in &refs {
                let Some(p) = self.resource_path(r) else {
                    if name == "group" {
                        warnings.push(format!(
                            "{id}: resource {r} does not exist, left out of the group"
                        ));
                        resolved.push(None);
                        continue;
                    }
                    return err(format!(
                        "Cannot create {} {id}: resource {r} does not exist",
                        cli_name(&name)
                    ));
                };
                let parent = at(&self.conf, &p[..p.len() - 1]);
                if parent.name != "resources" {
                    return err(format!(
                        "Cannot create {}:{id}: Child {}:{r} already in {}:{}",
                        cli_name(&name),
                        cli_name(&at(&self.conf, &p).name),
                        cli_name(&parent.name),
                        parent.attr("id").unwrap_or("")
                    ));
                }
                resolved.push(Some(take(&mut self.conf, &p)));
            }
            if resolved.iter().all(Option::is_none) {
                return err(format!(
                    "Cannot create {} {id}: none of its members exist",
                    cli_name(&name)
                ));
            }
            let mut it = resolved.into_iter();
            let mut kids = Vec::new();
            for n in el.children.drain(..) {
                match n {
                    Node::Element(c) if c.name == "crmsh-ref" => {
                        if let Some(Some(r)) = it.next() {
                            kids.push(Node::Element(r));
                        }
                    }
                    other => kids.push(other),
                }
            }
            el.children = kids;
            // constraints on the new members now apply to the container
            let moved: Vec<String> = el
                .elements()
                .filter(|c| is_resource(&c.name))
                .filter_map(|c| c.attr("id").map(str::to_string))
                .collect();
            for m in moved.into_iter().filter(|_| follow) {
                warnings.extend(self.rewrite_references(&m, Some(&id)));
            }
        }
        let mut used = self.used_ids();
        ids::collect(&el, &mut used);
        ids::assign(&mut el, &id, &mut used);
        warnings.extend(self.reference_warnings(&el));
        let section = match name.as_str() {
            "node" => "nodes",
            n if is_resource(n) => "resources",
            n if is_constraint(n) => "constraints",
            "tag" => "tags",
            "alert" => "alerts",
            "acl_role" | "acl_target" | "acl_group" => "acls",
            other => return err(format!("cannot place a <{other}> element")),
        };
        self.section(section).push(el);
        Ok(warnings)
    }

    fn merge_set(&mut self, section: &str, mut set: Element) -> Result<Vec<String>, EditError> {
        let set_id = set
            .attr("id")
            .map(str::to_string)
            .unwrap_or_else(|| default_set_id(section).to_string());
        if set.attr("id-ref").is_none() && !valid_id(&set_id) {
            return err(format!("{set_id}: invalid object id"));
        }
        let mut used = self.used_ids();
        let sec = self.section(section);
        if let Some(existing) = sec
            .elements_mut()
            .find(|e| e.attr("id") == Some(set_id.as_str()))
        {
            for n in set.children.drain(..) {
                let Node::Element(mut c) = n else { continue };
                if c.name == "nvpair" {
                    if let Some(name) = c.attr("name").map(str::to_string) {
                        if let Some(old) = existing
                            .elements_mut()
                            .find(|o| o.name == "nvpair" && o.attr("name") == Some(name.as_str()))
                        {
                            match c.attr("value") {
                                Some(v) => old.set_attr("value", v),
                                None => {
                                    old.remove_attr("value");
                                }
                            }
                            continue;
                        }
                    }
                }
                let mut wrapper = Element::new("w").with_child(c.clone());
                ids::assign(&mut wrapper, &set_id, &mut used);
                c = wrapper.elements().next().cloned().expect("one child");
                existing.push(c);
            }
            return Ok(Vec::new());
        }
        if set.attr("id-ref").is_none() {
            set.set_attr("id", &set_id);
            if used.contains(&set_id) {
                return err(format!(
                    "Cannot create set {set_id}: the ID is already used"
                ));
            }
            used.insert(set_id.clone());
        }
        ids::assign(&mut set, &set_id, &mut used);
        self.section(section).push(set);
        Ok(Vec::new())
    }

    fn add_monitor(&mut self, mut op: Element) -> Result<Vec<String>, EditError> {
        let rsc = op.remove_attr("rsc").unwrap_or_default();
        let Some(p) = self.resource_path(&rsc) else {
            return err(format!("monitor: resource {rsc} does not exist"));
        };
        if at(&self.conf, &p).name != "primitive" {
            return err(format!("monitor: {rsc} is not a primitive"));
        }
        let interval = op.attr("interval").unwrap_or("0").to_string();
        let dup = at(&self.conf, &p).child("operations").is_some_and(|ops| {
            ops.elements().any(|o| {
                o.attr("name") == Some("monitor") && o.attr("interval") == Some(interval.as_str())
            })
        });
        if dup {
            return err(format!(
                "{rsc} already has a monitor op with interval {interval}"
            ));
        }
        let mut used = self.used_ids();
        let base = format!("{rsc}-monitor-{interval}");
        op.set_attr("id", ids::unique(&base, &mut used));
        let prim = at_mut(&mut self.conf, &p);
        if prim.child("operations").is_none() {
            prim.push(Element::new("operations"));
        }
        let ops = prim.child_mut("operations").expect("ensured");
        if ops.attr("id-ref").is_some() {
            return err(format!(
                "monitor: the operations of {rsc} are a reference; edit the referenced set"
            ));
        }
        ops.push(op);
        Ok(Vec::new())
    }

    /// `delete ID...`: removes objects, rewriting or dropping constraints
    /// that referred to them. Returns informational messages.
    pub fn delete(&mut self, id: &str) -> Result<Vec<String>, EditError> {
        let Some(p) = self.object_path(id) else {
            return err(format!("object {id} does not exist"));
        };
        let el = at(&self.conf, &p).clone();
        if !is_resource(&el.name) {
            take(&mut self.conf, &p);
            return Ok(Vec::new());
        }
        let mut msgs = Vec::new();
        let parent = at(&self.conf, &p[..p.len() - 1]);
        if matches!(parent.name.as_str(), "clone" | "master" | "bundle") {
            // a clone without its child makes no sense: it goes first, and
            // its child takes its place (and its constraints)
            let pid = parent.attr("id").unwrap_or("").to_string();
            msgs.extend(self.delete(&pid)?);
            msgs.extend(self.delete(id)?);
            return Ok(msgs);
        }
        let (last, parent_path) = p.split_last().expect("non-empty");
        let kids: Vec<Element> = el
            .elements()
            .filter(|c| is_resource(&c.name))
            .cloned()
            .collect();
        let parent = at_mut(&mut self.conf, parent_path);
        parent.children.remove(*last);
        let container = matches!(el.name.as_str(), "group" | "clone" | "master" | "bundle");
        if container {
            // the members stay, where the container was; references to the
            // container go to its first member
            for (k, c) in kids.iter().enumerate() {
                parent.children.insert(last + k, Node::Element(c.clone()));
            }
            let first = kids.first().and_then(|k| k.attr("id")).map(str::to_string);
            msgs.extend(self.rewrite_references(id, first.as_deref()));
        } else {
            let emptied =
                parent.name != "resources" && !parent.elements().any(|c| is_resource(&c.name));
            let pid = parent.attr("id").unwrap_or("").to_string();
            msgs.extend(self.rewrite_references(id, None));
            if emptied {
                // the container lost its only member: it goes too
                msgs.extend(self.delete(&pid)?);
            }
        }
        Ok(msgs)
    }

    /// What is suspicious about a new object, said at once (the commit
    /// refuses what is really wrong): missing resources in constraints,
    /// constraints on group members, agents that are not installed.
    fn reference_warnings(&self, el: &Element) -> Vec<String> {
        let mut out = Vec::new();
        let id = el.attr("id").unwrap_or("");
        if is_constraint(&el.name) {
            let mut refs: Vec<&str> = ["rsc", "with-rsc", "first", "then"]
                .iter()
                .filter_map(|a| el.attr(a))
                .collect();
            for s in el.elements().filter(|s| s.name == "resource_set") {
                refs.extend(s.elements().filter_map(|r| r.attr("id")));
            }
            let tags: Vec<String> = self
                .conf
                .child("tags")
                .map(|t| {
                    t.elements()
                        .filter_map(|e| e.attr("id").map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            for r in refs {
                match self.resource_path(r) {
                    None if !tags.iter().any(|t| t == r) => {
                        out.push(format!("{id}: resource {r} does not exist"))
                    }
                    Some(p) if at(&self.conf, &p[..p.len() - 1]).name == "group" => {
                        out.push(format!(
                            "{id}: resource {r} is grouped, constraints should apply to the group"
                        ))
                    }
                    _ => {}
                }
            }
        }
        if matches!(el.name.as_str(), "primitive" | "template") && el.attr("class") == Some("ocf") {
            if let (Some(p), Some(t)) = (el.attr("provider"), el.attr("type")) {
                if crate::agents::installed(p, t) == Some(false) {
                    out.push(format!(
                        "ocf:{p}:{t}: no such resource agent is installed (no meta-data)"
                    ));
                }
            }
        }
        out
    }

    /// Takes object `id` out so that an edited version can replace it: a
    /// container's members stay where it was, and nothing that refers to
    /// it is changed.
    pub fn remove_for_replace(&mut self, id: &str) -> Result<(), EditError> {
        let Some(p) = self.object_path(id) else {
            return err(format!("object {id} does not exist"));
        };
        let el = take(&mut self.conf, &p);
        let (last, parent_path) = p.split_last().expect("non-empty");
        let parent = at_mut(&mut self.conf, parent_path);
        let kids: Vec<Element> = el
            .elements()
            .filter(|c| is_resource(&c.name))
            .cloned()
            .collect();
        for (k, c) in kids.into_iter().enumerate() {
            parent.children.insert(last + k, Node::Element(c));
        }
        Ok(())
    }

    /// Drops (`to` = None) or renames references to resource `from` in
    /// constraints and tags.
    fn rewrite_references(&mut self, from: &str, to: Option<&str>) -> Vec<String> {
        let mut msgs = Vec::new();
        if let Some(ci) = self.section_index("constraints") {
            let cons = at_mut(&mut self.conf, &[ci]);
            let mut keep = Vec::new();
            for n in cons.children.drain(..) {
                let Node::Element(mut c) = n else {
                    keep.push(n);
                    continue;
                };
                match rewrite_constraint(&mut c, from, to) {
                    Rewrite::Unchanged => {}
                    Rewrite::Changed => msgs.push(match to {
                        Some(t) => format!(
                            "modified {}:{} from {from} to {t}",
                            cli_name(&c.name),
                            c.attr("id").unwrap_or("")
                        ),
                        None => format!(
                            "constraint {}:{} updated",
                            cli_name(&c.name),
                            c.attr("id").unwrap_or("")
                        ),
                    }),
                    Rewrite::Drop => {
                        msgs.push(format!(
                            "hanging {}:{} deleted",
                            cli_name(&c.name),
                            c.attr("id").unwrap_or("")
                        ));
                        continue;
                    }
                }
                keep.push(Node::Element(c));
            }
            cons.children = keep;
        }
        // fencing levels name their devices in a comma-separated list
        if let Some(fi) = self.section_index("fencing-topology") {
            let ft = at_mut(&mut self.conf, &[fi]);
            for lvl in ft.elements_mut() {
                let Some(devs) = lvl.attr("devices") else {
                    continue;
                };
                let list: Vec<&str> = devs.split(',').collect();
                if !list.contains(&from) {
                    continue;
                }
                let new: Vec<&str> = list
                    .into_iter()
                    .filter_map(|d| if d == from { to } else { Some(d) })
                    .collect();
                let joined = new.join(",");
                lvl.set_attr("devices", joined);
            }
            ft.children
                .retain(|n| !matches!(n, Node::Element(l) if l.attr("devices") == Some("")));
        }
        if let Some(ti) = self.section_index("tags") {
            let tags = at_mut(&mut self.conf, &[ti]);
            for t in tags.elements_mut() {
                t.children.retain_mut(|n| match n {
                    Node::Element(r) if r.name == "obj_ref" && r.attr("id") == Some(from) => {
                        match to {
                            Some(x) => {
                                r.set_attr("id", x);
                                true
                            }
                            None => false,
                        }
                    }
                    _ => true,
                });
            }
            tags.children
                .retain(|n| !matches!(n, Node::Element(t) if t.elements().next().is_none()));
        }
        msgs
    }

    /// `rename OLD NEW`.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<Vec<String>, EditError> {
        if !valid_id(new) {
            return err(format!("{new}: invalid object id"));
        }
        if self.used_ids().contains(new) {
            return err(format!("rename: ID {new} is already in use"));
        }
        let Some(p) = self.object_path(old) else {
            return err(format!("object {old} does not exist"));
        };
        let el = at_mut(&mut self.conf, &p);
        el.set_attr("id", new);
        let is_rsc = is_resource(&el.name);
        let is_tmpl = el.name == "template";
        if is_rsc {
            if is_tmpl {
                walk_mut(&mut self.conf, &mut |e| {
                    if e.name == "primitive" && e.attr("template") == Some(old) {
                        e.set_attr("template", new);
                    }
                });
            }
            return Ok(self.rewrite_references(old, Some(new)));
        }
        Ok(Vec::new())
    }

    /// `modgroup G add X [before|after Y]` / `modgroup G remove X`.
    pub fn modgroup(&mut self, args: &[String]) -> Result<(), EditError> {
        let usage = "usage: modgroup <group> add <rsc> [before|after <rsc>] | remove <rsc>";
        let [g, op, r, rest @ ..] = args else {
            return err(usage);
        };
        let Some(gp) = self
            .resource_path(g)
            .filter(|p| at(&self.conf, p).name == "group")
        else {
            return err(format!("modgroup: {g} is not a group"));
        };
        match op.as_str() {
            "add" => {
                let Some(rp) = self.resource_path(r) else {
                    return err(format!("modgroup: resource {r} does not exist"));
                };
                if at(&self.conf, &rp[..rp.len() - 1]).name != "resources"
                    || at(&self.conf, &rp).name != "primitive"
                {
                    return err(format!(
                        "modgroup: {r} must be a primitive that is not in a group or clone"
                    ));
                }
                let el = take(&mut self.conf, &rp);
                let gp = self.resource_path(g).expect("group still there");
                let group = at_mut(&mut self.conf, &gp);
                let pos = match rest {
                    [] => group.children.len(),
                    [w, other] if w == "before" || w == "after" => {
                        let Some(i) = group.children.iter().position(
                            |n| matches!(n, Node::Element(e) if e.attr("id") == Some(other.as_str())),
                        ) else {
                            return err(format!("modgroup: {other} is not a member of {g}"));
                        };
                        if w == "before" {
                            i
                        } else {
                            i + 1
                        }
                    }
                    _ => return err(usage),
                };
                group.children.insert(pos, Node::Element(el));
                Ok(())
            }
            "remove" => {
                let group = at(&self.conf, &gp);
                let members = group.elements().filter(|e| is_resource(&e.name)).count();
                let Some(i) = group.children.iter().position(
                    |n| matches!(n, Node::Element(e) if e.attr("id") == Some(r.as_str())),
                ) else {
                    return err(format!("modgroup: {r} is not a member of {g}"));
                };
                if members < 2 {
                    return err(format!(
                        "modgroup: cannot remove the last member of {g}; delete the group instead"
                    ));
                }
                let mut ip = gp.clone();
                ip.push(i);
                let el = take(&mut self.conf, &ip);
                self.section("resources").push(el);
                Ok(())
            }
            _ => err(usage),
        }
    }

    /// `set ID.ATTR VALUE`: a parameter (or meta attribute, or XML
    /// attribute) of an object.
    pub fn set_path(&mut self, path: &str, value: &str) -> Result<(), EditError> {
        let Some((id, attr)) = path.split_once('.') else {
            return err("usage: set <id>.<attribute> <value>");
        };
        let Some(p) = self.object_path(id) else {
            return err(format!("object {id} does not exist"));
        };
        let mut used = self.used_ids();
        let el = at_mut(&mut self.conf, &p);
        for set in ["instance_attributes", "meta_attributes"] {
            for s in el.elements_mut().filter(|s| s.name == set) {
                if let Some(nv) = s.elements_mut().find(|n| n.attr("name") == Some(attr)) {
                    nv.set_attr("value", value);
                    return Ok(());
                }
            }
        }
        if el.attr(attr).is_some() {
            el.set_attr(attr, value);
            return Ok(());
        }
        set_nvpair(el, "instance_attributes", attr, value, &mut used);
        Ok(())
    }

    /// Problems that make the configuration unacceptable (what the schema
    /// and Pacemaker's unpacking would reject). Each names the object.
    pub fn check(&self) -> Vec<String> {
        let mut errs = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut rsc_ids: HashSet<String> = HashSet::new();
        let mut all_ids: HashSet<String> = HashSet::new();
        walk(&self.conf, &mut |e| {
            if let Some(id) = e.attr("id") {
                if ids::is_reference(&e.name) {
                    return;
                }
                if !valid_id(id) && e.name != "node" {
                    errs.push(format!("{}: id '{id}' is not a valid XML id", e.name));
                }
                if e.name != "node" && !seen.insert(id.to_string()) {
                    errs.push(format!("{}: id '{id}' is used more than once", e.name));
                }
                all_ids.insert(id.to_string());
                if is_resource(&e.name) {
                    rsc_ids.insert(id.to_string());
                }
            }
        });
        let tag_ids: HashSet<String> = self
            .conf
            .child("tags")
            .map(|t| {
                t.elements()
                    .filter_map(|e| e.attr("id").map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        walk(&self.conf, &mut |e| {
            let id = e.attr("id").unwrap_or("");
            match e.name.as_str() {
                "primitive" | "template" => {
                    if let Some(t) = e.attr("template") {
                        if !rsc_ids.contains(t) {
                            errs.push(format!("primitive {id}: template {t} does not exist"));
                        }
                    } else {
                        let class = e.attr("class").unwrap_or("");
                        if !RA_CLASSES.contains(&class) {
                            errs.push(format!(
                                "{} {id}: unknown resource agent class '{class}'",
                                cli_name(&e.name)
                            ));
                        }
                        if class == "ocf" && e.attr("provider").is_none() {
                            errs.push(format!(
                                "{} {id}: ocf agents need a provider",
                                cli_name(&e.name)
                            ));
                        }
                    }
                }
                "group" => {
                    let kids: Vec<&Element> =
                        e.elements().filter(|c| is_resource(&c.name)).collect();
                    if kids.is_empty() {
                        errs.push(format!("group {id}: has no members"));
                    }
                    for k in kids.iter().filter(|k| k.name != "primitive") {
                        errs.push(format!(
                            "group {id}: may contain only primitives, not {} {}",
                            cli_name(&k.name),
                            k.attr("id").unwrap_or("")
                        ));
                    }
                }
                "clone" | "master" => {
                    let kids: Vec<&Element> =
                        e.elements().filter(|c| is_resource(&c.name)).collect();
                    if kids.len() != 1 {
                        errs.push(format!(
                            "{} {id}: must contain exactly one resource",
                            cli_name(&e.name)
                        ));
                    }
                    for k in kids
                        .iter()
                        .filter(|k| !matches!(k.name.as_str(), "primitive" | "group"))
                    {
                        errs.push(format!(
                            "{} {id}: cannot contain {} {} (only a primitive or a group can be cloned)",
                            cli_name(&e.name),
                            cli_name(&k.name),
                            k.attr("id").unwrap_or("")
                        ));
                    }
                }
                n if is_constraint(n) => {
                    let mut refs: Vec<&str> = ["rsc", "with-rsc", "first", "then"]
                        .iter()
                        .filter_map(|a| e.attr(a))
                        .collect();
                    for s in e.elements().filter(|s| s.name == "resource_set") {
                        refs.extend(s.elements().filter_map(|r| r.attr("id")));
                    }
                    for r in refs {
                        if !rsc_ids.contains(r) && !tag_ids.contains(r) {
                            errs.push(format!("{} {id}: resource {r} does not exist", cli_name(n)));
                        }
                    }
                    if let Some(sa) = e.attr("score-attribute") {
                        errs.push(format!(
                            "{} {id}: score '{sa}' is not a number or INFINITY (an attribute name as score is only allowed in a rule)",
                            cli_name(n)
                        ));
                    }
                    if n == "rsc_location"
                        && e.attr("node").is_some() == e.elements().any(|c| c.name == "rule")
                    {
                        errs.push(format!(
                            "location {id}: needs either a score and a node or rules"
                        ));
                    }
                }
                _ => {}
            }
            if let Some(r) = e.attr("id-ref") {
                if !all_ids.contains(r) {
                    errs.push(format!("{}: reference to unknown id {r}", e.name));
                }
            }
        });
        errs
    }

    /// Removes everything but the (empty) mandatory sections; nodes too
    /// when `nodes` is set.
    pub fn erase(&mut self, nodes: bool) {
        let keep_nodes = self.conf.child("nodes").cloned();
        let mut fresh = Element::new("configuration");
        for s in ["crm_config", "nodes", "resources", "constraints"] {
            fresh.push(Element::new(s));
        }
        if !nodes {
            if let Some(n) = keep_nodes {
                *fresh.child_mut("nodes").expect("just made") = n;
            }
        }
        fresh.attrs = self.conf.attrs.clone();
        self.conf = fresh;
    }
}

/// Sets `name=value` in the first `set_tag` set of `el` (created when
/// missing, with crmsh's ids).
pub fn set_nvpair(
    el: &mut Element,
    set_tag: &str,
    name: &str,
    value: &str,
    used: &mut HashSet<String>,
) {
    let owner = ids::prefix(el.attr("id").unwrap_or(""));
    if el.child(set_tag).is_none() {
        let id = ids::unique(&format!("{owner}-{set_tag}"), used);
        // attribute sets go before a container's members, as crmsh puts them
        let at = el
            .children
            .iter()
            .position(|n| matches!(n, Node::Element(c) if is_resource(&c.name)))
            .unwrap_or(el.children.len());
        el.children
            .insert(at, Node::Element(Element::new(set_tag).with_attr("id", id)));
    }
    let set = el.child_mut(set_tag).expect("ensured");
    if let Some(nv) = set.elements_mut().find(|n| n.attr("name") == Some(name)) {
        nv.set_attr("value", value);
        return;
    }
    let sid = set.attr("id").unwrap_or("").to_string();
    let id = ids::unique(&format!("{sid}-{name}"), used);
    set.push(
        Element::new("nvpair")
            .with_attr("id", id)
            .with_attr("name", name)
            .with_attr("value", value),
    );
}

enum Rewrite {
    Unchanged,
    Changed,
    Drop,
}

fn rewrite_constraint(c: &mut Element, from: &str, to: Option<&str>) -> Rewrite {
    let mut changed = false;
    for a in ["rsc", "with-rsc", "first", "then"] {
        if c.attr(a) == Some(from) {
            match to {
                Some(t) => {
                    c.set_attr(a, t);
                    changed = true;
                }
                None => return Rewrite::Drop,
            }
        }
    }
    let had_sets = c.elements().any(|s| s.name == "resource_set");
    for s in c.elements_mut().filter(|s| s.name == "resource_set") {
        s.children.retain_mut(|n| match n {
            Node::Element(r) if r.name == "resource_ref" && r.attr("id") == Some(from) => {
                changed = true;
                match to {
                    Some(t) => {
                        r.set_attr("id", t);
                        true
                    }
                    None => false,
                }
            }
            _ => true,
        });
    }
    if !changed {
        return Rewrite::Unchanged;
    }
    if had_sets && to.is_none() {
        c.children
            .retain(|n| !matches!(n, Node::Element(s) if s.name == "resource_set" && s.elements().next().is_none()));
        let sets: Vec<Element> = c
            .elements()
            .filter(|s| s.name == "resource_set")
            .cloned()
            .collect();
        let total: usize = sets.iter().map(|s| s.elements().count()).sum();
        let min = if matches!(c.name.as_str(), "rsc_colocation" | "rsc_order") {
            2
        } else {
            1
        };
        if total < min {
            return Rewrite::Drop;
        }
        simplify_sets(c, &sets, total);
    }
    Rewrite::Changed
}

/// crmsh turns a constraint whose sets shrank to two resources back into
/// the simple two-resource form.
fn simplify_sets(c: &mut Element, sets: &[Element], total: usize) {
    let (names, q): (&[&str], &str) = match c.name.as_str() {
        "rsc_colocation" => (&["rsc", "with-rsc"], "role"),
        "rsc_order" => (&["first", "then"], "action"),
        _ => return,
    };
    if total != 2 {
        return;
    }
    let members: Vec<(String, Option<String>)> = match sets {
        [a, b] => [a, b]
            .iter()
            .map(|s| {
                let r = s
                    .elements()
                    .next()
                    .and_then(|r| r.attr("id"))
                    .unwrap_or("")
                    .to_string();
                (r, s.attr(q).map(str::to_string))
            })
            .collect(),
        [s] if s.attr("sequential") != Some("false") && s.attr("require-all") != Some("false") => {
            let mut v: Vec<(String, Option<String>)> = s
                .elements()
                .map(|r| {
                    (
                        r.attr("id").unwrap_or("").to_string(),
                        s.attr(q).map(str::to_string),
                    )
                })
                .collect();
            // inside one colocation set each member follows the previous
            // one: "a b" means b with a
            if c.name == "rsc_colocation" {
                v.reverse();
            }
            v
        }
        _ => return,
    };
    c.children
        .retain(|n| !matches!(n, Node::Element(s) if s.name == "resource_set"));
    for (name, (rsc, qual)) in names.iter().zip(members) {
        c.set_attr(name, rsc);
        if let Some(x) = qual {
            c.set_attr(&format!("{name}-{q}"), x);
        }
    }
}

/// The configure-language word for an element.
pub fn cli_name(el: &str) -> &str {
    match el {
        "template" => "rsc_template",
        "master" => "ms",
        "rsc_location" => "location",
        "rsc_colocation" => "colocation",
        "rsc_order" => "order",
        "cluster_property_set" => "property",
        "acl_role" => "role",
        "fencing-topology" => "fencing_topology",
        other => other,
    }
}

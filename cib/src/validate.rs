//! Validation of a CIB with precise errors.
//!
//! [`validate`] walks the typed model and returns every problem it finds, not
//! just the first (a user fixing a CIB wants the whole list). Each
//! [`Problem`] names the line and column where the element starts, an
//! XPath-like location such as
//! `/cib/configuration/resources/primitive[@id='p_fs']/operations/op[2]`
//! (elements with an id are named by it, others by their 1-based position
//! among siblings of the same name), and what is wrong.
//!
//! What is checked: required ids, id syntax and uniqueness across the
//! configuration; references (constraint resources, resource sets, tags,
//! templates, `id-ref`s, fencing devices); scores, booleans, durations,
//! roles and enumerated values; resource structure (what a group or clone
//! may contain, agent classes and providers); rule expressions; the version
//! counters; and the status section's recorded operations.
//!
//! [`validate_text`] adds the file name and turns XML syntax errors into
//! the same [`Problem`] form.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::model::*;
use crate::values::{is_role, parse_bool, parse_duration_ms, Score};
use crate::xml::Pos;

/// How bad a problem is. Errors make a CIB unusable; warnings are kept
/// for the user to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Pacemaker would reject or misread the CIB.
    Error,
    /// Accepted, but probably not what was meant.
    Warning,
}

/// One problem found by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The file, when known.
    pub file: Option<String>,
    /// Where the offending element starts.
    pub pos: Pos,
    /// XPath-like location of the element.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    /// `FILE:LINE:COL: error: PATH: MESSAGE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}:")?;
        }
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {sev}: {}: {}", self.pos, self.path, self.message)
    }
}

/// Parses and validates CIB text. XML syntax errors come back as a single
/// problem at the place the reader stopped; otherwise the model is returned
/// with every problem found (which may be empty).
pub fn validate_text(file: Option<&str>, text: &str) -> Result<(Cib, Vec<Problem>), Problem> {
    let cib = Cib::parse(text).map_err(|e| Problem {
        severity: Severity::Error,
        file: file.map(str::to_string),
        pos: e.pos,
        path: "/".into(),
        message: format!("malformed XML: {}", e.message),
    })?;
    let mut problems = validate(&cib);
    for p in &mut problems {
        p.file = file.map(str::to_string);
    }
    Ok((cib, problems))
}

/// Validates a CIB, returning every problem found, sorted by position.
pub fn validate(cib: &Cib) -> Vec<Problem> {
    let mut v = Validator::default();
    v.run(cib);
    v.problems
        .sort_by(|a, b| (a.pos, &a.path).cmp(&(b.pos, &b.path)));
    v.problems
}

/// Only the errors of [`validate`].
pub fn errors(cib: &Cib) -> Vec<Problem> {
    validate(cib)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

const CLASSES: [&str; 8] = [
    "ocf",
    "lsb",
    "heartbeat",
    "stonith",
    "service",
    "systemd",
    "upstart",
    "nagios",
];
const ON_FAIL: [&str; 8] = [
    "ignore",
    "block",
    "stop",
    "restart",
    "standby",
    "fence",
    "restart-container",
    "demote",
];
const ACTIONS: [&str; 4] = ["start", "stop", "promote", "demote"];
const ORDER_KINDS: [&str; 3] = ["Mandatory", "Optional", "Serialize"];
const EXPR_OPS: [&str; 8] = [
    "lt",
    "gt",
    "lte",
    "gte",
    "eq",
    "ne",
    "defined",
    "not_defined",
];
const EXPR_TYPES: [&str; 4] = ["string", "integer", "number", "version"];
const DATE_OPS: [&str; 4] = ["in_range", "date_spec", "gt", "lt"];
const LOSS_POLICIES: [&str; 4] = ["stop", "demote", "fence", "freeze"];
const DISCOVERY: [&str; 3] = ["always", "never", "exclusive"];
const NODE_TYPES: [&str; 4] = ["member", "normal", "remote", "ping"];

/// Where an id was defined, and as what.
#[derive(Debug, Clone)]
struct IdDef {
    tag: String,
    pos: Pos,
    path: String,
}

#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
    path: Vec<String>,
    /// Every id defined in the configuration.
    ids: BTreeMap<String, IdDef>,
    /// Ids of resources at any depth (and templates), mapped to their tag.
    resources: BTreeMap<String, String>,
    /// Ids of resources inside a clone, mapped to that clone: constraints
    /// must name the clone instead.
    cloned: BTreeMap<String, String>,
    /// Ids of tags.
    tags: BTreeSet<String>,
    /// Ids of stonith-class primitives.
    stonith: BTreeSet<String>,
    /// Node ids and unames seen so far, for uniqueness among nodes.
    node_keys: BTreeMap<String, Pos>,
}

/// The path segment of a child: `tag[@id='x']`, or `tag[n]` among siblings
/// of the same name when it has no id (just `tag` when it is the only one).
fn segments<C: XmlChild>(children: &[C]) -> Vec<String> {
    segments_of(children.iter().map(|c| (c.child_tag(), c.child_id())))
}

fn segments_of<'a>(items: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Vec<String> {
    let items: Vec<_> = items.collect();
    let mut total: BTreeMap<&str, usize> = BTreeMap::new();
    for (tag, _) in &items {
        *total.entry(tag).or_default() += 1;
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    items
        .iter()
        .map(|&(tag, id)| {
            let n = seen.entry(tag).or_default();
            *n += 1;
            match id {
                Some(id) if !id.is_empty() => format!("{tag}[@id='{id}']"),
                _ if total[tag] == 1 => tag.to_string(),
                _ => format!("{tag}[{n}]"),
            }
        })
        .collect()
}

fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Validator {
    fn here(&self) -> String {
        format!("/{}", self.path.join("/"))
    }

    fn report(&mut self, severity: Severity, pos: Pos, message: String) {
        self.problems.push(Problem {
            severity,
            file: None,
            pos,
            path: self.here(),
            message,
        });
    }

    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.report(Severity::Error, pos, message.into());
    }

    fn warn(&mut self, pos: Pos, message: impl Into<String>) {
        self.report(Severity::Warning, pos, message.into());
    }

    /// Runs `f` with `seg` pushed onto the path.
    fn within<R>(&mut self, seg: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(seg.to_string());
        let r = f(self);
        self.path.pop();
        r
    }

    /// Visits each child with its path segment.
    fn each<C: XmlChild>(&mut self, children: &[C], mut f: impl FnMut(&mut Self, &C)) {
        for (c, seg) in children.iter().zip(segments(children)) {
            self.within(&seg, |v| f(v, c));
        }
    }

    // -- value checks ------------------------------------------------------

    fn need_id(
        &mut self,
        tag: &str,
        id: &Option<String>,
        id_ref: Option<&Option<String>>,
        pos: Pos,
    ) {
        let has_ref = id_ref.is_some_and(|r| r.is_some());
        match id {
            None if !has_ref => self.error(pos, format!("<{tag}> has no id")),
            Some(id) if id.is_empty() => self.error(pos, format!("<{tag}> has an empty id")),
            Some(id) if tag != "node" && !is_ncname(id) => self.error(
                pos,
                format!("id '{id}' is not a valid XML id (it must start with a letter or '_' and contain only letters, digits, '_', '-' and '.')"),
            ),
            _ => {}
        }
    }

    fn check_score(&mut self, what: &str, value: &Option<String>, pos: Pos) {
        if let Some(v) = value {
            if Score::parse(v).is_none() {
                self.error(
                    pos,
                    format!("bad {what} '{v}': expected an integer or INFINITY/-INFINITY"),
                );
            }
        }
    }

    fn check_bool(&mut self, what: &str, value: &Option<String>, pos: Pos) {
        if let Some(v) = value {
            if parse_bool(v).is_none() {
                self.error(pos, format!("bad {what} '{v}': expected true or false"));
            }
        }
    }

    fn check_duration(&mut self, what: &str, value: &Option<String>, pos: Pos) {
        if let Some(v) = value {
            if parse_duration_ms(v).is_none() {
                self.error(
                    pos,
                    format!(
                        "bad {what} '{v}': expected a duration such as 10s, 500ms, 2min or PT1M"
                    ),
                );
            }
        }
    }

    fn check_enum(&mut self, what: &str, value: &Option<String>, allowed: &[&str], pos: Pos) {
        if let Some(v) = value {
            if !allowed.contains(&v.as_str()) {
                self.error(
                    pos,
                    format!("bad {what} '{v}': expected one of {}", allowed.join(", ")),
                );
            }
        }
    }

    fn check_role(&mut self, what: &str, value: &Option<String>, pos: Pos) {
        if let Some(v) = value {
            // `#default` means "as if unset" for target-role.
            if !is_role(v) && v != "#default" {
                self.error(
                    pos,
                    format!("bad {what} '{v}': expected Started, Stopped, Promoted or Unpromoted"),
                );
            }
        }
    }

    fn check_int(&mut self, what: &str, value: &Option<String>, pos: Pos) {
        if let Some(v) = value {
            if v.trim().parse::<i64>().is_err() {
                self.error(pos, format!("bad {what} '{v}': expected an integer"));
            }
        }
    }

    fn check_resource_ref(&mut self, attr: &str, value: &Option<String>, pos: Pos) {
        if let Some(r) = value {
            if let Some(parent) = self.cloned.get(r) {
                let msg = format!(
                    "{attr} '{r}' is inside '{parent}'; constraints must name '{parent}' instead"
                );
                self.error(pos, msg);
            } else if !self.resources.contains_key(r) && !self.tags.contains(r) {
                self.error(
                    pos,
                    format!("{attr} '{r}' refers to a resource that does not exist"),
                );
            }
        }
    }

    // -- pass 1: collect ids ------------------------------------------------

    /// Records every id in the configuration (walking the generic tree, so
    /// untyped elements count too) and reports duplicates.
    fn collect_element_ids(&mut self, el: &crate::xml::Element, path: &mut Vec<String>) {
        // References name other ids rather than defining one; node ids are
        // cluster-layer ids (often numbers, and equal to the resource id
        // for remote and guest nodes), not XML ids.
        let refs = ["resource_ref", "obj_ref", "role", "node"];
        let segs = segments_of(el.elements().map(|c| (c.name.as_str(), c.attr("id"))));
        for (c, seg) in el.elements().zip(segs) {
            path.push(seg);
            if let Some(id) = c.attr("id") {
                if !refs.contains(&c.name.as_str()) && !id.is_empty() {
                    let here = format!("/{}", path.join("/"));
                    match self.ids.get(id) {
                        Some(first) => {
                            let msg = format!(
                                "duplicate id '{id}': already used by <{}> at {} ({})",
                                first.tag, first.pos, first.path
                            );
                            self.problems.push(Problem {
                                severity: Severity::Error,
                                file: None,
                                pos: c.pos,
                                path: here,
                                message: msg,
                            });
                        }
                        None => {
                            self.ids.insert(
                                id.to_string(),
                                IdDef {
                                    tag: c.name.clone(),
                                    pos: c.pos,
                                    path: here,
                                },
                            );
                        }
                    }
                }
            }
            self.collect_element_ids(c, path);
            path.pop();
        }
    }

    fn collect_primitive(&mut self, p: &Primitive) {
        if let Some(id) = &p.id {
            self.resources.insert(id.clone(), p.tag.clone());
            if p.class.as_deref() == Some("stonith") {
                self.stonith.insert(id.clone());
            }
        }
    }

    fn collect_group(&mut self, g: &Group) {
        if let Some(id) = &g.id {
            self.resources.insert(id.clone(), "group".into());
        }
        for m in g.members() {
            self.collect_primitive(m);
        }
    }

    /// Marks the resources recorded since `before` as living inside `parent`.
    fn mark_cloned(&mut self, before: &BTreeSet<String>, parent: Option<&str>) {
        let parent = parent.unwrap_or("").to_string();
        for id in self.resources.keys() {
            if !before.contains(id) && *id != parent {
                self.cloned.insert(id.clone(), parent.clone());
            }
        }
    }

    /// Records the ids of a resource and everything inside it.
    fn collect_resource(&mut self, r: &Resource) {
        match r {
            Resource::Primitive(p) => self.collect_primitive(p),
            Resource::Group(g) => self.collect_group(g),
            Resource::Clone(c) => {
                if let Some(id) = &c.id {
                    self.resources.insert(id.clone(), c.tag.clone());
                }
                let before: BTreeSet<String> = self.resources.keys().cloned().collect();
                for child in &c.children {
                    match child {
                        CloneChild::Primitive(p) => self.collect_primitive(p),
                        CloneChild::Group(g) => self.collect_group(g),
                        _ => {}
                    }
                }
                // Pacemaker 2.1.5 refuses constraints that name a resource
                // inside a clone ("not a valid resource or tag"), checked
                // with crm_verify for anonymous and unique clones alike.
                self.mark_cloned(&before, c.id.as_deref());
            }
            Resource::Bundle(b) => {
                if let Some(id) = &b.id {
                    self.resources.insert(id.clone(), "bundle".into());
                }
                for child in &b.children {
                    if let BundleChild::Primitive(p) = child {
                        self.collect_primitive(p);
                    }
                }
            }
            Resource::Other(_) => {}
        }
    }

    // -- pass 2: check --------------------------------------------------------

    fn run(&mut self, cib: &Cib) {
        let root = &cib.root;
        self.path.push("cib".into());
        for (name, v) in [
            ("admin_epoch", &root.admin_epoch),
            ("epoch", &root.epoch),
            ("num_updates", &root.num_updates),
        ] {
            match v {
                None => self.error(root.pos, format!("<cib> has no {name}")),
                Some(s) if s.trim().parse::<u64>().is_err() => self.error(
                    root.pos,
                    format!("bad {name} '{s}': expected a non-negative integer"),
                ),
                _ => {}
            }
        }
        self.check_bool("have-quorum", &root.have_quorum, root.pos);
        self.check_int("execution-date", &root.execution_date, root.pos);
        if root.tag != "cib" {
            self.error(
                root.pos,
                format!("the root element is <{}>, expected <cib>", root.tag),
            );
        }
        let config = cib.configuration();
        if config.is_none() {
            self.error(root.pos, "<cib> has no <configuration> section");
        }
        let segs = segments(&root.children);
        for (c, seg) in root.children.iter().zip(segs) {
            self.path.push(seg);
            match c {
                CibChild::Configuration(conf) => {
                    let el = conf.to_element();
                    let mut p = self.path.clone();
                    self.collect_element_ids(&el, &mut p);
                    for r in conf.resources() {
                        self.collect_resource(r);
                    }
                    for s in &conf.children {
                        if let ConfigSection::Tags(t) = s {
                            for t in &t.children {
                                if let Some(id) = t.child_id() {
                                    self.tags.insert(id.to_string());
                                }
                            }
                        }
                    }
                    self.configuration(conf);
                }
                CibChild::Status(s) => self.status(s),
                CibChild::Other(e) => {
                    self.error(e.pos, format!("unknown element <{}> in <cib>", e.name))
                }
            }
            self.path.pop();
        }
        self.path.pop();
    }

    fn configuration(&mut self, conf: &Configuration) {
        for need in ["crm_config", "nodes", "resources", "constraints"] {
            if !conf.children.iter().any(|c| c.child_tag() == need) {
                self.error(conf.pos, format!("<configuration> has no <{need}> section"));
            }
        }
        self.each(&conf.children, |v, s| match s {
            ConfigSection::Sets(s) => v.sets_section(s),
            ConfigSection::Nodes(n) => v.each(&n.children, |v, c| match c {
                NodesChild::Node(n) => v.node(n),
                NodesChild::Other(e) => {
                    v.error(e.pos, format!("unknown element <{}> in <nodes>", e.name))
                }
            }),
            ConfigSection::Resources(r) => v.each(&r.children, |v, r| v.resource(r, None)),
            ConfigSection::Constraints(c) => v.each(&c.children, |v, c| v.constraint(c)),
            ConfigSection::FencingTopology(f) => v.each(&f.children, |v, c| match c {
                FencingChild::Level(l) => v.fencing_level(l),
                FencingChild::Other(e) => v.error(
                    e.pos,
                    format!("unknown element <{}> in <fencing-topology>", e.name),
                ),
            }),
            ConfigSection::Tags(t) => v.each(&t.children, |v, c| match c {
                TagsChild::Tag(t) => {
                    v.need_id("tag", &t.id, None, t.pos);
                    v.each(&t.children, |v, r| match r {
                        TagChild::Ref(r) => match &r.id {
                            None => v.error(r.pos, "<obj_ref> has no id"),
                            Some(id) if !v.ids.contains_key(id) => v.error(
                                r.pos,
                                format!("tag refers to '{id}', which does not exist"),
                            ),
                            _ => {}
                        },
                        TagChild::Other(e) => {
                            v.error(e.pos, format!("unknown element <{}> in <tag>", e.name))
                        }
                    });
                }
                TagsChild::Other(e) => {
                    v.error(e.pos, format!("unknown element <{}> in <tags>", e.name))
                }
            }),
            ConfigSection::Acls(_) => {}
            ConfigSection::Alerts(a) => v.each(&a.children, |v, c| match c {
                AlertsChild::Alert(a) => v.alert(a),
                AlertsChild::Other(e) => {
                    v.error(e.pos, format!("unknown element <{}> in <alerts>", e.name))
                }
            }),
            ConfigSection::Other(e) => v.error(
                e.pos,
                format!("unknown section <{}> in <configuration>", e.name),
            ),
        });
    }

    fn sets_section(&mut self, s: &SetsSection) {
        self.each(&s.children, |v, c| match c {
            SetsChild::NvSet(set) => {
                v.nvset(set);
            }
            SetsChild::Other(e) => v.error(
                e.pos,
                format!("unknown element <{}> in <{}>", e.name, s.tag),
            ),
        });
    }

    /// Checks a cluster property whose value has a fixed form.
    fn property_value(&mut self, p: &NvPair) {
        {
            let value = p.value.clone();
            let pos = p.pos;
            match p.name.as_deref() {
                Some("no-quorum-policy") => self.check_enum(
                    "no-quorum-policy",
                    &value,
                    &["stop", "freeze", "ignore", "demote", "suicide"],
                    pos,
                ),
                Some(
                    name @ ("stonith-enabled"
                    | "symmetric-cluster"
                    | "maintenance-mode"
                    | "stop-orphan-resources"
                    | "stop-orphan-actions"
                    | "start-failure-is-fatal"
                    | "enable-startup-probes"
                    | "stop-all-resources"
                    | "concurrent-fencing"),
                ) => self.check_bool(name, &value, pos),
                Some("placement-strategy") => self.check_enum(
                    "placement-strategy",
                    &value,
                    &["default", "utilization", "minimal", "balanced"],
                    pos,
                ),
                Some(name @ ("default-resource-stickiness" | "node-health-base")) => {
                    self.check_score(name, &value, pos)
                }
                _ => {}
            }
        }
    }

    fn nvset(&mut self, set: &NvSet) {
        self.need_id(&set.tag, &set.id, Some(&set.id_ref), set.pos);
        if let Some(r) = &set.id_ref {
            if !self.ids.contains_key(r) {
                self.error(set.pos, format!("id-ref '{r}' refers to nothing"));
            }
        }
        self.check_score("score", &set.score, set.pos);
        self.each(&set.children, |v, c| match c {
            NvSetChild::NvPair(p) => {
                v.need_id("nvpair", &p.id, Some(&p.id_ref), p.pos);
                match (&p.name, &p.id_ref) {
                    (None, None) => v.error(p.pos, "<nvpair> has no name"),
                    (_, Some(r)) if !v.ids.contains_key(r) => {
                        v.error(p.pos, format!("id-ref '{r}' refers to nothing"))
                    }
                    _ => {}
                }
                match set.tag.as_str() {
                    "meta_attributes" => v.meta_value(p),
                    "cluster_property_set" => v.property_value(p),
                    _ => {}
                }
            }
            NvSetChild::Rule(r) => v.rule(r),
            NvSetChild::Other(e) => v.error(
                e.pos,
                format!("unknown element <{}> in <{}>", e.name, set.tag),
            ),
        });
    }

    /// Checks meta attributes whose values have a fixed form.
    fn meta_value(&mut self, p: &NvPair) {
        {
            let (value, pos) = (p.value.clone(), p.pos);
            match p.name.as_deref() {
                Some("target-role") => self.check_role("target-role", &value, pos),
                Some(
                    name @ ("is-managed" | "maintenance" | "notify" | "interleave"
                    | "globally-unique" | "ordered" | "promotable" | "allow-migrate"
                    | "critical" | "requires-all"),
                ) => self.check_bool(name, &value, pos),
                Some(name @ ("resource-stickiness" | "priority" | "migration-threshold")) => {
                    self.check_score(name, &value, pos)
                }
                Some(
                    name @ ("clone-max" | "clone-node-max" | "promoted-max" | "promoted-node-max"
                    | "master-max" | "master-node-max"),
                ) => self.check_int(name, &value, pos),
                Some("failure-timeout") => self.check_duration("failure-timeout", &value, pos),
                _ => {}
            }
        }
    }

    fn rule(&mut self, r: &Rule) {
        self.need_id("rule", &r.id, Some(&r.id_ref), r.pos);
        if let Some(x) = &r.id_ref {
            if !self.ids.contains_key(x) {
                self.error(r.pos, format!("id-ref '{x}' refers to nothing"));
            }
            return;
        }
        self.check_score("rule score", &r.score, r.pos);
        self.check_enum("boolean-op", &r.boolean_op, &["and", "or"], r.pos);
        self.check_role("role", &r.role, r.pos);
        if r.children.is_empty() {
            self.warn(r.pos, "rule has no expressions (it never matches)");
        }
        self.each(&r.children, |v, c| match c {
            RuleChild::Expression(e) => {
                v.need_id("expression", &e.id, None, e.pos);
                if e.attribute.is_none() {
                    v.error(e.pos, "<expression> has no attribute");
                }
                match &e.operation {
                    None => v.error(e.pos, "<expression> has no operation"),
                    Some(op) if !EXPR_OPS.contains(&op.as_str()) => v.check_enum("operation", &e.operation, &EXPR_OPS, e.pos),
                    Some(op) if !matches!(op.as_str(), "defined" | "not_defined") && e.value.is_none() => {
                        v.error(e.pos, format!("<expression> with operation '{op}' has no value"))
                    }
                    _ => {}
                }
                v.check_enum("type", &e.value_type, &EXPR_TYPES, e.pos);
                v.check_enum("value-source", &e.value_source, &["literal", "param", "meta"], e.pos);
            }
            RuleChild::DateExpression(d) => {
                v.need_id("date_expression", &d.id, None, d.pos);
                match d.operation.as_deref() {
                    None => v.error(d.pos, "<date_expression> has no operation"),
                    Some("in_range") if d.start.is_none() && d.end.is_none() => {
                        v.error(d.pos, "in_range date expression needs a start or an end")
                    }
                    Some("gt") if d.start.is_none() => v.error(d.pos, "gt date expression needs a start"),
                    Some("lt") if d.end.is_none() => v.error(d.pos, "lt date expression needs an end"),
                    Some("date_spec") if !d.children.iter().any(|c| c.child_tag() == "date_spec") => {
                        v.error(d.pos, "date_spec date expression needs a <date_spec>")
                    }
                    Some(_) => v.check_enum("operation", &d.operation, &DATE_OPS, d.pos),
                }
                for (what, date) in [("start", &d.start), ("end", &d.end)] {
                    if let Some(s) = date {
                        if !looks_like_iso_date(s) {
                            v.error(d.pos, format!("bad {what} date '{s}': expected ISO 8601 such as 2024-01-31 or 2024-01-31T12:00:00"));
                        }
                    }
                }
            }
            RuleChild::Rule(r) => v.rule(r),
            RuleChild::OpExpression(o) => {
                v.need_id("op_expression", &o.id, None, o.pos);
                v.check_duration("interval", &o.interval, o.pos);
            }
            RuleChild::RscExpression(o) => v.need_id("rsc_expression", &o.id, None, o.pos),
            RuleChild::Other(e) => v.error(e.pos, format!("unknown element <{}> in <rule>", e.name)),
        });
    }

    fn node(&mut self, n: &NodeDef) {
        self.need_id("node", &n.id, None, n.pos);
        for (what, value) in [("id", &n.id), ("uname", &n.uname)] {
            if let Some(v) = value {
                let key = format!("{what}\u{0}{v}");
                if let Some(first) = self.node_keys.get(&key) {
                    let msg = format!("node {what} '{v}' is already used by the node at {first}");
                    self.error(n.pos, msg);
                } else {
                    self.node_keys.insert(key, n.pos);
                }
            }
        }
        if n.uname.is_none() {
            self.error(n.pos, "<node> has no uname");
        }
        self.check_enum("node type", &n.node_type, &NODE_TYPES, n.pos);
        self.check_score("score", &n.score, n.pos);
        self.each(&n.children, |v, c| match c {
            NodeChild::NvSet(s) => v.nvset(s),
            NodeChild::Other(e) => {
                v.error(e.pos, format!("unknown element <{}> in <node>", e.name))
            }
        });
    }

    fn resource(&mut self, r: &Resource, parent: Option<&str>) {
        match r {
            Resource::Primitive(p) => self.primitive(p),
            Resource::Group(g) => {
                self.need_id("group", &g.id, None, g.pos);
                if g.members().next().is_none() {
                    self.error(
                        g.pos,
                        format!("group '{}' has no members", g.id.as_deref().unwrap_or("")),
                    );
                }
                self.each(&g.children, |v, c| match c {
                    GroupChild::Primitive(p) => v.primitive(p),
                    GroupChild::NvSet(s) => {
                        v.nvset(s);
                    }
                    GroupChild::Other(e) => v.error(
                        e.pos,
                        format!(
                            "group '{}' may contain only primitives, not <{}>{}",
                            g.id.as_deref().unwrap_or(""),
                            e.name,
                            e.attr("id").map(|i| format!(" '{i}'")).unwrap_or_default()
                        ),
                    ),
                });
            }
            Resource::Clone(c) => {
                self.need_id(&c.tag, &c.id, None, c.pos);
                let id = c.id.as_deref().unwrap_or("");
                let members = c
                    .children
                    .iter()
                    .filter(|x| matches!(x, CloneChild::Primitive(_) | CloneChild::Group(_)))
                    .count();
                if members == 0 && !c.children.iter().any(|x| matches!(x, CloneChild::Other(_))) {
                    self.error(c.pos, format!("{} '{id}' has no resource to clone", c.tag));
                } else if members > 1 {
                    self.error(
                        c.pos,
                        format!(
                            "{} '{id}' contains {members} resources; a clone holds exactly one",
                            c.tag
                        ),
                    );
                }
                self.each(&c.children, |v, x| match x {
                    CloneChild::Primitive(p) => v.primitive(p),
                    CloneChild::Group(g) => v.resource(&Resource::Group(g.clone()), Some(id)),
                    CloneChild::NvSet(s) => {
                        v.nvset(s);
                    }
                    CloneChild::Other(e) if matches!(e.name.as_str(), "clone" | "master" | "bundle") => v.error(
                        e.pos,
                        format!(
                            "{} '{id}' contains <{}> '{}': a clone of a clone or bundle is not allowed",
                            c.tag,
                            e.name,
                            e.attr("id").unwrap_or("")
                        ),
                    ),
                    CloneChild::Other(e) => v.error(e.pos, format!("unknown element <{}> in <{}>", e.name, c.tag)),
                });
            }
            Resource::Bundle(b) => {
                self.need_id("bundle", &b.id, None, b.pos);
                let runtimes = b
                    .children
                    .iter()
                    .filter(|c| matches!(c, BundleChild::Runtime(_)))
                    .count();
                if runtimes != 1 {
                    self.error(
                        b.pos,
                        format!(
                            "bundle '{}' needs exactly one of <docker>, <podman> or <rkt>",
                            b.id.as_deref().unwrap_or("")
                        ),
                    );
                }
                self.each(&b.children, |v, c| match c {
                    BundleChild::Runtime(rt) => {
                        if rt.image.is_none() {
                            v.error(rt.pos, format!("<{}> has no image", rt.tag));
                        }
                        v.check_int("replicas", &rt.replicas, rt.pos);
                        v.check_int("replicas-per-host", &rt.replicas_per_host, rt.pos);
                        v.check_int("promoted-max", &rt.promoted_max, rt.pos);
                    }
                    BundleChild::Primitive(p) => v.primitive(p),
                    BundleChild::NvSet(s) => {
                        v.nvset(s);
                    }
                    BundleChild::Section(_) => {}
                    BundleChild::Other(e) => {
                        v.error(e.pos, format!("unknown element <{}> in <bundle>", e.name))
                    }
                });
            }
            Resource::Other(e) => {
                let what = match parent {
                    Some(p) => format!("unknown element <{}> in '{p}'", e.name),
                    None => format!("unknown element <{}> in <resources>", e.name),
                };
                self.error(e.pos, what);
            }
        }
    }

    fn primitive(&mut self, p: &Primitive) {
        self.need_id(&p.tag, &p.id, None, p.pos);
        let id = p.id.clone().unwrap_or_default();
        match &p.template {
            Some(t) if self.resources.get(t).map(String::as_str) != Some("template") => {
                self.error(
                    p.pos,
                    format!("primitive '{id}' uses template '{t}', which does not exist"),
                );
            }
            _ => {}
        }
        if p.template.is_none() {
            match p.class.as_deref() {
                None => self.error(p.pos, format!("{} '{id}' has no class", p.tag)),
                Some(c) if !CLASSES.contains(&c) => self.error(
                    p.pos,
                    format!(
                        "{} '{id}' has unknown class '{c}' (expected one of {})",
                        p.tag,
                        CLASSES.join(", ")
                    ),
                ),
                Some("ocf") if p.provider.is_none() => self.error(
                    p.pos,
                    format!("{} '{id}' has class ocf but no provider", p.tag),
                ),
                Some(c) if c != "ocf" && p.provider.is_some() => self.error(
                    p.pos,
                    format!(
                        "{} '{id}' has a provider, which only class ocf takes",
                        p.tag
                    ),
                ),
                _ => {}
            }
            if p.agent_type.is_none() {
                self.error(p.pos, format!("{} '{id}' has no type", p.tag));
            }
        }
        let mut seen_ops: BTreeMap<(String, u64, String), Pos> = BTreeMap::new();
        self.each(&p.children, |v, c| match c {
            PrimitiveChild::NvSet(s) => {
                v.nvset(s);
            }
            PrimitiveChild::Operations(o) => {
                if let Some(r) = &o.id_ref {
                    if !v.ids.contains_key(r) {
                        v.error(o.pos, format!("id-ref '{r}' refers to nothing"));
                    }
                }
                v.each(&o.children, |v, c| match c {
                    OperationsChild::Op(op) => v.op(op, &id, &mut seen_ops),
                    OperationsChild::Other(e) => v.error(
                        e.pos,
                        format!("unknown element <{}> in <operations>", e.name),
                    ),
                });
            }
            PrimitiveChild::Other(e) => v.error(
                e.pos,
                format!("unknown element <{}> in <{}>", e.name, p.tag),
            ),
        });
    }

    fn op(&mut self, op: &Op, rsc: &str, seen: &mut BTreeMap<(String, u64, String), Pos>) {
        self.need_id("op", &op.id, Some(&op.id_ref), op.pos);
        if op.id_ref.is_some() {
            return;
        }
        let name = match &op.name {
            Some(n) => n.clone(),
            None => {
                self.error(op.pos, "<op> has no name");
                String::new()
            }
        };
        match &op.interval {
            None => self.error(op.pos, format!("op '{name}' of '{rsc}' has no interval")),
            Some(_) => self.check_duration("interval", &op.interval, op.pos),
        }
        self.check_duration("timeout", &op.timeout, op.pos);
        self.check_duration("start-delay", &op.start_delay, op.pos);
        self.check_role("role", &op.role, op.pos);
        self.check_enum("on-fail", &op.on_fail, &ON_FAIL, op.pos);
        self.check_bool("enabled", &op.enabled, op.pos);
        self.check_bool("record-pending", &op.record_pending, op.pos);
        // Pacemaker refuses two recurring ops with the same name, interval
        // and role; one-shot ops (interval 0) may repeat.
        if let Some(ms) = op
            .interval
            .as_deref()
            .and_then(parse_duration_ms)
            .filter(|ms| *ms > 0)
        {
            let key = (name.clone(), ms, op.role.clone().unwrap_or_default());
            if let Some(first) = seen.get(&key) {
                self.error(
                    op.pos,
                    format!("'{rsc}' has two {name} operations with interval {ms}ms (the first at {first})"),
                );
            } else {
                seen.insert(key, op.pos);
            }
        }
        self.each(&op.children, |v, c| match c {
            OpChild::NvSet(s) => v.nvset(s),
            OpChild::Other(e) => v.error(e.pos, format!("unknown element <{}> in <op>", e.name)),
        });
    }

    fn resource_sets(&mut self, children: &[ConstraintChild], kind: &str) {
        self.each(children, |v, c| match c {
            ConstraintChild::Set(s) => {
                v.need_id("resource_set", &s.id, Some(&s.id_ref), s.pos);
                v.check_bool("sequential", &s.sequential, s.pos);
                v.check_bool("require-all", &s.require_all, s.pos);
                v.check_role("role", &s.role, s.pos);
                v.check_enum("action", &s.action, &ACTIONS, s.pos);
                v.check_score("score", &s.score, s.pos);
                v.check_enum("kind", &s.kind, &ORDER_KINDS, s.pos);
                if s.id_ref.is_none() && s.refs().next().is_none() {
                    v.error(s.pos, "resource set has no members");
                }
                v.each(&s.children, |v, r| match r {
                    ResourceSetChild::Ref(r) => match &r.id {
                        None => v.error(r.pos, "<resource_ref> has no id"),
                        Some(_) => v.check_resource_ref("resource_ref", &r.id, r.pos),
                    },
                    ResourceSetChild::Other(e) => v.error(
                        e.pos,
                        format!("unknown element <{}> in <resource_set>", e.name),
                    ),
                });
            }
            ConstraintChild::Rule(r) if kind == "rsc_location" => v.rule(r),
            ConstraintChild::Rule(r) => v.error(r.pos, format!("<{kind}> cannot hold a rule")),
            ConstraintChild::Other(e) => {
                v.error(e.pos, format!("unknown element <{}> in <{kind}>", e.name))
            }
        });
    }

    fn constraint(&mut self, c: &Constraint) {
        let has_sets = c
            .parts()
            .iter()
            .any(|p| matches!(p, ConstraintChild::Set(_)));
        match c {
            Constraint::Location(l) => {
                self.need_id("rsc_location", &l.id, None, l.pos);
                if l.rsc.is_none() && l.rsc_pattern.is_none() && !has_sets {
                    self.error(l.pos, "location constraint names no resource (rsc, rsc-pattern or a resource set)");
                }
                self.check_resource_ref("rsc", &l.rsc, l.pos);
                let has_rules = l
                    .children
                    .iter()
                    .any(|p| matches!(p, ConstraintChild::Rule(_)));
                if !has_rules {
                    if l.node.is_none() {
                        self.error(l.pos, "location constraint has neither a node nor a rule");
                    }
                    if l.score.is_none() {
                        self.error(l.pos, "location constraint has a node but no score");
                    }
                }
                self.check_score("score", &l.score, l.pos);
                self.check_role("role", &l.role, l.pos);
                self.check_enum(
                    "resource-discovery",
                    &l.resource_discovery,
                    &DISCOVERY,
                    l.pos,
                );
                self.resource_sets(&l.children, "rsc_location");
            }
            Constraint::Colocation(x) => {
                self.need_id("rsc_colocation", &x.id, None, x.pos);
                if !has_sets {
                    if x.rsc.is_none() || x.with_rsc.is_none() {
                        self.error(
                            x.pos,
                            "colocation needs rsc and with-rsc (or resource sets)",
                        );
                    }
                    if x.score.is_none() {
                        self.error(x.pos, "colocation has no score");
                    }
                }
                self.check_resource_ref("rsc", &x.rsc, x.pos);
                self.check_resource_ref("with-rsc", &x.with_rsc, x.pos);
                self.check_score("score", &x.score, x.pos);
                self.check_role("rsc-role", &x.rsc_role, x.pos);
                self.check_role("with-rsc-role", &x.with_rsc_role, x.pos);
                self.check_bool("influence", &x.influence, x.pos);
                self.resource_sets(&x.children, "rsc_colocation");
            }
            Constraint::Order(o) => {
                self.need_id("rsc_order", &o.id, None, o.pos);
                if !has_sets && (o.first.is_none() || o.then.is_none()) {
                    self.error(o.pos, "order needs first and then (or resource sets)");
                }
                self.check_resource_ref("first", &o.first, o.pos);
                self.check_resource_ref("then", &o.then, o.pos);
                self.check_enum("first-action", &o.first_action, &ACTIONS, o.pos);
                self.check_enum("then-action", &o.then_action, &ACTIONS, o.pos);
                self.check_enum("kind", &o.kind, &ORDER_KINDS, o.pos);
                self.check_score("score", &o.score, o.pos);
                self.check_bool("symmetrical", &o.symmetrical, o.pos);
                self.check_bool("require-all", &o.require_all, o.pos);
                self.resource_sets(&o.children, "rsc_order");
            }
            Constraint::Ticket(t) => {
                self.need_id("rsc_ticket", &t.id, None, t.pos);
                if t.ticket.is_none() {
                    self.error(t.pos, "rsc_ticket has no ticket");
                }
                if t.rsc.is_none() && !has_sets {
                    self.error(
                        t.pos,
                        "rsc_ticket names no resource (rsc or a resource set)",
                    );
                }
                self.check_resource_ref("rsc", &t.rsc, t.pos);
                self.check_role("rsc-role", &t.rsc_role, t.pos);
                self.check_enum("loss-policy", &t.loss_policy, &LOSS_POLICIES, t.pos);
                self.resource_sets(&t.children, "rsc_ticket");
            }
            Constraint::Other(e) => {
                self.error(e.pos, format!("unknown constraint <{}>", e.name));
            }
        }
    }

    fn fencing_level(&mut self, l: &FencingLevel) {
        self.need_id("fencing-level", &l.id, None, l.pos);
        match l.index.as_deref().map(|s| s.parse::<u32>()) {
            None => self.error(l.pos, "fencing-level has no index"),
            Some(Ok(1..=9)) => {}
            Some(_) => self.error(
                l.pos,
                format!(
                    "bad fencing-level index '{}': expected 1 to 9",
                    l.index.as_deref().unwrap_or("")
                ),
            ),
        }
        if l.target.is_none() && l.target_pattern.is_none() && l.target_attribute.is_none() {
            self.error(
                l.pos,
                "fencing-level names no target (target, target-pattern or target-attribute)",
            );
        }
        match &l.devices {
            None => self.error(l.pos, "fencing-level has no devices"),
            Some(d) => {
                for dev in d.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if !self.stonith.contains(dev) {
                        self.warn(
                            l.pos,
                            format!("fencing device '{dev}' is not a configured stonith resource"),
                        );
                    }
                }
            }
        }
    }

    fn alert(&mut self, a: &Alert) {
        self.need_id(&a.tag, &a.id, None, a.pos);
        if a.tag == "alert" && a.path.is_none() {
            self.error(a.pos, "<alert> has no path");
        }
        if a.tag == "recipient" && a.value.is_none() {
            self.error(a.pos, "<recipient> has no value");
        }
        self.each(&a.children, |v, c| match c {
            AlertChild::NvSet(s) => v.nvset(s),
            AlertChild::Recipient(r) => v.alert(r),
            AlertChild::Other(_) => {}
        });
    }

    /// The status section is written by the cluster, and the scheduler
    /// skips entries it cannot read, so its problems are warnings.
    fn status(&mut self, s: &Status) {
        self.each(&s.children, |v, c| match c {
            StatusChild::NodeState(n) => {
                if n.id.is_none() {
                    v.warn(n.pos, "<node_state> has no id");
                }
                v.each(&n.children, |v, c| {
                    if let NodeStateChild::Lrm(l) = c {
                        for r in l.resources() {
                            for op in r.ops() {
                                v.lrm_op(r, op);
                            }
                        }
                    }
                });
            }
            StatusChild::Tickets(_) => {}
            StatusChild::Other(_) => {}
        });
    }

    fn lrm_op(&mut self, r: &LrmResource, op: &LrmRscOp) {
        // Recorded history sits deep below lrm/lrm_resources; name it fully.
        let seg_r = format!(
            "lrm/lrm_resources/lrm_resource[@id='{}']",
            r.id.as_deref().unwrap_or("")
        );
        let seg_o = match &op.id {
            Some(id) => format!("lrm_rsc_op[@id='{id}']"),
            None => "lrm_rsc_op".to_string(),
        };
        self.within(&seg_r, |v| {
            v.within(&seg_o, |v| {
                if op.id.is_none() {
                    v.warn(op.pos, "<lrm_rsc_op> has no id");
                }
                if op.operation.is_none() {
                    v.warn(op.pos, "<lrm_rsc_op> has no operation");
                }
                for (name, value) in [
                    ("call-id", &op.call_id),
                    ("rc-code", &op.rc_code),
                    ("op-status", &op.op_status),
                    ("interval", &op.interval),
                ] {
                    // An absent interval means 0; the other counters are
                    // needed to read the entry at all.
                    match value {
                        None if name != "interval" => {
                            v.warn(op.pos, format!("<lrm_rsc_op> has no {name}"))
                        }
                        _ => v.check_int(name, value, op.pos),
                    }
                }
            })
        });
    }
}

/// A light check for ISO 8601 dates as Pacemaker writes them: a year with
/// month-day, ordinal day or week date, optionally followed by a time and
/// zone. It is meant to catch typos, not to be a full parser.
fn looks_like_iso_date(s: &str) -> bool {
    let s = s.trim();
    let date = s.split(['T', ' ']).next().unwrap_or("");
    let first = date.split('-').next().unwrap_or("");
    if first.len() != 4 || !first.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    date.bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'W')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-:+. Z".contains(&b))
}

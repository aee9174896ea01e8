//! Diffs and patches between two CIBs, and the version counters that order them.
//!
//! # What it is
//!
//! Every CIB change travels the ring as a *patch* (DESIGN.md, "How data
//! flows"): the difference between the CIB before and after, stamped with the
//! version it applies to and the version it produces. This module computes
//! such a patch ([`diff`]), applies one ([`apply`]), reads and writes it as
//! XML ([`Patch::to_xml`], [`Patch::from_xml`]), and says which version a
//! changed CIB should carry ([`next_version`]) and which of two copies is
//! newer ([`newer`]).
//!
//! # How data enters and leaves
//!
//! - In: two [`Element`] trees (from [`crate::xml::parse`]) for [`diff`]; a
//!   tree and a [`Patch`] for [`apply`]; a parsed `<diff>` element for
//!   [`Patch::from_xml`]. Nothing here does IO.
//! - Out: a [`Patch`]; a *new* tree from [`apply`] (its input is borrowed and
//!   never touched, so a refused or failed patch changes nothing); a `<diff>`
//!   element from [`Patch::to_xml`]; a [`Version`].
//!
//! The law the tests check: `apply(a, &diff(a, b))` equals `b` under
//! [`Element::canonical`], and a patch whose source version is not `a`'s is
//! refused with [`DiffError::VersionMismatch`].
//!
//! ```
//! use cib::diff::{apply, diff, next_version, set_version, DiffError, Patch};
//! use cib::xml::{parse, Element};
//!
//! let old = parse(r#"<cib admin_epoch="0" epoch="3" num_updates="7">
//!   <configuration><resources/></configuration><status/></cib>"#).unwrap();
//! let mut new = old.clone();
//! let resources = new.child_mut("configuration").unwrap().child_mut("resources").unwrap();
//! resources.push(Element::new("primitive").with_attr("id", "ip"));
//! let v = next_version(&old, &new);
//! assert_eq!(v.to_string(), "0.4.0"); // a configuration change bumps epoch
//! set_version(&mut new, v);
//!
//! let patch = diff(&old, &new);
//! let wire = patch.to_xml().to_xml(); // what travels the ring
//! let patch = Patch::from_xml(&parse(&wire).unwrap()).unwrap();
//! assert_eq!(apply(&old, &patch).unwrap().canonical(), new.canonical());
//! // Applied to any other version, it is refused.
//! assert!(matches!(apply(&new, &patch), Err(DiffError::VersionMismatch { .. })));
//! ```
//!
//! # The format
//!
//! Pacemaker's "v2 patchset", as `cibadmin --patch` reads it and as the CIB
//! manager sends it between nodes:
//!
//! ```xml
//! <diff format="2">
//!   <version>
//!     <source admin_epoch="0" epoch="4" num_updates="2"/>
//!     <target admin_epoch="0" epoch="5" num_updates="0"/>
//!   </version>
//!   <change operation="delete" path="/cib/configuration/constraints/rsc_order[@id='o1']"/>
//!   <change operation="modify" path="/cib">
//!     <change-list>
//!       <change-attr name="epoch" operation="set" value="5"/>
//!       <change-attr name="num_updates" operation="set" value="0"/>
//!     </change-list>
//!     <change-result>
//!       <cib admin_epoch="0" epoch="5" num_updates="0"/>
//!     </change-result>
//!   </change>
//!   <change operation="move" path="/cib/configuration/resources/primitive[@id='b']" position="0"/>
//!   <change operation="create" path="/cib/configuration/resources" position="2">
//!     <primitive id="c" class="ocf" provider="heartbeat" type="Dummy"/>
//!   </change>
//! </diff>
//! ```
//!
//! - `path` is XPath-like. An element is written `name[@id='x']` when its id
//!   is unique among its same-named siblings, else `name` for the first
//!   same-named sibling and `name[N]` (1-based, among same-named siblings)
//!   for the others. Text and comment children are `text()[N]` and
//!   `comment()[N]`. The document itself is `/` (only the root's parent).
//! - `position` is the index among *all* children (elements, text,
//!   comments) of the parent in the *target* document.
//! - Application follows Pacemaker's two passes. Pass one walks the changes
//!   in order, resolving each path against the document as it stands: a
//!   `delete` removes the node now, a `modify` sets its attributes now, a
//!   `move` sets the node aside at the end of its parent's children and a
//!   `create` is held back. Pass two places the held-back creates and the
//!   moved nodes, sorted by position. [`diff`] computes every path against
//!   that evolving document, so positional paths stay exact.
//! - `modify`: `change-result` carries the element's complete new attribute
//!   set, and that is what is applied (as Pacemaker does); `change-list` says
//!   what changed and must agree with the result.
//!
//! # Deviations from Pacemaker
//!
//! - Pacemaker writes an id-less element as bare `name` and resolves it to
//!   the *first* same-named sibling, so it cannot address the second of two
//!   `<rule>`s without ids, nor elements whose ids repeat among siblings. We
//!   add positional `name[N]`. Pacemaker 2.1 does not understand that form:
//!   a patch containing it is only for Tandem (bare `name` and
//!   `name[@id='x']`, the only forms in id-unique CIBs, are read the same by
//!   both).
//! - Pacemaker addresses a comment as `…/comment` plus a `position`; we write
//!   `comment()[N]` (which cannot collide with an element named `comment`)
//!   and keep `position` on deletes of comments and text as a check.
//!   Pacemaker's format has no text nodes at all; ours creates and deletes
//!   them like comments. A text node that is only whitespace cannot travel
//!   as XML (the parser drops it).
//! - A patch may replace the root itself (`delete /a` then `create /`), which
//!   Pacemaker never produces; it is what [`diff`] returns for roots with
//!   different names.
//! - [`apply`] is strict where Pacemaker is lenient: a `delete` whose node is
//!   already gone, a position past the end, or a `change-list` that
//!   contradicts its `change-result` are errors, not log lines. After
//!   applying, the root's counters are set to the patch's target version.
//! - Pacemaker's patches carry an optional `digest`; we neither write nor
//!   check one (our replicas compare canonical forms instead).

use std::collections::HashMap;

use crate::version::Version;
use crate::xml::{Element, Node, Pos};

/// The root attributes that hold a CIB's version.
const COUNTERS: [&str; 3] = ["admin_epoch", "epoch", "num_updates"];

/// Root attributes whose change is a configuration change, as in
/// Pacemaker's `cib__config_changed_v1`: the schema, the feature set and the
/// remote-access ports.
const CONFIG_ROOT_ATTRS: [&str; 4] = [
    "validate-with",
    "crm_feature_set",
    "remote-clear-port",
    "remote-tls-port",
];

/// A change from one CIB version to another: Pacemaker's v2 patchset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// The version of the CIB this patch applies to.
    pub source: Version,
    /// The version of the CIB it produces.
    pub target: Version,
    /// The edits, in the order they are applied (see the module docs for the
    /// two passes).
    pub changes: Vec<Change>,
}

/// One edit of a [`Patch`]. Paths and positions are described in the module
/// docs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Insert `node` (with its whole subtree) as a child of the element at
    /// `path`, at `position` among that parent's children in the target.
    Create {
        /// The parent.
        path: String,
        /// Index among all of the parent's children once placed.
        position: usize,
        /// What is inserted: an element subtree, a text or a comment.
        node: Node,
    },
    /// Remove the node at `path` with its subtree.
    Delete {
        /// The node removed.
        path: String,
        /// Its index among its parent's children when it is removed; written
        /// for text and comments, and checked when present.
        position: Option<usize>,
    },
    /// Give the element at `path` the attribute set `result`.
    Modify {
        /// The element changed.
        path: String,
        /// What changed, attribute by attribute.
        attrs: Vec<AttrChange>,
        /// The complete new attribute set, in order.
        result: Vec<(String, String)>,
    },
    /// Place the node at `path` at `position` among its siblings.
    Move {
        /// The node moved.
        path: String,
        /// Its index among its parent's children once placed.
        position: usize,
    },
}

impl Change {
    /// The path this change addresses.
    pub fn path(&self) -> &str {
        match self {
            Change::Create { path, .. }
            | Change::Delete { path, .. }
            | Change::Modify { path, .. }
            | Change::Move { path, .. } => path,
        }
    }

    /// Pacemaker's name for the operation: `create`, `delete`, `modify` or
    /// `move`.
    pub fn operation(&self) -> &'static str {
        match self {
            Change::Create { .. } => "create",
            Change::Delete { .. } => "delete",
            Change::Modify { .. } => "modify",
            Change::Move { .. } => "move",
        }
    }
}

/// One attribute's change inside a [`Change::Modify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrChange {
    /// The attribute's name.
    pub name: String,
    /// What happened to it.
    pub op: AttrOp,
}

/// What happened to an attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrOp {
    /// Added, or given a new value.
    Set(String),
    /// Removed.
    Unset,
}

/// Why a patch could not be applied or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// The CIB is not at the version the patch was made from. The caller
    /// should fetch a full copy (Pacemaker's "resync") instead.
    #[error("patch applies to CIB version {expected}, but the CIB is at {found}")]
    VersionMismatch {
        /// The patch's source version.
        expected: Version,
        /// The CIB's version.
        found: Version,
    },
    /// A version counter on the CIB root is not a non-negative integer.
    #[error("root attribute {attr}=\"{value}\" is not a version counter")]
    BadVersion {
        /// `admin_epoch`, `epoch` or `num_updates`.
        attr: String,
        /// Its value.
        value: String,
    },
    /// A change's path names no node of the document.
    #[error("{operation} {path}: no such node")]
    NotFound {
        /// The change's operation.
        operation: &'static str,
        /// The path that matched nothing.
        path: String,
    },
    /// A path is not in the XPath-like form this module reads.
    #[error("bad path {path:?}: {reason}")]
    BadPath {
        /// The path as written.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A position is past the end of the parent's children.
    #[error("{operation} {path}: position {position} is past the end ({len} children)")]
    BadPosition {
        /// The change's operation.
        operation: &'static str,
        /// The change's path.
        path: String,
        /// The position asked for.
        position: usize,
        /// How many children the parent had at that point.
        len: usize,
    },
    /// A change is not possible on the node its path names, or contradicts
    /// itself or an earlier change.
    #[error("{operation} {path}: {reason}")]
    Conflict {
        /// The change's operation.
        operation: &'static str,
        /// The change's path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A `<diff>` element is not a well-formed v2 patchset.
    #[error("{pos}: bad patch: {message}")]
    Malformed {
        /// Where in the patch XML (0:0 if it was built in memory).
        pos: Pos,
        /// What is wrong.
        message: String,
    },
}

// ---------------------------------------------------------------------------
// Versions

/// The version a CIB carries in its root attributes. A missing counter is 0,
/// as in Pacemaker; one that is not a non-negative integer is an error.
pub fn version_of(cib: &Element) -> Result<Version, DiffError> {
    let get = |name: &str| match cib.attr(name) {
        None => Ok(0),
        Some(v) => v.trim().parse::<u64>().map_err(|_| DiffError::BadVersion {
            attr: name.to_string(),
            value: v.to_string(),
        }),
    };
    Ok(Version::new(
        get(COUNTERS[0])?,
        get(COUNTERS[1])?,
        get(COUNTERS[2])?,
    ))
}

/// [`version_of`], reading a counter that is missing or unreadable as 0.
/// Used where there is no way to report an error ([`diff`], [`newer`],
/// [`next_version`]).
fn version_lenient(cib: &Element) -> Version {
    let get = |name: &str| {
        cib.attr(name)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    Version::new(get(COUNTERS[0]), get(COUNTERS[1]), get(COUNTERS[2]))
}

/// Writes `v` into the root's three counter attributes.
pub fn set_version(cib: &mut Element, v: Version) {
    cib.set_attr(COUNTERS[0], v.admin_epoch.to_string());
    cib.set_attr(COUNTERS[1], v.epoch.to_string());
    cib.set_attr(COUNTERS[2], v.num_updates.to_string());
}

/// Makes the root carry `v`, touching only the counters that say otherwise,
/// and leaving a missing counter missing when `v` has 0 there (so a document
/// without counters round-trips).
fn stamp_version(cib: &mut Element, v: Version) {
    let values = [v.admin_epoch, v.epoch, v.num_updates];
    for (name, value) in COUNTERS.iter().zip(values) {
        let ok = match cib.attr(name) {
            Some(s) => s.trim().parse::<u64>() == Ok(value),
            None => value == 0,
        };
        if !ok {
            cib.set_attr(name, value.to_string());
        }
    }
}

/// The copy that wins when two replicas disagree: the one with the higher
/// (admin_epoch, epoch, num_updates). On a tie, `a`. Unreadable counters
/// count as 0.
pub fn newer<'a>(a: &'a Element, b: &'a Element) -> &'a Element {
    if version_lenient(b) > version_lenient(a) {
        b
    } else {
        a
    }
}

/// The version `new` should carry when it replaces `old`, by Pacemaker's
/// rules:
///
/// - the `configuration` section changed (added, removed or edited), or a
///   root attribute that Pacemaker counts as configuration
///   (`validate-with`, `crm_feature_set`, the remote ports) changed, or
///   `new` raises `admin_epoch`: `epoch` + 1 and `num_updates` = 0;
/// - anything else changed (status, other root attributes): `num_updates` + 1;
/// - nothing changed: `old`'s version.
///
/// The counters written in `new` are ignored, except that a higher
/// `admin_epoch` there is an administrator's override and is kept (it is
/// never lowered). Unreadable counters count as 0.
pub fn next_version(old: &Element, new: &Element) -> Version {
    let base = version_lenient(old);
    let admin = version_lenient(new).admin_epoch.max(base.admin_epoch);
    let config_changed = admin != base.admin_epoch
        || !same_opt(old.child("configuration"), new.child("configuration"))
        || CONFIG_ROOT_ATTRS
            .iter()
            .any(|name| old.attr(name) != new.attr(name));
    if config_changed {
        return Version::new(admin, base.epoch + 1, 0);
    }
    fn attrs(e: &Element) -> Vec<&(String, String)> {
        let mut v: Vec<_> = e
            .attrs
            .iter()
            .filter(|(k, _)| !COUNTERS.contains(&k.as_str()))
            .collect();
        v.sort();
        v
    }
    let anything_changed = old.name != new.name
        || attrs(old) != attrs(new)
        || old.children.len() != new.children.len()
        || old
            .children
            .iter()
            .zip(&new.children)
            .any(|(x, y)| !same_node(x, y));
    if anything_changed {
        base.bump_num_updates()
    } else {
        base
    }
}

fn same_opt(a: Option<&Element>, b: Option<&Element>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same_element(a, b),
        _ => false,
    }
}

/// Equality of meaning, as [`Element::canonical`] defines it, without
/// building the canonical strings.
fn same_element(a: &Element, b: &Element) -> bool {
    a.name == b.name
        && same_attrs(&a.attrs, &b.attrs)
        && a.children.len() == b.children.len()
        && a.children
            .iter()
            .zip(&b.children)
            .all(|(x, y)| same_node(x, y))
}

fn same_node(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Element(a), Node::Element(b)) => same_element(a, b),
        (Node::Text(a), Node::Text(b)) | (Node::Comment(a), Node::Comment(b)) => {
            a.trim() == b.trim()
        }
        _ => false,
    }
}

/// Attribute lists equal as sets (names are unique within an element).
fn same_attrs(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len() && a.iter().all(|(k, v)| attr_in(b, k) == Some(v.as_str()))
}

fn attr_in<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------
// The working tree: an arena, so that nodes keep their identity while the
// two passes delete, set aside and re-insert them.

#[derive(Debug, Clone)]
enum Data {
    Document,
    Element {
        name: String,
        attrs: Vec<(String, String)>,
        pos: Pos,
    },
    Text(String),
    Comment(String),
}

#[derive(Debug, Clone)]
struct Slot {
    data: Data,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// Slot 0 is the document; its only child is the root element. Removed
/// nodes stay in the arena, detached (`parent == None`).
struct Tree {
    slots: Vec<Slot>,
}

const DOCUMENT: usize = 0;

/// One step of a parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Element {
        name: String,
        pred: Pred,
    },
    /// 1-based among text siblings.
    Text(usize),
    /// 1-based among comment siblings.
    Comment(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pred {
    /// Bare `name`: the first same-named sibling.
    First,
    /// `name[@id='x']`: the first same-named sibling with that id.
    Id(String),
    /// `name[N]`: the N-th (1-based) same-named sibling.
    Nth(usize),
}

impl Tree {
    fn new(root: &Element) -> Tree {
        let mut tree = Tree {
            slots: vec![Slot {
                data: Data::Document,
                parent: None,
                children: Vec::new(),
            }],
        };
        let root = tree.add_element(root);
        tree.attach(DOCUMENT, 0, root);
        tree
    }

    /// Adds a detached copy of `node` and its subtree; returns its slot.
    fn add(&mut self, node: &Node) -> usize {
        match node {
            Node::Element(e) => self.add_element(e),
            Node::Text(t) => self.push(Data::Text(t.clone())),
            Node::Comment(c) => self.push(Data::Comment(c.clone())),
        }
    }

    fn add_element(&mut self, e: &Element) -> usize {
        let id = self.push(Data::Element {
            name: e.name.clone(),
            attrs: e.attrs.clone(),
            pos: e.pos,
        });
        let kids: Vec<usize> = e.children.iter().map(|c| self.add(c)).collect();
        for &k in &kids {
            self.slots[k].parent = Some(id);
        }
        self.slots[id].children = kids;
        id
    }

    fn push(&mut self, data: Data) -> usize {
        self.slots.push(Slot {
            data,
            parent: None,
            children: Vec::new(),
        });
        self.slots.len() - 1
    }

    fn to_node(&self, id: usize) -> Node {
        match &self.slots[id].data {
            Data::Element { .. } => Node::Element(self.to_element(id)),
            Data::Text(t) => Node::Text(t.clone()),
            Data::Comment(c) => Node::Comment(c.clone()),
            Data::Document => unreachable!("the document is never a child"),
        }
    }

    fn to_element(&self, id: usize) -> Element {
        match &self.slots[id].data {
            Data::Element { name, attrs, pos } => Element {
                name: name.clone(),
                attrs: attrs.clone(),
                children: self.slots[id]
                    .children
                    .iter()
                    .map(|&c| self.to_node(c))
                    .collect(),
                pos: *pos,
            },
            _ => unreachable!("to_element on a non-element slot"),
        }
    }

    fn index_in_parent(&self, id: usize) -> Option<usize> {
        let parent = self.slots[id].parent?;
        self.slots[parent].children.iter().position(|&c| c == id)
    }

    fn detach(&mut self, id: usize) {
        if let (Some(parent), Some(i)) = (self.slots[id].parent, self.index_in_parent(id)) {
            self.slots[parent].children.remove(i);
        }
        self.slots[id].parent = None;
    }

    fn attach(&mut self, parent: usize, index: usize, id: usize) {
        self.slots[parent].children.insert(index, id);
        self.slots[id].parent = Some(parent);
    }

    /// Pass one of a move: set the node aside at the end of its parent.
    fn move_to_end(&mut self, id: usize) {
        if let Some(parent) = self.slots[id].parent {
            self.detach(id);
            let end = self.slots[parent].children.len();
            self.attach(parent, end, id);
        }
    }

    fn name(&self, id: usize) -> Option<&str> {
        match &self.slots[id].data {
            Data::Element { name, .. } => Some(name),
            _ => None,
        }
    }

    fn attr(&self, id: usize, key: &str) -> Option<&str> {
        match &self.slots[id].data {
            Data::Element { attrs, .. } => attr_in(attrs, key),
            _ => None,
        }
    }

    fn view(&self, id: usize) -> View<'_> {
        match &self.slots[id].data {
            Data::Element { name, attrs, .. } => View::Element {
                name,
                id: attr_in(attrs, "id"),
            },
            Data::Text(t) => View::Text(t),
            Data::Comment(c) => View::Comment(c),
            Data::Document => unreachable!("the document is never a child"),
        }
    }

    /// The path of an attached node, as it resolves in the tree as it stands.
    fn path_of(&self, id: usize) -> String {
        let mut steps = Vec::new();
        let mut at = id;
        while let Some(parent) = self.slots[at].parent {
            steps.push(self.step_of(parent, at));
            at = parent;
        }
        debug_assert_eq!(at, DOCUMENT, "path_of a detached node");
        steps.reverse();
        format!("/{}", steps.join("/"))
    }

    fn step_of(&self, parent: usize, id: usize) -> String {
        let siblings = &self.slots[parent].children;
        let before = &siblings[..siblings.iter().position(|&c| c == id).unwrap_or(0)];
        let same_kind = |pred: &dyn Fn(&Data) -> bool| {
            1 + before
                .iter()
                .filter(|&&s| pred(&self.slots[s].data))
                .count()
        };
        match &self.slots[id].data {
            Data::Text(_) => format!("text()[{}]", same_kind(&|d| matches!(d, Data::Text(_)))),
            Data::Comment(_) => format!(
                "comment()[{}]",
                same_kind(&|d| matches!(d, Data::Comment(_)))
            ),
            Data::Element { name, attrs, .. } => {
                if let Some(v) = attr_in(attrs, "id") {
                    let unique = siblings.iter().all(|&s| {
                        s == id || self.name(s) != Some(name) || self.attr(s, "id") != Some(v)
                    });
                    if unique {
                        if !v.contains('\'') {
                            return format!("{name}[@id='{v}']");
                        } else if !v.contains('"') {
                            return format!("{name}[@id=\"{v}\"]");
                        }
                    }
                }
                let n = 1 + before
                    .iter()
                    .filter(|&&s| self.name(s) == Some(name))
                    .count();
                if n == 1 {
                    name.clone()
                } else {
                    format!("{name}[{n}]")
                }
            }
            Data::Document => unreachable!("the document is never a child"),
        }
    }

    /// Finds the attached node a path names.
    fn resolve(&self, path: &str, operation: &'static str) -> Result<usize, DiffError> {
        let steps = parse_path(path)?;
        let mut at = DOCUMENT;
        for step in &steps {
            let kids = &self.slots[at].children;
            let found = match step {
                Step::Text(n) => kids
                    .iter()
                    .filter(|&&s| matches!(self.slots[s].data, Data::Text(_)))
                    .nth(n - 1),
                Step::Comment(n) => kids
                    .iter()
                    .filter(|&&s| matches!(self.slots[s].data, Data::Comment(_)))
                    .nth(n - 1),
                Step::Element { name, pred } => {
                    let mut named = kids.iter().filter(|&&s| self.name(s) == Some(name));
                    match pred {
                        Pred::First => named.next(),
                        Pred::Nth(n) => named.nth(n - 1),
                        Pred::Id(v) => named.find(|&&s| self.attr(s, "id") == Some(v)),
                    }
                }
            };
            at = *found.ok_or_else(|| DiffError::NotFound {
                operation,
                path: path.to_string(),
            })?;
        }
        Ok(at)
    }
}

/// Parses an XPath-like path (see the module docs) into steps; `/` alone is
/// the document and gives no steps.
fn parse_path(path: &str) -> Result<Vec<Step>, DiffError> {
    let bad = |reason: &str| DiffError::BadPath {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| bad("it does not start with '/'"))?;
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    // Split on '/' outside predicates and quotes: an id may hold a '/'.
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut in_pred = false;
    let mut quote: Option<char> = None;
    for c in rest.chars() {
        if let Some(q) = quote {
            part.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' if in_pred => quote = Some(c),
            '[' => in_pred = true,
            ']' => in_pred = false,
            '/' if !in_pred => {
                parts.push(std::mem::take(&mut part));
                continue;
            }
            _ => {}
        }
        part.push(c);
    }
    if quote.is_some() || in_pred {
        return Err(bad("a predicate is not closed"));
    }
    parts.push(part);
    parts.iter().map(|p| parse_step(p).map_err(bad)).collect()
}

fn parse_step(s: &str) -> Result<Step, &'static str> {
    let (name, pred) = match s.find('[') {
        Some(i) if s.ends_with(']') => (&s[..i], Some(&s[i + 1..s.len() - 1])),
        Some(_) => return Err("text after a predicate"),
        None => (s, None),
    };
    if name.is_empty() {
        return Err("an empty step");
    }
    if name.contains([']', '\'', '"', '@']) {
        return Err("a step name with a bracket, quote or '@'");
    }
    let index = |p: Option<&str>| match p {
        None => Ok(1),
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or("an index that is not a positive integer"),
    };
    match name {
        "text()" => Ok(Step::Text(index(pred)?)),
        "comment()" => Ok(Step::Comment(index(pred)?)),
        _ => {
            let pred = match pred {
                None => Pred::First,
                Some(p) => match p.strip_prefix("@id=") {
                    Some(v) => {
                        let q = v.chars().next().ok_or("an empty id")?;
                        let inner = v
                            .strip_prefix(q)
                            .and_then(|v| v.strip_suffix(q))
                            .filter(|_| q == '\'' || q == '"')
                            .ok_or("an id that is not quoted")?;
                        if inner.contains(q) {
                            return Err("an id with its own quote inside");
                        }
                        Pred::Id(inner.to_string())
                    }
                    None => Pred::Nth(index(Some(p))?),
                },
            };
            Ok(Step::Element {
                name: name.to_string(),
                pred,
            })
        }
    }
}

// ---------------------------------------------------------------------------
// diff

/// A child as matching sees it: elements by name and id, text and comments
/// by content.
#[derive(Clone, Copy)]
enum View<'x> {
    Element { name: &'x str, id: Option<&'x str> },
    Text(&'x str),
    Comment(&'x str),
}

/// The identity of a child among its siblings. `Id` is used only when the
/// (name, id) pair occurs at most once on each side; every other element is
/// known by its rank among same-named siblings without a usable id, text
/// and comments by their rank among equal contents.
#[derive(PartialEq, Eq, Hash)]
enum Key<'x> {
    Id(&'x str, &'x str),
    Nth(&'x str, usize),
    Text(&'x str, usize),
    Comment(&'x str, usize),
}

fn keys<'x>(mine: &[View<'x>], theirs: &[View<'x>]) -> Vec<Key<'x>> {
    let mut counts: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    for (side, list) in [(0, mine), (1, theirs)] {
        for v in list {
            if let View::Element { name, id: Some(id) } = v {
                let c = counts.entry((name, id)).or_default();
                if side == 0 {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
        }
    }
    let mut ranks: HashMap<(u8, &str), usize> = HashMap::new();
    let mut rank = |kind: u8, s: &'x str| {
        let r = ranks.entry((kind, s)).or_default();
        *r += 1;
        *r
    };
    mine.iter()
        .map(|v| match *v {
            View::Element { name, id: Some(id) } => {
                let (m, t) = counts[&(name, id)];
                if m <= 1 && t <= 1 {
                    Key::Id(name, id)
                } else {
                    Key::Nth(name, rank(0, name))
                }
            }
            View::Element { name, id: None } => Key::Nth(name, rank(0, name)),
            View::Text(t) => Key::Text(t, rank(1, t)),
            View::Comment(c) => Key::Comment(c, rank(2, c)),
        })
        .collect()
}

/// A node of `b`, borrowed for planning (the root is not inside a `Node`).
#[derive(Clone, Copy)]
enum BRef<'b> {
    Element(&'b Element),
    Text(&'b str),
    Comment(&'b str),
}

impl<'b> BRef<'b> {
    fn of(node: &'b Node) -> Self {
        match node {
            Node::Element(e) => BRef::Element(e),
            Node::Text(t) => BRef::Text(t),
            Node::Comment(c) => BRef::Comment(c),
        }
    }

    fn view(self) -> View<'b> {
        match self {
            BRef::Element(e) => View::Element {
                name: &e.name,
                id: e.attr("id"),
            },
            BRef::Text(t) => View::Text(t),
            BRef::Comment(c) => View::Comment(c),
        }
    }

    fn to_node(self) -> Node {
        match self {
            BRef::Element(e) => Node::Element(e.clone()),
            BRef::Text(t) => Node::Text(t.to_string()),
            BRef::Comment(c) => Node::Comment(c.to_string()),
        }
    }
}

/// What happens to one child of `b`, found by matching.
enum Plan<'b> {
    /// It is the child `a` of the old tree, perhaps moved, perhaps edited.
    Keep {
        a: usize,
        b: BRef<'b>,
        moved: bool,
        position: usize,
        children: Vec<Plan<'b>>,
    },
    /// It is new.
    Create { position: usize, node: BRef<'b> },
}

fn plan<'b>(
    tree: &Tree,
    a_parent: usize,
    b_children: &[BRef<'b>],
    deletes: &mut Vec<usize>,
) -> Vec<Plan<'b>> {
    let a_kids = &tree.slots[a_parent].children;
    let a_views: Vec<View> = a_kids.iter().map(|&s| tree.view(s)).collect();
    let b_views: Vec<View> = b_children.iter().map(|b| b.view()).collect();
    let a_keys = keys(&a_views, &b_views);
    let b_keys = keys(&b_views, &a_views);
    let by_key: HashMap<&Key, usize> = a_keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let matched: Vec<Option<usize>> = b_keys.iter().map(|k| by_key.get(k).copied()).collect();

    let mut used = vec![false; a_kids.len()];
    for &i in matched.iter().flatten() {
        used[i] = true;
    }
    deletes.extend(
        a_kids
            .iter()
            .zip(&used)
            .filter(|(_, &u)| !u)
            .map(|(&s, _)| s),
    );

    // The kept children that stay put are a longest run whose old order
    // agrees with the new one; every other kept child is moved.
    let order: Vec<usize> = matched.iter().flatten().copied().collect();
    let mut stays = longest_increasing(&order).into_iter();

    b_children
        .iter()
        .zip(&matched)
        .enumerate()
        .map(|(position, (b, m))| match m {
            Some(i) => {
                let a = a_kids[*i];
                let moved = !stays.next().unwrap_or(false);
                let children = match b {
                    BRef::Element(e) => {
                        let kids: Vec<BRef> = e.children.iter().map(BRef::of).collect();
                        plan(tree, a, &kids, deletes)
                    }
                    _ => Vec::new(),
                };
                Plan::Keep {
                    a,
                    b: *b,
                    moved,
                    position,
                    children,
                }
            }
            None => Plan::Create { position, node: *b },
        })
        .collect()
}

/// For each item of `seq`, whether it belongs to one longest strictly
/// increasing subsequence (patience sorting, O(n log n)).
fn longest_increasing(seq: &[usize]) -> Vec<bool> {
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, &x) in seq.iter().enumerate() {
        let at = tails.partition_point(|&t| seq[t] < x);
        if at > 0 {
            prev[i] = Some(tails[at - 1]);
        }
        if at == tails.len() {
            tails.push(i);
        } else {
            tails[at] = i;
        }
    }
    let mut member = vec![false; seq.len()];
    let mut at = tails.last().copied();
    while let Some(i) = at {
        member[i] = true;
        at = prev[i];
    }
    member
}

/// Turns a plan into changes, replaying pass one of [`apply`] on `tree` as
/// it goes so that every path is the one [`apply`] will resolve.
fn emit(tree: &mut Tree, plans: &[Plan], parent: usize, out: &mut Vec<Change>) {
    for p in plans {
        match p {
            Plan::Create { position, node } => out.push(Change::Create {
                path: tree.path_of(parent),
                position: *position,
                node: node.to_node(),
            }),
            Plan::Keep {
                a,
                b,
                moved,
                position,
                children,
            } => {
                if let BRef::Element(e) = b {
                    emit_modify(tree, *a, e, out);
                }
                if *moved {
                    out.push(Change::Move {
                        path: tree.path_of(*a),
                        position: *position,
                    });
                    tree.move_to_end(*a);
                }
                emit(tree, children, *a, out);
            }
        }
    }
}

fn emit_modify(tree: &mut Tree, a: usize, e: &Element, out: &mut Vec<Change>) {
    let Data::Element { attrs: old, .. } = &tree.slots[a].data else {
        unreachable!("matched an element to a non-element");
    };
    if same_attrs(old, &e.attrs) {
        return;
    }
    let mut changes: Vec<AttrChange> = e
        .attrs
        .iter()
        .filter(|(k, v)| attr_in(old, k) != Some(v.as_str()))
        .map(|(k, v)| AttrChange {
            name: k.clone(),
            op: AttrOp::Set(v.clone()),
        })
        .collect();
    changes.extend(
        old.iter()
            .filter(|(k, _)| e.attr(k).is_none())
            .map(|(k, _)| AttrChange {
                name: k.clone(),
                op: AttrOp::Unset,
            }),
    );
    out.push(Change::Modify {
        path: tree.path_of(a),
        attrs: changes,
        result: e.attrs.clone(),
    });
    if let Data::Element { attrs, .. } = &mut tree.slots[a].data {
        *attrs = e.attrs.clone();
    }
}

/// The patch that turns `a` into `b`.
///
/// Children are matched by (name, id) where the id is unique among
/// same-named siblings on both sides, otherwise by rank among same-named
/// siblings; text and comments by content. Unmatched old children are
/// deleted, unmatched new ones created with their subtree, matched elements
/// whose attribute sets differ are modified, and the fewest matched
/// children are moved (those off a longest run already in order). An
/// element whose id changed is deleted and created again, as in Pacemaker.
///
/// The source and target versions are the root counters of `a` and `b`
/// (missing or unreadable counters count as 0).
pub fn diff(a: &Element, b: &Element) -> Patch {
    let mut tree = Tree::new(a);
    let mut deletes = Vec::new();
    let plans = plan(&tree, DOCUMENT, &[BRef::Element(b)], &mut deletes);
    let mut changes = Vec::new();
    for d in deletes {
        let position = match tree.slots[d].data {
            Data::Text(_) | Data::Comment(_) => tree.index_in_parent(d),
            _ => None,
        };
        changes.push(Change::Delete {
            path: tree.path_of(d),
            position,
        });
        tree.detach(d);
    }
    emit(&mut tree, &plans, DOCUMENT, &mut changes);
    Patch {
        source: version_lenient(a),
        target: version_lenient(b),
        changes,
    }
}

// ---------------------------------------------------------------------------
// apply

/// Applies `patch` to `a` and returns the result; `a` itself is never
/// changed.
///
/// Refused with [`DiffError::VersionMismatch`] unless `a`'s version is the
/// patch's source. Every other problem (a path that names nothing, a
/// position past the end, a modify on a text node, ...) is an error naming
/// the change's path. On success the result's root counters are the patch's
/// target version.
pub fn apply(a: &Element, patch: &Patch) -> Result<Element, DiffError> {
    let found = version_of(a)?;
    if found != patch.source {
        return Err(DiffError::VersionMismatch {
            expected: patch.source,
            found,
        });
    }
    let mut tree = Tree::new(a);

    enum Held<'p> {
        Create { parent: usize, node: &'p Node },
        Move { node: usize },
    }
    // (position, change) for pass two.
    let mut held: Vec<(usize, &Change, Held)> = Vec::new();

    for change in &patch.changes {
        let op = change.operation();
        let conflict = |reason: &str| DiffError::Conflict {
            operation: op,
            path: change.path().to_string(),
            reason: reason.to_string(),
        };
        match change {
            Change::Delete { path, position } => {
                let id = tree.resolve(path, op)?;
                if id == DOCUMENT {
                    return Err(conflict("the document itself cannot be deleted"));
                }
                if let Some(p) = position {
                    let at = tree.index_in_parent(id);
                    if at != Some(*p) {
                        return Err(conflict(&format!(
                            "the node is at position {}, not {p}",
                            at.unwrap_or(0)
                        )));
                    }
                }
                tree.detach(id);
            }
            Change::Modify {
                path,
                attrs: list,
                result,
            } => {
                let id = tree.resolve(path, op)?;
                for c in list {
                    let agrees = match &c.op {
                        AttrOp::Set(v) => attr_in(result, &c.name) == Some(v.as_str()),
                        AttrOp::Unset => attr_in(result, &c.name).is_none(),
                    };
                    if !agrees {
                        return Err(conflict(&format!(
                            "change-list and change-result disagree on attribute {}",
                            c.name
                        )));
                    }
                }
                match &mut tree.slots[id].data {
                    Data::Element { attrs, .. } => *attrs = result.clone(),
                    _ => return Err(conflict("only an element has attributes")),
                }
            }
            Change::Create {
                path,
                position,
                node,
            } => {
                let parent = tree.resolve(path, op)?;
                if !matches!(
                    tree.slots[parent].data,
                    Data::Element { .. } | Data::Document
                ) {
                    return Err(conflict("only an element has children"));
                }
                held.push((*position, change, Held::Create { parent, node }));
            }
            Change::Move { path, position } => {
                let id = tree.resolve(path, op)?;
                if id == DOCUMENT {
                    return Err(conflict("the document itself cannot be moved"));
                }
                tree.move_to_end(id);
                held.push((*position, change, Held::Move { node: id }));
            }
        }
    }

    // Pass two. Placing in ascending position order fills each parent's
    // children front to back, so every position is final when used.
    held.sort_by_key(|(position, _, _)| *position);
    for (position, change, h) in held {
        let (parent, node) = match h {
            Held::Create { parent, node } => (parent, tree.add(node)),
            Held::Move { node } => {
                let parent = tree.slots[node].parent.ok_or_else(|| DiffError::Conflict {
                    operation: change.operation(),
                    path: change.path().to_string(),
                    reason: "the node was deleted after it was moved".to_string(),
                })?;
                tree.detach(node);
                (parent, node)
            }
        };
        let len = tree.slots[parent].children.len();
        if position > len {
            return Err(DiffError::BadPosition {
                operation: change.operation(),
                path: change.path().to_string(),
                position,
                len,
            });
        }
        tree.attach(parent, position, node);
    }

    let root = match tree.slots[DOCUMENT].children[..] {
        [r] if matches!(tree.slots[r].data, Data::Element { .. }) => r,
        _ => {
            return Err(DiffError::Conflict {
                operation: "apply",
                path: "/".to_string(),
                reason: "the result does not have exactly one root element".to_string(),
            })
        }
    };
    let mut out = tree.to_element(root);
    stamp_version(&mut out, patch.target);
    Ok(out)
}

// ---------------------------------------------------------------------------
// XML form

impl Patch {
    /// Whether the patch has no changes.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The patch as a Pacemaker v2 `<diff>` element (see the module docs).
    pub fn to_xml(&self) -> Element {
        let version = |name: &str, v: Version| {
            Element::new(name)
                .with_attr("admin_epoch", v.admin_epoch.to_string())
                .with_attr("epoch", v.epoch.to_string())
                .with_attr("num_updates", v.num_updates.to_string())
        };
        let mut out = Element::new("diff").with_attr("format", "2").with_child(
            Element::new("version")
                .with_child(version("source", self.source))
                .with_child(version("target", self.target)),
        );
        for c in &self.changes {
            let mut el = Element::new("change")
                .with_attr("operation", c.operation())
                .with_attr("path", c.path());
            match c {
                Change::Create { position, node, .. } => {
                    el.set_attr("position", position.to_string());
                    el.children.push(node.clone());
                }
                Change::Delete { position, .. } => {
                    if let Some(p) = position {
                        el.set_attr("position", p.to_string());
                    }
                }
                Change::Modify {
                    path,
                    attrs,
                    result,
                } => {
                    let mut list = Element::new("change-list");
                    for a in attrs {
                        let mut ca = Element::new("change-attr").with_attr("name", &*a.name);
                        match &a.op {
                            AttrOp::Set(v) => {
                                ca.set_attr("operation", "set");
                                ca.set_attr("value", v.as_str());
                            }
                            AttrOp::Unset => ca.set_attr("operation", "unset"),
                        }
                        list.push(ca);
                    }
                    // Pacemaker names the result after the element changed.
                    let name = match parse_path(path).ok().and_then(|s| s.last().cloned()) {
                        Some(Step::Element { name, .. }) => name,
                        _ => "element".to_string(),
                    };
                    let mut res = Element::new(name);
                    res.attrs = result.clone();
                    el.push(list);
                    el.push(Element::new("change-result").with_child(res));
                }
                Change::Move { position, .. } => {
                    el.set_attr("position", position.to_string());
                }
            }
            out.push(el);
        }
        out
    }

    /// Reads a v2 `<diff>` element, as written by [`Patch::to_xml`] or by
    /// Pacemaker. Errors name the position of the offending element.
    pub fn from_xml(xml: &Element) -> Result<Patch, DiffError> {
        let bad = |e: &Element, message: String| DiffError::Malformed {
            pos: e.pos,
            message,
        };
        if xml.name != "diff" {
            return Err(bad(xml, format!("expected <diff>, found <{}>", xml.name)));
        }
        match xml.attr("format") {
            Some("2") => {}
            Some(f) => {
                return Err(bad(
                    xml,
                    format!("format {f:?} is not supported (only format 2)"),
                ))
            }
            None => {
                return Err(bad(
                    xml,
                    "no format attribute (a v1 patchset?); only format 2 is supported".into(),
                ))
            }
        }
        let version_el = xml
            .child("version")
            .ok_or_else(|| bad(xml, "no <version> element".into()))?;
        let read_version = |name: &str| -> Result<Version, DiffError> {
            let e = version_el
                .child(name)
                .ok_or_else(|| bad(version_el, format!("no <{name}> in <version>")))?;
            let get = |attr: &str| match e.attr(attr) {
                None => Ok(0),
                Some(v) => v.trim().parse::<u64>().map_err(|_| {
                    bad(
                        e,
                        format!("<{name}> {attr}=\"{v}\" is not a version counter"),
                    )
                }),
            };
            Ok(Version::new(
                get("admin_epoch")?,
                get("epoch")?,
                get("num_updates")?,
            ))
        };
        let source = read_version("source")?;
        let target = read_version("target")?;

        let mut changes = Vec::new();
        for el in xml.elements() {
            match el.name.as_str() {
                "version" => continue,
                "change" => changes.push(read_change(el)?),
                other => return Err(bad(el, format!("unexpected <{other}> in <diff>"))),
            }
        }
        Ok(Patch {
            source,
            target,
            changes,
        })
    }
}

fn read_change(el: &Element) -> Result<Change, DiffError> {
    let path = el.attr("path").unwrap_or_default().to_string();
    let bad = |e: &Element, message: &str| DiffError::Malformed {
        pos: e.pos,
        message: format!("change at {path:?}: {message}"),
    };
    let op = el
        .attr("operation")
        .ok_or_else(|| bad(el, "no operation attribute"))?;
    if el.attr("path").is_none() {
        return Err(bad(el, "no path attribute"));
    }
    let position = || -> Result<Option<usize>, DiffError> {
        el.attr("position")
            .map(|p| {
                p.trim()
                    .parse::<usize>()
                    .map_err(|_| bad(el, &format!("position {p:?} is not a non-negative integer")))
            })
            .transpose()
    };
    let required = |p: Option<usize>| p.ok_or_else(|| bad(el, "no position attribute"));
    match op {
        "create" => {
            let position = required(position()?)?;
            let node = match &el.children[..] {
                [node] => node.clone(),
                [] => return Err(bad(el, "nothing to create")),
                _ => return Err(bad(el, "more than one node to create")),
            };
            Ok(Change::Create {
                path,
                position,
                node,
            })
        }
        "delete" => Ok(Change::Delete {
            position: position()?,
            path,
        }),
        "move" => Ok(Change::Move {
            position: required(position()?)?,
            path,
        }),
        "modify" => {
            let result = el
                .child("change-result")
                .ok_or_else(|| bad(el, "no <change-result>"))?;
            let mut result_els = result.elements();
            let (Some(r), None) = (result_els.next(), result_els.next()) else {
                return Err(bad(result, "<change-result> must hold exactly one element"));
            };
            let mut attrs = Vec::new();
            if let Some(list) = el.child("change-list") {
                for ca in list.elements() {
                    if ca.name != "change-attr" {
                        return Err(bad(
                            ca,
                            &format!("unexpected <{}> in <change-list>", ca.name),
                        ));
                    }
                    let name = ca
                        .attr("name")
                        .ok_or_else(|| bad(ca, "<change-attr> without a name"))?;
                    let op = match ca.attr("operation") {
                        Some("set") => AttrOp::Set(
                            ca.attr("value")
                                .ok_or_else(|| bad(ca, "a set <change-attr> without a value"))?
                                .to_string(),
                        ),
                        Some("unset") => AttrOp::Unset,
                        other => {
                            return Err(bad(
                                ca,
                                &format!("<change-attr> operation {other:?} is not set or unset"),
                            ))
                        }
                    };
                    attrs.push(AttrChange {
                        name: name.to_string(),
                        op,
                    });
                }
            }
            Ok(Change::Modify {
                path,
                attrs,
                result: r.attrs.clone(),
            })
        }
        other => Err(bad(el, &format!("unknown operation {other:?}"))),
    }
}

#[cfg(test)]
mod tests;

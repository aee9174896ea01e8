//! The typed model of a Pacemaker 2.1 CIB.
//!
//! Every element kind the scheduler, the shell and the daemon care about has
//! its own struct here: the root [`Cib`], the [`Configuration`] sections
//! (properties, nodes, [`Resource`]s, [`Constraint`]s, defaults, fencing
//! topology, tags, ACLs, alerts) and the [`Status`] section (node states,
//! transient attributes, the LRM history with every [`LrmRscOp`]).
//!
//! # How data enters and leaves
//!
//! [`Cib::from_element`] lowers nothing and loses nothing: it reads an
//! [`Element`] tree (from [`crate::xml::parse`]) into typed structs, and
//! [`Cib::to_element`] writes them back. Attribute values are kept as the
//! strings they were written as (Pacemaker accepts several spellings of one
//! score, boolean or interval, and users diff their CIBs), with typed
//! accessors in [`crate::values`] to read them. Attributes and elements this
//! model does not know are kept in `extra` fields and `Other` variants, and
//! child order is kept exactly, so `to_element(from_element(x))` equals `x`
//! under [`Element::canonical`].
//!
//! Each struct also remembers where it started in the source ([`Pos`]), so
//! validation ([`crate::validate`]) can point at the line and column.

use crate::version::Version;
use crate::xml::{write_element, Element, Node, Pos, XmlWrite};

/// Reads an element's attributes into typed fields, leaving the rest as extras.
struct Take {
    attrs: Vec<(String, String)>,
}

impl Take {
    fn new(attrs: Vec<(String, String)>) -> Self {
        Take { attrs }
    }

    fn get(&mut self, name: &str) -> Option<String> {
        let i = self.attrs.iter().position(|(k, _)| k == name)?;
        Some(self.attrs.remove(i).1)
    }

    fn rest(self) -> Vec<(String, String)> {
        self.attrs
    }
}

fn put(el: &mut Element, name: &str, value: &Option<String>) {
    if let Some(v) = value {
        el.attrs.push((name.to_string(), v.clone()));
    }
}

/// A child of a typed element that is read by element name.
pub trait XmlChild: Sized + XmlWrite {
    /// Reads one child element (unknown names become `Other`).
    fn from_child(el: Element) -> Self;
    /// Writes the child back.
    fn to_child(&self) -> Node;
    /// The element name of this child.
    fn child_tag(&self) -> &str;
    /// The child's `id` attribute, if any.
    fn child_id(&self) -> Option<&str>;
    /// Where the child started in the source.
    fn child_pos(&self) -> Pos;
    /// Appends the names of the elements in this subtree that the model
    /// keeps untyped (as `Other` or raw [`Element`]s).
    fn untyped(&self, out: &mut Vec<String>);
}

/// An element kept exactly as written: the catch-all for anything this model
/// does not type.
impl XmlChild for Element {
    fn from_child(el: Element) -> Self {
        el
    }
    fn to_child(&self) -> Node {
        Node::Element(self.clone())
    }
    fn untyped(&self, out: &mut Vec<String>) {
        out.push(self.name.clone());
    }
    fn child_tag(&self) -> &str {
        &self.name
    }
    fn child_id(&self) -> Option<&str> {
        self.attr("id")
    }
    fn child_pos(&self) -> Pos {
        self.pos
    }
}

/// Text and comment children, each with the number of element children that
/// precede it, so they are written back in their place.
pub type Loose = Vec<(usize, Node)>;

fn read_children<C: XmlChild>(nodes: Vec<Node>) -> (Vec<C>, Loose) {
    let mut typed = Vec::with_capacity(nodes.len());
    let mut loose = Vec::new();
    for n in nodes {
        match n {
            Node::Element(e) => typed.push(C::from_child(e)),
            other => loose.push((typed.len(), other)),
        }
    }
    (typed, loose)
}

/// The children in document order, loose nodes back in their places, for
/// writing.
fn ordered<'a, C: XmlChild>(children: &'a [C], loose: &'a Loose) -> Vec<&'a dyn XmlWrite> {
    let mut out: Vec<&dyn XmlWrite> = Vec::with_capacity(children.len() + loose.len());
    let mut pending = loose.iter().peekable();
    for (i, c) in children.iter().enumerate() {
        while let Some((_, n)) = pending.next_if(|(at, _)| *at <= i) {
            out.push(n);
        }
        out.push(c);
    }
    out.extend(pending.map(|(_, n)| n as &dyn XmlWrite));
    out
}

fn write_children<C: XmlChild>(children: &[C], loose: &Loose) -> Vec<Node> {
    let mut out = Vec::with_capacity(children.len() + loose.len());
    let mut pending = loose.iter().peekable();
    for (i, c) in children.iter().enumerate() {
        while let Some((_, n)) = pending.next_if(|(at, _)| *at <= i) {
            out.push(n.clone());
        }
        out.push(c.to_child());
    }
    out.extend(pending.map(|(_, n)| n.clone()));
    out
}

/// Declares a typed element: named string attributes, attributes kept as
/// extras, ordered typed children, text/comment nodes, and a source position.
macro_rules! element {
    (
        $(#[$m:meta])*
        $name:ident = $tag:literal, children: $child:ty,
        { $( $(#[$fm:meta])* $field:ident : $attr:literal ),* $(,)? }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// The element name as written (for a few kinds more than one
            /// name maps to this struct, e.g. `clone` and the legacy `master`).
            pub tag: String,
            $( $(#[$fm])* pub $field: Option<String>, )*
            /// Attributes this model does not know, kept as written.
            pub extra: Vec<(String, String)>,
            /// Child elements, in document order.
            pub children: Vec<$child>,
            /// Text and comment children with their places, kept so nothing
            /// is lost.
            pub loose: Loose,
            /// Where the element started in the source (0:0 if built in memory).
            pub pos: Pos,
        }

        impl XmlWrite for $name {
            fn write_xml(&self, out: &mut String, depth: usize) {
                let attrs = [$( ($attr, &self.$field), )*];
                write_element(
                    out,
                    depth,
                    &self.tag,
                    attrs
                        .into_iter()
                        .filter_map(|(k, v): (&str, &Option<String>)| v.as_deref().map(|v| (k, v)))
                        .chain(self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                    &ordered(&self.children, &self.loose),
                );
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    tag: $tag.to_string(),
                    $( $field: None, )*
                    extra: Vec::new(),
                    children: Vec::new(),
                    loose: Vec::new(),
                    pos: Pos::default(),
                }
            }
        }

        impl $name {
            /// The usual element name.
            pub const TAG: &'static str = $tag;

            /// Reads the element (its name is not checked).
            pub fn from_element(el: &Element) -> Self {
                Self::from_owned(el.clone())
            }

            /// Reads the element, taking its strings instead of copying
            /// them (what [`Cib::parse`] uses, so a large CIB is not held
            /// twice).
            pub fn from_owned(el: Element) -> Self {
                #[allow(unused_mut)]
                let mut t = Take::new(el.attrs);
                $( let $field = t.get($attr); )*
                let (children, loose) = read_children(el.children);
                $name {
                    tag: el.name,
                    $( $field, )*
                    extra: t.rest(),
                    children,
                    loose,
                    pos: el.pos,
                }
            }

            /// Writes the element back.
            pub fn to_element(&self) -> Element {
                let mut el = Element::new(self.tag.clone());
                el.pos = self.pos;
                $( put(&mut el, $attr, &self.$field); )*
                el.attrs.extend(self.extra.iter().cloned());
                el.children = write_children(&self.children, &self.loose);
                el
            }

            /// The names of the elements below this one that the model keeps
            /// untyped, depth first.
            pub fn untyped(&self) -> Vec<String> {
                let mut out = Vec::new();
                for c in &self.children {
                    c.untyped(&mut out);
                }
                out
            }

            /// Serialises the element as indented XML, directly from the
            /// model.
            pub fn to_xml(&self) -> String {
                let mut out = String::with_capacity(4096);
                self.write_xml(&mut out, 0);
                out
            }

            /// Looks up an attribute by its XML name, typed or extra.
            pub fn attr(&self, name: &str) -> Option<&str> {
                match name {
                    $( $attr => self.$field.as_deref(), )*
                    _ => self.extra.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()),
                }
            }
        }
    };
}

/// Declares an enum of the typed children an element can have, chosen by
/// element name, with `Other` for anything else.
macro_rules! children {
    (
        $(#[$m:meta])*
        $name:ident { $( $(#[$vm:meta])* $variant:ident($ty:ty) = [$($tag:literal),+] ),* $(,)? }
    ) => {
        $(#[$m])*
        // Variants hold their structs inline: boxing them would put a Box
        // pattern in every match over the model for a size saving that does
        // not matter at CIB scale.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vm])* $variant($ty), )*
            /// An element this model does not type, kept as written.
            Other(Element),
        }

        impl XmlWrite for $name {
            fn write_xml(&self, out: &mut String, depth: usize) {
                match self {
                    $( $name::$variant(x) => x.write_xml(out, depth), )*
                    $name::Other(e) => e.write_xml(out, depth),
                }
            }
        }

        impl XmlChild for $name {
            fn from_child(el: Element) -> Self {
                match el.name.as_str() {
                    $( $($tag)|+ => $name::$variant(<$ty>::from_owned(el)), )*
                    _ => $name::Other(el),
                }
            }
            fn to_child(&self) -> Node {
                match self {
                    $( $name::$variant(x) => Node::Element(x.to_element()), )*
                    $name::Other(e) => Node::Element(e.clone()),
                }
            }
            fn child_tag(&self) -> &str {
                match self {
                    $( $name::$variant(x) => &x.tag, )*
                    $name::Other(e) => &e.name,
                }
            }
            fn child_id(&self) -> Option<&str> {
                match self {
                    $( $name::$variant(x) => x.attr("id"), )*
                    $name::Other(e) => e.attr("id"),
                }
            }
            fn child_pos(&self) -> Pos {
                match self {
                    $( $name::$variant(x) => x.pos, )*
                    $name::Other(e) => e.pos,
                }
            }
            fn untyped(&self, out: &mut Vec<String>) {
                match self {
                    $( $name::$variant(x) => out.extend(x.untyped()), )*
                    $name::Other(e) => out.push(e.name.clone()),
                }
            }
        }
    };
}

// ---------------------------------------------------------------------------
// Name/value sets and rules

element! {
    /// `<nvpair id name value/>`, or a reference `<nvpair id-ref=.../>`.
    NvPair = "nvpair", children: Element, {
        /// Unique id.
        id: "id",
        /// Reference to another nvpair instead of a value.
        id_ref: "id-ref",
        /// Attribute name.
        name: "name",
        /// Attribute value (absent means "unset").
        value: "value",
    }
}

children! {
    /// What a name/value set holds.
    NvSetChild {
        /// A name/value pair.
        NvPair(NvPair) = ["nvpair"],
        /// A rule that decides whether the set applies.
        Rule(Rule) = ["rule"],
    }
}

element! {
    /// A name/value set: `instance_attributes`, `meta_attributes`,
    /// `utilization` or `cluster_property_set` (see `tag`).
    NvSet = "instance_attributes", children: NvSetChild, {
        /// Unique id.
        id: "id",
        /// Reference to a set defined elsewhere.
        id_ref: "id-ref",
        /// Precedence among several sets (higher first).
        score: "score",
    }
}

impl NvSet {
    /// The pairs of the set, in order.
    pub fn nvpairs(&self) -> impl Iterator<Item = &NvPair> {
        self.children.iter().filter_map(|c| match c {
            NvSetChild::NvPair(p) => Some(p),
            _ => None,
        })
    }

    /// The rules of the set.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.children.iter().filter_map(|c| match c {
            NvSetChild::Rule(r) => Some(r),
            _ => None,
        })
    }

    /// The value of the first pair called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.nvpairs()
            .find(|p| p.name.as_deref() == Some(name))
            .and_then(|p| p.value.as_deref())
    }

    /// A new empty set of kind `tag` with `id`.
    pub fn new(tag: &str, id: &str) -> Self {
        NvSet {
            tag: tag.to_string(),
            id: Some(id.to_string()),
            ..Default::default()
        }
    }
}

/// The names an [`NvSet`] may be written under.
pub const NVSET_TAGS: [&str; 4] = [
    "instance_attributes",
    "meta_attributes",
    "utilization",
    "cluster_property_set",
];

children! {
    /// What a rule holds.
    RuleChild {
        /// A node-attribute comparison.
        Expression(Expression) = ["expression"],
        /// A date comparison or date spec.
        DateExpression(DateExpression) = ["date_expression"],
        /// A nested rule.
        Rule(Rule) = ["rule"],
        /// Matches an operation name/interval (op_defaults).
        OpExpression(OpExpression) = ["op_expression"],
        /// Matches a resource agent (rsc_defaults).
        RscExpression(RscExpression) = ["rsc_expression"],
    }
}

element! {
    /// `<rule>`: expressions combined by `boolean-op`, giving a score.
    Rule = "rule", children: RuleChild, {
        /// Unique id.
        id: "id",
        /// Reference to a rule defined elsewhere.
        id_ref: "id-ref",
        /// Score given when the rule holds (location rules, set precedence).
        score: "score",
        /// Node attribute whose value is the score.
        score_attribute: "score-attribute",
        /// `and` (default) or `or`.
        boolean_op: "boolean-op",
        /// Role the rule applies to (location rules).
        role: "role",
    }
}

element! {
    /// `<expression attribute operation value type value-source/>`.
    Expression = "expression", children: Element, {
        /// Unique id.
        id: "id",
        /// Node attribute (or `#uname`, `#id`, `#kind`, ...).
        attribute: "attribute",
        /// lt, gt, lte, gte, eq, ne, defined, not_defined.
        operation: "operation",
        /// Value compared against.
        value: "value",
        /// string, integer, number, version.
        value_type: "type",
        /// literal, param or meta.
        value_source: "value-source",
    }
}

children! {
    /// What a date expression holds.
    DateChild {
        /// `date_spec` (cron-like fields) or `duration`.
        Spec(DateSpec) = ["date_spec", "duration"],
    }
}

element! {
    /// `<date_expression operation start end>` with an optional
    /// `date_spec` or `duration` child.
    DateExpression = "date_expression", children: DateChild, {
        /// Unique id.
        id: "id",
        /// in_range, date_spec, gt, lt.
        operation: "operation",
        /// ISO 8601 start.
        start: "start",
        /// ISO 8601 end.
        end: "end",
    }
}

element! {
    /// `<date_spec>` or `<duration>`: the fields are kept in `extra`
    /// (years, months, monthdays, hours, minutes, seconds, weekdays, ...),
    /// since any subset may appear.
    DateSpec = "date_spec", children: Element, {
        /// Unique id.
        id: "id",
    }
}

element! {
    /// `<op_expression name interval/>`.
    OpExpression = "op_expression", children: Element, {
        /// Unique id.
        id: "id",
        /// Operation name.
        name: "name",
        /// Operation interval.
        interval: "interval",
    }
}

element! {
    /// `<rsc_expression class provider type/>`.
    RscExpression = "rsc_expression", children: Element, {
        /// Unique id.
        id: "id",
        /// Agent class.
        class: "class",
        /// Agent provider.
        provider: "provider",
        /// Agent type.
        agent_type: "type",
    }
}

// ---------------------------------------------------------------------------
// Resources

children! {
    /// What an operation definition holds.
    OpChild {
        /// `instance_attributes` / `meta_attributes` of the operation.
        NvSet(NvSet) = ["instance_attributes", "meta_attributes"],
    }
}

element! {
    /// `<op name interval timeout .../>`.
    Op = "op", children: OpChild, {
        /// Unique id.
        id: "id",
        /// Action name: start, stop, monitor, promote, ...
        name: "name",
        /// Recurring interval (0 for one-shot actions).
        interval: "interval",
        /// Timeout.
        timeout: "timeout",
        /// Role a monitor applies to.
        role: "role",
        /// What to do when the action fails.
        on_fail: "on-fail",
        /// Delay before the first run.
        start_delay: "start-delay",
        /// Anchor for the interval.
        interval_origin: "interval-origin",
        /// false disables a recurring op.
        enabled: "enabled",
        /// Record the op as pending while it runs.
        record_pending: "record-pending",
        /// Free text.
        description: "description",
        /// Reference to an op defined elsewhere.
        id_ref: "id-ref",
    }
}

children! {
    /// What `<operations>` holds.
    OperationsChild {
        /// One operation.
        Op(Op) = ["op"],
    }
}

element! {
    /// `<operations>`: a resource's operation definitions.
    Operations = "operations", children: OperationsChild, {
        /// Unique id (optional).
        id: "id",
        /// Reference to another operations block.
        id_ref: "id-ref",
    }
}

impl Operations {
    /// The ops, in order.
    pub fn ops(&self) -> impl Iterator<Item = &Op> {
        self.children.iter().filter_map(|c| match c {
            OperationsChild::Op(o) => Some(o),
            _ => None,
        })
    }
}

children! {
    /// What a primitive (or template) holds.
    PrimitiveChild {
        /// instance_attributes (agent parameters), meta_attributes,
        /// utilization.
        NvSet(NvSet) = ["instance_attributes", "meta_attributes", "utilization"],
        /// Operation definitions.
        Operations(Operations) = ["operations"],
    }
}

element! {
    /// `<primitive class provider type>` or a `<template>` (see `tag`).
    Primitive = "primitive", children: PrimitiveChild, {
        /// Unique id.
        id: "id",
        /// ocf, lsb, heartbeat, stonith, service, systemd, ...
        class: "class",
        /// OCF provider (ocf class only).
        provider: "provider",
        /// Agent name.
        agent_type: "type",
        /// Template the primitive takes its definition from.
        template: "template",
        /// Free text.
        description: "description",
    }
}

/// Children shared by all resource kinds: finds sets by tag.
fn sets_of<'a, C, F>(children: &'a [C], tag: &'a str, f: F) -> impl Iterator<Item = &'a NvSet>
where
    F: Fn(&'a C) -> Option<&'a NvSet> + 'a,
{
    children.iter().filter_map(f).filter(move |s| s.tag == tag)
}

impl Primitive {
    /// Sets of kind `tag` (`instance_attributes`, `meta_attributes`,
    /// `utilization`), in order.
    pub fn sets<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a NvSet> {
        sets_of(&self.children, tag, |c| match c {
            PrimitiveChild::NvSet(s) => Some(s),
            _ => None,
        })
    }

    /// The operation definitions (all `<operations>` blocks), in order.
    pub fn ops(&self) -> impl Iterator<Item = &Op> {
        self.children
            .iter()
            .filter_map(|c| match c {
                PrimitiveChild::Operations(o) => Some(o),
                _ => None,
            })
            .flat_map(|o| o.ops())
    }

    /// The first value of meta attribute `name` (rules not evaluated).
    pub fn meta(&self, name: &str) -> Option<&str> {
        self.sets("meta_attributes").find_map(|s| s.get(name))
    }

    /// The first value of agent parameter `name` (rules not evaluated).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.sets("instance_attributes").find_map(|s| s.get(name))
    }

    /// `class:provider:type` as crm_mon prints it.
    pub fn agent(&self) -> String {
        let class = self.class.as_deref().unwrap_or("");
        let t = self.agent_type.as_deref().unwrap_or("");
        match &self.provider {
            Some(p) => format!("{class}:{p}:{t}"),
            None => format!("{class}:{t}"),
        }
    }
}

children! {
    /// What a group holds.
    GroupChild {
        /// A member (groups hold primitives only).
        Primitive(Primitive) = ["primitive"],
        /// The group's own sets.
        NvSet(NvSet) = ["instance_attributes", "meta_attributes", "utilization"],
    }
}

element! {
    /// `<group>`: primitives started in order and kept together.
    Group = "group", children: GroupChild, {
        /// Unique id.
        id: "id",
        /// Free text.
        description: "description",
    }
}

impl Group {
    /// The member primitives, in order.
    pub fn members(&self) -> impl Iterator<Item = &Primitive> {
        self.children.iter().filter_map(|c| match c {
            GroupChild::Primitive(p) => Some(p),
            _ => None,
        })
    }

    /// Sets of kind `tag`, in order.
    pub fn sets<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a NvSet> {
        sets_of(&self.children, tag, |c| match c {
            GroupChild::NvSet(s) => Some(s),
            _ => None,
        })
    }
}

children! {
    /// What a clone holds.
    CloneChild {
        /// The cloned primitive.
        Primitive(Primitive) = ["primitive"],
        /// The cloned group.
        Group(Group) = ["group"],
        /// The clone's own sets.
        NvSet(NvSet) = ["instance_attributes", "meta_attributes", "utilization"],
    }
}

element! {
    /// `<clone>`, or the legacy `<master>` (promotable clone; see `tag`).
    Clone = "clone", children: CloneChild, {
        /// Unique id.
        id: "id",
        /// Free text.
        description: "description",
    }
}

impl Clone {
    /// Sets of kind `tag`, in order.
    pub fn sets<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a NvSet> {
        sets_of(&self.children, tag, |c| match c {
            CloneChild::NvSet(s) => Some(s),
            _ => None,
        })
    }

    /// The first value of meta attribute `name` (rules not evaluated).
    pub fn meta(&self, name: &str) -> Option<&str> {
        self.sets("meta_attributes").find_map(|s| s.get(name))
    }

    /// Whether this is a promotable clone (`<master>` or `promotable=true`).
    pub fn is_promotable(&self) -> bool {
        self.tag == "master"
            || self
                .meta("promotable")
                .is_some_and(|v| crate::values::parse_bool(v) == Some(true))
    }
}

element! {
    /// A bundle's container runtime: `<docker>`, `<podman>` or `<rkt>`
    /// (see `tag`), with image, replicas, options, ...
    BundleRuntime = "docker", children: Element, {
        /// Container image.
        image: "image",
        /// Number of containers.
        replicas: "replicas",
        /// Containers per host.
        replicas_per_host: "replicas-per-host",
        /// Number of promoted instances.
        promoted_max: "promoted-max",
        /// Run command inside the container.
        run_command: "run-command",
        /// Runtime options.
        options: "options",
        /// Network mode.
        network: "network",
    }
}

element! {
    /// A bundle's `<port-mapping>` or `<storage-mapping>` (see `tag`);
    /// fields other than the id are kept in `extra`.
    Mapping = "port-mapping", children: Element, {
        /// Unique id.
        id: "id",
    }
}

children! {
    /// What `<network>` and `<storage>` hold.
    MappingChild {
        /// A port or storage mapping.
        Mapping(Mapping) = ["port-mapping", "storage-mapping"],
    }
}

element! {
    /// A bundle's `<network>` or `<storage>` (see `tag`): settings in
    /// `extra`, mappings as children.
    BundleSection = "network", children: MappingChild, {}
}

children! {
    /// What a bundle holds.
    BundleChild {
        /// The container runtime.
        Runtime(BundleRuntime) = ["docker", "podman", "rkt"],
        /// Network and storage settings.
        Section(BundleSection) = ["network", "storage"],
        /// The resource run inside each container.
        Primitive(Primitive) = ["primitive"],
        /// The bundle's own sets.
        NvSet(NvSet) = ["meta_attributes", "instance_attributes", "utilization"],
    }
}

element! {
    /// `<bundle>`: a resource run inside containers.
    Bundle = "bundle", children: BundleChild, {
        /// Unique id.
        id: "id",
        /// Free text.
        description: "description",
    }
}

children! {
    /// A top-level resource in `<resources>`.
    Resource {
        /// A single agent instance (or a template: see its `tag`).
        Primitive(Primitive) = ["primitive", "template"],
        /// A group.
        Group(Group) = ["group"],
        /// A clone or legacy master.
        Clone(Clone) = ["clone", "master"],
        /// A bundle.
        Bundle(Bundle) = ["bundle"],
    }
}

impl Resource {
    /// The resource's id.
    pub fn id(&self) -> Option<&str> {
        match self {
            Resource::Primitive(p) => p.id.as_deref(),
            Resource::Group(g) => g.id.as_deref(),
            Resource::Clone(c) => c.id.as_deref(),
            Resource::Bundle(b) => b.id.as_deref(),
            Resource::Other(e) => e.attr("id"),
        }
    }
}

// ---------------------------------------------------------------------------
// Constraints

element! {
    /// `<resource_ref id/>` inside a resource set.
    ResourceRef = "resource_ref", children: Element, {
        /// The referenced resource.
        id: "id",
    }
}

children! {
    /// What a resource set holds.
    ResourceSetChild {
        /// A member of the set.
        Ref(ResourceRef) = ["resource_ref"],
    }
}

element! {
    /// `<resource_set>` in a constraint.
    ResourceSet = "resource_set", children: ResourceSetChild, {
        /// Unique id.
        id: "id",
        /// Reference to a set defined elsewhere.
        id_ref: "id-ref",
        /// Members ordered/colocated among themselves (default true).
        sequential: "sequential",
        /// Whether all members are needed (ordering).
        require_all: "require-all",
        /// Role of the members.
        role: "role",
        /// Action of the members (ordering).
        action: "action",
        /// Score (colocation).
        score: "score",
        /// Order kind.
        kind: "kind",
        /// group/listed (deprecated).
        ordering: "ordering",
    }
}

impl ResourceSet {
    /// The member resource ids, in order.
    pub fn refs(&self) -> impl Iterator<Item = &ResourceRef> {
        self.children.iter().filter_map(|c| match c {
            ResourceSetChild::Ref(r) => Some(r),
            _ => None,
        })
    }
}

children! {
    /// What a constraint holds.
    ConstraintChild {
        /// A rule (location).
        Rule(Rule) = ["rule"],
        /// A resource set.
        Set(ResourceSet) = ["resource_set"],
    }
}

element! {
    /// `<rsc_location>`.
    Location = "rsc_location", children: ConstraintChild, {
        /// Unique id.
        id: "id",
        /// Constrained resource.
        rsc: "rsc",
        /// Regular expression over resource ids.
        rsc_pattern: "rsc-pattern",
        /// Node name.
        node: "node",
        /// Score.
        score: "score",
        /// Role the constraint applies to.
        role: "role",
        /// always, never, exclusive.
        resource_discovery: "resource-discovery",
    }
}

element! {
    /// `<rsc_colocation>`.
    Colocation = "rsc_colocation", children: ConstraintChild, {
        /// Unique id.
        id: "id",
        /// Dependent resource.
        rsc: "rsc",
        /// Primary resource.
        with_rsc: "with-rsc",
        /// Score.
        score: "score",
        /// Role of the dependent.
        rsc_role: "rsc-role",
        /// Role of the primary.
        with_rsc_role: "with-rsc-role",
        /// Node attribute to colocate on (default #uname).
        node_attribute: "node-attribute",
        /// Whether the dependent may move the primary.
        influence: "influence",
    }
}

element! {
    /// `<rsc_order>`.
    Order = "rsc_order", children: ConstraintChild, {
        /// Unique id.
        id: "id",
        /// First resource.
        first: "first",
        /// Then resource.
        then: "then",
        /// Action of `first` (default start).
        first_action: "first-action",
        /// Action of `then` (default: first-action).
        then_action: "then-action",
        /// Mandatory, Optional, Serialize.
        kind: "kind",
        /// Deprecated score form of kind.
        score: "score",
        /// Also order the reverse actions (default true).
        symmetrical: "symmetrical",
        /// For clones: whether every instance of first is needed.
        require_all: "require-all",
    }
}

element! {
    /// `<rsc_ticket>`.
    Ticket = "rsc_ticket", children: ConstraintChild, {
        /// Unique id.
        id: "id",
        /// Ticket name.
        ticket: "ticket",
        /// Dependent resource.
        rsc: "rsc",
        /// Role of the dependent.
        rsc_role: "rsc-role",
        /// stop, demote, fence, freeze.
        loss_policy: "loss-policy",
    }
}

children! {
    /// A constraint in `<constraints>`.
    Constraint {
        /// Location.
        Location(Location) = ["rsc_location"],
        /// Colocation.
        Colocation(Colocation) = ["rsc_colocation"],
        /// Ordering.
        Order(Order) = ["rsc_order"],
        /// Ticket dependency.
        Ticket(Ticket) = ["rsc_ticket"],
    }
}

impl Constraint {
    /// The constraint's id.
    pub fn id(&self) -> Option<&str> {
        match self {
            Constraint::Location(c) => c.id.as_deref(),
            Constraint::Colocation(c) => c.id.as_deref(),
            Constraint::Order(c) => c.id.as_deref(),
            Constraint::Ticket(c) => c.id.as_deref(),
            Constraint::Other(e) => e.attr("id"),
        }
    }

    /// Rules and sets of the constraint.
    pub fn parts(&self) -> &[ConstraintChild] {
        match self {
            Constraint::Location(c) => &c.children,
            Constraint::Colocation(c) => &c.children,
            Constraint::Order(c) => &c.children,
            Constraint::Ticket(c) => &c.children,
            Constraint::Other(_) => &[],
        }
    }
}

// ---------------------------------------------------------------------------
// Other configuration sections

children! {
    /// What `<node>` holds.
    NodeChild {
        /// Node attributes and utilization.
        NvSet(NvSet) = ["instance_attributes", "utilization"],
    }
}

element! {
    /// `<node id uname type>` in `<nodes>`.
    NodeDef = "node", children: NodeChild, {
        /// Node id (cluster layer id).
        id: "id",
        /// Node name.
        uname: "uname",
        /// member, remote, ping.
        node_type: "type",
        /// Free text.
        description: "description",
        /// Score for every resource (deprecated).
        score: "score",
    }
}

impl NodeDef {
    /// Sets of kind `tag`, in order.
    pub fn sets<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a NvSet> {
        sets_of(&self.children, tag, |c| match c {
            NodeChild::NvSet(s) => Some(s),
            _ => None,
        })
    }
}

children! {
    /// What `<fencing-topology>` holds.
    FencingChild {
        /// One level.
        Level(FencingLevel) = ["fencing-level"],
    }
}

element! {
    /// `<fencing-level>`.
    FencingLevel = "fencing-level", children: Element, {
        /// Unique id.
        id: "id",
        /// Node name.
        target: "target",
        /// Regular expression over node names.
        target_pattern: "target-pattern",
        /// Node attribute name.
        target_attribute: "target-attribute",
        /// Node attribute value.
        target_value: "target-value",
        /// Level number (1..9).
        index: "index",
        /// Comma-separated fencing device ids.
        devices: "devices",
    }
}

element! {
    /// `<obj_ref id/>` in a tag.
    ObjRef = "obj_ref", children: Element, {
        /// Tagged object.
        id: "id",
    }
}

children! {
    /// What `<tag>` holds.
    TagChild {
        /// A tagged object.
        Ref(ObjRef) = ["obj_ref"],
    }
}

element! {
    /// `<tag id>`: a name for a list of objects.
    Tag = "tag", children: TagChild, {
        /// Unique id (the tag's name).
        id: "id",
    }
}

children! {
    /// What `<alert>` and `<recipient>` hold.
    AlertChild {
        /// Instance and meta attributes.
        NvSet(NvSet) = ["instance_attributes", "meta_attributes"],
        /// A recipient.
        Recipient(Alert) = ["recipient"],
    }
}

element! {
    /// `<alert id path>` (or a `<recipient id value>`; see `tag`).
    Alert = "alert", children: AlertChild, {
        /// Unique id.
        id: "id",
        /// Alert agent path.
        path: "path",
        /// Recipient value.
        value: "value",
        /// Free text.
        description: "description",
    }
}

children! {
    /// Children of the defaults sections and `<crm_config>`.
    SetsChild {
        /// A set.
        NvSet(NvSet) = ["meta_attributes", "instance_attributes", "cluster_property_set"],
    }
}

element! {
    /// `<crm_config>`, `<rsc_defaults>` or `<op_defaults>` (see `tag`).
    SetsSection = "crm_config", children: SetsChild, {}
}

impl SetsSection {
    /// The sets in order.
    pub fn sets(&self) -> impl Iterator<Item = &NvSet> {
        self.children.iter().filter_map(|c| match c {
            SetsChild::NvSet(s) => Some(s),
            _ => None,
        })
    }
}

children! {
    /// Children of `<nodes>`.
    NodesChild {
        /// A node.
        Node(NodeDef) = ["node"],
    }
}

element! {
    /// `<nodes>`.
    Nodes = "nodes", children: NodesChild, {}
}

element! {
    /// `<resources>`.
    Resources = "resources", children: Resource, {}
}

element! {
    /// `<constraints>`.
    Constraints = "constraints", children: Constraint, {}
}

element! {
    /// `<fencing-topology>`.
    FencingTopology = "fencing-topology", children: FencingChild, {}
}

children! {
    /// Children of `<tags>`.
    TagsChild {
        /// A tag.
        Tag(Tag) = ["tag"],
    }
}

element! {
    /// `<tags>`.
    Tags = "tags", children: TagsChild, {}
}

children! {
    /// Children of `<alerts>`.
    AlertsChild {
        /// An alert.
        Alert(Alert) = ["alert"],
    }
}

element! {
    /// `<alerts>`.
    Alerts = "alerts", children: AlertsChild, {}
}

element! {
    /// An ACL element: `<acls>`, `<acl_target>`, `<acl_group>`,
    /// `<acl_role>`, `<role>` (reference) or `<acl_permission>` (see `tag`).
    Acl = "acls", children: AclChild, {
        /// Unique id.
        id: "id",
        /// read, write, deny (permissions).
        kind: "kind",
        /// XPath the permission covers.
        xpath: "xpath",
        /// Element name the permission covers.
        reference: "reference",
        /// Attribute the permission covers.
        attribute: "attribute",
        /// Free text.
        description: "description",
    }
}

children! {
    /// Children of ACL elements.
    AclChild {
        /// A nested ACL element.
        Acl(Acl) = ["acl_target", "acl_group", "acl_role", "acl_permission", "role", "acl_user"],
    }
}

children! {
    /// A section of `<configuration>`.
    ConfigSection {
        /// `<crm_config>`, `<rsc_defaults>`, `<op_defaults>`.
        Sets(SetsSection) = ["crm_config", "rsc_defaults", "op_defaults"],
        /// `<nodes>`.
        Nodes(Nodes) = ["nodes"],
        /// `<resources>`.
        Resources(Resources) = ["resources"],
        /// `<constraints>`.
        Constraints(Constraints) = ["constraints"],
        /// `<fencing-topology>`.
        FencingTopology(FencingTopology) = ["fencing-topology"],
        /// `<tags>`.
        Tags(Tags) = ["tags"],
        /// `<acls>`.
        Acls(Acl) = ["acls"],
        /// `<alerts>`.
        Alerts(Alerts) = ["alerts"],
    }
}

element! {
    /// `<configuration>`: sections in document order.
    Configuration = "configuration", children: ConfigSection, {}
}

impl Configuration {
    fn sets_section(&self, tag: &str) -> Option<&SetsSection> {
        self.children.iter().find_map(|c| match c {
            ConfigSection::Sets(s) if s.tag == tag => Some(s),
            _ => None,
        })
    }

    /// `<crm_config>` property sets.
    pub fn crm_config(&self) -> Option<&SetsSection> {
        self.sets_section("crm_config")
    }

    /// `<rsc_defaults>`.
    pub fn rsc_defaults(&self) -> Option<&SetsSection> {
        self.sets_section("rsc_defaults")
    }

    /// `<op_defaults>`.
    pub fn op_defaults(&self) -> Option<&SetsSection> {
        self.sets_section("op_defaults")
    }

    /// The configured nodes, in order.
    pub fn nodes(&self) -> impl Iterator<Item = &NodeDef> {
        self.children
            .iter()
            .filter_map(|c| match c {
                ConfigSection::Nodes(n) => Some(n),
                _ => None,
            })
            .flat_map(|n| {
                n.children.iter().filter_map(|c| match c {
                    NodesChild::Node(n) => Some(n),
                    _ => None,
                })
            })
    }

    /// The top-level resources, in order.
    pub fn resources(&self) -> &[Resource] {
        self.children
            .iter()
            .find_map(|c| match c {
                ConfigSection::Resources(r) => Some(r.children.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// The top-level resources, mutable (creates `<resources>` if missing).
    pub fn resources_mut(&mut self) -> &mut Vec<Resource> {
        let i = match self
            .children
            .iter()
            .position(|c| matches!(c, ConfigSection::Resources(_)))
        {
            Some(i) => i,
            None => {
                self.children
                    .push(ConfigSection::Resources(Resources::default()));
                self.children.len() - 1
            }
        };
        match &mut self.children[i] {
            ConfigSection::Resources(r) => &mut r.children,
            _ => unreachable!("position found a Resources section"),
        }
    }

    /// The constraints, in order.
    pub fn constraints(&self) -> &[Constraint] {
        self.children
            .iter()
            .find_map(|c| match c {
                ConfigSection::Constraints(r) => Some(r.children.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// The value of cluster property `name` from the first set that has it
    /// (rules not evaluated).
    pub fn property(&self, name: &str) -> Option<&str> {
        self.crm_config()?.sets().find_map(|s| s.get(name))
    }
}

// ---------------------------------------------------------------------------
// Status

element! {
    /// `<lrm_rsc_op>`: one recorded operation result.
    LrmRscOp = "lrm_rsc_op", children: Element, {
        /// Unique id (`RSC_ACTION_INTERVAL`, or `RSC_last_0` etc.).
        id: "id",
        /// Operation key.
        operation_key: "operation_key",
        /// Action name.
        operation: "operation",
        /// Which daemon code path wrote the entry.
        crm_debug_origin: "crm-debug-origin",
        /// Feature set of the writer.
        crm_feature_set: "crm_feature_set",
        /// action:transition:target-rc:uuid.
        transition_key: "transition-key",
        /// op-status:rc;transition-key.
        transition_magic: "transition-magic",
        /// Executor call id.
        call_id: "call-id",
        /// OCF return code.
        rc_code: "rc-code",
        /// Execution status.
        op_status: "op-status",
        /// Interval in milliseconds.
        interval: "interval",
        /// Digest of the parameters.
        op_digest: "op-digest",
        /// When the op last ran (epoch seconds).
        last_run: "last-run",
        /// When the rc last changed (epoch seconds).
        last_rc_change: "last-rc-change",
        /// Execution time in ms.
        exec_time: "exec-time",
        /// Queue time in ms.
        queue_time: "queue-time",
        /// Parameters whose change forces a restart.
        op_force_restart: "op-force-restart",
        /// Digest of those parameters.
        op_restart_digest: "op-restart-digest",
        /// Node the op ran on.
        on_node: "on_node",
        /// Migration source node.
        migrate_source: "migrate_source",
        /// Migration target node.
        migrate_target: "migrate_target",
        /// Agent's exit reason.
        exit_reason: "exit-reason",
        /// Secure parameter names.
        op_secure_params: "op-secure-params",
        /// Digest without secure parameters.
        op_secure_digest: "op-secure-digest",
    }
}

children! {
    /// Children of `<lrm_resource>`.
    LrmResourceChild {
        /// A recorded operation.
        Op(LrmRscOp) = ["lrm_rsc_op"],
    }
}

element! {
    /// `<lrm_resource id class provider type>`: a resource's history on a node.
    LrmResource = "lrm_resource", children: LrmResourceChild, {
        /// Resource (instance) id.
        id: "id",
        /// Agent class.
        class: "class",
        /// Agent provider.
        provider: "provider",
        /// Agent type.
        agent_type: "type",
        /// Container resource (bundles, guest nodes).
        container: "container",
    }
}

impl LrmResource {
    /// The recorded operations, in order.
    pub fn ops(&self) -> impl Iterator<Item = &LrmRscOp> {
        self.children.iter().filter_map(|c| match c {
            LrmResourceChild::Op(o) => Some(o),
            _ => None,
        })
    }
}

children! {
    /// Children of `<lrm_resources>`.
    LrmResourcesChild {
        /// One resource's history.
        Resource(LrmResource) = ["lrm_resource"],
    }
}

element! {
    /// `<lrm_resources>`.
    LrmResources = "lrm_resources", children: LrmResourcesChild, {
        /// Optional id.
        id: "id",
    }
}

children! {
    /// Children of `<lrm>`.
    LrmChild {
        /// The resource histories.
        Resources(LrmResources) = ["lrm_resources"],
    }
}

element! {
    /// `<lrm id>`: a node's executor history.
    Lrm = "lrm", children: LrmChild, {
        /// Node id.
        id: "id",
    }
}

impl Lrm {
    /// Every resource history on the node, in order.
    pub fn resources(&self) -> impl Iterator<Item = &LrmResource> {
        self.children
            .iter()
            .filter_map(|c| match c {
                LrmChild::Resources(r) => Some(r),
                _ => None,
            })
            .flat_map(|r| {
                r.children.iter().filter_map(|c| match c {
                    LrmResourcesChild::Resource(x) => Some(x),
                    _ => None,
                })
            })
    }
}

children! {
    /// Children of `<transient_attributes>`.
    TransientChild {
        /// Attribute sets.
        NvSet(NvSet) = ["instance_attributes", "utilization"],
    }
}

element! {
    /// `<transient_attributes>`: node attributes that vanish on restart.
    TransientAttributes = "transient_attributes", children: TransientChild, {
        /// Node id.
        id: "id",
    }
}

children! {
    /// Children of `<node_state>`.
    NodeStateChild {
        /// Transient node attributes.
        Transient(TransientAttributes) = ["transient_attributes"],
        /// Executor history.
        Lrm(Lrm) = ["lrm"],
    }
}

element! {
    /// `<node_state>`: a node's membership and history.
    NodeState = "node_state", children: NodeStateChild, {
        /// Node id.
        id: "id",
        /// Node name.
        uname: "uname",
        /// Cluster-layer membership (true/false or a timestamp).
        in_ccm: "in_ccm",
        /// Controller state (online/offline or a timestamp).
        crmd: "crmd",
        /// Join state: down, pending, member, banned.
        join: "join",
        /// Expected join state.
        expected: "expected",
        /// Shutdown request time (0 = none).
        shutdown: "shutdown",
        /// Legacy heartbeat state.
        ha: "ha",
        /// Set on remote nodes.
        remote_node: "remote_node",
        /// Set when the node was fenced.
        node_fenced: "node_fenced",
        /// Which code path wrote it.
        crm_debug_origin: "crm-debug-origin",
        /// Whether the node is in maintenance (remote nodes).
        node_in_maintenance: "node_in_maintenance",
    }
}

impl NodeState {
    /// The executor history (first `<lrm>`).
    pub fn lrm(&self) -> Option<&Lrm> {
        self.children.iter().find_map(|c| match c {
            NodeStateChild::Lrm(l) => Some(l),
            _ => None,
        })
    }

    /// Transient attribute value `name` from the first set that has it.
    pub fn transient(&self, name: &str) -> Option<&str> {
        self.children
            .iter()
            .filter_map(|c| match c {
                NodeStateChild::Transient(t) => Some(t),
                _ => None,
            })
            .flat_map(|t| t.children.iter())
            .find_map(|c| match c {
                TransientChild::NvSet(s) => s.get(name),
                _ => None,
            })
    }
}

element! {
    /// `<ticket_state id granted standby last-granted>`.
    TicketState = "ticket_state", children: Element, {
        /// Ticket name.
        id: "id",
        /// Whether the ticket is granted.
        granted: "granted",
        /// Whether the ticket is in standby.
        standby: "standby",
        /// When it was last granted.
        last_granted: "last-granted",
    }
}

children! {
    /// Children of `<tickets>`.
    TicketsChild {
        /// A ticket's state.
        Ticket(TicketState) = ["ticket_state"],
    }
}

element! {
    /// `<tickets>`.
    Tickets = "tickets", children: TicketsChild, {}
}

children! {
    /// Children of `<status>`.
    StatusChild {
        /// A node's state.
        NodeState(NodeState) = ["node_state"],
        /// Ticket states.
        Tickets(Tickets) = ["tickets"],
    }
}

element! {
    /// `<status>`: what the cluster has observed.
    Status = "status", children: StatusChild, {}
}

impl Status {
    /// The node states, in order.
    pub fn node_states(&self) -> impl Iterator<Item = &NodeState> {
        self.children.iter().filter_map(|c| match c {
            StatusChild::NodeState(n) => Some(n),
            _ => None,
        })
    }

    /// The ticket states, in order.
    pub fn tickets(&self) -> impl Iterator<Item = &TicketState> {
        self.children
            .iter()
            .filter_map(|c| match c {
                StatusChild::Tickets(t) => Some(t),
                _ => None,
            })
            .flat_map(|t| {
                t.children.iter().filter_map(|c| match c {
                    TicketsChild::Ticket(x) => Some(x),
                    _ => None,
                })
            })
    }
}

// ---------------------------------------------------------------------------
// The root

children! {
    /// Children of `<cib>`.
    CibChild {
        /// The configuration section.
        Configuration(Configuration) = ["configuration"],
        /// The status section.
        Status(Status) = ["status"],
    }
}

element! {
    /// The `<cib>` root element.
    CibRoot = "cib", children: CibChild, {
        /// Administrative epoch.
        admin_epoch: "admin_epoch",
        /// Configuration epoch.
        epoch: "epoch",
        /// Status update counter.
        num_updates: "num_updates",
        /// Schema name (e.g. pacemaker-3.9).
        validate_with: "validate-with",
        /// Feature set of the last writer.
        crm_feature_set: "crm_feature_set",
        /// Whether the partition that wrote this had quorum.
        have_quorum: "have-quorum",
        /// Node id of the DC.
        dc_uuid: "dc-uuid",
        /// Time the scheduler should use (epoch seconds), for saved inputs.
        execution_date: "execution-date",
        /// Human-readable last-write time.
        cib_last_written: "cib-last-written",
        /// Node that made the last update.
        update_origin: "update-origin",
        /// Client that made the last update.
        update_client: "update-client",
        /// User that made the last update.
        update_user: "update-user",
    }
}

/// A whole CIB document: the typed root plus convenience access.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cib {
    /// The root element with all its sections.
    pub root: CibRoot,
}

impl Cib {
    /// Reads a CIB from its root element. Never fails: anything unexpected
    /// is kept as an `Other` element and reported by validation instead.
    pub fn from_element(el: &Element) -> Self {
        Cib {
            root: CibRoot::from_element(el),
        }
    }

    /// Writes the CIB back to an element tree.
    pub fn to_element(&self) -> Element {
        self.root.to_element()
    }

    /// Parses CIB XML text. Only malformed XML is an error here.
    pub fn parse(xml: &str) -> Result<Self, crate::xml::XmlError> {
        Ok(Cib {
            root: CibRoot::from_owned(crate::xml::parse(xml)?),
        })
    }

    /// Serialises to indented XML (written straight from the model, the
    /// same text `to_element().to_xml()` gives).
    pub fn to_xml(&self) -> String {
        self.root.to_xml()
    }

    /// The version counters (missing or unreadable counters count as 0;
    /// validation reports them).
    pub fn version(&self) -> Version {
        let n = |v: &Option<String>| v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
        Version::new(
            n(&self.root.admin_epoch),
            n(&self.root.epoch),
            n(&self.root.num_updates),
        )
    }

    /// Sets the version counters.
    pub fn set_version(&mut self, v: Version) {
        self.root.admin_epoch = Some(v.admin_epoch.to_string());
        self.root.epoch = Some(v.epoch.to_string());
        self.root.num_updates = Some(v.num_updates.to_string());
    }

    /// The configuration section, if present.
    pub fn configuration(&self) -> Option<&Configuration> {
        self.root.children.iter().find_map(|c| match c {
            CibChild::Configuration(x) => Some(x),
            _ => None,
        })
    }

    /// The configuration section, mutable.
    pub fn configuration_mut(&mut self) -> Option<&mut Configuration> {
        self.root.children.iter_mut().find_map(|c| match c {
            CibChild::Configuration(x) => Some(x),
            _ => None,
        })
    }

    /// The status section, if present.
    pub fn status(&self) -> Option<&Status> {
        self.root.children.iter().find_map(|c| match c {
            CibChild::Status(x) => Some(x),
            _ => None,
        })
    }

    /// Whether the writer had quorum (`have-quorum`; absent means false).
    pub fn have_quorum(&self) -> bool {
        self.root
            .have_quorum
            .as_deref()
            .and_then(crate::values::parse_bool)
            .unwrap_or(false)
    }
}

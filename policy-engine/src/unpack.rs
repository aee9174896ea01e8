//! Stage 1, unpack: CIB XML → [`Unpacked`]: cluster options, nodes and their
//! states, the resource tree (clone instances expanded), constraints, and what
//! the status section says about each resource on each node.

use std::collections::{BTreeMap, BTreeSet};

use cib::xml::Element;

pub use crate::history::HistOp;
use crate::history::{History, LrmResource};
use crate::model::*;
use crate::rules::{eval_rule, RuleContext};
use crate::score::{Score, INFINITY};

/// Cluster-wide options from `crm_config`.
#[derive(Debug, Clone)]
pub struct Options {
    pub stonith_enabled: bool,
    pub symmetric: bool,
    pub no_quorum_policy: NoQuorumPolicy,
    pub have_quorum: bool,
    pub maintenance_mode: bool,
    pub stop_all: bool,
    pub stonith_action: String,
    pub placement_strategy: String,
    pub start_failure_is_fatal: bool,
    pub startup_fencing: bool,
    pub stop_orphan_resources: bool,
    pub legacy_failcount: bool,
    pub have_stonith_resource: bool,
    pub validate_none: bool,
    pub execution_date: Option<i64>,
    /// node-health-strategy and the red/yellow/green scores it implies.
    pub health_strategy: String,
    pub health_scores: (i64, i64, i64),
    /// `concurrent-fencing`: when false, fencing ops run one after another.
    pub concurrent_fencing: bool,
    /// `stop-orphan-actions`: cancel recurring ops no longer configured.
    pub stop_orphan_actions: bool,
    /// The CIB's `dc-uuid` (the DC is fenced or shut down last).
    pub dc_uuid: Option<String>,
    /// `shutdown-lock`: resources of a cleanly shut down node stay locked
    /// to it.
    pub shutdown_lock: bool,
    /// `shutdown-lock-limit` in seconds (0: no limit).
    pub shutdown_lock_limit_s: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Member,
    Remote,
    Guest,
}

/// A cluster node and its state as unpacked from the status section.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub id: String,
    pub uname: String,
    pub kind: NodeKind,
    pub online: bool,
    pub standby: bool,
    pub maintenance: bool,
    pub shutdown: bool,
    pub unclean: bool,
    pub pending: bool,
    /// First recorded reason to fence this node.
    pub fence_reason: Option<String>,
    pub attrs: BTreeMap<String, String>,
    pub utilization: BTreeMap<String, i64>,
    pub base_score: Score,
    /// For remote/guest nodes: the connection or container resource.
    pub remote_rsc: Option<String>,
    pub has_state: bool,
    /// The controller (`crmd`) reported online in the node state.
    pub crmd_online: bool,
    /// Remote nodes: not seen yet, so an unclean state is revoked if the
    /// connection is assigned somewhere (Pacemaker's `unseen`).
    pub unseen: bool,
    /// Remote/guest nodes: must be fenced (or the guest's container
    /// recovered) before they can be used again.
    pub remote_requires_reset: bool,
    /// Remote nodes: the node state says it was fenced (`node_fenced`).
    pub remote_was_fenced: bool,
    /// The node's resource history has been unpacked.
    pub unpacked: bool,
}

impl NodeInfo {
    /// `pcmk__node_available`, without the weight check.
    pub fn available(&self) -> bool {
        self.online && !self.shutdown && !self.unclean && !self.standby && !self.maintenance
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RscKind {
    Primitive,
    Group,
    Clone,
}

/// A configured operation.
#[derive(Debug, Clone)]
pub struct OpDef {
    pub name: String,
    pub interval_ms: u64,
    pub role: Option<Role>,
    pub on_fail: Option<OnFail>,
    pub enabled: bool,
    pub timeout_ms: Option<u64>,
    /// The op's own `instance_attributes` (part of its digest).
    pub params: BTreeMap<String, String>,
}

/// What the history of one resource on one node amounts to.
#[derive(Debug, Clone, Default)]
pub struct NodeHistory {
    pub ops: Vec<HistOp>,
    pub role: Role,
    pub failed: bool,
    pub on_fail: OnFail,
    /// Set when the last failure was a stop failure.
    pub stop_failed: bool,
    pub pending_task: Option<String>,
    /// Recurring ops known to be active (key `task_interval`).
    pub active_recurring: BTreeSet<(String, u64)>,
    pub hard_ban: bool,
    pub fatal: bool,
    /// A failure here restarts the resource's container (and was otherwise
    /// treated as done).
    pub restart_container: bool,
    /// The history was recorded for another agent (class/provider/type): its
    /// failures no longer count.
    pub agent_changed: bool,
    pub last_start_call: i64,
    /// Some failure here had on-fail=ignore / was counted normally.
    pub ignored_failure: bool,
    pub counted_failure: bool,
    /// The `lrm_resource` id the history was recorded under.
    pub history_name: String,
    /// A remote connection failed with the default on-fail (`reset_remote`):
    /// the remote node is fenced and the connection recovered.
    pub reset_remote: bool,
    /// `shutdown-lock` recorded on the history entry (epoch seconds): the
    /// resource stays locked to this node while it is down.
    pub shutdown_lock: Option<i64>,
}

impl NodeHistory {
    /// A failed stop that counts as done (ignored, or its container will
    /// be restarted): stopped here, nothing recurring left.
    fn stop_done(&mut self) {
        self.role = Role::Stopped;
        self.stop_failed = false;
        self.active_recurring.clear();
    }
}

/// A resource: primitive, group or clone (clone instances are expanded).
#[derive(Debug, Clone)]
pub struct Rsc {
    /// Instance id (`rsc`, `rsc:0`).
    pub id: String,
    /// Configured id (without the instance suffix).
    pub xml_id: String,
    pub kind: RscKind,
    pub class: String,
    pub provider: Option<String>,
    pub agent: String,
    pub parent: Option<RscId>,
    pub children: Vec<RscId>,
    pub meta: BTreeMap<String, String>,
    pub params: BTreeMap<String, String>,
    pub utilization: BTreeMap<String, i64>,
    pub ops: Vec<OpDef>,
    pub orphan: bool,
    /// Resource template this primitive was built from.
    pub template: Option<String>,
    pub managed: bool,
    pub blocked: bool,
    pub priority: i64,
    pub stickiness: i64,
    pub migration_threshold: i64,
    pub failure_timeout: i64,
    pub target_role: Option<Role>,
    // clone settings
    pub promotable: bool,
    pub unique: bool,
    pub clone_max: usize,
    pub clone_node_max: usize,
    pub promoted_max: usize,
    pub promoted_node_max: usize,
    pub interleave: bool,
    pub notify: bool,
    pub instance: Option<usize>,
    // status (leaves)
    pub history: BTreeMap<NodeId, NodeHistory>,
    pub running_on: Vec<NodeId>,
    pub role: Role,
    pub failed: bool,
    pub failed_nodes: BTreeSet<NodeId>,
    /// −INF bans derived from history (stop failures, hard errors, thresholds).
    pub status_bans: BTreeMap<NodeId, String>,
    pub ban_everywhere: bool,
    pub forced_stop: bool,
    pub pending_start: bool,
    pub partial_migration: Option<(NodeId, NodeId)>,
    /// A failed migration forbids migrating again (recovery is stop + start).
    pub no_migrate: bool,
    /// Locked to this node by a shutdown lock.
    pub lock_node: Option<NodeId>,
    /// Sources of completed migrations (migrate_to and migrate_from both
    /// succeeded) that were never stopped: the resource is no longer active
    /// there, but a stop is still due.
    pub dangling_migrations: BTreeSet<NodeId>,
    /// Parameters changed since the last start (node): restart.
    pub definition_changed: BTreeSet<NodeId>,
    /// Nodes where a mandatory stop forces a restart without a reason: the
    /// history records another class/provider/type, or a contained resource
    /// failed there (on-fail=restart-container).
    pub restart_on: BTreeSet<NodeId>,
    /// Reloadable parameters changed (node): reload.
    pub reload_on: BTreeSet<NodeId>,
    /// A failure with on-fail=demote: demote instead of recovering.
    pub force_demote: bool,
    pub xml_index: usize,
}

impl Rsc {
    /// A resource with every derived field at its default, before its
    /// definition, history and constraints are read into it.
    fn new(
        id: String,
        xml_id: String,
        kind: RscKind,
        parent: Option<RscId>,
        xml_index: usize,
    ) -> Rsc {
        Rsc {
            id,
            xml_id,
            kind,
            class: String::new(),
            provider: None,
            agent: String::new(),
            parent,
            children: Vec::new(),
            meta: BTreeMap::new(),
            params: BTreeMap::new(),
            utilization: BTreeMap::new(),
            ops: Vec::new(),
            orphan: false,
            template: None,
            managed: true,
            blocked: false,
            priority: 0,
            stickiness: 0,
            migration_threshold: INFINITY,
            failure_timeout: 0,
            target_role: None,
            promotable: false,
            unique: false,
            clone_max: 0,
            clone_node_max: 1,
            promoted_max: 1,
            promoted_node_max: 1,
            interleave: false,
            notify: false,
            instance: None,
            history: BTreeMap::new(),
            running_on: Vec::new(),
            role: Role::Stopped,
            failed: false,
            failed_nodes: BTreeSet::new(),
            status_bans: BTreeMap::new(),
            ban_everywhere: false,
            forced_stop: false,
            pending_start: false,
            partial_migration: None,
            no_migrate: false,
            lock_node: None,
            dangling_migrations: BTreeSet::new(),
            definition_changed: BTreeSet::new(),
            restart_on: BTreeSet::new(),
            reload_on: BTreeSet::new(),
            force_demote: false,
            xml_index,
        }
    }

    pub fn is_leaf(&self) -> bool {
        self.kind == RscKind::Primitive
    }
    pub fn is_stonith(&self) -> bool {
        self.class == "stonith"
    }
    /// A half-done migration (migrate_to done, migrate_from not) that goes
    /// on because the resource stays assigned to its target: the source
    /// alone counts as where it runs.
    pub fn continued_migration(&self, next: Option<NodeId>) -> Option<NodeId> {
        match self.partial_migration {
            Some((source, target)) if next == Some(target) && !self.failed && !self.no_migrate => {
                Some(source)
            }
            _ => None,
        }
    }
    pub fn agent_string(&self) -> String {
        match &self.provider {
            Some(p) => format!("{}:{}:{}", self.class, p, self.agent),
            None => format!("{}:{}", self.class, self.agent),
        }
    }
}

/// A location constraint (after rule evaluation and tag/pattern expansion).
#[derive(Debug, Clone)]
pub struct Location {
    pub id: String,
    pub rsc: RscId,
    pub role: Option<Role>,
    /// Node scores; absent nodes are unaffected.
    pub scores: Vec<(NodeId, Score)>,
    pub discovery: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Colocation {
    pub id: String,
    pub dependent: RscId,
    pub primary: RscId,
    pub score: Score,
    pub dependent_role: Option<Role>,
    pub primary_role: Option<Role>,
    pub node_attribute: String,
    pub influence: bool,
    /// A mandatory colocation with a bundle: the bundle's replicas as
    /// (container, inner instance), in replica order; `primary` is then the
    /// first container. The dependent may run only where one of the
    /// containers is placed ([`crate::bundle`]). Empty otherwise.
    pub primary_replicas: Vec<(RscId, Option<RscId>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    Mandatory,
    Optional,
    Serialize,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: String,
    pub first: RscId,
    pub first_action: String,
    pub then: RscId,
    pub then_action: String,
    pub kind: OrderKind,
    pub symmetrical: bool,
    /// For require-all=false / clone-min sets: the pseudo op name.
    pub one_or_more: Option<(String, usize)>,
    /// The first side names this bundle (`first` is then its first
    /// container): the order acts through the bundle's own pseudo actions
    /// ([`crate::bundle`]).
    pub first_bundle: Option<String>,
    /// The then side names this bundle (`then` is its first container).
    pub then_bundle: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Ticket {
    pub rsc: RscId,
    pub role: Option<Role>,
    pub granted: bool,
    pub standby: bool,
    pub loss_policy: String,
}

/// Output of the unpack stage.
#[derive(Debug, Clone)]
pub struct Unpacked {
    pub options: Options,
    pub now: i64,
    /// Nodes in display order (name, case-insensitive, numeric-aware).
    pub nodes: Vec<NodeInfo>,
    pub rscs: Vec<Rsc>,
    /// Top-level resources in scheduling order (priority desc, then CIB order).
    pub top: Vec<RscId>,
    /// Top-level resources in CIB order (display order).
    pub top_xml: Vec<RscId>,
    pub locations: Vec<Location>,
    pub colocations: Vec<Colocation>,
    pub orders: Vec<Order>,
    pub tickets: Vec<Ticket>,
    pub rsc_by_id: BTreeMap<String, RscId>,
    pub clear_failcounts: Vec<(RscId, NodeId)>,
    pub warnings: Vec<String>,
}

/// Errors from reading the CIB.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnpackError {
    #[error("{pos}: {message}")]
    Invalid { pos: cib::xml::Pos, message: String },
}

/// Parse an interval/duration (`10s`, `1min`, `PT10S`, plain seconds) to ms.
pub fn parse_interval_ms(s: &str) -> u64 {
    let s = s.trim();
    if s.is_empty() {
        return 0;
    }
    if let Some(iso) = s.strip_prefix('P') {
        let mut total = 0f64;
        let mut num = String::new();
        let mut in_time = false;
        for c in iso.chars() {
            match c {
                'T' => in_time = true,
                '0'..='9' | '.' => num.push(c),
                _ => {
                    let v: f64 = num.parse().unwrap_or(0.0);
                    num.clear();
                    total += v * match (c, in_time) {
                        ('Y', false) => 365.0 * 86400.0,
                        ('M', false) => 30.0 * 86400.0,
                        ('W', false) => 7.0 * 86400.0,
                        ('D', false) => 86400.0,
                        ('H', _) => 3600.0,
                        ('M', true) => 60.0,
                        ('S', _) => 1.0,
                        _ => 0.0,
                    };
                }
            }
        }
        return (total * 1000.0) as u64;
    }
    let idx = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let v: f64 = s[..idx].parse().unwrap_or(0.0);
    let unit = s[idx..].trim().to_ascii_lowercase();
    let mult = match unit.as_str() {
        "" | "s" | "sec" | "secs" => 1000.0,
        "ms" | "msec" | "msecs" => 1.0,
        "us" | "usec" | "usecs" => 0.001,
        "m" | "min" | "mins" => 60_000.0,
        "h" | "hr" | "hrs" => 3_600_000.0,
        _ => 1000.0,
    };
    (v * mult) as u64
}

pub fn is_true(s: &str) -> bool {
    parse_bool(s) == Some(true)
}

/// A boolean as Pacemaker reads one (`crm_str_to_boolean`); `None` when
/// the text is neither.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "y" | "1" => Some(true),
        "false" | "off" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Compare node names like Pacemaker's `pcmk__numeric_strcasecmp`.
pub fn numeric_strcasecmp(a: &str, b: &str) -> std::cmp::Ordering {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let si = i;
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let na: u128 = std::str::from_utf8(&a[si..i])
                .ok()
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let nb: u128 = std::str::from_utf8(&b[sj..j])
                .ok()
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            if na != nb {
                return na.cmp(&nb);
            }
        } else {
            let ca = a[i].to_ascii_lowercase();
            let cb = b[j].to_ascii_lowercase();
            if ca != cb {
                return ca.cmp(&cb);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

struct Ctx<'a> {
    root: &'a Element,
    ids: BTreeMap<&'a str, &'a Element>,
    now: i64,
}

fn index_ids<'a>(e: &'a Element, out: &mut BTreeMap<&'a str, &'a Element>) {
    if let Some(id) = e.attr("id") {
        if e.attr("id-ref").is_none() {
            out.entry(id).or_insert(e);
        }
    }
    for c in e.elements() {
        index_ids(c, out);
    }
}

impl<'a> Ctx<'a> {
    fn deref(&self, e: &'a Element) -> &'a Element {
        if let Some(r) = e.attr("id-ref") {
            if let Some(t) = self.ids.get(r) {
                return t;
            }
        }
        e
    }

    /// Unpack name/value sets of the given tag under `parent`, in order of
    /// descending `score`, first value wins (like `pe__unpack_dataset_nvpairs`).
    fn nvsets(
        &self,
        parent: &'a Element,
        tag: &str,
        rctx: &RuleContext,
        out: &mut BTreeMap<String, String>,
        overwrite: bool,
    ) {
        let mut sets: Vec<(i64, usize, &Element)> = Vec::new();
        for (i, s) in parent.elements().filter(|e| e.name == tag).enumerate() {
            let s = self.deref(s);
            let score = s.attr("score").map(|v| Score::parse(v).0).unwrap_or(0);
            sets.push((score, i, s));
        }
        sets.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, _, s) in sets {
            if let Some(rule) = s.child("rule") {
                let rule = self.deref(rule);
                if !eval_rule(rule, rctx) {
                    continue;
                }
            }
            for nv in s.elements().filter(|e| e.name == "nvpair") {
                let nv = self.deref(nv);
                let (Some(n), Some(v)) = (nv.attr("name"), nv.attr("value")) else {
                    continue;
                };
                if overwrite || !out.contains_key(n) {
                    out.insert(n.to_string(), v.to_string());
                }
            }
        }
    }
}

fn conf<'a>(root: &'a Element, name: &str) -> Option<&'a Element> {
    root.child("configuration").and_then(|c| c.child(name))
}

/// Unpack a CIB document. `now` is the effective time (epoch seconds).
pub fn unpack(root: &Element, now: Option<i64>) -> Result<Unpacked, UnpackError> {
    unpack_with(root, History::from_cib(root), now)
}

/// [`unpack`] with the resource histories given apart from the tree (as
/// [`crate::history::read_cib`] reads them); those in the tree are not read.
pub fn unpack_with(
    root: &Element,
    mut history: History,
    now: Option<i64>,
) -> Result<Unpacked, UnpackError> {
    if root.name != "cib" {
        return Err(UnpackError::Invalid {
            pos: root.pos,
            message: format!("expected <cib> root element, found <{}>", root.name),
        });
    }
    if root.child("configuration").is_none() {
        return Err(UnpackError::Invalid {
            pos: root.pos,
            message: "<cib> has no <configuration> section".into(),
        });
    }
    let execution_date = root
        .attr("execution-date")
        .and_then(|v| v.parse::<i64>().ok());
    let now = now.or(execution_date).unwrap_or(0);
    // bundles become the primitives, guest nodes and clone they stand for
    let expanded = crate::bundle::expand(root);
    let root = expanded.as_ref().unwrap_or(root);
    // id-refs only point into the configuration section
    let mut ids = BTreeMap::new();
    if let Some(c) = root.child("configuration") {
        index_ids(c, &mut ids);
    }
    // guest nodes' implicit connection resources, appended to the resources
    let guest_xml = guest_connections_xml(root, &ids);
    let cx = Ctx { root, ids, now };

    // ---- options
    let mut props = BTreeMap::new();
    let rctx = RuleContext {
        now,
        ..Default::default()
    };
    if let Some(cc) = conf(root, "crm_config") {
        cx.nvsets(cc, "cluster_property_set", &rctx, &mut props, false);
    }
    let prop = |k: &str| props.get(k).map(String::as_str);
    let stonith_enabled = prop("stonith-enabled").map(is_true).unwrap_or(true);
    let nqp = match prop("no-quorum-policy").unwrap_or("stop") {
        "freeze" => NoQuorumPolicy::Freeze,
        "ignore" => NoQuorumPolicy::Ignore,
        "demote" => NoQuorumPolicy::Demote,
        "suicide" => NoQuorumPolicy::Suicide,
        _ => NoQuorumPolicy::Stop,
    };
    let feature_set = root.attr("crm_feature_set").unwrap_or("3.0.0");
    let legacy_failcount = crate::rules_cmp_version(feature_set, "3.0.13").is_lt();
    let mut stonith_action = prop("stonith-action").unwrap_or("reboot").to_string();
    if stonith_action == "poweroff" {
        stonith_action = "off".into();
    }
    let mut options = Options {
        stonith_enabled,
        symmetric: prop("symmetric-cluster").map(is_true).unwrap_or(true),
        no_quorum_policy: nqp,
        have_quorum: root.attr("have-quorum").map(is_true).unwrap_or(false),
        maintenance_mode: prop("maintenance-mode").map(is_true).unwrap_or(false),
        stop_all: prop("stop-all-resources").map(is_true).unwrap_or(false),
        stonith_action,
        placement_strategy: prop("placement-strategy").unwrap_or("default").to_string(),
        start_failure_is_fatal: prop("start-failure-is-fatal").map(is_true).unwrap_or(true),
        startup_fencing: prop("startup-fencing").map(is_true).unwrap_or(true),
        stop_orphan_resources: prop("stop-orphan-resources").map(is_true).unwrap_or(true),
        legacy_failcount,
        have_stonith_resource: false,
        validate_none: root.attr("validate-with") == Some("none"),
        execution_date,
        health_strategy: prop("node-health-strategy").unwrap_or("none").to_string(),
        concurrent_fencing: prop("concurrent-fencing").map(is_true).unwrap_or(false),
        dc_uuid: root.attr("dc-uuid").map(str::to_string),
        stop_orphan_actions: prop("stop-orphan-actions").map(is_true).unwrap_or(true),
        shutdown_lock: prop("shutdown-lock").is_some_and(is_true),
        shutdown_lock_limit_s: prop("shutdown-lock-limit")
            .map(|v| parse_interval_ms(v) / 1000)
            .unwrap_or(0) as i64,
        health_scores: {
            let g = |k: &str| prop(k).map(|v| Score::parse(v).0).unwrap_or(0);
            match prop("node-health-strategy").unwrap_or("none") {
                "migrate-on-red" => (-INFINITY, 0, 0),
                "only-green" => (-INFINITY, -INFINITY, 0),
                _ => (
                    g("node-health-red"),
                    g("node-health-yellow"),
                    g("node-health-green"),
                ),
            }
        },
    };

    // ---- nodes
    let mut nodes: Vec<NodeInfo> = Vec::new();
    if let Some(ns) = conf(root, "nodes") {
        for n in ns.elements().filter(|e| e.name == "node") {
            let id = n.attr("id").unwrap_or("").to_string();
            let uname = n.attr("uname").unwrap_or(&id).to_string();
            let kind = match n.attr("type") {
                Some("remote") => NodeKind::Remote,
                _ => NodeKind::Member,
            };
            let mut attrs = BTreeMap::new();
            let mut na = BTreeMap::new();
            na.insert("#uname".to_string(), uname.clone());
            na.insert("#id".to_string(), id.clone());
            let nctx = RuleContext {
                now,
                node_attrs: Some(&na),
                ..Default::default()
            };
            cx.nvsets(n, "instance_attributes", &nctx, &mut attrs, false);
            let mut util = BTreeMap::new();
            cx.nvsets(n, "utilization", &nctx, &mut util, false);
            nodes.push(NodeInfo {
                id,
                uname,
                kind,
                online: false,
                standby: false,
                maintenance: false,
                shutdown: false,
                unclean: false,
                pending: false,
                fence_reason: None,
                attrs,
                utilization: util
                    .into_iter()
                    .map(|(k, v)| (k, Score::parse(&v).0))
                    .collect(),
                base_score: n.attr("score").map(Score::parse).unwrap_or_default(),
                remote_rsc: None,
                has_state: false,
                crmd_online: false,
                unseen: false,
                remote_requires_reset: false,
                remote_was_fenced: false,
                unpacked: false,
            });
        }
    }

    // ---- resources
    let op_defaults = {
        let mut m = BTreeMap::new();
        if let Some(od) = conf(root, "op_defaults") {
            cx.nvsets(od, "meta_attributes", &rctx, &mut m, false);
        }
        m
    };
    let mut b = Builder {
        cx: &cx,
        rscs: Vec::new(),
        op_defaults,
        xml_counter: 0,
    };
    let mut top_xml = Vec::new();
    // remote and guest nodes exist before resources are unpacked, so they
    // count towards clone-max's default
    // (a bundle's guest nodes only once the bundle has been unpacked: they
    // count for the clones configured after it)
    let is_remote = |e: &Element| {
        e.name == "primitive"
            && e.attr("class") == Some("ocf")
            && e.attr("provider") == Some("pacemaker")
            && e.attr("type") == Some("remote")
    };
    let in_bundle = |e: &Element| {
        e.elements()
            .filter(|m| m.name == "meta_attributes")
            .flat_map(|m| m.elements())
            .any(|nv| nv.attr("name") == Some(crate::bundle::MEMBER_META))
    };
    let mut node_names: BTreeSet<&str> = nodes.iter().map(|n| n.uname.as_str()).collect();
    if let Some(rs) = conf(root, "resources") {
        for e in rs.elements().filter(|e| is_remote(e) && !in_bundle(e)) {
            node_names.extend(e.attr("id"));
        }
    }
    node_names.extend(guest_xml.iter().filter_map(|e| e.attr("id")));
    if let Some(rs) = conf(root, "resources") {
        for e in rs.elements() {
            if is_remote(e) && in_bundle(e) {
                node_names.extend(e.attr("id"));
            }
            if let Some(id) = b.build(e, None, None, node_names.len()) {
                top_xml.push(id);
            }
        }
    }
    let n_nodes = node_names.len();
    for e in &guest_xml {
        if let Some(id) = b.build(e, None, None, n_nodes) {
            top_xml.push(id);
        }
    }
    let mut rscs = b.rscs;
    options.have_stonith_resource = rscs.iter().any(|r| r.is_leaf() && r.is_stonith());
    // remote and guest nodes from their (top-level) connection resources;
    // a connection with a container is a guest node's
    for r in &rscs {
        if !r.is_leaf() || r.parent.is_some() || !is_remote_agent(r) {
            continue;
        }
        let kind = if r.meta.contains_key("container") {
            NodeKind::Guest
        } else {
            NodeKind::Remote
        };
        let name = r.id.clone();
        if let Some(n) = nodes.iter_mut().find(|n| n.uname == name) {
            n.kind = kind;
            n.remote_rsc = Some(r.id.clone());
        } else {
            nodes.push(NodeInfo {
                id: name.clone(),
                uname: name,
                kind,
                online: false,
                standby: false,
                maintenance: false,
                shutdown: false,
                unclean: false,
                pending: false,
                fence_reason: None,
                attrs: BTreeMap::new(),
                utilization: BTreeMap::new(),
                base_score: Score::ZERO,
                remote_rsc: Some(r.id.clone()),
                has_state: false,
                crmd_online: false,
                unseen: false,
                remote_requires_reset: false,
                remote_was_fenced: false,
                unpacked: false,
            });
        }
    }
    nodes.sort_by(|a, b| numeric_strcasecmp(&a.uname, &b.uname));
    let dc_uuid = root.attr("dc-uuid");
    for n in nodes.iter_mut() {
        n.attrs.insert("#uname".into(), n.uname.clone());
        n.attrs.insert("#id".into(), n.id.clone());
        let is_dc = dc_uuid == Some(n.id.as_str());
        n.attrs
            .insert("#is_dc".into(), if is_dc { "true" } else { "false" }.into());
        let k = match n.kind {
            NodeKind::Member => "cluster",
            NodeKind::Remote => "remote",
            NodeKind::Guest => "container",
        };
        n.attrs.insert("#kind".into(), k.into());
    }
    let mut rsc_by_id = BTreeMap::new();
    for (i, r) in rscs.iter().enumerate() {
        rsc_by_id.entry(r.id.clone()).or_insert(i);
    }

    let mut u = Unpacked {
        options,
        now,
        nodes,
        rscs: Vec::new(),
        top: Vec::new(),
        top_xml,
        locations: Vec::new(),
        colocations: Vec::new(),
        orders: Vec::new(),
        tickets: Vec::new(),
        rsc_by_id,
        clear_failcounts: Vec::new(),
        warnings: Vec::new(),
    };

    // ---- status: node states
    unpack_node_states(&cx, &mut u);
    // ---- status: resource history
    u.rscs = std::mem::take(&mut rscs);
    unpack_history(&cx, &mut history, &mut u);
    remote_failures_are_seen(&mut u);
    // maintenance / no stonith device ⇒ unmanaged
    let stonith_without_device = u.options.stonith_enabled && !u.options.have_stonith_resource;
    for r in u.rscs.iter_mut() {
        if u.options.maintenance_mode || stonith_without_device {
            r.managed = false;
        }
    }
    // ---- scheduling order
    let mut top = u.top_xml.clone();
    top.sort_by(|a, b| u.rscs[*b].priority.cmp(&u.rscs[*a].priority));
    u.top = top;
    // ---- constraints
    crate::constraints::unpack_constraints(root, &cx.ids, &mut u);
    crate::bundle::pin_instances(&mut u);
    // a resource with a `container` runs with it: colocated at INFINITY,
    // started after it and stopped before it
    for ri in 0..u.rscs.len() {
        if !u.rscs[ri].is_leaf() {
            continue;
        }
        let Some(ci) = container_of(&u, ri) else {
            continue;
        };
        if !is_remote_agent(&u.rscs[ri]) {
            // a resource whose container holds a guest node runs on that
            // guest node (not next to the container)
            let guest = u.nodes.iter().position(|n| {
                n.kind == NodeKind::Guest
                    && n.remote_rsc
                        .as_ref()
                        .and_then(|c| u.rsc_by_id.get(c))
                        .is_some_and(|&c| container_of(&u, c) == Some(ci))
            });
            if let Some(g) = guest {
                let scores = (0..u.nodes.len())
                    .filter(|&n| n != g)
                    .map(|n| (n, Score::NEG_INF))
                    .collect();
                u.locations.push(Location {
                    id: "resource-in-guest".into(),
                    rsc: ri,
                    role: None,
                    scores,
                    discovery: None,
                });
                continue;
            }
        }
        // a bundle's connection only prefers its container's node (it may
        // run on remote nodes: pe_rsc_allow_remote_remotes)
        let score = if is_remote_agent(&u.rscs[ri])
            && u.rscs[ci].meta.contains_key(crate::bundle::CONTAINER_META)
        {
            Score(10_000)
        } else {
            Score::INF
        };
        u.colocations.push(Colocation {
            id: "resource-with-container".into(),
            dependent: ri,
            primary: ci,
            score,
            dependent_role: None,
            primary_role: None,
            node_attribute: "#uname".into(),
            influence: true,
            primary_replicas: Vec::new(),
        });
        u.orders.push(Order {
            id: "resource-with-container".into(),
            first: ci,
            first_action: "start".into(),
            then: ri,
            then_action: "start".into(),
            kind: OrderKind::Mandatory,
            symmetrical: true,
            one_or_more: None,
            first_bundle: None,
            then_bundle: None,
        });
    }
    Ok(u)
}

/// Is this an `ocf:pacemaker:remote` primitive (a remote connection)?
pub fn is_remote_agent(r: &Rsc) -> bool {
    r.is_leaf()
        && r.class == "ocf"
        && r.provider.as_deref() == Some("pacemaker")
        && r.agent == "remote"
}

/// `allow-migrate`, which defaults to true for remote connections.
pub fn allow_migrate(r: &Rsc) -> bool {
    r.meta
        .get("allow-migrate")
        .map(|v| is_true(v))
        .unwrap_or(is_remote_agent(r))
}

/// Pacemaker's `expand_remote_rsc_meta`: a primitive (top level or in a
/// group) with meta `remote-node=NAME` gets an implicit connection
/// `ocf:pacemaker:remote` primitive NAME contained in it. Only plain
/// `meta_attributes` nvpairs are read (no rules), as Pacemaker does.
fn guest_connections_xml(root: &Element, ids: &BTreeMap<&str, &Element>) -> Vec<Element> {
    let mut out = Vec::new();
    let Some(rs) = conf(root, "resources") else {
        return out;
    };
    let mut prims: Vec<&Element> = Vec::new();
    for e in rs.elements() {
        match e.name.as_str() {
            "primitive" => prims.push(e),
            "group" => prims.extend(e.elements().filter(|c| c.name == "primitive")),
            _ => {}
        }
    }
    for p in prims {
        let Some(cid) = p.attr("id") else { continue };
        let mut m: BTreeMap<&str, &str> = BTreeMap::new();
        for ms in p.elements().filter(|e| e.name == "meta_attributes") {
            for nv in ms.elements().filter(|e| e.name == "nvpair") {
                if let (Some(n), Some(v)) = (nv.attr("name"), nv.attr("value")) {
                    m.insert(n, v);
                }
            }
        }
        let Some(&name) = m.get("remote-node") else {
            continue;
        };
        if ids.contains_key(name) || out.iter().any(|e: &Element| e.attr("id") == Some(name)) {
            continue;
        }
        let nv = |k: &str, v: &str| {
            Element::new("nvpair")
                .with_attr("id", format!("{name}-{k}"))
                .with_attr("name", k)
                .with_attr("value", v)
        };
        let mut meta = Element::new("meta_attributes")
            .with_attr("id", format!("{name}-meta_attributes"))
            .with_child(nv("internal_generated", "true"))
            .with_child(nv("container", cid));
        if let Some(v) = m.get("remote-allow-migrate") {
            meta.push(nv("allow-migrate", v));
        }
        if let Some(v) = m.get("is-managed") {
            meta.push(nv("is-managed", v));
        }
        let mut prim = Element::new("primitive")
            .with_attr("id", name)
            .with_attr("class", "ocf")
            .with_attr("provider", "pacemaker")
            .with_attr("type", "remote")
            .with_child(meta);
        if m.contains_key("remote-addr") || m.contains_key("remote-port") {
            let mut ia = Element::new("instance_attributes")
                .with_attr("id", format!("{name}-instance_attributes"));
            if let Some(v) = m.get("remote-addr") {
                ia.push(nv("addr", v));
            }
            if let Some(v) = m.get("remote-port") {
                ia.push(nv("port", v));
            }
            prim.push(ia);
        }
        let op = |task: &str, interval: &str, timeout: &str| {
            Element::new("op")
                .with_attr("id", format!("{name}-{task}-interval-{interval}"))
                .with_attr("name", task)
                .with_attr("interval", interval)
                .with_attr("timeout", timeout)
        };
        let mut ops = Element::new("operations").with_child(op("monitor", "30s", "30s"));
        if let Some(t) = m.get("remote-connect-timeout") {
            ops.push(op("start", "0", t));
        }
        prim.push(ops);
        out.push(prim);
    }
    out
}

/// The container a resource declares with the `container` meta attribute
/// (inherited from its group), when that is another primitive.
pub fn container_of(u: &Unpacked, ri: RscId) -> Option<RscId> {
    let mut x = Some(ri);
    while let Some(i) = x {
        if let Some(c) = u.rscs[i].meta.get("container") {
            let ci = u.rsc_by_id.get(c).copied()?;
            return (ci != ri && u.rscs[ci].is_leaf()).then_some(ci);
        }
        x = u.rscs[i].parent;
    }
    None
}

/// Resolve a leaf role/next-role helper: all leaf descendants.
pub fn leaves(rscs: &[Rsc], id: RscId, out: &mut Vec<RscId>) {
    if rscs[id].is_leaf() {
        out.push(id);
    } else {
        for &c in &rscs[id].children {
            leaves(rscs, c, out);
        }
    }
}

struct Builder<'a, 'b> {
    cx: &'b Ctx<'a>,
    rscs: Vec<Rsc>,
    op_defaults: BTreeMap<String, String>,
    xml_counter: usize,
}

impl<'a, 'b> Builder<'a, 'b> {
    fn new_rsc(
        &mut self,
        id: String,
        xml_id: String,
        kind: RscKind,
        parent: Option<RscId>,
    ) -> RscId {
        self.xml_counter += 1;
        self.rscs
            .push(Rsc::new(id, xml_id, kind, parent, self.xml_counter));
        self.rscs.len() - 1
    }

    /// A resource's own instance attributes (a group's or clone's are
    /// inherited by its primitives as parameters).
    fn own_params(&self, e: &'a Element) -> BTreeMap<String, String> {
        let rctx = RuleContext {
            now: self.cx.now,
            ..Default::default()
        };
        let mut params = BTreeMap::new();
        self.cx
            .nvsets(e, "instance_attributes", &rctx, &mut params, false);
        params
    }

    fn meta_for(
        &self,
        e: &'a Element,
        parent: Option<RscId>,
        tmpl: Option<&'a Element>,
    ) -> BTreeMap<String, String> {
        let rctx = RuleContext {
            now: self.cx.now,
            ..Default::default()
        };
        let mut m = BTreeMap::new();
        self.cx.nvsets(e, "meta_attributes", &rctx, &mut m, false);
        if let Some(t) = tmpl {
            self.cx.nvsets(t, "meta_attributes", &rctx, &mut m, false);
        }
        if let Some(p) = parent {
            for (k, v) in &self.rscs[p].meta {
                m.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        // rsc_defaults, with rsc_expression rules evaluated for this resource
        let class = e
            .attr("class")
            .or_else(|| tmpl.and_then(|t| t.attr("class")));
        let provider = e
            .attr("provider")
            .or_else(|| tmpl.and_then(|t| t.attr("provider")));
        let agent = e.attr("type").or_else(|| tmpl.and_then(|t| t.attr("type")));
        let rctx = RuleContext {
            now: self.cx.now,
            rsc: Some((class.unwrap_or(""), provider, agent.unwrap_or(""))),
            ..Default::default()
        };
        if let Some(rd) = conf(self.cx.root, "rsc_defaults") {
            self.cx.nvsets(rd, "meta_attributes", &rctx, &mut m, false);
        }
        m
    }

    fn apply_common(&mut self, id: RscId) {
        let meta = self.rscs[id].meta.clone();
        let r = &mut self.rscs[id];
        r.priority = meta.get("priority").map(|v| Score::parse(v).0).unwrap_or(0);
        r.stickiness = meta
            .get("resource-stickiness")
            .or_else(|| meta.get("default-resource-stickiness"))
            .map(|v| Score::parse(v).0)
            .unwrap_or(0);
        r.managed = meta.get("is-managed").map(|v| is_true(v)).unwrap_or(true);
        if meta.get("maintenance").map(|v| is_true(v)).unwrap_or(false) {
            r.managed = false;
        }
        r.migration_threshold = meta
            .get("migration-threshold")
            .map(|v| Score::parse(v).0)
            .unwrap_or(INFINITY);
        r.failure_timeout = meta
            .get("failure-timeout")
            .map(|v| (parse_interval_ms(v) / 1000) as i64)
            .unwrap_or(0);
        r.target_role = meta.get("target-role").and_then(|v| Role::parse(v));
    }

    fn build(
        &mut self,
        e: &'a Element,
        parent: Option<RscId>,
        instance: Option<usize>,
        n_nodes: usize,
    ) -> Option<RscId> {
        let suffix = instance.map(|i| format!(":{i}")).unwrap_or_default();
        let xml_id = e.attr("id")?.to_string();
        match e.name.as_str() {
            "primitive" => {
                let tmpl = e.attr("template").and_then(|t| self.cx.ids.get(t).copied());
                let id = self.new_rsc(
                    format!("{xml_id}{suffix}"),
                    xml_id.clone(),
                    RscKind::Primitive,
                    parent,
                );
                let src = |k: &str| e.attr(k).or_else(|| tmpl.and_then(|t| t.attr(k)));
                let class = src("class").unwrap_or("ocf").to_string();
                let provider = src("provider").map(str::to_string);
                let agent = src("type").unwrap_or("").to_string();
                let meta = self.meta_for(e, parent, tmpl);
                let rctx = RuleContext {
                    now: self.cx.now,
                    ..Default::default()
                };
                let mut params = self.own_params(e);
                if let Some(t) = tmpl {
                    self.cx
                        .nvsets(t, "instance_attributes", &rctx, &mut params, false);
                }
                // a group's or clone's instance attributes are parameters of
                // every primitive inside it (the primitive's own win)
                let mut up = parent;
                while let Some(p) = up {
                    for (k, v) in &self.rscs[p].params {
                        if !k.starts_with('#') {
                            params.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                    up = self.rscs[p].parent;
                }
                let mut util = BTreeMap::new();
                self.cx.nvsets(e, "utilization", &rctx, &mut util, false);
                if let Some(t) = tmpl {
                    self.cx.nvsets(t, "utilization", &rctx, &mut util, false);
                }
                let mut ops = Vec::new();
                let mut op_src: Vec<&Element> = Vec::new();
                if let Some(o) = e.child("operations") {
                    op_src.extend(self.cx.deref(o).elements().filter(|x| x.name == "op"));
                }
                if let Some(t) = tmpl {
                    if let Some(o) = t.child("operations") {
                        // a template op is overridden by the primitive's op
                        // of the same name and role (Pacemaker's
                        // template_op_key; the interval does not matter)
                        let role = |x: &Element| x.attr("role").unwrap_or("Started").to_string();
                        for op in o.elements().filter(|x| x.name == "op") {
                            let key = (op.attr("name"), role(op));
                            if !op_src.iter().any(|x| (x.attr("name"), role(x)) == key) {
                                op_src.push(op);
                            }
                        }
                    }
                }
                for op in op_src {
                    let op = self.cx.deref(op);
                    let mut om = BTreeMap::new();
                    for (k, v) in &op.attrs {
                        om.insert(k.clone(), v.clone());
                    }
                    self.cx.nvsets(op, "meta_attributes", &rctx, &mut om, false);
                    for (k, v) in &self.op_defaults {
                        om.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                    ops.push(OpDef {
                        name: op.attr("name").unwrap_or("").to_string(),
                        interval_ms: om
                            .get("interval")
                            .map(|v| parse_interval_ms(v))
                            .unwrap_or(0),
                        role: om.get("role").and_then(|v| Role::parse(v)),
                        on_fail: om.get("on-fail").and_then(|v| OnFail::parse(v)),
                        enabled: om.get("enabled").map(|v| is_true(v)).unwrap_or(true),
                        timeout_ms: om.get("timeout").map(|v| parse_interval_ms(v)),
                        params: {
                            let mut p = BTreeMap::new();
                            self.cx
                                .nvsets(op, "instance_attributes", &rctx, &mut p, false);
                            p
                        },
                    });
                }
                let r = &mut self.rscs[id];
                r.class = class;
                r.provider = provider;
                r.agent = agent;
                r.meta = meta;
                r.params = params;
                r.utilization = util
                    .into_iter()
                    .map(|(k, v)| (k, Score::parse(&v).0))
                    .collect();
                r.ops = ops;
                r.instance = instance;
                r.template = e.attr("template").map(str::to_string);
                self.apply_common(id);
                // a remote connection's reconnect_interval doubles as its
                // failure-timeout
                let r = &mut self.rscs[id];
                if is_remote_agent(r) {
                    if let Some(v) = r.params.get("reconnect_interval") {
                        r.failure_timeout = (parse_interval_ms(v) / 1000) as i64;
                    }
                }
                Some(id)
            }
            "group" => {
                let id = self.new_rsc(format!("{xml_id}{suffix}"), xml_id, RscKind::Group, parent);
                let meta = self.meta_for(e, parent, None);
                self.rscs[id].meta = meta;
                self.rscs[id].params = self.own_params(e);
                self.rscs[id].instance = instance;
                self.apply_common(id);
                for c in e.elements().filter(|c| c.name == "primitive") {
                    if let Some(cid) = self.build(c, Some(id), instance, n_nodes) {
                        self.rscs[id].children.push(cid);
                    }
                }
                Some(id)
            }
            "clone" | "master" => {
                let id = self.new_rsc(xml_id.clone(), xml_id, RscKind::Clone, parent);
                let mut meta = self.meta_for(e, parent, None);
                if !meta.contains_key("resource-stickiness") {
                    meta.insert("resource-stickiness".into(), "1".into());
                }
                let get = |k: &str| meta.get(k).map(String::as_str);
                let promotable =
                    e.name == "master" || get("promotable").map(is_true).unwrap_or(false);
                let unique = get("globally-unique").map(is_true).unwrap_or(false);
                let clone_max = get("clone-max")
                    .map(|v| Score::parse(v).0.max(0) as usize)
                    .unwrap_or(n_nodes);
                let mut clone_node_max = get("clone-node-max")
                    .map(|v| Score::parse(v).0.max(0) as usize)
                    .unwrap_or(1);
                if !unique {
                    clone_node_max = 1;
                }
                let promoted_max = get("promoted-max")
                    .or(get("master-max"))
                    .map(|v| Score::parse(v).0.max(0) as usize)
                    .unwrap_or(1);
                let promoted_node_max = get("promoted-node-max")
                    .or(get("master-node-max"))
                    .map(|v| Score::parse(v).0.max(0) as usize)
                    .unwrap_or(1);
                let interleave = get("interleave").map(is_true).unwrap_or(false);
                let notify = get("notify").map(is_true).unwrap_or(false);
                {
                    let r = &mut self.rscs[id];
                    r.meta = meta;
                    r.promotable = promotable;
                    r.unique = unique;
                    r.clone_max = clone_max;
                    r.clone_node_max = clone_node_max;
                    r.promoted_max = promoted_max;
                    r.promoted_node_max = promoted_node_max;
                    r.interleave = interleave;
                    r.notify = notify;
                }
                self.rscs[id].params = self.own_params(e);
                self.apply_common(id);
                let child = e
                    .elements()
                    .find(|c| c.name == "primitive" || c.name == "group");
                if let Some(c) = child {
                    for i in 0..clone_max {
                        if let Some(cid) = self.build(c, Some(id), Some(i), n_nodes) {
                            self.rscs[id].children.push(cid);
                        }
                    }
                    // remember the template for orphans
                    self.rscs[id]
                        .params
                        .insert("#child-xml-id".into(), c.attr("id").unwrap_or("").into());
                }
                Some(id)
            }
            _ => None,
        }
    }
}

/// Decide each node's state from `node_state` and transient attributes.
fn unpack_node_states(cx: &Ctx, u: &mut Unpacked) {
    let status = cx.root.child("status");
    let stonith = u.options.stonith_enabled;
    for n in u.nodes.iter_mut() {
        let ns = status.and_then(|s| {
            s.elements()
                .filter(|e| e.name == "node_state")
                .find(|e| {
                    e.attr("id") == Some(n.id.as_str())
                        || (e.attr("id").is_none() && e.attr("uname") == Some(n.uname.as_str()))
                })
                .or_else(|| {
                    s.elements()
                        .filter(|e| e.name == "node_state")
                        .find(|e| e.attr("uname") == Some(n.uname.as_str()))
                })
        });
        // transient attributes
        if let Some(ns) = ns {
            n.has_state = true;
            if let Some(ta) = ns.child("transient_attributes") {
                let rctx = RuleContext {
                    now: u.now,
                    ..Default::default()
                };
                let mut m = BTreeMap::new();
                cx.nvsets(ta, "instance_attributes", &rctx, &mut m, false);
                for (k, v) in m {
                    n.attrs.insert(k, v);
                }
            }
        }
        if n.kind != NodeKind::Member {
            // remote/guest: online when their connection/container runs
            // (decided while unpacking history)
            if let Some(ns) = ns {
                n.remote_was_fenced = ns
                    .attr("node_fenced")
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v > 0);
            }
            // startup fencing applies to remote nodes that have a connection
            if n.kind == NodeKind::Remote && n.remote_rsc.is_some() {
                n.unseen = true;
                if stonith && u.options.startup_fencing {
                    n.unclean = true;
                }
            }
            continue;
        }
        let Some(ns) = ns else {
            if stonith && u.options.startup_fencing {
                n.unclean = true;
            }
            continue;
        };
        let in_ccm = ns.attr("in_ccm");
        let crmd = ns.attr("crmd");
        let join = ns.attr("join");
        let expected = ns.attr("expected");
        let ccm_ok = in_ccm
            .map(|v| is_true(v) || v.parse::<i64>().map(|x| x > 0).unwrap_or(false))
            .unwrap_or(false);
        let crmd_ok = matches!(crmd, Some("online") | Some("true"));
        n.crmd_online = crmd_ok;
        let terminate = n
            .attrs
            .get("terminate")
            .map(|v| is_true(v) || v.parse::<i64>().map(|x| x > 0).unwrap_or(false))
            .unwrap_or(false);
        let shutdown = n
            .attrs
            .get("shutdown")
            .map(|v| v != "0" && !v.is_empty())
            .unwrap_or(false);
        if !stonith {
            n.online = ccm_ok && crmd_ok && join == Some("member");
            if !n.online
                && expected == Some("member")
                && (ccm_ok || crmd_ok)
                && join != Some("down")
            {
                // partially up: pending
                if ccm_ok {
                    n.pending = true;
                }
            }
        } else if shutdown && (crmd_ok || in_ccm.is_some()) {
            // shutting down: online exactly when its controller is up,
            // whatever the membership says (Pacemaker takes a shutting-down
            // node's controller state as its state)
            n.online = crmd_ok;
        } else if in_ccm.is_none() {
            n.unclean = true;
            n.fence_reason = Some("peer has not been seen by the cluster".into());
        } else if join == Some("banned") {
            n.unclean = true;
            n.fence_reason = Some("peer failed Pacemaker membership criteria".into());
        } else if expected == Some("down") && !terminate {
            if ccm_ok || crmd_ok {
                if ccm_ok && join == Some("member") {
                    n.online = true;
                } else {
                    n.pending = true;
                }
            }
        } else if expected.is_none() && !terminate {
            if ccm_ok || crmd_ok {
                if ccm_ok && crmd_ok && join == Some("member") {
                    n.online = true;
                } else {
                    n.pending = true;
                }
            }
        } else if (shutdown || terminate) && join == Some("down") && !ccm_ok && !crmd_ok {
            // left the cluster as asked (shutdown) or already shot: down
            // cleanly
        } else if !ccm_ok {
            n.unclean = true;
            n.fence_reason = Some("peer is no longer part of the cluster".into());
        } else if !crmd_ok {
            n.unclean = true;
            n.fence_reason = Some("peer process is no longer available".into());
        } else if terminate {
            n.unclean = true;
            n.online = true;
            n.fence_reason = Some("termination was requested".into());
        } else if join == Some("member") {
            n.online = true;
        } else {
            n.pending = true;
        }
        if n.pending {
            n.online = false;
        }
        if n.unclean && stonith {
            n.online = ccm_ok;
        }
        if shutdown && n.online {
            n.shutdown = true;
        }
    }
    for n in u.nodes.iter_mut() {
        if n.attrs.get("standby").map(|v| is_true(v)).unwrap_or(false) {
            n.standby = true;
        }
        if n.attrs
            .get("maintenance")
            .map(|v| is_true(v))
            .unwrap_or(false)
        {
            n.maintenance = true;
        }
    }
}

/// What reading one resource's history on one node depends on.
struct HistoryCtx {
    stonith: bool,
    promotable: bool,
    now: i64,
    has_container: bool,
    remote_conn: bool,
    keep_monitor_failures: bool,
    /// The resource has a fail count on this node that has not expired
    /// (none recorded as the last failure, or that one is recent): then no
    /// failure expires (`check_operation_expiry`'s failsafe).
    unexpired_fail_count: bool,
}

/// Evaluate a resource's ordered history on one node.
fn eval_history(r: &Rsc, mut ops: Vec<HistOp>, cx: HistoryCtx) -> NodeHistory {
    let HistoryCtx {
        stonith,
        promotable,
        now,
        has_container,
        remote_conn,
        keep_monitor_failures,
        unexpired_fail_count,
    } = cx;
    // by call id; entries sharing one (a recurring op's last result and its
    // last failure) by last-rc-change
    ops.sort_by(|a, b| {
        let ka = if a.call_id < 0 { i64::MAX } else { a.call_id };
        let kb = if b.call_id < 0 { i64::MAX } else { b.call_id };
        ka.cmp(&kb).then(a.rc_change.cmp(&b.rc_change))
    });
    // a pending op from an older transition than a completed one (same
    // transition UUID) was superseded by it: it goes before it
    // (sort_op_by_callid)
    let mut k = 0;
    while k < ops.len() {
        let p = &ops[k];
        if p.call_id >= 0 || p.transition < 0 {
            k += 1;
            continue;
        }
        let newer = ops.iter().position(|o| {
            o.call_id >= 0 && o.transition_uuid == p.transition_uuid && o.transition > p.transition
        });
        match newer {
            Some(at) if at < k => {
                let op = ops.remove(k);
                ops.insert(at, op);
                k += 1;
            }
            _ => k += 1,
        }
    }
    let mut h = NodeHistory {
        role: Role::Unknown,
        ..Default::default()
    };
    let active_role = if promotable {
        Role::Unpromoted
    } else {
        Role::Started
    };
    let mut failed_monitor: Option<(String, u64)> = None;
    let mut rescheduled: Vec<(String, u64)> = Vec::new();
    for op in &ops {
        let task = op.task.as_ref();
        let probe = task == "monitor" && op.interval_ms == 0;
        if op.op_status == -1 {
            // pending
            h.pending_task = Some(task.to_string());
            match task {
                "start" | "migrate_from" => {
                    h.role = active_role;
                }
                "promote" => h.role = Role::Promoted,
                "demote" => h.role = Role::Unpromoted,
                "stop" if h.role < Role::Started => h.role = active_role,
                _ => {}
            }
            // (a recurring op still pending is not known to be active: it
            // is scheduled again, as process_recurring skips it)
            continue;
        }
        if op.op_status == 1 {
            // cancelled
            continue;
        }
        let remap = matches!(op.op_status, 0 | 4);
        // only ok, not running and promoted can be expected results: any
        // other exit status is a failure whatever was expected
        let mut success = remap && op.rc == op.expected_rc && matches!(op.rc, 0 | 7 | 8);
        if remap && probe && matches!(op.rc, 0 | 7 | 8) {
            success = true;
        }
        if remap && op.rc == 7 && !r.managed {
            success = true;
        }
        let reconnect = r.params.contains_key("reconnect_interval");
        let clear = |h: &mut NodeHistory| {
            if h.reset_remote {
                // with a reconnect interval, only expiry clears the failure
                if reconnect {
                    return;
                }
                h.reset_remote = false;
                h.on_fail = OnFail::Ignore;
                h.failed = false;
                h.stop_failed = false;
            }
            if matches!(
                h.on_fail,
                OnFail::Restart | OnFail::Block | OnFail::Ignore | OnFail::Demote
            ) {
                h.on_fail = OnFail::Ignore;
                h.failed = false;
                h.stop_failed = false;
            }
        };
        if success && op.rc == 7 {
            // an expected "not running" result, whatever the task
            h.role = Role::Stopped;
            clear(&mut h);
            continue;
        }
        if success {
            match task {
                "start" => {
                    h.role = active_role;
                    h.last_start_call = op.call_id;
                    clear(&mut h);
                }
                "migrate_from" => {
                    h.role = active_role;
                    h.last_start_call = op.call_id;
                    clear(&mut h);
                }
                "migrate_to" => {
                    h.role = active_role;
                }
                "stop" => {
                    h.role = Role::Stopped;
                    clear(&mut h);
                }
                "promote" => {
                    h.role = Role::Promoted;
                    clear(&mut h);
                }
                "demote" => {
                    h.role = Role::Unpromoted;
                    // a demote clears an earlier failure only with on-fail=demote
                    if h.on_fail == OnFail::Demote {
                        clear(&mut h);
                    }
                }
                "monitor" => {
                    if op.rc == 7 {
                        h.role = Role::Stopped;
                        clear(&mut h);
                    } else if op.rc == 8 {
                        h.role = Role::Promoted;
                    } else if op.rc == 0 && h.role <= Role::Stopped {
                        h.role = active_role;
                    }
                    if op.interval_ms > 0
                        && failed_monitor.as_ref() == Some(&(task.to_string(), op.interval_ms))
                    {
                        clear(&mut h);
                    }
                }
                _ => {}
            }
            continue;
        }
        // failure; expired ones (failure-timeout) are ignored
        // (a remote connection with a reconnect interval keeps its monitor
        // failures until its node has been fenced)
        if r.failure_timeout > 0
            && op.last_rc_change > 0
            && now > op.last_rc_change + r.failure_timeout
            && task != "stop"
            && !(keep_monitor_failures && task == "monitor" && op.interval_ms > 0)
            && !unexpired_fail_count
        {
            // an expired recurring failure is scheduled again (Pacemaker
            // forces its digest to mismatch)
            if op.interval_ms > 0 && op.op_digest.is_some() {
                rescheduled.push((task.to_string(), op.interval_ms));
            }
            continue;
        }
        if op.interval_ms > 0 {
            failed_monitor = Some((task.to_string(), op.interval_ms));
        }
        let cfg = r
            .ops
            .iter()
            .find(|d| d.name == task && d.interval_ms == op.interval_ms)
            .and_then(|d| d.on_fail);
        // with a container, unconfigured failures restart the container; a
        // failed stop then counts as done
        if cfg.is_none() && has_container && task == "stop" && !probe {
            h.ignored_failure = true;
            h.restart_container = true;
            h.stop_done();
            continue;
        }
        let mut on_fail = cfg.unwrap_or(if task == "stop" {
            if stonith {
                OnFail::Fence
            } else {
                OnFail::Block
            }
        } else {
            OnFail::Restart
        });
        // a (non-guest) remote connection: failures other than probes and
        // starts reset the remote node (fence it, recover the connection)
        let mut reset_remote = false;
        if remote_conn && cfg.is_none() && !probe && task != "start" {
            if r.managed {
                on_fail = OnFail::Restart;
                reset_remote = true;
            } else {
                on_fail = OnFail::Stop;
            }
        }
        if on_fail == OnFail::Demote
            && task != "promote"
            && !(task == "monitor" && op.expected_rc == 8)
        {
            on_fail = OnFail::Restart;
        }
        // masked probe failures: not installed / not configured
        let hard = matches!(op.rc, 2 | 4 | 5)
            || (op.rc == 3 && op.interval_ms == 0)
            || op.op_status == 7
            || op.op_status == 5;
        if probe && (op.rc == 5 || op.op_status == 7) {
            h.hard_ban = true;
            h.role = Role::Stopped;
            continue;
        }
        // a failure with on-fail=ignore counts as success unless the agent
        // is missing (executor status "not installed")
        if on_fail == OnFail::Ignore && !probe && op.op_status != 7 {
            h.ignored_failure = true;
            if task == "stop" {
                h.stop_done();
            } else if h.role < Role::Started {
                h.role = active_role;
            }
            continue;
        }
        if op.rc == 6 || op.op_status == 6 {
            h.fatal = true;
        }
        if hard && !probe {
            h.hard_ban = true;
        }
        if probe && hard {
            h.hard_ban = true;
        }
        match task {
            "stop" => {
                h.stop_failed = true;
                h.role = active_role.max(h.role);
            }
            "promote" => h.role = Role::Promoted,
            "demote" => {
                if on_fail == OnFail::Block {
                    h.role = Role::Promoted
                } else if op.rc == 7 {
                    h.role = Role::Stopped
                } else {
                    h.role = Role::Unpromoted
                }
            }
            "migrate_to" | "migrate_from" => {}
            _ => {}
        }
        if op.rc == 8 && task == "monitor" {
            h.role = Role::Promoted;
        } else if h.role < Role::Started {
            h.role = active_role;
        }
        // missing agents and hard execution errors are never ignored
        if on_fail == OnFail::Ignore && (op.rc == 5 || matches!(op.op_status, 5..=7)) {
            on_fail = OnFail::Restart;
        }
        if on_fail == OnFail::Ignore {
            // the failure is treated as if the operation had succeeded
            h.ignored_failure = true;
            if task == "stop" {
                h.stop_done();
            }
            continue;
        }
        h.counted_failure = true;
        h.failed = true;
        h.reset_remote |= reset_remote;
        if on_fail > h.on_fail {
            h.on_fail = on_fail;
        }
    }
    if h.role == Role::Unknown {
        h.role = Role::Stopped;
    }
    h.active_recurring = active_recurring(&ops);
    for k in &rescheduled {
        h.active_recurring.remove(k);
    }
    h.ops = ops;
    h
}

/// The recurring ops known to be active (Pacemaker's `calculate_active_ops`
/// and `process_recurring`): those recorded since the last start (or all,
/// when there was neither a start nor a stop), whatever their result, unless
/// still pending; none when a stop came after the last start.
fn active_recurring(ops: &[HistOp]) -> BTreeSet<(String, u64)> {
    let (mut start, mut stop) = (None, None);
    let (mut implied_monitor, mut implied_clone) = (None, None);
    for (k, op) in ops.iter().enumerate() {
        let task = op.task.as_ref();
        if task == "stop" && op.op_status == 0 {
            stop = Some(k);
        } else if task == "start" || task == "migrate_from" {
            start = Some(k);
        } else if implied_monitor <= stop && task == "monitor" {
            if op.rc == 0 || op.rc == 8 {
                implied_monitor = Some(k);
            }
        } else if task == "promote" || task == "demote" {
            implied_clone = Some(k);
        }
    }
    let start = start.or(implied_clone).or(implied_monitor);
    if start < stop {
        return BTreeSet::new();
    }
    ops.iter()
        .enumerate()
        .filter(|(k, op)| Some(*k) >= start && op.interval_ms > 0 && op.op_status != -1)
        .map(|(_, op)| (op.task.to_string(), op.interval_ms))
        .collect()
}

/// Whether `a` happened after `b`: by call id on the same node, else by
/// `last-rc-change` when both have one (falling back to call ids); a pending
/// operation (call id -1) is newer than any completed one.
fn op_newer(a: &HistOp, b: &HistOp, same_node: bool) -> bool {
    match (a.call_id == -1, b.call_id == -1) {
        (true, true) => false,
        (true, false) => true,
        (false, true) => false,
        _ if !same_node && a.rc_change > 0 && b.rc_change > 0 && a.rc_change != b.rc_change => {
            a.rc_change > b.rc_change
        }
        _ => a.call_id > b.call_id,
    }
}

/// The history of resource `r` on `node` (empty when it has none).
fn ops_on(r: &Rsc, node: NodeId) -> &[HistOp] {
    r.history
        .get(&node)
        .map(|h| h.ops.as_slice())
        .unwrap_or(&[])
}

/// A start, stop or migration on `node` newer than `op`.
fn state_change_after(r: &Rsc, node: NodeId, op: &HistOp, same_node: bool) -> bool {
    ops_on(r, node).iter().any(|o| {
        !std::ptr::eq(o, op)
            && matches!(
                o.task.as_ref(),
                "start" | "stop" | "migrate_to" | "migrate_from"
            )
            && op_newer(o, op, same_node)
    })
}

/// Whether the resource's state on `node` changed after the migration
/// events: a newer start/stop/migration there, or a newer monitor that found
/// it not running. Compared with the event recorded on that node when there
/// is one (call ids are reliable there), else with the other node's event.
fn newer_state_after_migrate(
    r: &Rsc,
    node: NodeId,
    uname: &str,
    migrate_to: Option<&HistOp>,
    migrate_from: Option<&HistOp>,
) -> bool {
    let Some(base) = migrate_from.or(migrate_to) else {
        return false;
    };
    let (op, same_node) = if base.migrate_target.as_deref() == Some(uname) {
        match migrate_from {
            Some(f) => (f, true),
            None => (migrate_to.unwrap_or(base), false),
        }
    } else if base.migrate_source.as_deref() == Some(uname) {
        match migrate_to {
            Some(t) => (t, true),
            None => (base, false),
        }
    } else {
        (base, false)
    };
    state_change_after(r, node, op, same_node)
        || ops_on(r, node).iter().any(|o| {
            !std::ptr::eq(o, op) && o.task == "monitor" && o.rc == 7 && op_newer(o, op, same_node)
        })
}

/// The first `task` (migrate_to / migrate_from) on `node` whose other end is
/// `peer`, optionally only a successful one.
fn find_migration_op<'a>(
    r: &'a Rsc,
    node: NodeId,
    task: &str,
    peer: &str,
    only_ok: bool,
) -> Option<&'a HistOp> {
    ops_on(r, node).iter().find(|o| {
        o.task == task
            && if task == "migrate_to" {
                o.migrate_target.as_deref() == Some(peer)
            } else {
                o.migrate_source.as_deref() == Some(peer)
            }
            && (!only_ok || (o.rc == 0 && o.op_status == 0))
    })
}

/// What live-migration records say across the two nodes involved (after each
/// node's own history has been read): the target may count as active (a
/// migration that got half way or failed), the source may still need a stop
/// (a completed migration: "dangling"), a half-done migration may be
/// continued, or the resource is failed and may not migrate again.
fn unpack_migrations(u: &mut Unpacked) {
    for ri in 0..u.rscs.len() {
        if !u.rscs[ri].is_leaf() || u.rscs[ri].history.is_empty() {
            continue;
        }
        let r = &u.rscs[ri];
        let node_id = |name: &str| u.nodes.iter().position(|n| n.uname == name);
        let online = |n: Option<NodeId>| n.is_some_and(|n| u.nodes[n].online);
        // (node, before): mark active on node, listed ahead of `before`
        let mut active: Vec<(NodeId, NodeId)> = Vec::new();
        let mut dangling = Vec::new();
        let mut dangling_active = Vec::new();
        let mut failed_on = Vec::new();
        let mut partial = None;
        for (&nid, h) in &r.history {
            let uname = u.nodes[nid].uname.as_str();
            for op in &h.ops {
                let (Some(source), Some(target)) =
                    (op.migrate_source.as_deref(), op.migrate_target.as_deref())
                else {
                    continue;
                };
                if op.call_id == -1 || op.op_status == -1 {
                    continue;
                }
                let ok = op.rc == 0 && op.op_status == 0;
                let tid = node_id(target);
                let sid = node_id(source);
                match op.task.as_ref() {
                    "migrate_to" if source == uname && ok => {
                        let source_newer = state_change_after(r, nid, op, true);
                        let from = tid
                            .and_then(|t| find_migration_op(r, t, "migrate_from", source, false));
                        if source_newer && from.is_some() {
                            continue;
                        }
                        let target_newer = tid.is_some_and(|t| {
                            newer_state_after_migrate(r, t, target, Some(op), from)
                        });
                        if source_newer && target_newer {
                            continue;
                        }
                        match from {
                            Some(f) if f.rc == 0 && f.op_status == 0 => dangling.push(nid),
                            Some(f) if f.call_id != -1 && f.op_status != -1 => {
                                if !target_newer && online(tid) {
                                    active.push((tid.unwrap(), nid));
                                } else {
                                    failed_on.push(nid);
                                }
                            }
                            _ => {
                                if !target_newer && online(tid) {
                                    active.push((tid.unwrap(), nid));
                                    if online(Some(nid)) {
                                        partial = Some((nid, tid.unwrap()));
                                    }
                                } else if !source_newer {
                                    failed_on.push(nid);
                                }
                            }
                        }
                    }
                    "migrate_to" if source == uname => {
                        let Some(t) = tid else { continue };
                        let from = find_migration_op(r, t, "migrate_from", source, true);
                        let known = !ops_on(r, t).is_empty();
                        if known && !newer_state_after_migrate(r, t, target, Some(op), from) {
                            if online(tid) {
                                active.push((t, nid));
                            }
                        } else if !state_change_after(r, nid, op, true) {
                            // still active here (the failure says so); the
                            // stop is due whatever happens to the target
                            dangling_active.push(nid);
                        }
                    }
                    "migrate_from" if target == uname && !ok => {
                        let Some(s) = sid else { continue };
                        let to = find_migration_op(r, s, "migrate_to", target, true);
                        let known = !ops_on(r, s).is_empty();
                        if known
                            && !newer_state_after_migrate(r, s, source, to, Some(op))
                            && online(sid)
                        {
                            active.push((s, nid));
                        }
                    }
                    _ => {}
                }
            }
        }
        let r = &mut u.rscs[ri];
        for (n, before) in active {
            if !r.running_on.contains(&n) {
                let at = r
                    .running_on
                    .iter()
                    .position(|&x| x == before)
                    .unwrap_or(r.running_on.len());
                // active although its own record may say otherwise; the
                // overall role is left as it is
                r.running_on.insert(at, n);
            }
        }
        r.dangling_migrations.extend(dangling_active);
        for nid in dangling {
            if let Some(h) = r.history.get_mut(&nid) {
                if h.role > Role::Stopped {
                    h.role = Role::Stopped;
                    r.running_on.retain(|&n| n != nid);
                }
            }
            r.dangling_migrations.insert(nid);
        }
        if !r.dangling_migrations.is_empty() {
            r.role = r
                .history
                .values()
                .map(|h| h.role)
                .filter(|&x| x > Role::Stopped)
                .max()
                .unwrap_or(Role::Stopped);
        }
        if !failed_on.is_empty() {
            r.failed = true;
            r.no_migrate = true;
            for n in failed_on {
                if r.running_on.contains(&n) {
                    r.failed_nodes.insert(n);
                }
            }
        }
        if partial.is_some() {
            r.partial_migration = partial;
        }
    }
}

/// Whether fencing `n` is possible: without quorum only nodes still in our
/// membership can be fenced (unless no-quorum-policy=ignore).
fn fenceable(o: &Options, n: &NodeInfo) -> bool {
    o.stonith_enabled
        && o.have_stonith_resource
        && (o.have_quorum || o.no_quorum_policy == NoQuorumPolicy::Ignore || n.online)
}

/// Shutdown locks (`shutdown-lock=true`): a primitive active on exactly one
/// node that is shutting down cleanly, or whose history there records a
/// lock that has not expired (`shutdown-lock-limit`), stays on that node: it
/// is banned from every other one. Fence devices, remote connections and
/// clone instances are never locked.
fn apply_shutdown_locks(u: &mut Unpacked, limit_s: i64) {
    for ri in 0..u.rscs.len() {
        let r = &u.rscs[ri];
        if r.kind != RscKind::Primitive
            || r.is_stonith()
            || is_remote_agent(r)
            || clone_of(&u.rscs, ri).is_some()
        {
            continue;
        }
        let recorded = r.history.iter().find_map(|(&n, h)| {
            h.shutdown_lock
                .filter(|&t| limit_s <= 0 || u.now <= t + limit_s)
                .map(|_| n)
        });
        let lock = match recorded {
            // started elsewhere meanwhile: the lock no longer holds
            Some(_) if !r.running_on.is_empty() => None,
            Some(n) => Some(n),
            None if r.running_on.len() == 1 => {
                let n = r.running_on[0];
                (u.nodes[n].shutdown && !u.nodes[n].unclean).then_some(n)
            }
            None => None,
        };
        let Some(lock) = lock else { continue };
        let n_nodes = u.nodes.len();
        let r = &mut u.rscs[ri];
        r.lock_node = Some(lock);
        for n in (0..n_nodes).filter(|&n| n != lock) {
            r.status_bans
                .entry(n)
                .or_insert_with(|| "shutdown-lock".into());
        }
    }
}

/// What follows the resource in a fail-count or last-failure attribute's
/// name (`""`, or `#op_interval` per operation), given what follows its id:
/// an anonymous clone's instance number (`rsc:0`) is skipped; `None` when
/// that is not a number.
/// What follows resource name `base` (and, for an anonymous clone, an
/// instance number) in a failure attribute's name; `None` when the name is
/// not about `base`.
fn after_rsc_name<'n>(name: &'n str, base: &str, anon: bool) -> Option<&'n str> {
    skip_instance(name.strip_prefix(base)?, anon)
}

fn skip_instance(rest: &str, anon: bool) -> Option<&str> {
    match rest.strip_prefix(':').filter(|_| anon) {
        None => Some(rest),
        Some(num) => {
            let digits = num.bytes().take_while(u8::is_ascii_digit).count();
            (digits > 0).then(|| &num[digits..])
        }
    }
}

fn unpack_history(cx: &Ctx, history: &mut History, u: &mut Unpacked) {
    let Some(status) = cx.root.child("status") else {
        return;
    };
    let stonith = u.options.stonith_enabled;
    let shutdown_lock = u.options.shutdown_lock;
    // like Pacemaker: online nodes first (and remote/guest nodes once their
    // connection is known to be up, repeated until no more become known),
    // then the rest (offline cluster nodes only with fencing or shutdown
    // locks, remote/guest nodes only with fencing)
    // containers, computed once (orphans made below have none)
    let containers: Vec<Option<RscId>> = (0..u.rscs.len()).map(|i| container_of(u, i)).collect();
    // each node's failure attributes, read once (remote nodes found below
    // are added when first needed)
    let mut failures: Vec<FailureAttrs> = u.nodes.iter().map(FailureAttrs::of).collect();
    let mut pass = 0;
    loop {
        let mut remote_progress = false;
        for (k, ns) in status
            .elements()
            .filter(|e| e.name == "node_state")
            .enumerate()
        {
            let nid = u.nodes.iter().position(|n| {
                Some(n.id.as_str()) == ns.attr("id")
                    || (ns.attr("id").is_none() && Some(n.uname.as_str()) == ns.attr("uname"))
            });
            let nid = match nid {
                Some(x) => x,
                None => match u
                    .nodes
                    .iter()
                    .position(|n| Some(n.uname.as_str()) == ns.attr("uname"))
                {
                    Some(x) => x,
                    None => continue,
                },
            };
            let node = &u.nodes[nid];
            if node.unpacked {
                continue;
            }
            if node.kind != NodeKind::Member {
                let ok = if pass == 0 {
                    remote_connection_up(u, nid)
                } else {
                    stonith
                };
                if !ok {
                    continue;
                }
                remote_online_status(u, nid);
                remote_attributes(u, nid);
                remote_progress = true;
            }
            let node = &u.nodes[nid];
            // with fencing or shutdown locks, offline cluster nodes are read
            // in status order with the online ones (this numbers clone
            // instances; see find_history_target for unclean nodes)
            let first_pass = node.online
                || node.crmd_online
                || ((stonith || shutdown_lock) && node.kind == NodeKind::Member);
            if node.kind == NodeKind::Member && (pass == 0) != first_pass {
                continue;
            }
            u.nodes[nid].unpacked = true;
            let node = &u.nodes[nid];
            // offline nodes without fencing (or shutdown locks): history not
            // unpacked, even when the node is unclean
            if !node.online && node.kind == NodeKind::Member && !stonith && !shutdown_lock {
                continue;
            }
            for mut lr in history.take(k) {
                let ops = std::mem::take(&mut lr.ops);
                let target = find_history_target(u, nid, &lr);
                let Some(target) = target else { continue };
                if u.rscs[target].orphan && is_remote_agent(&u.rscs[target]) {
                    orphan_remote_node(cx, u, target);
                }
                let promotable = u.rscs[target]
                    .parent
                    .map(|p| {
                        let p = if u.rscs[p].kind == RscKind::Group {
                            u.rscs[p].parent.unwrap_or(p)
                        } else {
                            p
                        };
                        u.rscs[p].promotable
                    })
                    .unwrap_or(false);
                let has_container = containers.get(target).copied().flatten().is_some();
                let remote_conn = is_remote_agent(&u.rscs[target])
                    && !has_container
                    && u.rscs[target].parent.is_none();
                let keep_monitor_failures = remote_conn
                    && stonith
                    && u.rscs[target].params.contains_key("reconnect_interval")
                    && u.nodes
                        .iter()
                        .any(|n| n.uname == u.rscs[target].id && !n.remote_was_fenced);
                let unexpired_fail_count = {
                    let here = FailureAttrs::of_node(&mut failures, u, nid);
                    let (count, last) = fail_count(u, target, here, &[]);
                    let timeout = u.rscs[target].failure_timeout;
                    count.0 > 0 && (last == 0 || u.now < last + timeout)
                };
                let mut h = eval_history(
                    &u.rscs[target],
                    ops,
                    HistoryCtx {
                        stonith,
                        promotable,
                        now: u.now,
                        has_container,
                        remote_conn,
                        keep_monitor_failures,
                        unexpired_fail_count,
                    },
                );
                h.shutdown_lock = lr.shutdown_lock;
                let r = &mut u.rscs[target];
                if !r.orphan {
                    let changed = lr.class.as_deref() != Some(r.class.as_str())
                        || lr.agent.as_deref() != Some(r.agent.as_str())
                        || lr.provider.as_deref() != r.provider.as_deref();
                    h.agent_changed = changed;
                    if changed && h.role > Role::Stopped {
                        r.restart_on.insert(nid);
                    }
                }
                h.history_name = lr.id;
                if h.role > Role::Stopped {
                    if !r.running_on.contains(&nid) {
                        r.running_on.push(nid);
                    }
                    if h.role > r.role || r.role == Role::Unknown {
                        r.role = h.role;
                    }
                }
                // a second entry bound to the same instance: keep the active one
                let keep_old = r.history.get(&nid).is_some_and(|o| o.role > Role::Stopped)
                    && h.role <= Role::Stopped;
                if !keep_old {
                    r.history.insert(nid, h);
                }
            }
        }
        if pass == 0 && remote_progress {
            continue;
        }
        if pass == 1 {
            break;
        }
        pass = 1;
    }
    // remote/guest nodes whose history was not unpacked
    for nid in 0..u.nodes.len() {
        if u.nodes[nid].kind != NodeKind::Member && !u.nodes[nid].unpacked {
            remote_online_status(u, nid);
        }
    }
    unpack_migrations(u);
    if shutdown_lock {
        apply_shutdown_locks(u, u.options.shutdown_lock_limit_s);
    }
    // a failed resource with a container (meta `container`, inherited from
    // its group) restarts the container where it failed
    for ri in 0..u.rscs.len() {
        if !u.rscs[ri].is_leaf() {
            continue;
        }
        let Some(ci) = container_of(u, ri) else {
            continue;
        };
        let nodes: Vec<NodeId> = u.rscs[ri]
            .history
            .iter()
            .filter(|(_, h)| {
                (h.failed && h.on_fail == OnFail::Restart && h.role > Role::Stopped)
                    || h.restart_container
            })
            .map(|(&n, _)| n)
            .filter(|n| u.rscs[ci].running_on.contains(n))
            .collect();
        u.rscs[ci].restart_on.extend(nodes);
    }
    // leaves held by each container (meta `container`)
    let mut held: BTreeMap<RscId, Vec<RscId>> = BTreeMap::new();
    for fi in 0..u.rscs.len() {
        if u.rscs[fi].is_leaf() {
            if let Some(ci) = container_of(u, fi) {
                held.entry(ci).or_default().push(fi);
            }
        }
    }
    // derive per-resource failure state
    let now = u.now;
    for ri in 0..u.rscs.len() {
        if !u.rscs[ri].is_leaf() {
            continue;
        }
        // read the histories in place (taken out while the resource changes)
        let hist = std::mem::take(&mut u.rscs[ri].history);
        // nodes where its fail count is in effect
        let mut failing: BTreeSet<NodeId> = BTreeSet::new();
        for (&nid, h) in &hist {
            let unclean = u.nodes[nid].unclean;
            let guest_reset =
                u.nodes[nid].kind == NodeKind::Guest && u.nodes[nid].remote_requires_reset;
            let can_fence_here = fenceable(&u.options, &u.nodes[nid]);
            let r = &mut u.rscs[ri];
            if h.hard_ban {
                r.status_bans.insert(nid, "hard error".into());
            }
            if h.fatal {
                r.ban_everywhere = true;
            }
            if h.stop_failed && h.failed {
                r.status_bans.insert(nid, "__stop_fail__".into());
            }
            if let Some(t) = &h.pending_task {
                if t == "start" || t == "migrate_from" {
                    r.pending_start = true;
                }
            }
            if h.failed && !unclean && h.reset_remote {
                r.failed = true;
                if h.role > Role::Stopped {
                    r.failed_nodes.insert(nid);
                }
                // with a reconnect interval, the connection stays down until
                // the failure expires
                if r.params.contains_key("reconnect_interval") {
                    r.forced_stop = true;
                }
            } else if h.failed && unclean && h.stop_failed && h.hard_ban && !can_fence_here {
                // a stop that failed for good (agent missing) on an unclean
                // node nobody can fence (out of our membership, no quorum):
                // the resource is stuck there
                r.failed = true;
                r.failed_nodes.insert(nid);
                r.managed = false;
                r.blocked = true;
            } else if h.failed && !unclean {
                // a guest node that must be reset is still unclean while its
                // history is read: the resources there are recovered with it
                // and their own on-fail is ignored
                let on_fail = if guest_reset {
                    OnFail::Restart
                } else {
                    h.on_fail
                };
                match on_fail {
                    OnFail::Demote if h.role == Role::Promoted => {
                        r.force_demote = true;
                    }
                    OnFail::Restart | OnFail::Demote => {
                        if h.role > Role::Stopped {
                            r.failed = true;
                            r.failed_nodes.insert(nid);
                        }
                    }
                    OnFail::Block => {
                        r.failed = true;
                        r.failed_nodes.insert(nid);
                        r.managed = false;
                        r.blocked = true;
                    }
                    OnFail::Stop => {
                        r.failed = true;
                        r.failed_nodes.insert(nid);
                        r.forced_stop = true;
                    }
                    OnFail::Migrate => {
                        r.failed = true;
                        r.failed_nodes.insert(nid);
                        r.status_bans
                            .insert(nid, "__action_migration_auto__".into());
                    }
                    OnFail::Standby => {
                        r.failed = true;
                        r.failed_nodes.insert(nid);
                        u.nodes[nid].standby = true;
                    }
                    OnFail::Fence => {
                        r.failed = true;
                        r.failed_nodes.insert(nid);
                        let reason = format!("{} failed there", r.id);
                        match u.nodes[nid].kind {
                            NodeKind::Guest => fence_guest(u, nid),
                            NodeKind::Remote => fence_remote(u, nid, &reason),
                            NodeKind::Member => {
                                let n = &mut u.nodes[nid];
                                n.unclean = true;
                                if n.fence_reason.is_none() {
                                    n.fence_reason = Some(reason);
                                }
                            }
                        }
                    }
                    OnFail::Ignore => {}
                }
            }
            // fail counts / migration-threshold
            let r = &u.rscs[ri];
            let held_here: &[RscId] = held.get(&ri).map_or(&[], Vec::as_slice);
            let here = FailureAttrs::of_node(&mut failures, u, nid);
            let (count, last_failure) = fail_count(u, ri, here, held_here);
            let only_ignored = (h.ignored_failure && !h.counted_failure) || h.agent_changed;
            if count.0 > 0 && !only_ignored {
                let expired = r.failure_timeout > 0
                    && last_failure > 0
                    && now > last_failure + r.failure_timeout;
                if expired {
                    u.clear_failcounts.push((ri, nid));
                } else {
                    failing.insert(nid);
                    if r.migration_threshold > 0 && count.0 >= r.migration_threshold {
                        let key = "__fail_limit__";
                        u.rscs[ri].status_bans.insert(nid, key.into());
                    }
                }
            }
        }
        u.rscs[ri].history = hist;
        // parameter changes since the last start
        if !u.rscs[ri].orphan {
            let r = &u.rscs[ri];
            let mut changed = BTreeSet::new();
            let mut reload = BTreeSet::new();
            let mut pending_restart = BTreeSet::new();
            for (&nid, h) in &r.history {
                if h.role <= Role::Stopped {
                    continue;
                }
                // the last start; without one, a probe that found the
                // resource running (after the last stop) stands in for it
                let last_start = h
                    .ops
                    .iter()
                    .rev()
                    .find(|o| {
                        (o.task == "start" || o.task == "migrate_from")
                            && ((o.rc == o.expected_rc && o.op_status == 0) || o.op_status == -1)
                    })
                    .or_else(|| {
                        h.ops
                            .iter()
                            .rev()
                            .take_while(|o| o.task != "stop")
                            .find(|o| {
                                o.task == "monitor"
                                    && o.interval_ms == 0
                                    && (o.rc == 0 || o.rc == 8)
                                    && o.op_status == 0
                            })
                    });
                let Some(op) = last_start else { continue };
                // digests of very old histories used another recipe; masked
                // (sanitised) secrets cannot be compared
                if !crate::digest::comparable(op) {
                    continue;
                }
                let mut params = crate::digest::resource_params(r);
                if let Some(a) = params.get_mut("addr") {
                    if is_remote_agent(r) && a == crate::bundle::REMOTE_ADDR_HOST {
                        // the host of the replica's container (which may be
                        // a remote node the connection does not run on)
                        let host = container_of(u, ri)
                            .and_then(|k| u.rscs[k].running_on.first().copied())
                            .unwrap_or(nid);
                        *a = u.nodes[host].uname.clone();
                    }
                }
                // the restart digest covers the parameters named in
                // op-force-restart, or all of them when there is no such list
                if let Some(rd) = &op.restart_digest {
                    let names: Option<BTreeSet<&str>> = op
                        .force_restart
                        .as_deref()
                        .map(|fr| fr.split_whitespace().collect());
                    let restricted: BTreeMap<String, String> = params
                        .iter()
                        .filter(|(k, _)| names.as_ref().is_none_or(|n| n.contains(k.as_str())))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if crate::digest::params_digest(&restricted) != **rd {
                        changed.insert(nid);
                        continue;
                    }
                }
                // no digest recorded: what the resource ran with is unknown,
                // so Pacemaker restarts it to be sure
                let Some(d) = &op.op_digest else {
                    changed.insert(nid);
                    continue;
                };
                let secure_ok = match (&op.secure_params, &op.secure_digest) {
                    (Some(sp), Some(sd)) => {
                        let secret: BTreeSet<&str> = sp.split_whitespace().collect();
                        let public: BTreeMap<String, String> = params
                            .iter()
                            .filter(|(k, _)| {
                                !secret.contains(k.as_str()) && !k.starts_with("pcmk_")
                            })
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        crate::digest::params_digest(&public) == **sd
                    }
                    _ => false,
                };
                if crate::digest::params_digest(&params) != **d && !secure_ok {
                    // a start still pending cannot be reloaded: a plain
                    // restart (no reason given)
                    if op.restart_digest.is_some() && r.pending_start {
                        pending_restart.insert(nid);
                    } else if op.restart_digest.is_some() {
                        reload.insert(nid);
                    } else {
                        changed.insert(nid);
                    }
                }
            }
            // a last failure of a start or monitor whose parameters have
            // changed since has its fail count cleared (check_operation_expiry)
            // (a bundle's generated resources are left out: their
            // parameters are Pacemaker's own making)
            let generated = r.meta.contains_key(crate::bundle::MEMBER_META);
            for (&nid, h) in r.history.iter().filter(|_| !generated) {
                let changed_failure = h.ops.iter().any(|op| {
                    op.last_failure
                        && (op.task == "start" || op.task == "monitor")
                        && crate::digest::comparable(op)
                        && op.op_digest.as_deref().is_some_and(|d| {
                            let mut params = crate::digest::resource_params(r);
                            if op.interval_ms > 0 {
                                let cfg = r.ops.iter().find(|o| {
                                    o.name == op.task.as_ref() && o.interval_ms == op.interval_ms
                                });
                                if let Some(cfg) = cfg {
                                    params.extend(cfg.params.clone());
                                }
                                params.insert(
                                    "CRM_meta_timeout".into(),
                                    cfg.and_then(|c| c.timeout_ms).unwrap_or(20000).to_string(),
                                );
                            }
                            crate::digest::params_digest(&params) != d
                        })
                });
                if changed_failure && !u.clear_failcounts.contains(&(ri, nid)) {
                    u.clear_failcounts.push((ri, nid));
                }
            }
            // a failed resource whose definition changed has its fail
            // count cleared, to be retried fresh (process_rsc_history)
            for &nid in changed.iter().chain(&reload).chain(&pending_restart) {
                if failing.contains(&nid) && !u.clear_failcounts.contains(&(ri, nid)) {
                    u.clear_failcounts.push((ri, nid));
                }
            }
            let r = &mut u.rscs[ri];
            r.definition_changed = changed;
            r.reload_on = reload;
            r.restart_on.extend(pending_restart);
        }
        // resources active on a node in maintenance are left alone
        if u.rscs[ri]
            .running_on
            .iter()
            .any(|&n| u.nodes[n].maintenance)
        {
            u.rscs[ri].managed = false;
        }
        // multiply active with multiple-active=block: leave it alone
        {
            let r = &mut u.rscs[ri];
            if r.running_on.len() > 1
                && r.meta.get("multiple-active").map(String::as_str) == Some("stop_only")
            {
                r.forced_stop = true;
            }
            if r.running_on.len() > 1
                && r.meta.get("multiple-active").map(String::as_str) == Some("block")
            {
                r.managed = false;
                r.blocked = true;
            }
        }
        // a managed resource active on an offline node makes that node
        // unclean (a guest node's container is recovered instead, and the
        // resource counts as failed)
        let r = &u.rscs[ri];
        if r.managed {
            let rid = r.id.clone();
            for &nid in &r.running_on.clone() {
                let n = &u.nodes[nid];
                if n.online || n.maintenance {
                    continue;
                }
                match n.kind {
                    NodeKind::Guest => {
                        let r = &mut u.rscs[ri];
                        r.failed = true;
                        r.failed_nodes.insert(nid);
                        fence_guest(u, nid);
                    }
                    NodeKind::Remote if stonith => {
                        let conn_ok =
                            remote_connection(u, nid).is_some_and(|c| !failed_so_far(u, c));
                        let reason = if conn_ok {
                            u.nodes[nid].unseen = true;
                            format!(
                                "{rid} is active there (fencing will be revoked if remote \
                                 connection can be re-established elsewhere)"
                            )
                        } else {
                            format!("{rid} is thought to be active there")
                        };
                        fence_remote(u, nid, &reason);
                    }
                    NodeKind::Member if stonith && !n.unclean && !n.pending => {
                        let n = &mut u.nodes[nid];
                        n.unclean = true;
                        n.fence_reason = Some(format!("{rid} is thought to be active there"));
                    }
                    _ => {}
                }
            }
        }
    }
    // an orphan's fail counts are cleared on every online node where one
    // is in effect (clear_failcounts_if_orphaned)
    if u.options.stop_orphan_resources {
        let now = u.now;
        for ri in 0..u.rscs.len() {
            let r = &u.rscs[ri];
            if !r.orphan || r.parent.is_some() || orphan_clone_instance(u, ri) {
                continue;
            }
            for nid in 0..u.nodes.len() {
                if !u.nodes[nid].online || u.clear_failcounts.contains(&(ri, nid)) {
                    continue;
                }
                let here = FailureAttrs::of_node(&mut failures, u, nid);
                let (count, last_failure) = fail_count(u, ri, here, &[]);
                let r = &u.rscs[ri];
                let expired = r.failure_timeout > 0
                    && last_failure > 0
                    && now > last_failure + r.failure_timeout;
                if count.0 > 0 && !expired {
                    u.clear_failcounts.push((ri, nid));
                }
            }
        }
    }
}

/// An orphaned remote connection still defines its remote node (Pacemaker's
/// `create_fake_resource`), which is shutting down. The node is appended
/// to the node list (node ids already in use stay valid).
fn orphan_remote_node(cx: &Ctx, u: &mut Unpacked, conn: RscId) {
    let name = u.rscs[conn].id.clone();
    if let Some(n) = u.nodes.iter_mut().find(|n| n.uname == name) {
        if n.remote_rsc.is_none() {
            n.kind = NodeKind::Remote;
            n.remote_rsc = Some(name);
            n.shutdown = true;
        }
        return;
    }
    let stonith = u.options.stonith_enabled;
    let mut attrs = BTreeMap::new();
    let ns = cx.root.child("status").and_then(|s| {
        s.elements()
            .filter(|e| e.name == "node_state")
            .find(|e| e.attr("id") == Some(name.as_str()) || e.attr("uname") == Some(name.as_str()))
    });
    if let Some(ta) = ns.and_then(|ns| ns.child("transient_attributes")) {
        let rctx = RuleContext {
            now: u.now,
            ..Default::default()
        };
        cx.nvsets(ta, "instance_attributes", &rctx, &mut attrs, false);
    }
    attrs.insert("#uname".into(), name.clone());
    attrs.insert("#id".into(), name.clone());
    attrs.insert("#kind".into(), "remote".into());
    u.nodes.push(NodeInfo {
        id: name.clone(),
        uname: name.clone(),
        kind: NodeKind::Remote,
        online: false,
        standby: attrs.get("standby").is_some_and(|v| is_true(v)),
        maintenance: attrs.get("maintenance").is_some_and(|v| is_true(v)),
        shutdown: true,
        unclean: stonith && u.options.startup_fencing,
        pending: false,
        fence_reason: None,
        attrs,
        utilization: BTreeMap::new(),
        base_score: Score::ZERO,
        remote_rsc: Some(name),
        has_state: ns.is_some(),
        crmd_online: false,
        unseen: true,
        remote_requires_reset: false,
        remote_was_fenced: false,
        unpacked: false,
    });
}

/// A node's `fail-count-*` and `last-failure-*` attributes, each as (what
/// follows the prefix, value): a handful at most, while most resources have
/// none, so they are picked out of the node's attributes once.
struct FailureAttrs {
    fail_counts: Vec<(String, String)>,
    last_failures: Vec<(String, String)>,
}

impl FailureAttrs {
    fn of(node: &NodeInfo) -> Self {
        let named = |prefix: &str| -> Vec<(String, String)> {
            node.attrs
                .range::<str, _>((
                    std::ops::Bound::Included(prefix),
                    std::ops::Bound::Unbounded,
                ))
                .map_while(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v.clone())))
                .collect()
        };
        FailureAttrs {
            fail_counts: named("fail-count-"),
            last_failures: named("last-failure-"),
        }
    }

    /// Node `nid`'s, from those read so far (`known`, by node id), reading
    /// those of nodes added since first.
    fn of_node<'k>(known: &'k mut Vec<FailureAttrs>, u: &Unpacked, nid: NodeId) -> &'k Self {
        let read = known.len();
        known.extend(u.nodes[read..].iter().map(FailureAttrs::of));
        &known[nid]
    }
}

/// A resource's fail count on a node and its last failure time (0 when
/// none), from the node's failure attributes; a container's count includes
/// those of the resources it holds (`held`).
fn fail_count(u: &Unpacked, ri: RscId, node: &FailureAttrs, held: &[RscId]) -> (Score, i64) {
    let legacy = u.options.legacy_failcount;
    let r = &u.rscs[ri];
    // instances of unique clones (and their group members) count
    // failures under their instance id
    let unique = r.unique || clone_of(&u.rscs, ri).is_some_and(|c| u.rscs[c].unique);
    let mut count = Score::ZERO;
    let mut last_failure = 0i64;
    // a container's count includes those of the resources it holds
    let mut bases = vec![if unique { &r.id } else { &r.xml_id }];
    bases.extend(held.iter().map(|&fi| &u.rscs[fi].id));
    // anonymous clones' counts may carry an instance number
    // (`fail-count-rsc:0`), as Pacemaker's `(:[0-9]+)?` allows
    let anon = !r.unique;
    for base in bases {
        for (name, v) in &node.fail_counts {
            let Some(rest) = after_rsc_name(name, base, anon) else {
                continue;
            };
            if rest.is_empty() || (!legacy && rest.starts_with('#')) {
                count = count.add(Score::parse(v));
            }
        }
        for (name, v) in &node.last_failures {
            let Some(rest) = after_rsc_name(name, base, anon) else {
                continue;
            };
            if rest.is_empty() || rest.starts_with('#') {
                last_failure = last_failure.max(v.parse().unwrap_or(0));
            }
        }
    }
    (count, last_failure)
}

/// The connection resource of a remote or guest node.
pub fn remote_connection(u: &Unpacked, nid: NodeId) -> Option<RscId> {
    u.nodes[nid]
        .remote_rsc
        .as_ref()
        .and_then(|r| u.rsc_by_id.get(r))
        .copied()
}

/// Whether the resource has failed according to the history unpacked so
/// far (Pacemaker's `pe_rsc_failed` flag at this point of unpacking).
fn failed_so_far(u: &Unpacked, ri: RscId) -> bool {
    let r = &u.rscs[ri];
    r.failed
        || r.history.iter().any(|(&n, h)| {
            h.failed
                && !u.nodes[n].unclean
                && (h.role > Role::Stopped || h.reset_remote)
                && !matches!(h.on_fail, OnFail::Ignore)
        })
}

/// The connection (and, for a guest, its container) is known to be started.
fn remote_connection_up(u: &Unpacked, nid: NodeId) -> bool {
    let Some(c) = remote_connection(u, nid) else {
        return false;
    };
    let started = |r: RscId| !u.rscs[r].running_on.is_empty() && u.rscs[r].role == Role::Started;
    started(c) && container_of(u, c).is_none_or(started)
}

/// Pacemaker's `determine_remote_online_status`, plus the fencing a failed
/// connection's `reset_remote` on-fail asks for.
fn remote_online_status(u: &mut Unpacked, nid: NodeId) {
    let Some(c) = remote_connection(u, nid) else {
        u.nodes[nid].online = false;
        return;
    };
    // a failed (non-guest) connection: "remote connection is unrecoverable"
    if u.nodes[nid].kind == NodeKind::Remote
        && u.options.stonith_enabled
        && u.rscs[c].managed
        && !u.nodes[nid].remote_was_fenced
        && u.rscs[c]
            .history
            .values()
            .any(|h| h.failed && h.reset_remote)
    {
        fence_remote(u, nid, "remote connection is unrecoverable");
    }
    let container = container_of(u, c);
    let conn = &u.rscs[c];
    let host = if container.is_some() && conn.running_on.len() == 1 {
        Some(conn.running_on[0])
    } else {
        None
    };
    let mut online = !conn.running_on.is_empty() && conn.role == Role::Started;
    let mut reset = u.nodes[nid].remote_requires_reset;
    let stopped = |r: RscId| u.rscs[r].running_on.is_empty();
    if container.is_some_and(|k| failed_so_far(u, k)) {
        online = false;
        reset = true;
    } else if failed_so_far(u, c) {
        online = false;
    } else if stopped(c) || container.is_some_and(stopped) {
        online = false;
        reset = false;
    } else if host.is_some_and(|h| {
        // a host found running managed resources while offline is about to
        // be marked unclean (Pacemaker does so while unpacking its history)
        !u.nodes[h].online
            && (u.nodes[h].unclean
                || (u.options.stonith_enabled
                    && u.nodes[h].kind == NodeKind::Member
                    && u.rscs
                        .iter()
                        .any(|r| r.is_leaf() && r.managed && r.running_on.contains(&h))))
    }) {
        online = false;
        reset = true;
    }
    let n = &mut u.nodes[nid];
    n.online = online;
    n.remote_requires_reset = reset;
}

/// Pacemaker's `unpack_handle_remote_attrs`: a remote node whose history is
/// unpacked is clean unless it must be reset; shutdown and maintenance.
fn remote_attributes(u: &mut Unpacked, nid: NodeId) {
    let conn_managed = remote_connection(u, nid).is_none_or(|c| u.rscs[c].managed);
    let n = &mut u.nodes[nid];
    if !n.remote_requires_reset {
        n.unclean = false;
        n.unseen = false;
    }
    if n.attrs
        .get("shutdown")
        .is_some_and(|v| v != "0" && !v.is_empty())
    {
        n.shutdown = true;
    }
    if !conn_managed {
        n.maintenance = true;
    }
}

/// Pacemaker's `pe_fence_node` for a remote (not guest) node.
fn fence_remote(u: &mut Unpacked, nid: NodeId, reason: &str) {
    let managed = remote_connection(u, nid).is_none_or(|c| u.rscs[c].managed);
    let n = &mut u.nodes[nid];
    if managed {
        n.remote_requires_reset = true;
    }
    n.unclean = true;
    if n.fence_reason.is_none() {
        n.fence_reason = Some(reason.to_string());
    }
}

/// Pacemaker's `pe_fence_node` for a guest node: recover its container.
fn fence_guest(u: &mut Unpacked, nid: NodeId) {
    let Some(c) = remote_connection(u, nid) else {
        return;
    };
    let Some(k) = container_of(u, c) else { return };
    if u.rscs[k].failed || !u.rscs[k].managed {
        return;
    }
    u.nodes[nid].remote_requires_reset = true;
    let r = &mut u.rscs[k];
    r.failed = true;
    let on = r.running_on.clone();
    r.failed_nodes.extend(on);
}

/// A failed connection makes fencing of its unclean remote node certain.
fn remote_failures_are_seen(u: &mut Unpacked) {
    for nid in 0..u.nodes.len() {
        if u.nodes[nid].kind == NodeKind::Member || !u.nodes[nid].unclean {
            continue;
        }
        if remote_connection(u, nid).is_some_and(|c| u.rscs[c].failed) {
            u.nodes[nid].unseen = false;
        }
    }
}

/// Map a history entry id to a leaf resource (binding anonymous clone
/// instances as Pacemaker's `find_anonymous_clone` does). Creates orphans.
fn find_history_target(u: &mut Unpacked, nid: NodeId, lr: &LrmResource) -> Option<RscId> {
    let rid = lr.id.as_str();
    // exact match on a leaf (primitives, unique instances)
    if let Some(&i) = u.rsc_by_id.get(rid) {
        if u.rscs[i].is_leaf() {
            let under_anon_clone = clone_of(&u.rscs, i)
                .map(|c| !u.rscs[c].unique)
                .unwrap_or(false);
            if !under_anon_clone && !u.rscs[i].orphan {
                return Some(i);
            }
        }
    }
    let base = rid.split(':').next().unwrap_or(rid);
    // anonymous clone child?
    let clone = u.rscs.iter().position(|r| {
        r.kind == RscKind::Clone && r.params.get("#child-xml-id").map(String::as_str) == Some(base)
    });
    let clone = clone.or_else(|| {
        // member of a cloned group
        u.rscs.iter().position(|r| {
            r.kind == RscKind::Clone
                && r.children.first().is_some_and(|&c| {
                    u.rscs[c].kind == RscKind::Group
                        && u.rscs[c].children.iter().any(|&m| u.rscs[m].xml_id == base)
                })
        })
    });
    if let Some(c) = clone {
        if u.rscs[c].unique {
            if let Some(&i) = u.rsc_by_id.get(rid) {
                return Some(i);
            }
            return make_orphan(u, rid, lr);
        }
        if let Some(m) = crate::bundle::history_instance(u, c, nid) {
            return Some(m);
        }
        let instances = u.rscs[c].children.clone();
        let member_of = |u: &Unpacked, inst: RscId| -> Option<RscId> {
            if u.rscs[inst].kind == RscKind::Group {
                u.rscs[inst]
                    .children
                    .iter()
                    .copied()
                    .find(|&m| u.rscs[m].xml_id == base)
            } else if u.rscs[inst].xml_id == base {
                Some(inst)
            } else {
                None
            }
        };
        let locations = |u: &Unpacked, inst: RscId| -> BTreeSet<NodeId> {
            let mut l = Vec::new();
            leaves(&u.rscs, inst, &mut l);
            let mut s = BTreeSet::new();
            for x in l {
                s.extend(u.rscs[x].running_on.iter().copied());
                if u.rscs[x]
                    .history
                    .get(&nid)
                    .and_then(|h| h.pending_task.as_ref())
                    .is_some()
                {
                    s.insert(nid);
                }
            }
            s
        };
        let mut inactive = None;
        let mut skip_inactive = false;
        let mut found = None;
        for &inst in &instances {
            let locs = locations(u, inst);
            if !locs.is_empty() {
                if locs.len() == 1 && locs.contains(&nid) {
                    if let Some(m) = member_of(u, inst) {
                        // a second active history for the same member on
                        // this node is an orphan, even if numbers are free
                        if !u.rscs[m].running_on.is_empty() {
                            skip_inactive = true;
                            continue;
                        }
                        found = Some(m);
                        break;
                    }
                }
            } else if inactive.is_none() {
                if let Some(m) = member_of(u, inst) {
                    inactive = Some(m);
                }
            }
        }
        let found = found.or(inactive.filter(|_| !skip_inactive));
        // an instance that does not need fencing, seen on an offline or
        // unclean (non-guest) node, does not use up an instance number unless
        // the clone runs everywhere: it is an orphan
        let node = &u.nodes[nid];
        let orphaned = found.is_some_and(|m| {
            !crate::actions::needs_fencing(u, &u.rscs[m])
                && (!node.online || node.unclean)
                && node.kind != NodeKind::Guest
                && u.rscs[c].clone_max != u.nodes.len()
        });
        if let Some(m) = found.filter(|_| !orphaned) {
            return Some(m);
        }
        let cmax = u.rscs[c].clone_max;
        let mut k = cmax;
        loop {
            let name = format!("{base}:{k}");
            match u.rsc_by_id.get(&name) {
                Some(&o) if u.rscs[o].orphan => {
                    if u.rscs[o].running_on.is_empty() {
                        return Some(o);
                    }
                }
                Some(_) => {}
                None => {
                    // extra instances of a clone are managed like the clone,
                    // whatever stop-orphan-resources says
                    let o = make_orphan(u, &name, lr);
                    if let Some(o) = o {
                        u.rscs[o].managed = u.rscs[c].managed;
                        // an instance of a clone of primitives is the
                        // clone's own (create_child_clone): its stop is part
                        // of the clone's
                        let primitive_clone =
                            u.rscs[c].params.get("#child-xml-id").map(String::as_str) == Some(base);
                        if primitive_clone {
                            // a copy of the clone's primitive: its meta
                            // attributes (requires, ...) apply (the clone's
                            // own when it has no instance at all)
                            let meta = match u.rscs[c].children.first() {
                                Some(&tmpl) => u.rscs[tmpl].meta.clone(),
                                None => u.rscs[c].meta.clone(),
                            };
                            u.rscs[o].meta = meta;
                            u.rscs[o].parent = Some(c);
                            u.rscs[c].children.push(o);
                            u.top_xml.retain(|&x| x != o);
                        }
                    }
                    return o;
                }
            }
            k += 1;
        }
    }
    if let Some(&i) = u.rsc_by_id.get(rid) {
        // history of a resource that is no longer a primitive belongs to an
        // orphan of that name
        if u.rscs[i].is_leaf() {
            return u.rscs[i].orphan.then_some(i);
        }
    }
    make_orphan(u, rid, lr)
}

pub fn clone_of(rscs: &[Rsc], i: RscId) -> Option<RscId> {
    let mut p = rscs[i].parent;
    while let Some(x) = p {
        if rscs[x].kind == RscKind::Clone {
            return Some(x);
        }
        p = rscs[x].parent;
    }
    None
}

/// An orphan that is an instance of a configured anonymous clone (Pacemaker creates it
/// inside the clone, where its history belongs to the clone as a whole),
/// as opposed to a resource no longer configured at all.
pub fn orphan_clone_instance(u: &Unpacked, ri: RscId) -> bool {
    let r = &u.rscs[ri];
    if r.orphan && clone_of(&u.rscs, ri).is_some_and(|c| !u.rscs[c].unique) {
        return true;
    }
    r.orphan
        && r.id.contains(':')
        && u.rscs.iter().enumerate().any(|(i, x)| {
            !x.orphan
                && x.xml_id == r.xml_id
                && clone_of(&u.rscs, i).is_some_and(|c| !u.rscs[c].unique)
        })
}

fn make_orphan(u: &mut Unpacked, rid: &str, lr: &LrmResource) -> Option<RscId> {
    if let Some(&i) = u.rsc_by_id.get(rid) {
        if u.rscs[i].orphan {
            return Some(i);
        }
        // the name is a configured collective's: the orphan stays out of
        // the id index, so constraints keep naming the collective
        if let Some(o) = u.rscs.iter().position(|r| r.orphan && r.id == rid) {
            return Some(o);
        }
    }
    let taken = u.rsc_by_id.contains_key(rid);
    let idx = u.rscs.len();
    let base = rid.split(':').next().unwrap_or(rid).to_string();
    let xml_index = idx + 100_000;
    u.rscs.push(Rsc {
        class: lr.class.as_deref().unwrap_or("ocf").to_string(),
        provider: lr.provider.as_deref().map(str::to_string),
        agent: lr.agent.as_deref().unwrap_or("").to_string(),
        orphan: true,
        managed: u.options.stop_orphan_resources,
        target_role: Some(Role::Stopped),
        ban_everywhere: true,
        forced_stop: true,
        ..Rsc::new(rid.to_string(), base, RscKind::Primitive, None, xml_index)
    });
    if !taken {
        u.rsc_by_id.insert(rid.to_string(), idx);
    }
    u.top_xml.push(idx);
    Some(idx)
}

//! Stage 4: actions and orderings ([`Actions`]). Every resource gets its
//! start/stop/promote/demote actions (optional until something requires
//! them), containers get their pseudo actions, unclean nodes get fencing, and
//! the orderings (implicit and configured) are applied until nothing changes.

use std::collections::{BTreeMap, BTreeSet};

use crate::assign::{effective_target_role, Assigned};
use crate::model::*;
use crate::unpack::*;

pub type ActionId = usize;

/// One scheduled (or considered) action.
#[derive(Debug, Clone, Default)]
pub struct Action {
    pub rsc: Option<RscId>,
    pub task: String,
    pub interval_ms: u64,
    pub node: Option<NodeId>,
    pub pseudo: bool,
    pub optional: bool,
    pub runnable: bool,
    /// Why the action is required or blocked (first reason wins).
    pub reason: Option<String>,
    /// For fencing: the target node and fence action.
    pub fence: Option<(NodeId, String)>,
    /// Pseudo actions that are runnable when any one input is.
    pub one_or_more: Option<usize>,
    /// Shown in the graph although optional (Pacemaker's "print always": a
    /// container's pseudo op whose member action is required).
    pub printed: bool,
    /// Left out of the graph although runnable here: a container pseudo op
    /// whose members cannot run it (Pacemaker's group/clone action flags).
    pub graph_unrunnable: bool,
    /// For a `cancel` action: the name of the recurring op it cancels.
    pub cancels: Option<String>,
    /// For a clone notification ([`crate::notify`]): what it notifies.
    pub notify: Option<Box<crate::notify::Notify>>,
    /// Notification variables (`notify_*`, without the `CRM_meta_` prefix)
    /// the action carries: a notification's, or those of the notifications
    /// of the collective action an instance's own action belongs to.
    pub notify_vars: Vec<(String, String)>,
    /// For a bundle's own pseudo action (which has no `rsc`): the bundle's
    /// id ([`crate::bundle::create_actions`]).
    pub bundle: Option<String>,
}

impl Action {
    /// The task as the graph and crm_simulate name it (`notify` for every
    /// notification, whatever its key).
    pub fn op_task(&self) -> &str {
        match &self.notify {
            Some(n) => n.task(),
            None => &self.task,
        }
    }
}

/// Ordering flags (a subset of Pacemaker's `pe_ordering`). Each is its own
/// bit: `flags_are_distinct` (a test below) checks that no two collide.
pub mod flags {
    pub const IMPLIES_THEN: u32 = 1;
    pub const RUNNABLE_LEFT: u32 = 2;
    pub const IMPLIES_FIRST: u32 = 4;
    pub const RESTART: u32 = 8;
    pub const OPTIONAL: u32 = 16;
    /// Ordering internal to one resource tree: no reason is recorded.
    pub const INTERNAL: u32 = 32;
    pub const ONE_OR_MORE: u32 = 64;
    /// Not an ordering: a mandatory colocation's "primary must be able to
    /// start" link (blocks only, never delays).
    pub const COLOCATION: u32 = 128;
    /// Mandatory but asymmetrical: an unrunnable first blocks a then that
    /// has to happen, nothing else.
    pub const ASYMMETRICAL: u32 = 256;
    /// Added after propagation for the graph only (probes, monitors):
    /// never consulted for what the summary shows.
    pub const GRAPH_ONLY: u32 = 512;
    /// Used for flag propagation only; Pacemaker has no such ordering, so it
    /// is no edge of the graph (a member's action back to its container's
    /// pseudo op; a configured ordering's effect on the members of a
    /// container, which Pacemaker reaches through the container's own op).
    pub const NO_EDGE: u32 = 1024;
    /// Only when the first resource does not live-migrate (Pacemaker's
    /// `pe_order_apply_first_non_migratable`): no edge from a migrating
    /// resource's stop.
    pub const FIRST_NON_MIGRATABLE: u32 = 4096;
    /// An internal ordering that is also applied while orderings between
    /// resources settle: a container's pseudo op is required as soon as a
    /// member's action is (Pacemaker derives a group's action flags from its
    /// members' whenever it reads them).
    pub const EAGER: u32 = 2048;
    /// Created by the remote connection orderings, which Pacemaker adds last
    /// (so they come first among an action's inputs).
    pub const REMOTE: u32 = 8192;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ordering {
    pub first: ActionId,
    pub then: ActionId,
    pub flags: u32,
}

/// Output of the actions stage.
#[derive(Debug, Clone)]
pub struct Actions {
    pub assigned: Assigned,
    pub actions: Vec<Action>,
    pub orderings: Vec<Ordering>,
    pub by_key: BTreeMap<(Option<RscId>, String, Option<NodeId>), ActionId>,
    /// Nodes that will be fenced.
    pub fenced: Vec<NodeId>,
    pub can_fence: bool,
}

impl Actions {
    pub fn find(&self, rsc: Option<RscId>, task: &str, node: Option<NodeId>) -> Option<&Action> {
        self.by_key
            .get(&(rsc, task.to_string(), node))
            .map(|&i| &self.actions[i])
    }
    /// All actions of a resource with the given task (any node).
    pub fn find_all(&self, rsc: RscId, task: &str) -> Vec<ActionId> {
        self.by_key
            .range((Some(rsc), task.to_string(), None)..)
            .take_while(|((r, t, _), _)| *r == Some(rsc) && t == task)
            .map(|(_, &i)| i)
            .collect()
    }
}

/// The actions stage while it is being built (shared with [`crate::graph_ops`]).
pub(crate) struct B<'a> {
    pub(crate) a: &'a Assigned,
    pub(crate) actions: Vec<Action>,
    pub(crate) orderings: Vec<Ordering>,
    pub(crate) by_key: BTreeMap<(Option<RscId>, String, Option<NodeId>), ActionId>,
    /// Start pseudo actions of cloned groups with a member that will not
    /// start: they never count towards their clone's one-or-more running.
    pub(crate) incomplete: std::collections::BTreeSet<ActionId>,
    /// Per notifying clone (and bundle's inner clone), what its instances
    /// were about to do when its pseudo actions were made
    /// ([`crate::notify::Seed`]).
    pub(crate) seeds: BTreeMap<RscId, crate::notify::Seed>,
}

impl<'a> B<'a> {
    pub(crate) fn u(&self) -> &'a Unpacked {
        &self.a.scored.unpacked
    }
    pub(crate) fn action(
        &mut self,
        rsc: Option<RscId>,
        task: &str,
        node: Option<NodeId>,
        pseudo: bool,
        optional: bool,
        runnable: bool,
    ) -> ActionId {
        let key = (rsc, task.to_string(), node);
        if let Some(&i) = self.by_key.get(&key) {
            if !optional {
                self.actions[i].optional = false;
            }
            return i;
        }
        self.actions.push(Action {
            rsc,
            task: task.to_string(),
            node,
            pseudo,
            optional,
            runnable,
            ..Default::default()
        });
        let i = self.actions.len() - 1;
        self.by_key.insert(key, i);
        i
    }
    pub(crate) fn order(&mut self, first: ActionId, then: ActionId, flags: u32) {
        if first != then {
            self.orderings.push(Ordering { first, then, flags });
        }
    }
    pub(crate) fn set_reason(&mut self, a: ActionId, r: &str) {
        if self.actions[a].reason.is_none() {
            self.actions[a].reason = Some(r.to_string());
        }
    }
    pub(crate) fn find_all(&self, rsc: RscId, task: &str) -> Vec<ActionId> {
        self.by_key
            .range((Some(rsc), task.to_string(), None)..)
            .take_while(|((r, t, _), _)| *r == Some(rsc) && t == task)
            .map(|(_, &i)| i)
            .collect()
    }
    /// Every action of a resource, whatever its task.
    pub(crate) fn all_of(&self, rsc: RscId) -> Vec<ActionId> {
        self.by_key
            .range((Some(rsc), String::new(), None)..)
            .take_while(|((r, _, _), _)| *r == Some(rsc))
            .map(|(_, &i)| i)
            .collect()
    }
}

/// Does the resource need fencing (`requires=fencing`, the default for
/// non-stonith resources when stonith is enabled)? Others are not considered
/// active on unclean nodes.
pub fn needs_fencing(u: &Unpacked, r: &Rsc) -> bool {
    // a fence device needs fencing only when told so (`requires=fencing`,
    // rsc_defaults included); `unfencing` is reset to quorum for it
    // (a remote connection requires only quorum unless told otherwise)
    u.options.stonith_enabled
        && match r.meta.get("requires").map(String::as_str) {
            Some("fencing") => true,
            None => !r.is_stonith() && !is_remote_agent(r),
            Some("unfencing") => !r.is_stonith(),
            _ => false,
        }
}

/// Does the resource need quorum/fencing to start (`requires`)? Otherwise it
/// requires nothing.
fn requires_quorum(u: &Unpacked, r: &Rsc) -> bool {
    match r.meta.get("requires").map(String::as_str) {
        Some("nothing") => false,
        Some(_) => true,
        None => {
            // fence devices and remote connections require quorum
            if r.is_stonith() || is_remote_agent(r) {
                true
            } else {
                u.options.no_quorum_policy != NoQuorumPolicy::Ignore || u.options.stonith_enabled
            }
        }
    }
}

/// Stage 4: create actions and apply orderings.
pub fn create_actions(mut a: Assigned) -> Actions {
    remote_connection_fencing(&mut a);
    let mut b = B {
        a: &a,
        actions: Vec::new(),
        orderings: Vec::new(),
        by_key: BTreeMap::new(),
        incomplete: Default::default(),
        seeds: BTreeMap::new(),
    };
    let u = b.u();
    let can_fence = u.options.stonith_enabled
        && u.options.have_stonith_resource
        && (u.options.have_quorum || u.options.no_quorum_policy == NoQuorumPolicy::Ignore);
    // fencing
    let mut fenced = Vec::new();
    for (ni, n) in u.nodes.iter().enumerate() {
        if n.kind == NodeKind::Guest {
            // a guest node is "fenced" by recovering its container: a pseudo
            // fence op, ordered after the container's stop (below)
            let Some(k) = guest_container(u, ni) else {
                continue;
            };
            let host_ok = u.rscs[k]
                .running_on
                .iter()
                .all(|&h| u.nodes[h].online || (u.nodes[h].unclean && can_fence));
            if !n.remote_requires_reset || !host_ok {
                continue;
            }
            let act = if a.node[k].is_some() { "reboot" } else { "off" };
            let i = b.action(
                None,
                &format!("stonith-{}-{}", n.uname, act),
                Some(ni),
                true,
                false,
                true,
            );
            b.actions[i].fence = Some((ni, act.to_string()));
            fenced.push(ni);
            continue;
        }
        // without quorum, only nodes still in our membership can be fenced
        let fenceable =
            can_fence || (u.options.stonith_enabled && u.options.have_stonith_resource && n.online);
        if n.unclean && fenceable {
            let act = u.options.stonith_action.clone();
            let i = b.action(
                None,
                &format!("stonith-{}-{}", n.uname, act),
                Some(ni),
                false,
                false,
                true,
            );
            b.actions[i].fence = Some((ni, act));
            fenced.push(ni);
        }
    }
    let no_quorum = !u.options.have_quorum && u.options.no_quorum_policy != NoQuorumPolicy::Ignore;
    // leaf actions
    for ri in 0..u.rscs.len() {
        let r = &u.rscs[ri];
        if !r.is_leaf() {
            continue;
        }
        let next = a.node[ri];
        let next_role = a.next_role[ri];
        let cur_role = r.role;
        let mut current: Vec<NodeId> = match r.continued_migration(a.node[ri]) {
            Some(source) => vec![source],
            None => r.running_on.clone(),
        };
        if !needs_fencing(u, r) {
            // active on one clean node and staying there: copies on unclean
            // nodes do not make it multiply active and need no stop
            let clean: Vec<NodeId> = current
                .iter()
                .copied()
                .filter(|&n| u.nodes[n].online && !u.nodes[n].unclean)
                .collect();
            if clean.len() == 1 && current.len() > 1 && next == Some(clean[0]) {
                current = clean;
            }
        }
        let managed = r.managed;
        let inhibited_on = a.inhibited.get(&ri).copied().filter(|_| managed);
        // start action (always exists)
        let start = b.action(
            Some(ri),
            "start",
            next.or(inhibited_on),
            false,
            true,
            next.is_some() && managed,
        );
        if inhibited_on.is_some() {
            b.actions[start].optional = false;
        }
        // a resource active nowhere cannot start before it has been probed
        // on every node, and a pending node cannot run the probe yet. With
        // fencing, a pending node counts as online (it gets probes that
        // cannot run); without, only if its controller is up
        if current.is_empty()
            && clone_of(&u.rscs, ri).is_none()
            && u.nodes.iter().enumerate().any(|(ni, n)| {
                n.pending
                    && (n.crmd_online || u.options.stonith_enabled)
                    && !n.unclean
                    && n.kind == NodeKind::Member
                    && !r.history.contains_key(&ni)
            })
        {
            b.actions[start].runnable = false;
        }
        if !managed {
            // unmanaged: active ones count as runnable and in place
            b.actions[start].runnable =
                (!current.is_empty() || next.is_some()) && !r.blocked && !r.failed;
            for &c in &current {
                let s = b.action(Some(ri), "stop", Some(c), false, true, false);
                b.order(s, start, flags::INTERNAL);
            }
            continue;
        }
        let moving = next.is_some()
            && !current.is_empty()
            && (current.len() > 1 || current[0] != next.unwrap());
        let mut stops = Vec::new();
        for &c in &current {
            let node = &u.nodes[c];
            let fenced_here = fenced.contains(&c);
            // on a guest node, nothing runs while its container's host is
            // offline and cannot be fenced (update_resource_action_runnable)
            let host_fenceable = node.kind != NodeKind::Guest
                || guest_container(u, c).is_none_or(|k| {
                    u.rscs[k]
                        .running_on
                        .iter()
                        .all(|&h| u.nodes[h].online || can_fence)
                });
            let runnable = (node.online && !node.unclean && host_fenceable) || fenced_here;
            let s = b.action(Some(ri), "stop", Some(c), fenced_here, true, runnable);
            stops.push(s);
            if fenced_here {
                let f = fenced_action(&b, c);
                if let Some(f) = f {
                    // its graph edges come from graph_ops (fence devices'
                    // implied stops are not ordered after the fencing)
                    b.order(
                        f,
                        s,
                        flags::IMPLIES_THEN
                            | flags::RUNNABLE_LEFT
                            | flags::INTERNAL
                            | flags::NO_EDGE,
                    );
                }
            }
        }
        // a completed migration's source still needs its stop; the resource
        // is no longer active there, so nothing else depends on it
        for &d in &r.dangling_migrations {
            let node = &u.nodes[d];
            if node.online && !node.unclean {
                let s = b.action(Some(ri), "stop", Some(d), false, false, true);
                // (its own stop-then-start ordering names every stop)
                b.order(s, start, flags::GRAPH_ONLY | flags::OPTIONAL);
            }
        }
        // a stopping resource outside a clone has no start of its own: only
        // a configured ordering that starts from it creates one early enough
        // for its own stop→start ordering to apply (Pacemaker ignores an
        // ordering whose then-action does not exist yet)
        let start_on_demand = next.is_none()
            && !stops.is_empty()
            && clone_of(&u.rscs, ri).is_none()
            && !u.orders.iter().any(|o| {
                let names = match &o.first_bundle {
                    // an order naming a bundle starts from each container
                    Some(bid) => r.meta.get(crate::bundle::CONTAINER_META) == Some(bid),
                    None => o.first == ri,
                };
                names && o.first_action == "start"
            });
        if next.is_none() {
            for &s in &stops {
                b.actions[s].optional = false;
                if inhibited_on.is_none() {
                    b.set_reason(s, "node availability");
                }
            }
            if !stops.is_empty() && clone_of(&u.rscs, ri).is_none() && !start_on_demand {
                // an active resource that is stopped has no start of its own.
                // A configured ordering that starts from it creates one
                // before the resource's own stop→start ordering exists, which
                // then makes it required (but unrunnable): what follows is
                // required, then blocked. Otherwise (a group member, whose
                // start is first created by its group's orderings) the start
                // stays optional.
                b.actions[start].optional = false;
            }
        } else if moving {
            for &s in &stops {
                b.actions[s].optional = false;
            }
            b.actions[start].optional = false;
        } else if current.is_empty() {
            b.actions[start].optional = false;
        } else if r.role <= Role::Stopped {
            // counted active only through a migration record: stop it there
            // before starting it properly
            for &s in &stops {
                b.actions[s].optional = false;
            }
            b.actions[start].optional = false;
        } else if r.restart_on.contains(&current[0]) && !r.failed {
            // the agent itself changed: stop it with the old one, start anew
            for &s in &stops {
                b.actions[s].optional = false;
            }
            b.actions[start].optional = false;
        } else if r.definition_changed.contains(&current[0]) && !r.failed {
            for &s in &stops {
                b.actions[s].optional = false;
            }
            b.actions[start].optional = false;
            // the reason is set on the start before it has a node; giving it
            // its node clears the reason of an action that requires nothing
            // (update_resource_action_runnable)
            if requires_quorum(u, r) {
                b.set_reason(start, "resource definition change");
            }
        } else if r.failed && r.failed_nodes.contains(&current[0]) {
            for &s in &stops {
                b.actions[s].optional = false;
            }
            b.actions[start].optional = false;
        }
        if current.len() > 1
            && r.meta.get("multiple-active").map(String::as_str) == Some("stop_unexpected")
        {
            b.set_reason(start, "being multiply active");
        }
        // quorum
        if no_quorum && requires_quorum(u, r) {
            match u.options.no_quorum_policy {
                NoQuorumPolicy::Freeze => {
                    if current.is_empty() {
                        b.actions[start].runnable = false;
                        b.actions[start].reason = Some("quorum freeze".into());
                    }
                }
                NoQuorumPolicy::Demote
                    if clone_of(&u.rscs, ri).is_some_and(|c| u.rscs[c].promotable) => {}
                _ => {
                    // replaces an earlier reason ("resource definition
                    // change"), as update_resource_action_runnable does
                    b.actions[start].runnable = false;
                    b.actions[start].reason = Some("no quorum".into());
                }
            }
        }
        // stop → start
        for &s in stops.iter().filter(|_| !start_on_demand) {
            b.order(
                s,
                start,
                flags::IMPLIES_THEN | flags::RESTART | flags::INTERNAL,
            );
        }
        // promotion
        let promotable = clone_of(&u.rscs, ri).is_some_and(|c| u.rscs[c].promotable);
        if promotable {
            if next_role == Role::Promoted {
                let p = b.action(
                    Some(ri),
                    "promote",
                    next,
                    false,
                    cur_role == Role::Promoted && !moving,
                    true,
                );
                b.order(
                    start,
                    p,
                    flags::IMPLIES_THEN | flags::RUNNABLE_LEFT | flags::INTERNAL,
                );
                if no_quorum && u.options.no_quorum_policy != NoQuorumPolicy::Ignore {
                    b.actions[p].runnable = false;
                    b.set_reason(p, "no quorum");
                }
            }
            if cur_role == Role::Promoted {
                for (k, &c) in current.iter().enumerate() {
                    let stays = next_role == Role::Promoted && next == Some(c);
                    let runnable = b.actions[stops[k]].runnable;
                    let d = b.action(
                        Some(ri),
                        "demote",
                        Some(c),
                        fenced.contains(&c),
                        stays,
                        runnable,
                    );
                    b.order(d, stops[k], flags::IMPLIES_FIRST | flags::INTERNAL);
                    if stays {
                        if let Some(&p) = b.find_all(ri, "promote").first() {
                            // demote before promote, per clone instance (a
                            // cloned group's are ordered as a whole)
                            if !r.parent.is_some_and(|g| u.rscs[g].kind == RscKind::Group) {
                                b.order(d, p, flags::INTERNAL);
                            }
                            // restart of a promoted instance re-promotes
                            // (through its start: no edge of its own)
                            b.order(
                                stops[k],
                                p,
                                flags::IMPLIES_THEN | flags::INTERNAL | flags::NO_EDGE,
                            );
                        }
                    }
                }
            }
        }
        let _ = effective_target_role;
    }
    // a guest's pseudo fencing follows its container's stop (or its host's
    // fencing, when that stop is implied by it and the host's fencing was
    // scheduled first: Pacemaker goes through the nodes by name, and the
    // stop becomes a pseudo action only when the host's fencing is)
    for &g in &fenced {
        if u.nodes[g].kind != NodeKind::Guest {
            continue;
        }
        let Some(f) = fenced_action(&b, g) else {
            continue;
        };
        let Some(k) = guest_container(u, g) else {
            continue;
        };
        for st in b.find_all(k, "stop") {
            let first = if b.actions[st].pseudo && b.actions[st].node.is_some_and(|h| h < g) {
                b.actions[st].node.and_then(|h| fenced_action(&b, h))
            } else {
                Some(st)
            };
            if let Some(first) = first {
                b.order(
                    first,
                    f,
                    flags::IMPLIES_THEN | flags::RUNNABLE_LEFT | flags::INTERNAL,
                );
            }
        }
    }
    // container pseudo actions and internal orderings (children first)
    for ri in (0..u.rscs.len()).rev() {
        let r = &u.rscs[ri];
        if r.is_leaf() {
            continue;
        }
        let is_clone_instance_group = r.kind == RscKind::Group && r.parent.is_some();
        // (a bundle's inner clone's seed also says which of its pseudo
        // actions Pacemaker made required: crate::bundle::graph_orderings)
        if crate::notify::notifies(u, ri)
            || u.rscs[ri].meta.contains_key(crate::bundle::BUNDLE_META)
        {
            let seed = crate::notify::seed(&b, ri);
            b.seeds.insert(ri, seed);
        }
        // (a group in a promotable clone promotes and demotes as a whole)
        let promotable_group =
            is_clone_instance_group && r.parent.is_some_and(|c| u.rscs[c].promotable);
        let tasks: &[(&str, &str)] =
            if (r.kind == RscKind::Clone && r.promotable) || promotable_group {
                &[
                    ("start", "running"),
                    ("stop", "stopped"),
                    ("promote", "promoted"),
                    ("demote", "demoted"),
                ]
            } else {
                &[("start", "running"), ("stop", "stopped")]
            };
        for (t, done) in tasks {
            let pa = b.action(Some(ri), t, None, true, true, true);
            let pd = b.action(Some(ri), done, None, true, true, true);
            let children = r.children.clone();
            let mut inputs = 0;
            for &c in &children {
                let child_actions = b.find_all(c, t);
                for ca in child_actions {
                    b.order(pa, ca, flags::RUNNABLE_LEFT | flags::INTERNAL);
                    let eager = if r.kind == RscKind::Group {
                        flags::EAGER
                    } else {
                        0
                    };
                    let fl = if r.kind == RscKind::Clone {
                        inputs += 1;
                        flags::IMPLIES_THEN | flags::ONE_OR_MORE | flags::INTERNAL
                    } else {
                        flags::IMPLIES_THEN | flags::RUNNABLE_LEFT | flags::INTERNAL | eager
                    };
                    // a nested container's own done op is what precedes
                    // ours in the graph (see graph_ops)
                    let nested = !u.rscs[c].is_leaf();
                    b.order(ca, pd, if nested { fl | flags::NO_EDGE } else { fl });
                    b.order(
                        ca,
                        pa,
                        flags::IMPLIES_FIRST | flags::INTERNAL | flags::NO_EDGE | eager,
                    );
                }
            }
            if r.kind == RscKind::Clone {
                b.actions[pd].one_or_more = Some(1);
                let _ = inputs;
            }
            // a cloned group counts as starting only if every member will
            // (Pacemaker's group action flags: a member without the action
            // makes it unrunnable), so the clone cannot count it as running
            if is_clone_instance_group
                && *t == "start"
                && children.iter().any(|&c| {
                    u.rscs[c].is_leaf()
                        && u.rscs[c].managed
                        && b.find_all(c, "start")
                            .iter()
                            .all(|&x| b.actions[x].node.is_none())
                })
            {
                b.incomplete.insert(pa);
            }
        }
        let ordered = r.meta.get("ordered").is_none_or(|v| is_true(v));
        if r.kind == RscKind::Group && ordered {
            // member k then k+1 (unless the group is ordered=false)
            let ch = r.children.clone();
            for w in ch.windows(2) {
                for s1 in b.find_all(w[0], "start") {
                    for s2 in b.find_all(w[1], "start") {
                        b.order(s1, s2, flags::IMPLIES_THEN);
                        b.order(s1, s2, flags::RUNNABLE_LEFT | flags::INTERNAL);
                    }
                }
                for t1 in b.find_all(w[1], "stop") {
                    for t0 in b.find_all(w[0], "stop") {
                        b.order(t1, t0, flags::IMPLIES_FIRST | flags::INTERNAL);
                        b.order(t1, t0, flags::RUNNABLE_LEFT);
                    }
                }
                if promotable_group {
                    for p1 in b.find_all(w[0], "promote") {
                        for p2 in b.find_all(w[1], "promote") {
                            b.order(p1, p2, flags::IMPLIES_THEN | flags::RUNNABLE_LEFT);
                        }
                    }
                    for d1 in b.find_all(w[1], "demote") {
                        for d0 in b.find_all(w[0], "demote") {
                            b.order(d1, d0, flags::OPTIONAL);
                        }
                    }
                }
            }
            // a partially active group shuts down in sequence: an active
            // member after an inactive one stops before the last active
            // member before it
            let mut last_active: Option<RscId> = None;
            for (k, &m) in ch.iter().enumerate() {
                if u.rscs[m].running_on.is_empty() {
                    continue;
                }
                if let Some(la) = last_active {
                    if k > 0 && u.rscs[ch[k - 1]].running_on.is_empty() {
                        for t1 in b.find_all(m, "stop") {
                            for t0 in b.find_all(la, "stop") {
                                b.order(t1, t0, flags::OPTIONAL);
                            }
                        }
                    }
                }
                last_active = Some(m);
            }
        }
    }
    // bundles' own pseudo actions, once their inner clones' exist
    crate::bundle::create_actions(&mut b);
    // actions on remote and guest nodes follow their connection (and a
    // guest's container): Pacemaker's remote connection orderings
    remote_orderings(&mut b);
    // configured orderings
    for o in &u.orders {
        let first = (o.first, o.first_bundle.as_deref());
        let then = (o.then, o.then_bundle.as_deref());
        if let Some((name, min)) = &o.one_or_more {
            // clone-min / require-all=false: a pseudo action runnable once
            // `min` of the first side's actions are
            let p = b.action(None, name, None, true, true, true);
            b.actions[p].one_or_more = Some(*min);
            let mut firsts = Vec::new();
            leaves(&u.rscs, o.first, &mut firsts);
            for l in firsts {
                for f in b.find_all(l, &o.first_action) {
                    b.order(f, p, flags::ONE_OR_MORE | flags::INTERNAL);
                }
            }
            for t in resolve_then(&b, o.then, &o.then_action) {
                // (a container's members follow through its own action)
                let member = b.actions[t].rsc != Some(o.then);
                let fl = if member {
                    flags::RUNNABLE_LEFT | flags::NO_EDGE
                } else {
                    flags::RUNNABLE_LEFT
                };
                b.order(p, t, fl);
            }
        } else {
            let kind = if o.kind == OrderKind::Mandatory && !o.symmetrical {
                None
            } else {
                Some(o.kind)
            };
            apply_order(
                &mut b,
                first,
                &o.first_action,
                then,
                &o.then_action,
                kind,
                false,
            );
        }
        // the inverse of a symmetrical order; that of a one-or-more order
        // only orders (the stops it implies are the instances' own)
        if o.symmetrical && o.kind == OrderKind::Mandatory {
            if let (Some(fa), Some(ta)) =
                (inverse_task(&o.then_action), inverse_task(&o.first_action))
            {
                let from = b.orderings.len();
                apply_order(&mut b, then, fa, first, ta, Some(o.kind), true);
                if o.one_or_more.is_some() {
                    for x in &mut b.orderings[from..] {
                        x.flags = flags::GRAPH_ONLY | flags::OPTIONAL | (x.flags & flags::NO_EDGE);
                    }
                }
            }
        }
        // an optional order is symmetrical too; its inverse only orders
        // (graph edges), it never changes what happens
        if o.symmetrical && o.kind == OrderKind::Optional {
            if let (Some(fa), Some(ta)) =
                (inverse_task(&o.then_action), inverse_task(&o.first_action))
            {
                let from = b.orderings.len();
                apply_order(&mut b, then, fa, first, ta, Some(o.kind), true);
                for x in &mut b.orderings[from..] {
                    x.flags |= flags::GRAPH_ONLY | flags::FIRST_NON_MIGRATABLE;
                }
            }
        }
    }
    // mandatory colocation: the dependent cannot reach its colocated role
    // (start, or promote with a promoted-role dependent) if the primary
    // cannot start (pcmk__block_colocation_dependents)
    for c in &a.scored.colocations {
        let blocked_task = match c.dependent_role {
            None => "start",
            Some(Role::Promoted) => "promote",
            Some(_) => continue,
        };
        if !c.score.is_inf() || !c.primary_replicas.is_empty() {
            continue;
        }
        let prim_leaves = {
            let mut l = Vec::new();
            leaves(&u.rscs, c.primary, &mut l);
            l
        };
        let dep_leaves = {
            let mut l = Vec::new();
            leaves(&u.rscs, c.dependent, &mut l);
            l
        };
        if prim_leaves.len() != 1 || u.rscs[c.primary].kind != RscKind::Primitive {
            continue;
        }
        // Pacemaker looks for the colocations of the primary's top-level
        // resource; a group's own were handed to its members when it was
        // assigned, so nothing colocated with a group (or with a member of
        // one) is blocked this way
        if u.rscs[c.primary]
            .parent
            .is_some_and(|g| u.rscs[g].kind == RscKind::Group)
        {
            continue;
        }
        let ps = b.find_all(prim_leaves[0], "start");
        for &d in &dep_leaves {
            if a.node[d].is_none() {
                continue;
            }
            for ds in b.find_all(d, blocked_task) {
                for &p in &ps {
                    b.orderings.push(Ordering {
                        first: p,
                        then: ds,
                        flags: flags::RUNNABLE_LEFT | flags::COLOCATION,
                    });
                }
            }
        }
    }
    crate::bundle::block_colocation_dependents(&mut b);
    unfencing(&mut b);
    propagate(&mut b);
    // graph-only actions: they never change what the summary shows
    crate::graph_ops::add(&mut b, &fenced);
    let (actions, orderings, by_key) = (b.actions, b.orderings, b.by_key);
    Actions {
        assigned: a,
        actions,
        orderings,
        by_key,
        fenced,
        can_fence,
    }
}

/// Pacemaker's `get_remote_node_state` says `failed`: the connection of a
/// (non-guest) remote node will not run, and either its host is unclean or
/// it failed (and no reconnect interval after a fencing leaves it unknown).
fn remote_failed(a: &Assigned, n: NodeId) -> bool {
    let u = &a.scored.unpacked;
    let Some(c) = remote_connection(u, n) else {
        return false;
    };
    if a.node[c].is_some() && a.next_role[c] != Role::Stopped {
        return false;
    }
    let conn = &u.rscs[c];
    if conn.running_on.first().is_some_and(|&h| u.nodes[h].unclean) {
        return true;
    }
    if !conn.failed {
        return false;
    }
    let shutdown_requested = u.nodes[n]
        .attrs
        .get("shutdown")
        .is_some_and(|v| v != "0" && !v.is_empty());
    !(a.next_role[c] == Role::Stopped
        && conn.params.contains_key("reconnect_interval")
        && u.nodes[n].remote_was_fenced
        && !shutdown_requested)
}

/// A primitive would be probed on `n` (its state there is unknown).
fn unknown_state_on(u: &Unpacked, n: NodeId) -> bool {
    (0..u.rscs.len()).any(|ri| {
        let r = &u.rscs[ri];
        if !r.is_leaf()
            || r.orphan
            || r.is_stonith()
            || is_remote_agent(r)
            || r.meta.contains_key("container")
            || r.history.contains_key(&n)
        {
            return false;
        }
        if let Some(c) = clone_of(&u.rscs, ri).filter(|&c| !u.rscs[c].unique) {
            let mut ls = Vec::new();
            leaves(&u.rscs, c, &mut ls);
            if ls
                .iter()
                .any(|&l| u.rscs[l].xml_id == r.xml_id && u.rscs[l].history.contains_key(&n))
            {
                return false;
            }
        }
        crate::graph_ops::discovery_allowed(u, ri, n)
    })
}

/// Remote nodes whose connection is unrecoverable are fenced when they are
/// offline (probe scheduling), or when their resources are in an unknown
/// state (probes) or active there (stops), as Pacemaker's remote connection
/// orderings do.
fn remote_connection_fencing(a: &mut Assigned) {
    let n_nodes = a.scored.unpacked.nodes.len();
    for n in 0..n_nodes {
        let u = &a.scored.unpacked;
        let node = &u.nodes[n];
        if node.kind != NodeKind::Remote || !remote_failed(a, n) {
            continue;
        }
        let probes = node.online && !node.unclean && !node.pending && unknown_state_on(u, n);
        let active = u
            .rscs
            .iter()
            .any(|r| r.is_leaf() && r.running_on.contains(&n));
        let reason = if !node.online {
            // pcmk__schedule_probes: an offline remote node whose connection
            // failed
            "the connection is unrecoverable"
        } else if probes {
            "resources are in unknown state and connection is unrecoverable"
        } else if active {
            "resources are active but connection is unrecoverable"
        } else {
            continue;
        };
        let node = &mut a.scored.unpacked.nodes[n];
        node.unclean = true;
        if node.fence_reason.is_none() {
            node.fence_reason = Some(reason.to_string());
        }
    }
}

/// Order resource actions on remote and guest nodes relative to the
/// connection (`apply_remote_ordering`) or the guest's container
/// (`apply_container_ordering`), for the effects on flags: starts and
/// promotes need the connection (a guest's container restart forces them);
/// stops on a live remote node must happen before the connection stops.
fn remote_orderings(b: &mut B) {
    let u = b.u();
    let a = b.a;
    for ri in 0..u.rscs.len() {
        let r = &u.rscs[ri];
        if !r.is_leaf() || is_remote_agent(r) {
            continue;
        }
        let mut ups = Vec::new();
        for task in ["start", "promote"] {
            ups.extend(b.find_all(ri, task));
        }
        for x in ups {
            let Some(n) = b.actions[x].node else { continue };
            if u.nodes[n].kind == NodeKind::Member || b.actions[x].pseudo {
                continue;
            }
            let Some(c) = remote_connection(u, n) else {
                continue;
            };
            let conn_starts = b.find_all(c, "start");
            if let Some(k) = container_of(u, c) {
                for ks in b.find_all(k, "start") {
                    b.order(
                        ks,
                        x,
                        flags::IMPLIES_THEN | flags::RUNNABLE_LEFT | flags::REMOTE,
                    );
                }
                for &cs in &conn_starts {
                    b.order(cs, x, flags::RUNNABLE_LEFT | flags::REMOTE);
                }
            } else {
                let fl = if remote_failed(a, n) {
                    flags::IMPLIES_THEN | flags::RUNNABLE_LEFT | flags::REMOTE
                } else {
                    flags::RUNNABLE_LEFT | flags::REMOTE
                };
                for &cs in &conn_starts {
                    b.order(cs, x, fl);
                }
            }
        }
        // on a guest node, stops and demotes happen before the connection
        // stops, unless the failed container implies them
        // (apply_container_ordering): an edge only
        let mut downs = b.find_all(ri, "stop");
        downs.extend(b.find_all(ri, "demote"));
        for x in downs {
            let Some(n) = b.actions[x].node else { continue };
            if u.nodes[n].kind != NodeKind::Guest || b.actions[x].pseudo {
                continue;
            }
            let Some(c) = remote_connection(u, n) else {
                continue;
            };
            if container_of(u, c).is_some_and(|k| u.rscs[k].failed) {
                continue;
            }
            for cs in b.find_all(c, "stop") {
                b.order(x, cs, flags::OPTIONAL | flags::REMOTE);
            }
        }
        for x in b.find_all(ri, "stop") {
            let Some(n) = b.actions[x].node else { continue };
            if u.nodes[n].kind != NodeKind::Remote || b.actions[x].pseudo {
                continue;
            }
            let Some(c) = remote_connection(u, n) else {
                continue;
            };
            let conn = &u.rscs[c];
            let alive = conn
                .running_on
                .first()
                .is_some_and(|&h| u.nodes[h].online && !u.nodes[h].unclean)
                && a.node[c].is_some()
                && a.next_role[c] != Role::Stopped;
            let stopping = a.node[c].is_none() || a.next_role[c] == Role::Stopped;
            if (alive || stopping) && !remote_failed(a, n) {
                for cs in b.find_all(c, "stop") {
                    b.order(x, cs, flags::IMPLIES_FIRST | flags::REMOTE);
                }
            }
        }
    }
}

/// The resource holding a guest node (its connection's container).
pub fn guest_container(u: &Unpacked, guest: NodeId) -> Option<RscId> {
    remote_connection(u, guest).and_then(|c| container_of(u, c))
}

/// The fencing (or unfencing) action of a node, if one is scheduled.
pub(crate) fn fenced_action(b: &B, n: NodeId) -> Option<ActionId> {
    b.actions
        .iter()
        .position(|x| x.fence.as_ref().is_some_and(|(t, _)| *t == n))
}

/// The action that completes a container's collective `task` (start →
/// running, stop → stopped, promote → promoted, demote → demoted); any other
/// task is its own.
pub fn done_task(task: &str) -> &str {
    match task {
        "start" => "running",
        "stop" => "stopped",
        "promote" => "promoted",
        "demote" => "demoted",
        t => t,
    }
}

/// The collective task a container's completion stands for (running →
/// start, ...): the inverse of [`done_task`]; any other task is its own.
pub fn base_task(task: &str) -> &str {
    match task {
        "running" => "start",
        "stopped" => "stop",
        "promoted" => "promote",
        "demoted" => "demote",
        t => t,
    }
}

/// One of the four collective tasks a container has pseudo actions for.
pub fn is_collective_task(task: &str) -> bool {
    matches!(task, "start" | "stop" | "promote" | "demote")
}

/// Map an ordering's resource/action to concrete actions, as Pacemaker does
/// for containers (first side: start→running etc; then side: the container
/// pseudo action plus every leaf's action).
pub(crate) fn resolve_first(b: &B, rsc: RscId, task: &str) -> Vec<ActionId> {
    let u = b.u();
    let r = &u.rscs[rsc];
    if r.is_leaf() {
        return b.find_all(rsc, task);
    }
    b.find_all(rsc, done_task(task))
}

pub(crate) fn resolve_then(b: &B, rsc: RscId, task: &str) -> Vec<ActionId> {
    let u = b.u();
    let r = &u.rscs[rsc];
    let mut out = b.find_all(rsc, task);
    if !r.is_leaf() {
        let mut ls = Vec::new();
        leaves(&u.rscs, rsc, &mut ls);
        for l in ls {
            out.extend(b.find_all(l, task));
        }
    }
    out
}

/// One side of a configured ordering: a resource, or (the id given) a
/// bundle, for which the resource is its first container.
type Side<'s> = (RscId, Option<&'s str>);

fn apply_order(
    b: &mut B,
    (first, first_bundle): Side,
    fa: &str,
    (then, then_bundle): Side,
    ta: &str,
    kind: Option<OrderKind>,
    inverse: bool,
) {
    let u = b.u();
    // kind None: a mandatory, asymmetrical order (blocks, never restarts)
    let mut fl = match kind {
        None => flags::ASYMMETRICAL,
        Some(OrderKind::Mandatory) => {
            if inverse {
                flags::IMPLIES_FIRST
            } else {
                flags::IMPLIES_THEN | flags::RUNNABLE_LEFT
            }
        }
        Some(OrderKind::Optional) | Some(OrderKind::Serialize) => flags::OPTIONAL,
    };
    // legacy `restart-type=restart` on the then side (the first side for the
    // inverse order): an optional order still restarts it
    if kind == Some(OrderKind::Optional)
        && u.rscs[then].meta.get("restart-type").map(String::as_str) == Some("restart")
    {
        fl |= if inverse {
            flags::IMPLIES_FIRST
        } else {
            flags::IMPLIES_THEN
        };
    }
    let firsts = match first_bundle {
        // a bundle's collective action is complete with its "done" pseudo
        // action, as a clone's is
        Some(bid) => b
            .by_key
            .get(&crate::bundle::action_key(bid, done_task(fa)))
            .copied()
            .into_iter()
            .collect(),
        None => resolve_first(b, first, fa),
    };
    // (Pacemaker's pcmk__multi_update_actions) an ordering before a bundle's
    // action also applies to its containers' actions, through no edge
    if let Some(bid) = then_bundle {
        let Some(&pa) = b.by_key.get(&crate::bundle::action_key(bid, ta)) else {
            return;
        };
        let mut members = Vec::new();
        if matches!(ta, "start" | "stop") {
            for (k, _) in crate::bundle::replicas(u, bid).unwrap_or_default() {
                members.extend(b.find_all(k, ta));
            }
        }
        for &f in &firsts {
            b.order(f, pa, fl);
            for &t in &members {
                b.order(f, t, fl | flags::NO_EDGE);
            }
        }
        return;
    }
    let thens = resolve_then(b, then, ta);
    // interleave: pair clone instances on the same node
    let interleave =
        u.rscs[first].kind == RscKind::Clone && u.rscs[then].kind == RscKind::Clone && {
            let src = if ta == "start" || ta == "promote" {
                then
            } else {
                first
            };
            u.rscs[src].interleave
        };
    if interleave {
        for &t in &thens {
            if b.actions[t].rsc == Some(then) {
                // the clones' own actions stay ordered too; only the
                // instance pairs carry the ordering's effect
                for &f in &firsts {
                    b.order(f, t, flags::GRAPH_ONLY | flags::OPTIONAL);
                }
                continue;
            }
            let Some(tn) = b.actions[t].node else {
                continue;
            };
            let mut fls = Vec::new();
            leaves(&u.rscs, first, &mut fls);
            let fact = fa;
            // a cloned group's instances are ordered as wholes in the
            // graph (the first instance's completion, the then instance's
            // own action); its members carry the effect only
            let group_of = |r: Option<RscId>| {
                r.and_then(|r| u.rscs[r].parent)
                    .filter(|&g| u.rscs[g].kind == RscKind::Group)
            };
            let then_group = group_of(b.actions[t].rsc);
            // only the first instance placed on that node pairs with it
            // (find_compatible_child)
            let top_of = |l: RscId| match u.rscs[l].parent {
                Some(g) if u.rscs[g].kind == RscKind::Group => g,
                _ => l,
            };
            let paired = fls.iter().copied().find(|&l| {
                b.find_all(l, fact)
                    .iter()
                    .any(|&f| b.actions[f].node == Some(tn))
            });
            let paired = paired.map(top_of);
            for l in fls {
                if Some(top_of(l)) != paired {
                    continue;
                }
                for f in b.find_all(l, fact) {
                    if b.actions[f].node != Some(tn) {
                        continue;
                    }
                    let first_group = group_of(b.actions[f].rsc);
                    if first_group.is_none() && then_group.is_none() {
                        b.order(f, t, fl);
                        continue;
                    }
                    b.order(f, t, fl | flags::NO_EDGE);
                    let gf = match first_group {
                        Some(g) => b
                            .by_key
                            .get(&(Some(g), done_task(fact).to_string(), None))
                            .copied(),
                        None => Some(f),
                    };
                    let gt = match then_group {
                        Some(g) => b.by_key.get(&(Some(g), ta.to_string(), None)).copied(),
                        None => Some(t),
                    };
                    if let (Some(gf), Some(gt)) = (gf, gt) {
                        b.order(gf, gt, flags::GRAPH_ONLY | flags::OPTIONAL);
                    }
                }
            }
        }
        return;
    }
    // inverse orders into a clone: a clone's flags are judged on the first
    // action's node only (Pacemaker's per-node collective flags)
    let per_node = inverse && u.rscs[then].kind == RscKind::Clone;
    for &f in &firsts {
        for &t in &thens {
            if per_node {
                let tn = b.actions[t].node;
                if tn.is_none() || tn != b.actions[f].node {
                    // the clone's own op still follows, for the graph only
                    if b.actions[t].rsc == Some(then) {
                        b.order(f, t, flags::GRAPH_ONLY | flags::OPTIONAL);
                    }
                    continue;
                }
            }
            let member = b.actions[t].rsc != Some(then);
            b.order(f, t, if member { fl | flags::NO_EDGE } else { fl });
        }
    }
}

/// The task a symmetrical order's inverse uses in place of `t`.
fn inverse_task(t: &str) -> Option<&'static str> {
    Some(match t {
        "start" => "stop",
        "stop" => "start",
        "promote" => "demote",
        "demote" => "promote",
        _ => return None,
    })
}

fn rsc_label(u: &Unpacked, a: &Action) -> String {
    match a.rsc {
        // a top-level clone with notifications completes its collective
        // actions with the post-notification ("notified")
        Some(r)
            if a.pseudo
                && u.rscs[r].kind == RscKind::Clone
                && u.rscs[r].notify
                && u.rscs[r].parent.is_none()
                && matches!(
                    a.task.as_str(),
                    "running" | "stopped" | "promoted" | "demoted"
                ) =>
        {
            format!("{} notified", u.rscs[r].id)
        }
        Some(r) => format!("{} {}", u.rscs[r].id, a.task),
        None if a.bundle.is_some() => {
            format!("{} {}", a.bundle.as_deref().unwrap_or(""), a.task)
        }
        None if a.fence.is_some() => "stonith".to_string(),
        None => a.task.clone(),
    }
}

/// Unfencing is in use: a fence device `provides=unfencing`, or some
/// resource `requires=unfencing`.
pub fn unfencing_enabled(u: &Unpacked) -> bool {
    u.options.stonith_enabled
        && u.rscs.iter().any(|r| {
            (r.is_stonith()
                && (r.meta.get("provides").map(String::as_str) == Some("unfencing")
                    || r.params.get("provides").map(String::as_str) == Some("unfencing")))
                || r.meta.get("requires").map(String::as_str) == Some("unfencing")
        })
}

/// Whether actions of `r` wait for its node's unfencing: fence devices when
/// unfencing is in use, and resources that require it (the default for
/// ordinary resources once unfencing is in use).
pub(crate) fn waits_for_unfencing(r: &Rsc, enabled: bool) -> bool {
    if !enabled || !r.is_leaf() {
        return false;
    }
    if r.is_stonith() {
        return true;
    }
    match r.meta.get("requires").map(String::as_str) {
        Some("unfencing") => true,
        None => !is_remote_agent(r),
        Some(_) => false,
    }
}

/// The node has been unfenced since it joined (`#node-unfenced`).
fn node_unfenced(u: &Unpacked, n: NodeId) -> bool {
    u.nodes[n]
        .attrs
        .get("#node-unfenced")
        .is_some_and(|v| v != "0")
}

/// Schedule unfencing (`Fence (on)`): a node that was never unfenced is
/// unfenced before a resource waiting for it is probed or started there, and
/// a node where a fence device's agent or parameters changed is unfenced
/// again. Every start of such a resource is ordered after its node's
/// unfencing, which restarts what runs there when the unfencing is required.
fn unfencing(b: &mut B) {
    let u = b.u();
    let enabled = unfencing_enabled(u);
    if !enabled {
        return;
    }
    let eligible = |n: NodeId| {
        let node = &u.nodes[n];
        node.online && !node.unclean && !node.shutdown && node.kind == NodeKind::Member
    };
    let mut triggers: Vec<(NodeId, String)> = Vec::new();
    // changed fence devices
    for r in u.rscs.iter().filter(|r| r.is_leaf() && r.is_stonith()) {
        for (&n, h) in &r.history {
            if !r.running_on.contains(&n) {
                continue;
            }
            if h.agent_changed {
                triggers.push((n, "Device definition changed".into()));
            } else if r.definition_changed.contains(&n) || r.reload_on.contains(&n) {
                triggers.push((n, "Device parameters changed".into()));
            }
        }
    }
    // probes, then starts, in resource order
    for (ni, node) in u.nodes.iter().enumerate() {
        if !node.online || node.unclean || node.pending || node_unfenced(u, ni) {
            continue;
        }
        let mut seen_anon: Vec<&str> = Vec::new();
        for (ri, r) in u.rscs.iter().enumerate() {
            if !waits_for_unfencing(r, enabled)
                || r.orphan
                || r.meta.contains_key("container")
                || !crate::graph_ops::discovery_allowed(u, ri, ni)
            {
                continue;
            }
            let anon = clone_of(&u.rscs, ri).filter(|&c| !u.rscs[c].unique);
            if let Some(c) = anon {
                let mut ls = Vec::new();
                leaves(&u.rscs, c, &mut ls);
                let known = ls
                    .iter()
                    .any(|&l| u.rscs[l].xml_id == r.xml_id && u.rscs[l].history.contains_key(&ni));
                if known || seen_anon.contains(&r.xml_id.as_str()) {
                    continue;
                }
                seen_anon.push(&r.xml_id);
            } else if r.history.contains_key(&ni) {
                continue;
            }
            triggers.push((ni, format!("required by {} monitor", r.id)));
            break;
        }
    }
    let mut starts: Vec<(ActionId, NodeId, RscId)> = Vec::new();
    for (ri, r) in u.rscs.iter().enumerate() {
        if !waits_for_unfencing(r, enabled) {
            continue;
        }
        let Some(n) = b.a.node[ri] else { continue };
        if let Some(&s) = b.by_key.get(&(Some(ri), "start".to_string(), Some(n))) {
            starts.push((s, n, ri));
            if !node_unfenced(u, n) {
                triggers.push((n, format!("required by {} start", r.id)));
            }
        }
    }
    let mut unfence: BTreeMap<NodeId, ActionId> = BTreeMap::new();
    for (n, reason) in triggers {
        if !eligible(n) {
            continue;
        }
        let i = *unfence.entry(n).or_insert_with(|| {
            let name = &u.nodes[n].uname;
            let i = b.action(
                None,
                &format!("stonith-{name}-on"),
                Some(n),
                false,
                false,
                true,
            );
            b.actions[i].fence = Some((n, "on".to_string()));
            i
        });
        b.set_reason(i, &reason);
    }
    // made when the start is created, before any constraint: first in line
    // to give a reason
    let mut first = Vec::new();
    for (s, n, _) in starts {
        if let Some(&f) = unfence.get(&n) {
            first.push(Ordering {
                first: f,
                then: s,
                flags: flags::IMPLIES_THEN | flags::RUNNABLE_LEFT,
            });
        }
    }
    b.orderings.splice(0..0, first);
}

/// Apply ordering effects until a fixed point is reached.
fn propagate(b: &mut B) {
    let u = b.u();
    // orderings between different resources first, so their reasons win
    b.orderings.sort_by_key(|o| o.flags & flags::INTERNAL != 0);
    let n = b.orderings.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); b.actions.len()];
    // inputs of each action between resources, in creation order
    let mut inp: Vec<Vec<usize>> = vec![Vec::new(); b.actions.len()];
    for (k, o) in b.orderings.iter().enumerate() {
        if o.flags & flags::IMPLIES_THEN != 0 {
            out[o.first].push(k);
            if o.flags & flags::INTERNAL == 0 {
                inp[o.then].push(k);
            }
        }
    }
    // implies-first inputs of each action, in creation order
    let mut before: Vec<Vec<usize>> = vec![Vec::new(); b.actions.len()];
    for (k, o) in b.orderings.iter().enumerate() {
        if o.flags & flags::IMPLIES_FIRST != 0 {
            before[o.then].push(k);
        }
    }
    // the remote connection orderings are Pacemaker's newest inputs
    for v in inp.iter_mut() {
        v.sort_by_key(|&k| b.orderings[k].flags & flags::REMOTE == 0);
    }
    // the inputs of each one-or-more pseudo action
    let mut one_or_more_inputs: Vec<Vec<ActionId>> = vec![Vec::new(); b.actions.len()];
    for o in &b.orderings {
        if o.flags & flags::ONE_OR_MORE != 0 {
            one_or_more_inputs[o.then].push(o.first);
        }
    }
    // phase 0: orderings between resources; 1: also internal ones except a
    // resource's own stop→start; 2: everything. A change sends the loop back
    // to phase 0, so a restart's start is required through the orderings of
    // other resources (and carries their reason) whenever they require it.
    let mut phase = 0u8;
    for _round in 0..10000 {
        let mut changed = false;
        // one-or-more pseudo actions
        for (i, inputs) in one_or_more_inputs.iter().enumerate() {
            if b.actions[i].one_or_more.is_some() {
                let need = b.actions[i].one_or_more.unwrap_or(1);
                let ok = inputs
                    .iter()
                    .filter(|&&x| {
                        b.actions[x].runnable
                            && (b.actions[x].node.is_some() || b.actions[x].pseudo)
                            && !b.incomplete.contains(&x)
                    })
                    .count();
                let runnable = ok >= need || inputs.is_empty();
                if b.actions[i].runnable && !runnable {
                    b.actions[i].runnable = false;
                    changed = true;
                }
            }
        }
        for k in 0..n {
            let o = b.orderings[k];
            let (f, t) = (o.first, o.then);
            let internal = o.flags & flags::INTERNAL != 0;
            if (phase == 0 && internal && o.flags & flags::EAGER == 0)
                || (phase == 1 && o.flags & flags::RESTART != 0)
            {
                continue;
            }
            if implies_then_applies(b, o) {
                // a group member's start that an ordering on its whole group
                // requires: Pacemaker updates the group's start (created
                // after its members') before the member's own inputs
                let group_first = group_ordering_requiring(b, &inp, o);
                let mut stack = Vec::new();
                match group_first {
                    Some(g) => group_members_required_by(b, &out[g], &inp, &mut stack),
                    None => {
                        require_then(b, o);
                        stack.push(t);
                    }
                }
                if !internal || o.flags & flags::RESTART != 0 {
                    // like Pacemaker's depth-first update, what this makes
                    // required passes it on at once (a group's next members,
                    // what depends on a restarting resource's start)
                    while let Some(x) = stack.pop() {
                        group_members_required_by(b, &out[x], &inp, &mut stack);
                        for &k2 in out[x].iter().rev() {
                            let o2 = b.orderings[k2];
                            if o2.flags & flags::INTERNAL == 0 && implies_then_applies(b, o2) {
                                // the reason comes from the action's first
                                // input that requires it, as Pacemaker
                                // walks an action's inputs in order
                                let o2 = inp[o2.then]
                                    .iter()
                                    .map(|&k3| b.orderings[k3])
                                    .find(|&o3| implies_then_applies(b, o3))
                                    .unwrap_or(o2);
                                require_then(b, o2);
                                stack.push(o2.then);
                            }
                        }
                    }
                }
                changed = true;
            }
            if o.flags & flags::ASYMMETRICAL != 0
                && !b.actions[f].runnable
                && !b.actions[t].optional
                && b.actions[t].runnable
            {
                b.actions[t].runnable = false;
                let l = rsc_label(u, &b.actions[f]);
                b.set_reason(t, &format!("unrunnable {l}"));
                changed = true;
            }
            // an unmanaged first only blocks actions that have to happen
            let unmanaged_first = b.actions[f].rsc.is_some_and(|r| !u.rscs[r].managed);
            if o.flags & flags::RUNNABLE_LEFT != 0
                && !b.actions[f].runnable
                && !(unmanaged_first && b.actions[t].optional)
            {
                let nowhere = b.actions[t].node.is_none()
                    && !b.actions[t].pseudo
                    && b.actions[t]
                        .rsc
                        .is_some_and(|r| clone_of(&u.rscs, r).is_none());
                if b.actions[t].runnable || (nowhere && b.actions[t].reason.is_none() && !internal)
                {
                    b.actions[t].runnable = false;
                    if o.flags & flags::COLOCATION != 0 {
                        let pr = b.actions[f]
                            .rsc
                            .map(|r| u.rscs[r].id.clone())
                            .unwrap_or_default();
                        b.set_reason(t, &format!("colocation with {pr}"));
                    } else if !internal {
                        let l = rsc_label(u, &b.actions[f]);
                        b.set_reason(t, &format!("unrunnable {l}"));
                    }
                    changed = true;
                }
            }
            let then_migrates = !internal
                && b.actions[t].task == "stop"
                && b.actions[t].rsc.is_some_and(|r| migrating(b.a, r));
            if o.flags & flags::IMPLIES_FIRST != 0
                && !then_migrates
                && !b.actions[t].optional
                && b.actions[f].optional
            {
                // only for actions that exist with a node (a pseudo stop of a stopped rsc stays optional)
                b.actions[f].optional = false;
                changed = true;
            }
            if o.flags & flags::RESTART != 0 {
                let managed = b.actions[t].rsc.map(|r| u.rscs[r].managed).unwrap_or(true);
                if (!b.actions[t].optional || (!b.actions[t].runnable && managed))
                    && b.actions[f].optional
                {
                    b.actions[f].optional = false;
                    // an unrunnable, optional start becomes required through
                    // this stop first, and what follows that start is
                    // handled before the stop's own inputs
                    if !b.actions[t].optional {
                        stops_required_by(b, &before, f);
                    }
                    changed = true;
                }
                if !b.actions[f].optional && !b.actions[f].runnable && b.actions[t].runnable {
                    b.actions[t].runnable = false;
                    changed = true;
                }
            }
        }
        phase = match (phase, changed) {
            (0, _) => 1,
            (1, true) | (2, true) => 0,
            (1, false) => 2,
            _ => break,
        };
    }
}

/// A resource's stop `s` was just made required by its own restart while its
/// start already was: like Pacemaker, which then re-processes the stop's
/// inputs, make what must stop before it required too (a later group
/// member's stop, the then side of a configured order), naming `s` as the
/// reason. Not further: Pacemaker handles the after-actions of that stop
/// (its start, and what follows the start) first, so the next stop down
/// the line is already required by its own restart. Clone instances are
/// left to the loop: Pacemaker orders them through their clones' pseudo
/// actions, not directly.
fn stops_required_by(b: &mut B, before: &[Vec<usize>], s: ActionId) {
    let u = b.u();
    let in_clone = |a: &Action| a.rsc.is_some_and(|r| clone_of(&u.rscs, r).is_some());
    if in_clone(&b.actions[s]) {
        return;
    }
    for &k in &before[s] {
        let f = b.orderings[k].first;
        if !b.actions[f].optional || in_clone(&b.actions[f]) {
            continue;
        }
        b.actions[f].optional = false;
        if b.actions[f].rsc != b.actions[s].rsc
            && b.actions[f].rsc.is_some_and(|r| u.rscs[r].is_leaf())
            && b.actions[s].rsc.is_some_and(|r| u.rscs[r].is_leaf())
        {
            let l = rsc_label(u, &b.actions[s]);
            b.set_reason(f, &format!("required {l}"));
        }
    }
}

/// If `o` leads from one member of a group to the next one's start, and an
/// ordering on the whole group would require that start too, the first
/// action of that ordering. On the way it marks a starting clone's
/// `running` required where such an ordering comes from one (Pacemaker
/// creates it required): this is why it takes `b` mutably.
fn group_ordering_requiring(b: &mut B, inp: &[Vec<usize>], o: Ordering) -> Option<ActionId> {
    let u = b.u();
    let (fr, tr) = (b.actions[o.first].rsc?, b.actions[o.then].rsc?);
    let g = u.rscs[tr]
        .parent
        .filter(|&g| u.rscs[g].kind == RscKind::Group)?;
    if u.rscs[fr].parent != Some(g) || b.actions[o.then].task != "start" {
        return None;
    }
    let outside: Vec<Ordering> = inp[o.then]
        .iter()
        .map(|&k| b.orderings[k])
        .filter(|o2| {
            b.actions[o2.first]
                .rsc
                .is_none_or(|r| u.rscs[r].parent != Some(g))
        })
        .collect();
    // a clone's running that Pacemaker creates already required (an
    // instance's start is required and runnable) counts as required here,
    // though this engine derives it from the instances only later
    for o2 in &outside {
        let f = o2.first;
        let a = &b.actions[f];
        let clone = a.rsc.filter(|&r| u.rscs[r].kind == RscKind::Clone);
        if let Some(c) = clone {
            if a.pseudo && a.task == "running" && a.optional && clone_starting(b, c) {
                b.actions[f].optional = false;
            }
        }
    }
    outside
        .into_iter()
        .find(|o2| implies_then_applies(b, *o2))
        .map(|o2| o2.first)
}

/// Whether an instance of clone `c` has a required, runnable start
/// (Pacemaker's `instance_starting` in `check_instance_state`).
fn clone_starting(b: &B, c: RscId) -> bool {
    let mut ls = Vec::new();
    leaves(&b.u().rscs, c, &mut ls);
    ls.iter().any(|&l| {
        b.find_all(l, "start")
            .iter()
            .any(|&x| !b.actions[x].optional && b.actions[x].runnable)
    })
}

/// `x` just became required and is ordered before a group (its orderings
/// `out` reach the members' starts): Pacemaker updates the members in order
/// (`group_update_actions`), each still optional one naming `x`, except that
/// a member whose start and then stop become required drags the next member
/// along first (its stop, then its start, and from there every following
/// start in turn), each naming its predecessor's start.
fn group_members_required_by(
    b: &mut B,
    out: &[usize],
    inp: &[Vec<usize>],
    stack: &mut Vec<ActionId>,
) {
    let u = b.u();
    let member_of = |a: ActionId| -> Option<(RscId, usize)> {
        let r = b.actions[a].rsc?;
        let g = u.rscs[r].parent?;
        if u.rscs[g].kind != RscKind::Group || b.actions[a].task != "start" {
            return None;
        }
        Some((g, u.rscs[g].children.iter().position(|&c| c == r)?))
    };
    // the group orderings among `out`, by group, in member order
    let mut by_group: BTreeMap<RscId, Vec<(usize, usize)>> = BTreeMap::new();
    for &k in out {
        let o = b.orderings[k];
        if o.flags & flags::INTERNAL != 0 {
            continue;
        }
        let Some((g, i)) = member_of(o.then) else {
            continue;
        };
        if b.actions[o.first]
            .rsc
            .is_some_and(|r| u.rscs[r].parent == Some(g))
        {
            continue;
        }
        by_group.entry(g).or_default().push((i, k));
    }
    let stop_optional = |b: &B, r: RscId| {
        let stops = b.find_all(r, "stop");
        !stops.is_empty() && stops.iter().all(|&s| b.actions[s].optional)
    };
    for (g, mut ks) in by_group {
        ks.sort();
        let members = &u.rscs[g].children;
        let mut chain: Option<ActionId> = None;
        for (i, k) in ks {
            let o = b.orderings[k];
            let s = o.then;
            if !implies_then_applies(b, o) {
                chain = None;
                continue;
            }
            let via = chain.and_then(|p| {
                inp[s]
                    .iter()
                    .map(|&k2| b.orderings[k2])
                    .find(|o2| o2.first == p && implies_then_applies(b, *o2))
            });
            let dragged = via.is_some();
            // the next member follows if this one is dragged along, or if
            // this one's stop and the next one's are both still to come
            let next_follows = dragged
                || (stop_optional(b, members[i])
                    && members.get(i + 1).is_some_and(|&n| stop_optional(b, n)));
            require_then(b, via.unwrap_or(o));
            stack.push(s);
            chain = next_follows.then_some(s);
        }
    }
}

/// Whether ordering `o` makes its optional `then` required now.
fn implies_then_applies(b: &B, o: Ordering) -> bool {
    let u = b.u();
    let (f, t) = (o.first, o.then);
    if o.flags & flags::IMPLIES_THEN == 0 || b.actions[f].optional || !b.actions[t].optional {
        return false;
    }
    // an unassigned resource's start (no node) never becomes required
    let then_nowhere = b.actions[t].node.is_none()
        && !b.actions[t].pseudo
        && b.actions[t]
            .rsc
            .is_some_and(|r| clone_of(&u.rscs, r).is_some());
    // a live-migrating resource's start does not force restarts
    let first_migrates =
        b.actions[f].task == "start" && b.actions[f].rsc.is_some_and(|r| migrating(b.a, r));
    let internal = o.flags & flags::INTERNAL != 0;
    let then_node = b.actions[t].node.or_else(|| group_start_node(b, t));
    // (its container's completion still waits for it)
    let first_migrates = first_migrates && !(internal && b.actions[t].pseudo);
    !first_migrates && !then_nowhere && (internal || first_required_on(b, f, then_node))
}

/// The node a group's start pseudo action is judged on in an ordering: the
/// one node its members are assigned to, if there is exactly one (Pacemaker's
/// `pcmk__update_action_for_orderings` takes a group start's node from the
/// group's location, so a clone first is judged by its instance there).
fn group_start_node(b: &B, t: ActionId) -> Option<NodeId> {
    let a = &b.actions[t];
    let r = a.rsc?;
    let u = b.u();
    if a.task != "start" || u.rscs[r].kind != RscKind::Group {
        return None;
    }
    let nodes: BTreeSet<NodeId> = u.rscs[r]
        .children
        .iter()
        .filter_map(|&m| b.a.node[m])
        .collect();
    if nodes.len() == 1 {
        nodes.into_iter().next()
    } else {
        None
    }
}

/// Whether an unrunnable first names `r`'s action as unrunnable rather than
/// required: seen for remote/guest connections and bundle replicas' inner
/// instances (an ordinary primitive gets "required", large-100-16).
fn ordered_as_primitive(u: &Unpacked, r: RscId) -> bool {
    is_remote_agent(&u.rscs[r])
        || clone_of(&u.rscs, r)
            .is_some_and(|c| u.rscs[c].meta.contains_key(crate::bundle::BUNDLE_META))
}

/// Make `o.then` required, recording `o.first` as the reason.
fn require_then(b: &mut B, o: Ordering) {
    let (f, t) = (o.first, o.then);
    b.actions[t].optional = false;
    if o.flags & flags::INTERNAL == 0 {
        let l = rsc_label(b.u(), &b.actions[f]);
        // for a primitive's own action Pacemaker checks runnable-left before
        // implies-then: an ordering with both whose first cannot run names
        // it as unrunnable (a clone's pseudo action checks the other way)
        if o.flags & flags::RUNNABLE_LEFT != 0
            && b.actions[t]
                .rsc
                .is_some_and(|r| b.u().rscs[r].is_leaf() && ordered_as_primitive(b.u(), r))
            && !b.actions[f].runnable
            && b.actions[t].runnable
            && b.actions[t].reason.is_none()
        {
            b.set_reason(t, &format!("unrunnable {l}"));
            return;
        }
        if b.actions[t]
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("unrunnable "))
        {
            b.actions[t].reason = None;
        }
        b.set_reason(t, &format!("required {l}"));
    }
}

/// A managed, healthy resource with allow-migrate moving between two clean,
/// online nodes (its start will be a migration).
pub(crate) fn migrating(a: &Assigned, r: RscId) -> bool {
    let u = &a.scored.unpacked;
    let rr = &u.rscs[r];
    if !allow_migrate(rr)
        || !rr.managed
        || rr.failed
        || rr.no_migrate
        || (rr.running_on.len() != 1 && rr.continued_migration(a.node[r]).is_none())
        || rr.pending_start
        || !rr.dangling_migrations.is_empty()
    {
        return false;
    }
    let cur = rr
        .continued_migration(a.node[r])
        .unwrap_or(rr.running_on[0]);
    match a.node[r] {
        Some(n) => n != cur && u.nodes[cur].online && !u.nodes[cur].unclean,
        None => false,
    }
}

/// Whether `first` is required as seen from `node`: a clone's pseudo action
/// counts as required on a node only if an instance's matching action there is
/// (Pacemaker judges collective actions per node).
fn first_required_on(b: &B, first: ActionId, node: Option<NodeId>) -> bool {
    let a = &b.actions[first];
    if a.optional {
        return false;
    }
    let (Some(r), Some(n)) = (a.rsc, node) else {
        return true;
    };
    let u = b.u();
    if u.rscs[r].kind != RscKind::Clone || !a.pseudo {
        return true;
    }
    let task = base_task(&a.task);
    if !is_collective_task(task) {
        return true;
    }
    let mut ls = Vec::new();
    leaves(&u.rscs, r, &mut ls);
    ls.iter().any(|&l| {
        b.find_all(l, task)
            .iter()
            .any(|&x| !b.actions[x].optional && b.actions[x].node == Some(n))
    })
}

#[cfg(test)]
mod flag_tests {
    use super::flags::*;

    #[test]
    fn flags_are_distinct() {
        let all = [
            IMPLIES_THEN,
            RUNNABLE_LEFT,
            IMPLIES_FIRST,
            RESTART,
            OPTIONAL,
            INTERNAL,
            ONE_OR_MORE,
            COLOCATION,
            ASYMMETRICAL,
            GRAPH_ONLY,
            NO_EDGE,
            FIRST_NON_MIGRATABLE,
            EAGER,
            REMOTE,
        ];
        let mut seen = 0u32;
        for f in all {
            assert_eq!(f.count_ones(), 1, "flag {f} is not a single bit");
            assert_eq!(seen & f, 0, "flag {f} is used twice");
            seen |= f;
        }
    }
}

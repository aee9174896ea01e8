//! Graph-only actions, added once the summary-relevant flags have settled:
//! start-up probes (`monitor` with interval 0), recurring monitors and their
//! cancellations, and "print always" marking of container pseudo ops. None of
//! these change which resources start, stop, promote or demote; they only add
//! nodes and edges to the transition graph (Pacemaker's
//! `pcmk_sched_probes.c` and `pcmk_sched_recurring.c`).
//!
//! Rules, as Pacemaker 2.1.5 applies them:
//! * **Probes**: on every online, clean node, each primitive whose state there
//!   is unknown (no history entry) gets `rsc_monitor_0`, unless it is an
//!   orphan, lives in a container, is a fence device or a remote connection on
//!   a remote node, or discovery is disabled there (`resource-discovery`
//!   `never`, or `exclusive` elsewhere). Anonymous clones probe one instance
//!   per node: the one known there, else the one placed there, else the
//!   first. The probe is ordered before the start of the resource (of the
//!   whole clone for clone instances). On a guest node whose container is
//!   stopped nothing is probed: the container's probes precede the start of
//!   the top-level resource of what would have been (its stop, when the
//!   container will stop). A bundle connection's probe follows its
//!   container's start.
//! * **Probe before stop**: for an ordering "X stop then Y action" between two
//!   resources, X's probes are ordered before that action too (not when Y
//!   is the stop of the container X lives in).
//!   Pacemaker makes some orderings by name even when the stop does not
//!   exist: a member's stop before its container's `stopped`, and a group
//!   member's stop before the previous member's.
//! * **Anti-colocation**: a `-INFINITY` colocation orders each side's stop
//!   (demote) before the other side's start (promote), on the same node.
//! * **Probe before restart**: if a probe precedes a start that (through
//!   implies-then orderings or a container's members) forces another
//!   primitive's start, the probe also precedes that primitive's real stops.
//! * **Recurring monitors**: each enabled `op` with an interval, on the node
//!   the resource is assigned to, when its `role` matches the next role (no
//!   role: any role but Promoted). It is optional only if the start is
//!   optional and the op is already active there with the parameters (and
//!   timeout) configured now, else it is rescheduled; ordered after the start,
//!   and after the promote (next role Promoted) or demote (currently
//!   Promoted). An active op whose role no longer matches is cancelled
//!   before the promote, demote or stop; one no longer configured, or on a
//!   resource or node in maintenance, is cancelled after the resource's
//!   stop (not on a node shutting down or in standby, unless it is in
//!   maintenance). On a remote or guest node monitors (deletes, reloads:
//!   all but role changes) wait for the connection's
//!   start (a recurring one is rescheduled when the connection starts; a
//!   probe on a remote node whose connection goes away for good precedes
//!   its stop instead). A
//!   `role=Stopped` monitor runs on every other node (optional where already
//!   active), after the probe and any stop there. Expired failures get a
//!   `clear_failcount` (a remote connection's after its node's fencing).
//! * **Container brackets**: a group's or clone's `start` precedes its
//!   `running`, `stop` its `stopped`, and `stopped` its `start`; a
//!   promotable clone also orders `demote` → `demoted` → `stop`/`start`/
//!   `promote` and `stopped`/`running` → `promote`. An ordered clone
//!   (`ordered=true`, a bundle's inner clone) starts (promotes) its
//!   instances one after another and stops (demotes) them in reverse. A bundle's own pseudo ops
//!   are bracketed as [`crate::bundle::graph_orderings`] says.
//! * **Fencing**: every start or promote of a resource that requires fencing
//!   waits for each fencing op; a fence device's start (it requires quorum
//!   unless `requires=fencing` says otherwise) waits only for fencing of a
//!   node it may run on and whose state it does not know. The stops and demotes the fencing implies (of resources that
//!   require fencing, or on a guest node) come after it, and so does the
//!   stop of their top-level group or clone. Without `concurrent-fencing` the fencing ops of non-DC nodes
//!   run in node order; the DC's fencing comes after all of them.
//! * **Load**: with a placement strategy, pseudo op `load_stopped_<node>`
//!   for each node a resource with utilization may use: its stops there
//!   precede it, it precedes its starts (and migrations) there.
//! * **Delete**: a resource whose agent changed, or an orphan, has its
//!   history deleted on each available node that has some (after its
//!   stops, before its start); not when unmanaged or failed.
//! * **Shutdown**: `do_shutdown-<node>` for each online cluster node asked
//!   to shut down and not fenced: every stop there is required and precedes
//!   it; a DC's shutdown comes after the other nodes' shutdowns and fencing.
//! * **Pending start**: a start still in flight is shown where the resource
//!   is to run, even when nothing requires it.
//! * **Reprobe**: a node whose `probe_complete` attribute is false gets
//!   `probe_again-<node>` instead of probes.
//! * **Reload**: `reload-agent` where a resource with changed reloadable
//!   parameters stays; its recurring monitors there follow it.
//! * **Notifications** of clones with `notify=true` ([`crate::notify`]).
//! * **Live migration** (after the summary has decided which moves are
//!   migrations): `migrate_to` on the source, then `migrate_from` on the
//!   target, then the stop on the source; the start becomes a pseudo op
//!   after both. Probes of the resource precede `migrate_to`; a start (or
//!   stop) of another, non-migrating resource ordered before the start (or
//!   stop) also precedes `migrate_to`, and a migrating one's `migrate_from`
//!   does.
//! * **Print always**: a group's or clone's `start`/`stop`/`promote`/`demote`
//!   pseudo op is shown when one of its members' matching actions is
//!   required, even though the pseudo op itself stays optional. It is left
//!   out when no clone instance can run it. Members only count where they
//!   have a node (a member left unassigned has no start at all). A cloned
//!   group's `running`/`stopped` precede the clone's, which is then shown.

use std::collections::{BTreeMap, BTreeSet};

use crate::actions::{flags, Action, ActionId, Actions, Ordering, B};
use crate::model::*;
use crate::unpack::*;

const G: u32 = flags::GRAPH_ONLY;

/// Add the graph-only actions and orderings (see the module docs).
pub(crate) fn add(b: &mut B, _fenced: &[NodeId]) {
    mark_printed(b);
    pending_starts(b);
    container_brackets(b);
    let probes = add_probes(b);
    crate::bundle::graph_orderings(b, &probes);
    // (restart orderings first: they follow only what the probes were
    // ordered before originally, as pcmk__order_probes does)
    probe_before_restarts(b, &probes);
    probe_before_stops(b, &probes);
    add_recurring(b);
    reloads(b);
    cancel_orphans(b);
    stopped_monitors(b);
    clear_failcounts(b);
    fencing_orders(b);
    stops_before_unfencing(b);
    pending_migration_stops(b);
    deletes(b);
    remote_monitor_orders(b);
    shutdowns(b);
    load_stopped(b);
    anti_colocation_orders(b);
    let seeds = std::mem::take(&mut b.seeds);
    crate::notify::add(b, &seeds);
}

/// Container pseudo ops shown because a member's action is required.
fn mark_printed(b: &mut B) {
    let u = b.u();
    // a one-or-more pseudo op is shown when one of its inputs is required
    // (pe_order_implies_then_printed)
    let shown: Vec<ActionId> = b
        .orderings
        .iter()
        .filter(|o| o.flags & flags::ONE_OR_MORE != 0)
        .filter(|o| b.actions[o.then].rsc.is_none() && b.actions[o.then].one_or_more.is_some())
        .filter(|o| !b.actions[o.first].optional && b.actions[o.first].runnable)
        .map(|o| o.then)
        .collect();
    for p in shown {
        if b.actions[p].optional {
            b.actions[p].printed = true;
        }
    }
    // A one-or-more order (clone-min, require-all=false) on a clone's start
    // names every instance's start, so Pacemaker creates one even for an
    // instance that is only stopping; its stop then requires it (it cannot
    // run), which shows the clone's start and running.
    for o in u.orders.iter().filter(|o| o.one_or_more.is_some()) {
        let c = o.first;
        if o.first_action != "start" || u.rscs[c].kind != RscKind::Clone {
            continue;
        }
        let stopping_only = u.rscs[c].children.iter().any(|&i| {
            u.rscs[i].is_leaf()
                && b.a.node[i].is_none()
                && b.find_all(i, "stop")
                    .iter()
                    .any(|&x| !b.actions[x].optional)
        });
        // (the clone's start runs only if some instance can)
        let some_runs = u.rscs[c].children.iter().any(|&i| b.a.node[i].is_some());
        if !stopping_only || !some_runs {
            continue;
        }
        for t in ["start", "running"] {
            if let Some(&pa) = b.by_key.get(&(Some(c), t.to_string(), None)) {
                if b.actions[pa].optional {
                    b.actions[pa].printed = true;
                }
            }
        }
    }
    for ri in (0..u.rscs.len()).rev() {
        let r = &u.rscs[ri];
        if r.is_leaf() {
            continue;
        }
        for t in ["start", "stop", "promote", "demote"] {
            let Some(&pa) = b.by_key.get(&(Some(ri), t.to_string(), None)) else {
                continue;
            };
            let bb: &B = b;
            let members: Vec<ActionId> = r
                .children
                .iter()
                .flat_map(|&c| {
                    child_actions(bb, c, t)
                        .into_iter()
                        .filter(move |&x| !u.rscs[c].is_leaf() || bb.actions[x].node.is_some())
                })
                .collect();
            let ok = |x: ActionId| b.actions[x].runnable && !b.actions[x].graph_unrunnable;
            // (an unmanaged member's actions never happen)
            let any = members.iter().any(|&x| {
                (!b.actions[x].optional || b.actions[x].printed)
                    && b.actions[x].rsc.is_none_or(|m| u.rscs[m].managed)
            });
            // a clone runs an op only if some instance can
            let blocked =
                r.kind == RscKind::Clone && !members.is_empty() && !members.iter().any(|&x| ok(x));
            if any && b.actions[pa].optional {
                b.actions[pa].printed = true;
            }
            if blocked {
                b.actions[pa].graph_unrunnable = true;
            }
        }
        // a nested container's done op (a cloned group's `running`) is
        // what the outer one's done op follows
        for done in ["running", "stopped", "promoted", "demoted"] {
            let Some(&pd) = b.by_key.get(&(Some(ri), done.to_string(), None)) else {
                continue;
            };
            let inner: Vec<ActionId> = r
                .children
                .iter()
                .filter_map(|&c| b.by_key.get(&(Some(c), done.to_string(), None)).copied())
                .collect();
            for &x in &inner {
                b.order(x, pd, G | flags::OPTIONAL);
            }
            let any = inner
                .iter()
                .any(|&x| !b.actions[x].optional || b.actions[x].printed);
            if any && b.actions[pd].optional {
                b.actions[pd].printed = true;
            }
            // a clone completes an action only if some instance can do it
            // (pcmk__collective_action_flags)
            if r.kind == RscKind::Clone {
                let task = crate::actions::base_task(done);
                let mut ls = Vec::new();
                leaves(&u.rscs, ri, &mut ls);
                let can = ls.iter().any(|&l| {
                    b.find_all(l, task)
                        .iter()
                        .any(|&x| b.actions[x].runnable && b.actions[x].node.is_some())
                });
                if !can {
                    b.actions[pd].graph_unrunnable = true;
                }
            }
        }
    }
}

/// A start still pending is shown in the graph where the resource is to
/// run, even when nothing requires it (`create_pending_start`).
fn pending_starts(b: &mut B) {
    let u = b.u();
    for r in 0..u.rscs.len() {
        let rr = &u.rscs[r];
        if !rr.is_leaf() || !rr.pending_start || !rr.managed {
            continue;
        }
        let Some(n) = b.a.node[r] else { continue };
        if let Some(&s) = b.by_key.get(&(Some(r), "start".to_string(), Some(n))) {
            if b.actions[s].optional {
                b.actions[s].printed = true;
            }
        }
    }
}

/// A container member's actions with a task: a primitive's (on any node),
/// or a nested container's own pseudo action.
fn child_actions(b: &B, c: RscId, t: &str) -> Vec<ActionId> {
    if b.u().rscs[c].is_leaf() {
        b.find_all(c, t)
    } else {
        b.by_key
            .get(&(Some(c), t.to_string(), None))
            .copied()
            .into_iter()
            .collect()
    }
}

/// An ordering Pacemaker has too (not a propagation-only link).
fn is_real(fl: u32) -> bool {
    fl & (flags::NO_EDGE | flags::COLOCATION) == 0
}

fn container_brackets(b: &mut B) {
    let u = b.u();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("start", "running"),
        ("stop", "stopped"),
        ("stopped", "start"),
    ];
    let promotable = [
        ("demote", "demoted"),
        ("demoted", "stop"),
        ("demoted", "start"),
        ("demoted", "promote"),
        ("stopped", "promote"),
        ("running", "promote"),
    ];
    for ri in 0..u.rscs.len() {
        let r = &u.rscs[ri];
        if r.is_leaf() {
            continue;
        }
        pairs.truncate(3);
        if r.kind == RscKind::Clone && r.promotable {
            pairs.extend(promotable);
        }
        // a promotable clone's instance demotes before it promotes
        let promotable_instance =
            r.kind == RscKind::Group && r.parent.is_some_and(|c| u.rscs[c].promotable);
        if promotable_instance {
            pairs.push(("demote", "promote"));
        }
        for &(f, t) in &pairs {
            let fa = b.by_key.get(&(Some(ri), f.to_string(), None)).copied();
            let ta = b.by_key.get(&(Some(ri), t.to_string(), None)).copied();
            if let (Some(fa), Some(ta)) = (fa, ta) {
                b.order(fa, ta, G | flags::OPTIONAL);
            }
        }
        // an ordered clone starts its instances one after another, and
        // stops them in reverse
        if r.kind == RscKind::Clone && r.meta.get("ordered").is_some_and(|v| is_true(v)) {
            let acts = child_actions;
            // (and, promotable, promotes them in order and demotes them in
            // reverse)
            let mut pairs = vec![("start", true), ("stop", false)];
            if r.promotable {
                pairs.extend([("promote", true), ("demote", false)]);
            }
            for w in r.children.windows(2) {
                for &(t, forward) in &pairs {
                    let (a, z) = if forward { (w[0], w[1]) } else { (w[1], w[0]) };
                    for x in acts(b, a, t) {
                        for y in acts(b, z, t) {
                            b.order(x, y, G | flags::OPTIONAL);
                        }
                    }
                }
            }
        }
    }
}

fn new_action(
    b: &mut B,
    rsc: RscId,
    task: &str,
    interval_ms: u64,
    node: NodeId,
    optional: bool,
    runnable: bool,
) -> ActionId {
    let key_task = if task == "cancel" || interval_ms > 0 {
        format!("{task}_{interval_ms}")
    } else {
        task.to_string()
    };
    let key = (Some(rsc), key_task, Some(node));
    if let Some(&i) = b.by_key.get(&key) {
        return i;
    }
    b.actions.push(Action {
        rsc: Some(rsc),
        task: task.to_string(),
        interval_ms,
        node: Some(node),
        optional,
        runnable,
        ..Default::default()
    });
    let i = b.actions.len() - 1;
    b.by_key.insert(key, i);
    i
}

/// A resource and its ancestors, innermost first.
pub(crate) fn ancestors(u: &Unpacked, mut r: RscId) -> Vec<RscId> {
    let mut out = vec![r];
    while let Some(p) = u.rscs[r].parent {
        out.push(p);
        r = p;
    }
    out
}

/// Whether discovery of leaf `l` is allowed on node `n`.
pub(crate) fn discovery_allowed(u: &Unpacked, l: RscId, n: NodeId) -> bool {
    let anc = ancestors(u, l);
    let mut exclusive = false;
    let mut exclusive_here = false;
    for loc in &u.locations {
        if !anc.contains(&loc.rsc) {
            continue;
        }
        let here = loc.scores.iter().any(|(x, _)| *x == n);
        match loc.discovery.as_deref() {
            Some("never") if here => return false,
            Some("exclusive") => {
                exclusive = true;
                exclusive_here |= here;
            }
            _ => {}
        }
    }
    !exclusive || exclusive_here
}

fn known_on(u: &Unpacked, r: RscId, n: NodeId) -> bool {
    let mut ls = Vec::new();
    leaves(&u.rscs, r, &mut ls);
    ls.iter().any(|&l| state_known(&u.rscs[l], n))
}

/// The resource's state on the node is known from its history: some entry
/// other than a probe still pending (that one is probed again).
fn state_known(r: &Rsc, n: NodeId) -> bool {
    r.history.get(&n).is_some_and(|h| {
        h.ops.is_empty()
            || h.ops
                .iter()
                .any(|o| !(o.op_status == -1 && o.task == "monitor" && o.interval_ms == 0))
    })
}

fn is_remote_connection(u: &Unpacked, r: RscId) -> bool {
    u.nodes
        .iter()
        .any(|n| n.kind != NodeKind::Member && n.remote_rsc.as_deref() == Some(&u.rscs[r].id))
}

/// Probes of `r` on node `n`. On a guest node whose container is stopped
/// (`guest` = its container, `true`) or will stop (`false`) nothing is
/// probed: what would be is recorded in `pending` as (container, stopped,
/// top-level resource) for [`add_probes`] to order (Pacemaker's
/// `pcmk__probe_rsc_on_node`).
fn probe_rsc(
    b: &mut B,
    r: RscId,
    n: NodeId,
    out: &mut Vec<ActionId>,
    guest: Option<(RscId, bool)>,
    pending: &mut Vec<(RscId, bool, RscId)>,
) {
    let u = b.u();
    let rr = &u.rscs[r];
    let node = &u.nodes[n];
    if node.kind != NodeKind::Member && (rr.is_stonith() || is_remote_connection(u, r)) {
        return;
    }
    // guest nodes cannot run resources containing guest nodes
    if node.kind == NodeKind::Guest {
        let mut ls = Vec::new();
        leaves(&u.rscs, r, &mut ls);
        let holds_guest = ls.iter().any(|&l| {
            (0..u.nodes.len()).any(|g| {
                u.nodes[g].kind == NodeKind::Guest
                    && crate::actions::guest_container(u, g) == Some(l)
            })
        });
        if holds_guest {
            return;
        }
    }
    // on a bundle's guest node only that replica's own instance is probed
    // (pcmk__bundle_create_probe; nothing else may run there)
    let bundle_guest = node.kind == NodeKind::Guest
        && remote_connection(u, n).is_some_and(|c| crate::bundle::member_of(u, c).is_some());
    if bundle_guest {
        let own = match rr.kind {
            RscKind::Primitive => crate::bundle::instance_guest(u, r) == Some(n),
            _ => rr.meta.contains_key(crate::bundle::BUNDLE_META),
        };
        if !own {
            return;
        }
    }
    match rr.kind {
        RscKind::Group => {
            for c in rr.children.clone() {
                probe_rsc(b, c, n, out, guest, pending);
            }
            return;
        }
        RscKind::Clone if rr.meta.contains_key(crate::bundle::BUNDLE_META) => {
            // a bundle probes each replica's instance on that replica's
            // guest node only (pcmk__bundle_create_probe)
            for c in rr.children.clone() {
                if crate::bundle::instance_guest(u, c) == Some(n) {
                    probe_rsc(b, c, n, out, guest, pending);
                }
            }
            return;
        }
        RscKind::Clone if rr.unique => {
            for c in rr.children.clone() {
                probe_rsc(b, c, n, out, guest, pending);
            }
            return;
        }
        RscKind::Clone => {
            let ch = &rr.children;
            let pick = ch
                .iter()
                .copied()
                .find(|&c| known_on(u, c, n))
                .or_else(|| ch.iter().copied().find(|&c| b.a.node[c] == Some(n)))
                .or_else(|| ch.first().copied());
            if let Some(c) = pick {
                probe_rsc(b, c, n, out, guest, pending);
            }
            return;
        }
        RscKind::Primitive => {}
    }
    if rr.meta.contains_key("container") && !is_remote_connection(u, r) {
        return;
    }
    // a bundle connection is probed after its container starts
    // (pe_order_probe): not at all when the container is not running and
    // cannot start
    if let Some(k) = container_of(u, r).filter(|&k| crate::bundle::member_of(u, k).is_some()) {
        let can_start = b
            .find_all(k, "start")
            .iter()
            .any(|&s| b.actions[s].runnable);
        if u.rscs[k].running_on.is_empty() && !can_start {
            return;
        }
    }
    if rr.orphan || state_known(rr, n) || !discovery_allowed(u, r, n) {
        return;
    }
    if let Some((k, stopped)) = guest {
        // the resource's top-level start waits for the container's probes
        // (or stop) instead
        let top = *ancestors(u, r).last().unwrap_or(&r);
        pending.push((k, stopped, top));
        return;
    }
    let p = new_action(b, r, "monitor", 0, n, false, true);
    out.push(p);
    // a fence device (with unfencing in use) or a resource that needs
    // unfencing is probed after its node is unfenced (pcmk__order_vs_unfence)
    let unfence_first = crate::actions::unfencing_enabled(u)
        && (rr.is_stonith() || crate::actions::waits_for_unfencing(rr, true));
    if unfence_first {
        let key = (None, format!("stonith-{}-on", u.nodes[n].uname), Some(n));
        if let Some(&f) = b.by_key.get(&key) {
            b.order(f, p, G | flags::OPTIONAL);
        }
    }
    // (pe_order_probe) a bundle connection is probed after its container
    // starts
    if let Some(k) = container_of(u, r).filter(|&k| crate::bundle::member_of(u, k).is_some()) {
        for ks in b.find_all(k, "start") {
            b.order(ks, p, G | flags::OPTIONAL);
        }
    }
    let top = clone_of(&u.rscs, r).unwrap_or(r);
    for s in b.find_all(top, "start") {
        b.order(p, s, G | flags::OPTIONAL);
    }
}

fn add_probes(b: &mut B) -> Vec<ActionId> {
    let u = b.u();
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for (ni, n) in u.nodes.iter().enumerate() {
        if !n.online || n.unclean || n.pending {
            continue;
        }
        // nothing can be active on a guest node whose container is stopped
        // or will stop (or move): no probes there
        let mut guest = None;
        if n.kind == NodeKind::Guest {
            if let Some(k) = crate::actions::guest_container(u, ni) {
                let kr = &u.rscs[k];
                let next = b.a.node[k];
                let stops = n.remote_requires_reset
                    || kr.failed
                    || next.is_none()
                    || b.a.next_role[k] == Role::Stopped
                    || next.is_some_and(|x| !kr.running_on.contains(&x));
                if kr.running_on.is_empty() {
                    guest = Some((k, true));
                } else if stops {
                    guest = Some((k, false));
                }
            }
        }
        // a node whose history says its probes did not complete (old
        // CIBs' `probe_complete=false`) is probed again as a whole
        if n.attrs.get("probe_complete").is_some_and(|v| !is_true(v)) {
            let task = format!("probe_again-{}", n.uname);
            b.action(None, &task, Some(ni), false, false, true);
            continue;
        }
        for ri in 0..u.rscs.len() {
            if u.rscs[ri].parent.is_none() {
                probe_rsc(b, ri, ni, &mut out, guest, &mut pending);
            }
        }
    }
    // a stopped guest's container is probed (a stopping one stopped)
    // before what would have been probed on the guest starts
    for (k, stopped, top) in pending {
        let firsts: Vec<ActionId> = if stopped {
            out.iter()
                .copied()
                .filter(|&p| b.actions[p].rsc == Some(k))
                .collect()
        } else {
            b.find_all(k, "stop")
        };
        let thens: Vec<ActionId> = if u.rscs[top].is_leaf() {
            b.find_all(top, "start")
        } else {
            b.by_key
                .get(&(Some(top), "start".to_string(), None))
                .copied()
                .into_iter()
                .collect()
        };
        for &f in &firsts {
            for &t in &thens {
                b.order(f, t, G | flags::OPTIONAL);
            }
        }
    }
    out
}

/// "X stop then Y" implies "X's probes then Y".
fn probe_before_stops(b: &mut B, probes: &[ActionId]) {
    let mut by_rsc: BTreeMap<RscId, Vec<ActionId>> = BTreeMap::new();
    for &p in probes {
        if let Some(r) = b.actions[p].rsc {
            by_rsc.entry(r).or_default().push(p);
        }
    }
    let u = b.u();
    let mut add = Vec::new();
    // orderings Pacemaker makes by name even where the stop does not exist:
    // a member's stop before its container's `stopped`, and in a group each
    // member's stop before the previous member's
    for (ci, c) in u.rscs.iter().enumerate() {
        if c.is_leaf() {
            continue;
        }
        if let Some(&stopped) = b.by_key.get(&(Some(ci), "stopped".to_string(), None)) {
            for ch in &c.children {
                for &p in by_rsc.get(ch).map(Vec::as_slice).unwrap_or(&[]) {
                    add.push((p, stopped));
                }
            }
        }
        if c.kind == RscKind::Group {
            for w in c.children.windows(2) {
                for &p in by_rsc.get(&w[1]).map(Vec::as_slice).unwrap_or(&[]) {
                    for x in b.find_all(w[0], "stop") {
                        add.push((p, x));
                    }
                }
            }
        }
    }
    for o in b.orderings.iter().filter(|o| is_real(o.flags)) {
        let f = &b.actions[o.first];
        let t = &b.actions[o.then];
        let (Some(fr), Some(tr)) = (f.rsc, t.rsc) else {
            continue;
        };
        if f.task != "stop" || fr == tr {
            continue;
        }
        // not for a resource inside a stopping container: the probe could
        // come after the container starts again (a transition loop)
        if t.task == "stop" && container_of(u, fr) == Some(tr) {
            continue;
        }
        if let Some(ps) = by_rsc.get(&fr) {
            for &p in ps {
                add.push((p, o.then));
            }
        }
    }
    for (p, t) in add {
        b.order(p, t, G | flags::OPTIONAL);
    }
}

/// A probe before a start that forces other primitives to restart also
/// precedes their stops (and demotes, for promotes).
fn probe_before_restarts(b: &mut B, probes: &[ActionId]) {
    let u = b.u();
    let mut succ: BTreeMap<ActionId, Vec<(ActionId, u32)>> = BTreeMap::new();
    for o in b.orderings.iter().filter(|o| is_real(o.flags)) {
        succ.entry(o.first).or_default().push((o.then, o.flags));
    }
    // Pacemaker keeps a configured order on a group or clone at the action
    // it names (its start, not its running) while probes are ordered
    for o in &u.orders {
        if u.rscs[o.first].is_leaf() || o.one_or_more.is_some() {
            continue;
        }
        let Some(&fa) = b.by_key.get(&(Some(o.first), o.first_action.clone(), None)) else {
            continue;
        };
        let fl = if o.kind == OrderKind::Mandatory {
            flags::IMPLIES_THEN
        } else {
            flags::OPTIONAL
        };
        for t in crate::actions::resolve_then(b, o.then, &o.then_action) {
            succ.entry(fa).or_default().push((t, fl));
        }
    }
    let mut add: Vec<(ActionId, ActionId)> = Vec::new();
    for &p in probes {
        let Some(pr) = b.actions[p].rsc else { continue };
        let mut seen = BTreeSet::new();
        let mut stack: Vec<ActionId> = succ
            .get(&p)
            .map(|v| v.iter().map(|x| x.0).collect())
            .unwrap_or_default();
        while let Some(after) = stack.pop() {
            if !seen.insert(after) {
                continue;
            }
            let aa = &b.actions[after];
            let Some(ar) = aa.rsc else { continue };
            let akind = u.rscs[ar].kind;
            if akind == RscKind::Primitive && ar != pr {
                let other = match aa.task.as_str() {
                    "start" => Some("stop"),
                    "promote" => Some("demote"),
                    _ => None,
                };
                if let Some(o) = other {
                    for x in b.find_all(ar, o) {
                        if !b.actions[x].pseudo {
                            add.push((p, x));
                        }
                    }
                }
            }
            let compatible = if akind == RscKind::Clone && u.rscs[ar].interleave {
                let pn = b.a.node[pr];
                Some(
                    u.rscs[ar]
                        .children
                        .iter()
                        .copied()
                        .find(|&c| pn.is_some() && b.a.node[c] == pn),
                )
            } else {
                None
            };
            for &(next, fl) in succ.get(&after).map(Vec::as_slice).unwrap_or(&[]) {
                if fl & flags::IMPLIES_THEN == 0 {
                    let nr = b.actions[next].rsc;
                    let Some(nr) = nr else { continue };
                    if akind == RscKind::Primitive
                        || u.rscs[pr].parent == Some(ar)
                        || u.rscs[nr].kind == RscKind::Clone
                        || u.rscs[nr].parent != Some(ar)
                    {
                        continue;
                    }
                    if let Some(c) = compatible {
                        if c != Some(nr) {
                            continue;
                        }
                    }
                }
                stack.push(next);
            }
        }
    }
    for (p, x) in add {
        b.order(p, x, G | flags::OPTIONAL);
    }
}

fn fencing_orders(b: &mut B) {
    let u = b.u();
    // (unfencing, "on", is ordered on its own node only: see
    // crate::actions::unfencing and the probes)
    let fences: Vec<ActionId> = (0..b.actions.len())
        .filter(|&i| {
            b.actions[i].fence.as_ref().is_some_and(|(_, a)| a != "on") && !b.actions[i].optional
        })
        .collect();
    let is_dc: Vec<bool> = fences
        .iter()
        .map(|&f| {
            let n = b.actions[f].fence.as_ref().map(|x| x.0);
            n.is_some_and(|n| u.options.dc_uuid.as_deref() == Some(u.nodes[n].id.as_str()))
        })
        .collect();
    let mut chain: Vec<ActionId> = Vec::new();
    let mut dc_fence = None;
    // a guest's "fencing" is its container's recovery: no part of the chain
    let guest_target = |b: &B, f: ActionId| {
        b.actions[f]
            .fence
            .as_ref()
            .is_some_and(|(n, _)| u.nodes[*n].kind == NodeKind::Guest)
    };
    for (k, &f) in fences.iter().enumerate() {
        if guest_target(b, f) {
            continue;
        }
        if is_dc[k] {
            dc_fence = Some(f);
            continue;
        }
        if !u.options.concurrent_fencing {
            if let Some(&prev) = chain.last() {
                b.order(prev, f, G | flags::OPTIONAL);
            }
        }
        chain.push(f);
    }
    if let Some(d) = dc_fence {
        if u.options.concurrent_fencing {
            for &f in &chain {
                b.order(f, d, G | flags::OPTIONAL);
            }
        } else if let Some(&last) = chain.last() {
            b.order(last, d, G | flags::OPTIONAL);
        }
    }
    for &f in &fences {
        let Some((target, _)) = b.actions[f].fence.clone() else {
            continue;
        };
        let guest = u.nodes[target].kind == NodeKind::Guest;
        for l in 0..u.rscs.len() {
            let r = &u.rscs[l];
            if !r.is_leaf() || !r.managed {
                continue;
            }
            if crate::actions::needs_fencing(u, r) || guest {
                // the stops (and demotes) the fencing implies come after it,
                // and so does the top-level resource's stop
                let implied: Vec<ActionId> = ["stop", "demote"]
                    .iter()
                    .flat_map(|t| b.find_all(l, t))
                    .filter(|&x| b.actions[x].node == Some(target))
                    .collect();
                // (a bundled resource's own stop is not ordered after the
                // fencing: that would loop; its clone's stop is)
                let bundled = crate::bundle::member_of(u, l).is_some()
                    || clone_of(&u.rscs, l)
                        .is_some_and(|c| u.rscs[c].meta.contains_key(crate::bundle::BUNDLE_META));
                if !implied.is_empty() {
                    let top = ancestors(u, l).last().copied().unwrap_or(l);
                    let top_stop = if top == l {
                        implied
                            .iter()
                            .copied()
                            .find(|&x| b.actions[x].task == "stop")
                    } else {
                        b.by_key
                            .get(&(Some(top), "stop".to_string(), None))
                            .copied()
                    };
                    let own = if bundled { Vec::new() } else { implied };
                    for x in own.into_iter().chain(top_stop) {
                        b.order(f, x, G | flags::OPTIONAL);
                    }
                }
            }
            if crate::actions::needs_fencing(u, r) {
                for t in ["start", "promote"] {
                    for x in b.find_all(l, t) {
                        b.order(f, x, G | flags::OPTIONAL);
                    }
                }
            } else if requires_quorum_only(u, r)
                && !bundle_guest(u, target)
                && (b.a.scored.tables[l].contains_key(&target)
                    // (a remote connection's allowed nodes include the
                    // remote nodes, banned)
                    || (is_remote_agent(r) && u.nodes[target].kind != NodeKind::Member))
                && !known_here(u, l, target)
            {
                for x in b.find_all(l, "start") {
                    b.order(f, x, G | flags::IMPLIES_THEN | flags::RUNNABLE_LEFT);
                }
            }
        }
    }
}

/// `requires=quorum` (explicitly, or by default for fence devices).
/// A resource whose reloadable parameters changed, staying where it is in
/// the same role, is reloaded there (`reload-agent`, after its probes); its
/// recurring monitors there are scheduled again after the reload
/// (`schedule_reload`, `recurring_op_for_active`).
fn reloads(b: &mut B) {
    let u = b.u();
    for r in 0..u.rscs.len() {
        let rr = &u.rscs[r];
        if !rr.is_leaf() || rr.failed || !rr.managed || rr.running_on.len() != 1 {
            continue;
        }
        let c = rr.running_on[0];
        if b.a.node[r] != Some(c) || !rr.reload_on.contains(&c) || rr.role != b.a.next_role[r] {
            continue;
        }
        let Some(&start) = b.by_key.get(&(Some(r), "start".to_string(), Some(c))) else {
            continue;
        };
        if !b.actions[start].optional || !b.actions[start].runnable {
            continue;
        }
        let reload = new_action(b, r, "reload-agent", 0, c, false, true);
        let mine = b.all_of(r);
        for x in mine {
            let a = &b.actions[x];
            if a.task == "monitor" && a.interval_ms == 0 {
                b.order(x, reload, G | flags::OPTIONAL);
            } else if a.task == "monitor" && a.interval_ms > 0 && a.node == Some(c) {
                b.actions[x].optional = false;
                b.order(reload, x, G | flags::OPTIONAL);
            }
        }
    }
}

/// What needs unfencing and runs on a node being unfenced stops before the
/// unfencing (it is restarted after it).
fn stops_before_unfencing(b: &mut B) {
    let u = b.u();
    if !crate::actions::unfencing_enabled(u) {
        return;
    }
    let unfences: Vec<(ActionId, NodeId)> = (0..b.actions.len())
        .filter_map(|i| match &b.actions[i].fence {
            Some((n, a)) if a == "on" => Some((i, *n)),
            _ => None,
        })
        .collect();
    for (f, n) in unfences {
        for r in 0..u.rscs.len() {
            let rr = &u.rscs[r];
            if rr.is_stonith() || !crate::actions::waits_for_unfencing(rr, true) {
                continue;
            }
            for st in b.find_all(r, "stop") {
                if b.actions[st].node == Some(n) {
                    b.order(st, f, G | flags::OPTIONAL);
                }
            }
        }
    }
}

/// A `migrate_to` still pending may have started the resource on its target:
/// it is stopped there (before it starts anywhere), as Pacemaker forces.
fn pending_migration_stops(b: &mut B) {
    let u = b.u();
    for r in 0..u.rscs.len() {
        let rr = &u.rscs[r];
        if !rr.is_leaf() {
            continue;
        }
        let targets: Vec<NodeId> = rr
            .history
            .values()
            .flat_map(|h| h.ops.iter())
            .filter(|o| o.task == "migrate_to" && o.op_status == -1)
            .filter_map(|o| o.migrate_target.as_deref())
            .filter_map(|t| u.nodes.iter().position(|n| n.uname == t))
            .collect();
        for t in targets {
            let node = &u.nodes[t];
            let runnable = node.online && !node.unclean;
            let s = new_action(b, r, "stop", 0, t, false, runnable);
            b.actions[s].optional = false;
            for st in b.find_all(r, "start") {
                b.order(s, st, G | flags::OPTIONAL);
            }
        }
    }
}

/// A resource whose agent (class, provider or type) changed, or an orphan,
/// is removed from the executor's records (`delete`) on each available node
/// with history of it, after its stops and before it starts
/// (Pacemaker's `DeleteRsc`); not when it has failed.
fn deletes(b: &mut B) {
    let u = b.u();
    for r in 0..u.rscs.len() {
        let rr = &u.rscs[r];
        // (an unmanaged resource's delete would be optional)
        if !rr.is_leaf() || rr.failed || !rr.managed {
            continue;
        }
        // an orphan's history goes wherever it has some (not a clone
        // instance's: its history belongs to the clone)
        let orphan = rr.orphan && !orphan_clone_instance(u, r);
        let nodes: Vec<NodeId> = rr
            .history
            .iter()
            .filter(|(&n, h)| (orphan || (!rr.orphan && h.agent_changed)) && u.nodes[n].available())
            .map(|(&n, _)| n)
            .collect();
        for n in nodes {
            let d = new_action(b, r, "delete", 0, n, false, true);
            // (after its stops anywhere: the order names the resource)
            for s in b.find_all(r, "stop") {
                b.order(s, d, G | flags::OPTIONAL);
            }
            for s in b.find_all(r, "start") {
                b.order(d, s, G | flags::OPTIONAL);
            }
        }
    }
}

/// `do_shutdown` of each online cluster node asked to shut down (and not
/// fenced instead): every stop there that the cluster may carry out becomes
/// required and precedes it, and it cannot run if one of them cannot. A
/// DC's shutdown comes after the other nodes' shutdowns and fencing.
fn shutdowns(b: &mut B) {
    let u = b.u();
    let is_dc = |n: NodeId| u.options.dc_uuid.as_deref() == Some(u.nodes[n].id.as_str());
    let mut others = Vec::new();
    let mut dc_down = None;
    for (ni, n) in u.nodes.iter().enumerate() {
        if !n.online || !n.shutdown || n.kind != NodeKind::Member {
            continue;
        }
        if crate::actions::fenced_action(b, ni).is_some() {
            continue;
        }
        let task = format!("do_shutdown-{}", n.uname);
        let sd = b.action(None, &task, Some(ni), false, false, true);
        let stops: Vec<ActionId> = (0..b.actions.len())
            .filter(|&x| {
                let a = &b.actions[x];
                a.task == "stop"
                    && a.node == Some(ni)
                    && a.rsc.is_some_and(|r| {
                        let r = &u.rscs[r];
                        r.is_leaf() && (r.managed || r.blocked) && !n.maintenance
                    })
            })
            .collect();
        for x in stops {
            b.actions[x].optional = false;
            if !b.actions[x].runnable {
                b.actions[sd].runnable = false;
            }
            b.order(x, sd, G | flags::OPTIONAL | flags::RUNNABLE_LEFT);
        }
        if is_dc(ni) {
            dc_down = Some(sd);
        } else {
            others.push(sd);
        }
    }
    let Some(dc) = dc_down else { return };
    for o in others {
        b.order(o, dc, G | flags::OPTIONAL);
    }
    let fences: Vec<ActionId> = (0..b.actions.len())
        .filter(|&i| {
            b.actions[i].fence.as_ref().is_some_and(|(t, _)| !is_dc(*t)) && !b.actions[i].optional
        })
        .collect();
    if u.options.concurrent_fencing {
        for f in fences {
            b.order(f, dc, G | flags::OPTIONAL);
        }
    } else if let Some(&last) = fences.last() {
        b.order(last, dc, G | flags::OPTIONAL);
    }
}

/// A bundle's guest node: Pacemaker makes it while unpacking the bundle, so
/// it is among no other resource's allowed nodes.
fn bundle_guest(u: &Unpacked, n: NodeId) -> bool {
    u.nodes[n].kind == NodeKind::Guest
        && remote_connection(u, n).is_some_and(|c| crate::bundle::member_of(u, c).is_some())
}

/// `rsc_is_known_on`: the resource has history on the node, or it is an
/// instance of an anonymous clone of primitives and some instance has.
fn known_here(u: &Unpacked, l: RscId, n: NodeId) -> bool {
    if u.rscs[l].history.contains_key(&n) {
        return true;
    }
    match u.rscs[l].parent {
        Some(c) if u.rscs[c].kind == RscKind::Clone && !u.rscs[c].unique => u.rscs[c]
            .children
            .iter()
            .any(|&i| u.rscs[i].history.contains_key(&n)),
        _ => false,
    }
}

fn requires_quorum_only(u: &Unpacked, r: &Rsc) -> bool {
    match r.meta.get("requires").map(String::as_str) {
        Some("quorum") => true,
        None => r.is_stonith() || is_remote_agent(r) || !u.options.stonith_enabled,
        _ => false,
    }
}

/// The node name a bundle connection without an ip range connects to:
/// where its container will run, else where it runs now
/// (`pe__add_bundle_remote_name`).
fn bundle_addr_host<'a>(b: &'a B, r: RscId) -> Option<&'a str> {
    let u = b.u();
    if !is_remote_agent(&u.rscs[r]) {
        return None;
    }
    let k = container_of(u, r)?;
    let host = b.a.node[k].or_else(|| u.rscs[k].running_on.first().copied())?;
    Some(u.nodes[host].uname.as_str())
}

/// Whether the last recorded run of a recurring op on `node` was made with
/// the parameters configured now (resource parameters plus the op timeout,
/// Pacemaker's digest for recurring ops); if not, the op is rescheduled.
fn recurring_digest_ok(r: &Rsc, node: NodeId, op_def: &OpDef, addr_host: Option<&str>) -> bool {
    let (name, interval_ms, timeout_ms) =
        (op_def.name.as_str(), op_def.interval_ms, op_def.timeout_ms);
    let Some(h) = r.history.get(&node) else {
        return true;
    };
    let Some(op) = h
        .ops
        .iter()
        .rev()
        .find(|o| o.task == name && o.interval_ms == interval_ms && o.op_status != 1)
    else {
        return true;
    };
    let Some(d) = &op.op_digest else {
        return true;
    };
    // a digest made with an old recipe never matches today's: the op is
    // scheduled again
    if !crate::digest::comparable(op) {
        return false;
    }
    let mut params = crate::digest::resource_params(r);
    if let (Some(a), Some(h)) = (params.get_mut("addr"), addr_host) {
        if a == crate::bundle::REMOTE_ADDR_HOST {
            *a = h.to_string();
        }
    }
    // the op's own parameters count too
    for (k, v) in &op_def.params {
        params.insert(k.clone(), v.clone());
    }
    params.insert(
        "CRM_meta_timeout".into(),
        timeout_ms.unwrap_or(20000).to_string(),
    );
    if crate::digest::params_digest(&params) == **d {
        return true;
    }
    // secrets are not recorded: compare the digest without them (and
    // without the timeout)
    if let (Some(sp), Some(sd)) = (&op.secure_params, &op.secure_digest) {
        let secret: BTreeSet<&str> = sp.split_whitespace().collect();
        params.retain(|k, _| {
            !secret.contains(k.as_str()) && !k.starts_with("pcmk_") && !k.starts_with("CRM_meta")
        });
        return crate::digest::params_digest(&params) == **sd;
    }
    false
}

/// Recurring ops active where the resource runs that are no longer
/// configured (unless `stop-orphan-actions` is off) or are in maintenance are
/// cancelled.
fn cancel_orphans(b: &mut B) {
    let u = b.u();
    for l in 0..u.rscs.len() {
        let r = &u.rscs[l];
        // an orphan's history is only deleted (its stop ends its monitors)
        if !r.is_leaf() || r.orphan {
            continue;
        }
        let rsc_maint =
            u.options.maintenance_mode || r.meta.get("maintenance").is_some_and(|v| is_true(v));
        for (&n, h) in &r.history {
            let node = &u.nodes[n];
            if !r.running_on.contains(&n) || !node.online || node.unclean {
                continue;
            }
            // nodes that cannot run resources are not checked, unless in
            // maintenance (check_actions)
            if (node.shutdown || node.standby) && !node.maintenance {
                continue;
            }
            for (name, interval) in &h.active_recurring {
                let configured = r
                    .ops
                    .iter()
                    .any(|o| &o.name == name && o.interval_ms == *interval && o.enabled);
                if rsc_maint || node.maintenance || (!configured && u.options.stop_orphan_actions) {
                    let c = new_action(b, l, "cancel", *interval, n, false, true);
                    b.actions[c].cancels = Some(name.clone());
                    // cancellations happen after stops (schedule_cancel)
                    for s in b.find_all(l, "stop") {
                        b.order(s, c, G | flags::OPTIONAL);
                    }
                }
            }
        }
    }
}

/// With a placement strategy other than `default`, a pseudo op
/// `load_stopped_<node>` per node in any resource's allowed-node table:
/// stops on a node precede it, and it precedes starts there.
fn load_stopped(b: &mut B) {
    let u = b.u();
    if u.options.placement_strategy == "default" {
        return;
    }
    let mut ops: BTreeMap<NodeId, ActionId> = BTreeMap::new();
    for l in 0..u.rscs.len() {
        if !u.rscs[l].is_leaf() || u.rscs[l].utilization.is_empty() {
            continue;
        }
        let mut nodes: BTreeSet<NodeId> = b.a.scored.tables[l].keys().copied().collect();
        nodes.extend(u.rscs[l].running_on.iter().copied());
        for n in nodes {
            let op = *ops.entry(n).or_insert_with(|| {
                let task = format!("load_stopped_{}", u.nodes[n].uname);
                b.action(None, &task, None, true, false, true)
            });
            // (stops only where it is active: not a dangling migration's)
            for x in b.find_all(l, "stop") {
                if b.actions[x].node == Some(n) && u.rscs[l].running_on.contains(&n) {
                    b.order(x, op, G | flags::OPTIONAL);
                }
            }
            for t in ["start", "migrate_to"] {
                for x in b.find_all(l, t) {
                    if b.actions[x].node == Some(n) {
                        b.order(op, x, G | flags::OPTIONAL);
                    }
                }
            }
        }
    }
}

/// Expired failures get their fail count cleared (`clear_failcount`).
fn clear_failcounts(b: &mut B) {
    let u = b.u();
    for &(r, n) in &u.clear_failcounts {
        // a failed stop never expires (it stays blocked or fenced)
        if u.rscs[r].history.get(&n).is_some_and(|h| h.stop_failed) {
            continue;
        }
        let clear = new_action(b, r, "clear_failcount", 0, n, false, true);
        // an orphan's, before it stops
        if u.rscs[r].orphan {
            for st in b.find_all(r, "stop") {
                b.order(clear, st, G | flags::OPTIONAL);
            }
        }
        // a remote connection's (reconnect interval) waits for any fencing
        // of its node (order_after_remote_fencing)
        let rr = &u.rscs[r];
        if u.options.stonith_enabled && rr.params.contains_key("reconnect_interval") {
            let fence = u
                .nodes
                .iter()
                .position(|x| x.kind != NodeKind::Member && x.remote_rsc.as_deref() == Some(&rr.id))
                .and_then(|rn| crate::actions::fenced_action(b, rn));
            if let Some(f) = fence {
                b.order(f, clear, G | flags::OPTIONAL);
            }
        }
    }
}

/// `role=Stopped` recurring monitors of a managed, globally unique resource run on
/// every node it will not run on, after its probe and stop there.
fn stopped_monitors(b: &mut B) {
    let u = b.u();
    for l in 0..u.rscs.len() {
        let r = &u.rscs[l];
        if !r.is_leaf() || r.blocked || clone_of(&u.rscs, l).is_some_and(|c| !u.rscs[c].unique) {
            continue;
        }
        let maint =
            u.options.maintenance_mode || r.meta.get("maintenance").is_some_and(|v| is_true(v));
        if maint {
            continue;
        }
        let assigned = b.a.node[l];
        for op in &r.ops {
            if op.interval_ms == 0 || !op.enabled || op.role != Some(Role::Stopped) {
                continue;
            }
            for n in 0..u.nodes.len() {
                let node = &u.nodes[n];
                let active = r.history.get(&n).is_some_and(|h| {
                    h.active_recurring
                        .contains(&(op.name.clone(), op.interval_ms))
                });
                if Some(n) == assigned {
                    // where it is to run, an active one is cancelled before
                    // it starts (cancel_if_running)
                    if active {
                        let c = new_action(b, l, "cancel", op.interval_ms, n, false, true);
                        b.actions[c].cancels = Some(op.name.clone());
                        if matches!(b.a.next_role[l], Role::Started | Role::Unpromoted) {
                            for s in b.find_all(l, "start") {
                                b.order(c, s, G | flags::RUNNABLE_LEFT);
                            }
                        }
                    }
                    continue;
                }
                let stops: Vec<ActionId> = b
                    .find_all(l, "stop")
                    .into_iter()
                    .filter(|&x| b.actions[x].node == Some(n))
                    .collect();
                let optional = active;
                let runnable =
                    node.online && !node.unclean && stops.iter().all(|&x| b.actions[x].runnable);
                let m = new_action(b, l, &op.name, op.interval_ms, n, optional, runnable);
                let probes: Vec<ActionId> = b
                    .find_all(l, "monitor")
                    .into_iter()
                    .filter(|&x| b.actions[x].node == Some(n))
                    .collect();
                for p in probes {
                    b.order(p, m, G | flags::RUNNABLE_LEFT);
                }
                for &x in &stops {
                    b.order(x, m, G | flags::IMPLIES_THEN | flags::RUNNABLE_LEFT);
                    if !b.actions[x].optional {
                        b.actions[m].optional = false;
                    }
                }
            }
        }
    }
}

/// A `-INFINITY` colocation orders each side's loss of its role before the
/// other side's gain of its role (both ways); between primitives only where
/// both actions are on the same node.
fn anti_colocation_orders(b: &mut B) {
    let u = b.u();
    let lose = |role: Option<Role>| -> &'static [&'static str] {
        match role {
            Some(Role::Promoted) => &["demote"],
            Some(Role::Unpromoted) => &["stop", "promote"],
            _ => &["stop"],
        }
    };
    let gain = |role: Option<Role>| -> &'static [&'static str] {
        match role {
            Some(Role::Promoted) => &["promote"],
            Some(Role::Unpromoted) => &["start", "demote"],
            _ => &["start"],
        }
    };
    let mut add = Vec::new();
    for c in &u.colocations {
        if !c.score.is_neg_inf() {
            continue;
        }
        let sides = [
            (c.dependent, c.dependent_role, c.primary, c.primary_role),
            (c.primary, c.primary_role, c.dependent, c.dependent_role),
        ];
        for (fr, frole, tr, trole) in sides {
            for ft in lose(frole) {
                for tt in gain(trole) {
                    let mut firsts = crate::actions::resolve_first(b, fr, ft);
                    // the order is made by name: a primitive's probes
                    // precede the other side's gain even without a stop
                    if *ft == "stop" && u.rscs[fr].is_leaf() {
                        firsts.extend(b.find_all(fr, "monitor"));
                    }
                    let thens = b.find_all(tr, tt);
                    for &f in &firsts {
                        for &t in &thens {
                            let (fnode, tnode) = (b.actions[f].node, b.actions[t].node);
                            if fnode.is_some() && tnode.is_some() && fnode != tnode {
                                continue;
                            }
                            add.push((f, t));
                        }
                    }
                }
            }
        }
    }
    for (f, t) in add {
        b.order(f, t, G | flags::OPTIONAL);
    }
}

const CANNOT_RECUR: &[&str] = &[
    "stop",
    "start",
    "demote",
    "promote",
    "reload-agent",
    "migrate_to",
    "migrate_from",
];

fn add_recurring(b: &mut B) {
    let u = b.u();
    for l in 0..u.rscs.len() {
        let r = &u.rscs[l];
        if !r.is_leaf() || r.blocked {
            continue;
        }
        let maint =
            u.options.maintenance_mode || r.meta.get("maintenance").is_some_and(|v| is_true(v));
        if maint {
            continue;
        }
        let Some(node) = b.a.node[l] else { continue };
        if u.nodes[node].maintenance {
            continue;
        }
        let next_role = b.a.next_role[l];
        if next_role == Role::Stopped && r.managed {
            continue;
        }
        let Some(&start) = b.by_key.get(&(Some(l), "start".to_string(), Some(node))) else {
            continue;
        };
        for op in &r.ops {
            if op.interval_ms == 0
                || !op.enabled
                || op.role == Some(Role::Stopped)
                || CANNOT_RECUR.contains(&op.name.as_str())
            {
                continue;
            }
            let dups = r
                .ops
                .iter()
                .filter(|o| o.name == op.name && o.interval_ms == op.interval_ms)
                .count();
            if dups > 1 {
                continue;
            }
            let active = r.history.get(&node).is_some_and(|h| {
                h.active_recurring
                    .contains(&(op.name.clone(), op.interval_ms))
            });
            let optional = b.actions[start].optional
                && active
                && recurring_digest_ok(r, node, op, bundle_addr_host(b, l));
            let mismatch = match op.role {
                Some(role) => role != next_role,
                None => next_role == Role::Promoted,
            };
            if mismatch {
                if optional {
                    let c = new_action(b, l, "cancel", op.interval_ms, node, false, true);
                    b.actions[c].cancels = Some(op.name.clone());
                    let after = match r.role {
                        Role::Unpromoted | Role::Started => match next_role {
                            Role::Promoted => Some("promote"),
                            Role::Stopped => Some("stop"),
                            _ => None,
                        },
                        Role::Promoted => Some("demote"),
                        _ => None,
                    };
                    if let Some(t) = after {
                        for x in b.find_all(l, t) {
                            b.order(c, x, G | flags::RUNNABLE_LEFT);
                        }
                    }
                }
                continue;
            }
            let n = &u.nodes[node];
            // (an unmanaged resource's start is optional but runnable for
            // Pacemaker: its monitors still run)
            let runnable = (b.actions[start].runnable || !r.managed) && n.online && !n.unclean;
            let m = new_action(b, l, &op.name, op.interval_ms, node, optional, runnable);
            if r.managed {
                b.order(start, m, G | flags::IMPLIES_THEN | flags::RUNNABLE_LEFT);
                if next_role == Role::Promoted {
                    for x in b.find_all(l, "promote") {
                        b.order(x, m, G | flags::OPTIONAL | flags::RUNNABLE_LEFT);
                    }
                } else if r.role == Role::Promoted {
                    for x in b.find_all(l, "demote") {
                        b.order(x, m, G | flags::OPTIONAL | flags::RUNNABLE_LEFT);
                    }
                }
            }
        }
    }
}

/// Monitors (and every other action that changes no role, such as a
/// delete) on a remote or guest node wait for its connection to start
/// (Pacemaker's `apply_remote_ordering`, `apply_container_ordering`); a
/// recurring one is rescheduled when the connection starts. A probe on a
/// remote node whose connection is going away for good comes before the
/// connection stops instead.
fn remote_monitor_orders(b: &mut B) {
    let u = b.u();
    for x in 0..b.actions.len() {
        let a = &b.actions[x];
        let (Some(l), Some(n)) = (a.rsc, a.node) else {
            continue;
        };
        if a.pseudo || u.nodes[n].kind == NodeKind::Member || a.notify.is_some() {
            continue;
        }
        let recurring = a.interval_ms > 0;
        let guest = u.nodes[n].kind == NodeKind::Guest;
        // every action but those that change the resource's role (their
        // orderings are made with the others, in crate::actions); a
        // cancellation on a guest node is no known task, and gets none
        let role_change = matches!(
            a.task.as_str(),
            "start" | "stop" | "promote" | "demote" | "migrate_to" | "migrate_from"
        );
        if role_change || (a.task == "cancel" && guest) {
            continue;
        }
        let Some(c) = remote_connection(u, n) else {
            continue;
        };
        if c == l {
            continue;
        }
        let leaving = !guest
            && !recurring
            && !u.rscs[c].running_on.is_empty()
            && (b.a.node[c].is_none() || b.a.next_role[c] == Role::Stopped);
        if leaving {
            for cs in b.find_all(c, "stop") {
                b.order(x, cs, G | flags::RUNNABLE_LEFT);
            }
            continue;
        }
        for cs in b.find_all(c, "start") {
            b.order(cs, x, G | flags::OPTIONAL);
            let s = &b.actions[cs];
            // (a migrating connection's start becomes a pseudo action)
            if recurring
                && !s.optional
                && s.runnable
                && s.node.is_some()
                && !crate::actions::migrating(b.a, c)
            {
                b.actions[x].optional = false;
            }
        }
    }
}

/// Turn the moves the summary reports as `Migrate` into live migrations in
/// the graph (see the module docs). Runs after the summary, on the final
/// actions, and only adds graph actions and edges.
/// `multiple-active=stop_unexpected`: a resource active on several nodes is
/// stopped only where it should not be; where it stays it is left running,
/// its start there a pseudo action (the summary still says it recovers).
pub fn stop_unexpected(acts: &mut Actions) {
    let u = &acts.assigned.scored.unpacked;
    for r in 0..u.rscs.len() {
        let rr = &u.rscs[r];
        if !rr.is_leaf()
            || rr.running_on.len() < 2
            || rr.meta.get("multiple-active").map(String::as_str) != Some("stop_unexpected")
        {
            continue;
        }
        let Some(n) = acts.assigned.node[r].filter(|n| rr.running_on.contains(n)) else {
            continue;
        };
        if let Some(&s) = acts.by_key.get(&(Some(r), "stop".to_string(), Some(n))) {
            acts.actions[s].graph_unrunnable = true;
        }
        if let Some(&s) = acts.by_key.get(&(Some(r), "start".to_string(), Some(n))) {
            acts.actions[s].pseudo = true;
        }
    }
}

pub fn add_migrations(acts: &mut Actions, summary: &crate::summary::Summary) {
    let migrating: Vec<RscId> = summary
        .changes
        .iter()
        .filter(|c| c.verb == crate::summary::Verb::Migrate)
        .map(|c| c.rsc_index)
        .collect();
    if migrating.is_empty() {
        return;
    }
    let Actions {
        assigned,
        actions,
        orderings,
        by_key,
        ..
    } = acts;
    let u = &assigned.scored.unpacked;
    let mut from_of: BTreeMap<RscId, (ActionId, ActionId)> = BTreeMap::new();
    for &r in &migrating {
        let rr = &u.rscs[r];
        let (Some(&src), Some(dst)) = (rr.running_on.first(), assigned.node[r]) else {
            continue;
        };
        let Some(&start) = by_key.get(&(Some(r), "start".to_string(), Some(dst))) else {
            continue;
        };
        let mut add = |task: &str, node: NodeId| {
            actions.push(Action {
                rsc: Some(r),
                task: task.to_string(),
                node: Some(node),
                runnable: true,
                ..Default::default()
            });
            let i = actions.len() - 1;
            by_key.insert((Some(r), task.to_string(), Some(node)), i);
            i
        };
        let to = add("migrate_to", src);
        let from = add("migrate_from", dst);
        actions[start].pseudo = true;
        let mut ord = vec![(to, from), (from, start)];
        if let Some(&stop) = by_key.get(&(Some(r), "stop".to_string(), Some(src))) {
            ord.push((from, stop));
        }
        let probes = by_key
            .range((Some(r), "monitor".to_string(), None)..)
            .take_while(|((x, t, _), _)| *x == Some(r) && t == "monitor")
            .map(|(_, &i)| i);
        ord.extend(probes.map(|p| (p, to)));
        let load = format!("load_stopped_{}", u.nodes[dst].uname);
        if let Some(&l) = by_key.get(&(None, load, None)) {
            ord.push((l, to));
        }
        for (f, t) in ord {
            orderings.push(Ordering {
                first: f,
                then: t,
                flags: G | flags::OPTIONAL,
            });
        }
        from_of.insert(r, (to, from));
    }
    // orderings between resources carry over to migrate_to
    let related = |a: RscId, b: RscId| {
        let mut x = Some(a);
        while let Some(y) = x {
            if y == b {
                return true;
            }
            x = u.rscs[y].parent;
        }
        let mut x = Some(b);
        while let Some(y) = x {
            if y == a {
                return true;
            }
            x = u.rscs[y].parent;
        }
        false
    };
    let mut extra = Vec::new();
    for o in orderings.iter().filter(|o| is_real(o.flags)) {
        let (f, t) = (&actions[o.first], &actions[o.then]);
        let (Some(fr), Some(tr)) = (f.rsc, t.rsc) else {
            continue;
        };
        let Some(&(to, _)) = from_of.get(&tr) else {
            continue;
        };
        if related(fr, tr) {
            continue;
        }
        // a container's completion stands for its action
        let first_task = crate::actions::base_task(&f.task);
        match (first_task, t.task.as_str()) {
            ("start", "start") | ("stop", "stop") => match from_of.get(&fr) {
                Some(&(_, ffrom)) if t.task == "start" => extra.push((ffrom, to)),
                Some(_) => {}
                None => extra.push((o.first, to)),
            },
            // promote then start, demote then stop: before migrate_to too
            ("promote", "start") | ("demote", "stop") => extra.push((o.first, to)),
            _ => {}
        }
    }
    // migrate_to needs what the start needs: fencing first, when the
    // resource requires it
    let fences: Vec<ActionId> = (0..actions.len())
        .filter(|&i| actions[i].fence.is_some() && !actions[i].optional)
        .collect();
    for (&r, &(to, _)) in &from_of {
        if crate::actions::needs_fencing(u, &u.rscs[r]) {
            for &f in &fences {
                extra.push((f, to));
            }
        }
    }
    // orderings meant for non-migrating firsts lose their edge
    for o in orderings.iter_mut() {
        if o.flags & flags::FIRST_NON_MIGRATABLE == 0 {
            continue;
        }
        if actions[o.first]
            .rsc
            .is_some_and(|fr| from_of.contains_key(&fr))
        {
            o.flags |= flags::NO_EDGE;
        }
    }
    for (f, t) in extra {
        orderings.push(Ordering {
            first: f,
            then: t,
            flags: G | flags::OPTIONAL,
        });
    }
}

//! Clone notifications (`notify=true`), added to the transition graph once
//! the summary-relevant flags have settled, as Pacemaker adds them when it
//! turns a clone's actions into graph actions.
//!
//! Data enters as the actions stage under construction ([`B`]): the clone's
//! own pseudo actions, each instance's actions with their final flags, and
//! what the clone's instances were about to do when its pseudo actions were
//! made ([`Seed`], recorded by [`crate::actions`]). Data leaves as new
//! actions and graph-only orderings in the same builder; nothing here changes
//! what the Transition Summary shows.
//!
//! For each collective action `T` of a notifying clone `C` (start/running,
//! stop/stopped, and promote/promoted, demote/demoted when promotable):
//!
//! ```text
//! C_pre_notify_T -> inst_pre_notify_T (each) -> C_confirmed-pre_notify_T -> C_T
//! C_done -> C_post_notify_done -> inst_post_notify_T (each)
//!        -> C_confirmed-post_notify_done -> instances' recurring monitors
//! ```
//!
//! * The pre pseudo actions are required when `C_T` was required when it was
//!   made, or when some instance will really do `T` (a runnable, required
//!   `T` on a node; a stop on an unclean node counts anyway). The post ones
//!   also when `C_done` ends up required. The post ones are runnable as
//!   `C_done` was when it was made (`running`: some instance active or
//!   starting). All of them are also required when some instance's `T` is
//!   (even if it cannot run), and none is runnable when no instance's `T`
//!   can run (the clone's `summary_action_flags`).
//! * Per instance: one that is active (current role not Stopped) is told
//!   about a stop or demote on each node it is active on (not a node being
//!   fenced when its stop is implied by that): before it, and after it too
//!   unless it is itself stopping (a demote is always followed by a post
//!   notification). One with a next role is told about a start or promote on
//!   its next node: before it unless it is starting there itself, and after
//!   it. Start, promote and demote notifications are sent only if some
//!   instance does that action. Nothing is sent to an offline node, or when
//!   the pseudo action is not runnable.
//! * Between collective actions: stop's post-notifications complete before
//!   start's pre-notifications begin; with promotion also start and stop
//!   before promote, and demote before start, stop and promote.
//! * A stop implied by fencing gets its own post pseudo actions on the
//!   instance (`inst_post_notify_stonith`, confirmed after the fencing), and
//!   every other active instance is told about that stop.
//! * Every notify action carries the `notify_*` variables an agent reads
//!   (`OCF_RESKEY_CRM_meta_notify_*`): the instances starting, stopping,
//!   promoting and demoting with their nodes, the active, promoted,
//!   unpromoted and inactive instances, the nodes the clone may run on, and
//!   every node.
//!
//! An ordering from one of `C`'s collective actions to another resource's
//! action (not one of `C`'s own instances) waits for the matching
//! post-notifications to complete; [`graph_first`] maps it for the graph.

use std::collections::BTreeMap;

use crate::actions::{flags, ActionId, B};
use crate::model::*;
use crate::unpack::*;

const G: u32 = flags::GRAPH_ONLY | flags::OPTIONAL;

/// What a notify action is: the parts of its key (the variables it carries
/// are the action's `notify_vars`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// `pre` or `post` (Pacemaker's `notify_type`).
    pub n_type: &'static str,
    /// The collective action notified about: start, stop, promote, demote
    /// (`notify_operation`).
    pub operation: &'static str,
    /// `pre`, `confirmed-pre`, `post` or `confirmed-post`.
    pub key_type: &'static str,
    /// The task named in the key (`running` for a post pseudo action of a
    /// start, `stonith` for one after fencing).
    pub key_operation: String,
}

impl Notify {
    /// The action's task as Pacemaker names it (`notify` or `notified`).
    pub fn task(&self) -> &'static str {
        if self.key_type.starts_with("confirmed") {
            "notified"
        } else {
            "notify"
        }
    }
}

/// What a clone's instances were about to do when its collective pseudo
/// actions were made (Pacemaker's `check_instance_state` and
/// `check_for_role_change`): the flags its notification pseudo actions start
/// from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seed {
    pub active: bool,
    pub starting: bool,
    pub stopping: bool,
    pub promoting: bool,
    pub demoting: bool,
}

/// Does this clone send notifications (outermost clones only; a bundle's
/// inner clone is one)?
pub fn notifies(u: &Unpacked, c: RscId) -> bool {
    let r = &u.rscs[c];
    r.kind == RscKind::Clone && r.notify && r.parent.is_none()
}

/// Record a clone's [`Seed`] from its instances' actions as they are now.
pub(crate) fn seed(b: &B, c: RscId) -> Seed {
    let u = b.u();
    let mut ls = Vec::new();
    leaves(&u.rscs, c, &mut ls);
    let mut s = Seed::default();
    for l in ls {
        s.active |= !u.rscs[l].running_on.is_empty();
        let req = |t: &str| {
            b.find_all(l, t)
                .into_iter()
                .map(|x| &b.actions[x])
                .filter(|x| !x.optional && x.node.is_some())
                .collect::<Vec<_>>()
        };
        s.starting |= req("start").iter().any(|x| x.runnable);
        // a stop on a node about to be fenced is not counted: Pacemaker
        // makes it a pseudo action only later
        s.stopping |= req("stop").iter().any(|x| x.runnable && !x.pseudo);
        s.promoting |= !req("promote").is_empty();
        s.demoting |= !req("demote").is_empty();
    }
    s
}

/// The action an ordering from `first` to `then` waits for in the graph: a
/// notifying clone's collective action is complete, for other resources,
/// when its post-notifications are (`action_for_ordering`).
pub fn graph_first(acts: &crate::actions::Actions, first: ActionId, then: ActionId) -> ActionId {
    let u = &acts.assigned.scored.unpacked;
    let (f, t) = (&acts.actions[first], &acts.actions[then]);
    let Some(c) = f.rsc else {
        return first;
    };
    if !f.pseudo || f.notify.is_some() || f.node.is_some() || !notifies(u, c) {
        return first;
    }
    // a bundle's own action is another resource's (its inner clone is not
    // its child here)
    match t.rsc {
        Some(tr) if crate::graph_ops::ancestors(u, tr).contains(&c) => return first,
        None if t.bundle.is_none() => return first,
        _ => {}
    }
    let task = crate::actions::base_task(&f.task);
    if !crate::actions::is_collective_task(task) {
        return first;
    }
    let done = crate::actions::done_task(task);
    acts.by_key
        .get(&(Some(c), format!("confirmed-post_notify_{done}"), None))
        .copied()
        .unwrap_or(first)
}

/// The notification data of one collective action.
struct NData {
    operation: &'static str,
    pre: Option<ActionId>,
    pre_done: Option<ActionId>,
    post: Option<ActionId>,
    post_done: Option<ActionId>,
    /// Whether some instance does the action (for start, promote, demote:
    /// otherwise no instance is notified).
    any: bool,
    vars: Vec<(String, String)>,
}

/// Add every notification (see the module docs).
pub(crate) fn add(b: &mut B, seeds: &BTreeMap<RscId, Seed>) {
    after_fencing(b);
    let u = b.u();
    for (&c, seed) in seeds {
        if !notifies(u, c) {
            continue;
        }
        let mut tasks = vec![("start", "running"), ("stop", "stopped")];
        if u.rscs[c].promotable {
            tasks.push(("promote", "promoted"));
            tasks.push(("demote", "demoted"));
        }
        let mut ls = Vec::new();
        leaves(&u.rscs, c, &mut ls);
        let mut made: BTreeMap<&str, NData> = BTreeMap::new();
        for (task, done) in tasks {
            let (Some(&pa), Some(&pd)) = (
                b.by_key.get(&(Some(c), task.to_string(), None)),
                b.by_key.get(&(Some(c), done.to_string(), None)),
            ) else {
                continue;
            };
            let was_required = match task {
                "start" => seed.starting,
                "stop" => seed.stopping,
                "promote" => seed.promoting,
                _ => seed.demoting,
            };
            // the clone's flags for its notifications come from its
            // instances (summary_action_flags): not runnable when none of
            // them can do the action, required when one of them has to do
            // it, even if it cannot
            let doable = ls.iter().any(|&l| {
                b.find_all(l, task).iter().any(|&x| {
                    let a = &b.actions[x];
                    a.runnable && (a.node.is_some() || a.pseudo)
                })
            });
            let mandatory = ls
                .iter()
                .any(|&l| b.find_all(l, task).iter().any(|&x| !b.actions[x].optional));
            let end_runnable = (task != "start" || seed.active || seed.starting) && doable;
            let (vars, any) = collect(b, c, task);
            let required = any || mandatory;
            let pre_opt = !(was_required || required);
            let post_opt = !(was_required || required || !b.actions[pd].optional);
            let pre = pseudo(b, c, "pre", task, task, pre_opt, doable);
            let pre_done = pseudo(b, c, "confirmed-pre", task, task, pre_opt, doable);
            b.order(pre, pre_done, G);
            b.order(pre_done, pa, G);
            let post = pseudo(b, c, "post", task, done, post_opt, end_runnable);
            let post_done = pseudo(b, c, "confirmed-post", task, done, post_opt, end_runnable);
            b.order(pd, post, G);
            b.order(post, post_done, G);
            b.order(pre_done, post, G);
            let nd = NData {
                operation: task,
                pre: Some(pre),
                pre_done: Some(pre_done),
                post: Some(post),
                post_done: Some(post_done),
                any,
                vars,
            };
            instance_actions(b, c, &nd);
            made.insert(task, nd);
        }
        let link = |b: &mut B, from: &str, to: &str| {
            if let (Some(f), Some(t)) = (made.get(from), made.get(to)) {
                if let (Some(x), Some(y)) = (f.post_done, t.pre) {
                    b.order(x, y, G);
                }
            }
        };
        link(b, "stop", "start");
        if u.rscs[c].promotable {
            link(b, "stop", "promote");
            link(b, "start", "promote");
            link(b, "demote", "promote");
            link(b, "demote", "start");
            link(b, "demote", "stop");
        }
    }
}

/// A clone-level notification pseudo action.
fn pseudo(
    b: &mut B,
    c: RscId,
    key_type: &'static str,
    operation: &'static str,
    key_operation: &str,
    optional: bool,
    runnable: bool,
) -> ActionId {
    let n_type = if key_type.ends_with("pre") {
        "pre"
    } else {
        "post"
    };
    let notify = Notify {
        n_type,
        operation,
        key_type,
        key_operation: key_operation.to_string(),
    };
    let vars = own_vars(&notify);
    new_notify(b, c, None, notify, vars, optional, runnable)
}

/// Find or make a notify action (`custom_action`: an existing one becomes
/// required when asked for as required, and keeps the variables it has).
fn new_notify(
    b: &mut B,
    rsc: RscId,
    node: Option<NodeId>,
    notify: Notify,
    vars: Vec<(String, String)>,
    optional: bool,
    runnable: bool,
) -> ActionId {
    let task = format!("{}_notify_{}", notify.key_type, notify.key_operation);
    let key = (Some(rsc), task.clone(), node);
    if let Some(&i) = b.by_key.get(&key) {
        let a = &mut b.actions[i];
        if !optional {
            a.optional = false;
        }
        add_vars(&mut a.notify_vars, &vars);
        return i;
    }
    b.actions.push(crate::actions::Action {
        rsc: Some(rsc),
        task,
        node,
        pseudo: node.is_none(),
        optional,
        runnable,
        notify: Some(Box::new(notify)),
        notify_vars: vars,
        ..Default::default()
    });
    let i = b.actions.len() - 1;
    b.by_key.insert(key, i);
    i
}

/// One notification entry: an instance, and a node (none for an inactive
/// instance).
type Entry = (RscId, Option<NodeId>);

/// The notification variables of a clone for one collective action, and
/// whether any instance does that action (`collect_resource_data` and
/// `add_notif_keys`).
fn collect(b: &B, c: RscId, task: &str) -> (Vec<(String, String)>, bool) {
    let u = b.u();
    let mut ls = Vec::new();
    leaves(&u.rscs, c, &mut ls);
    let mut lists: BTreeMap<&str, Vec<Entry>> = BTreeMap::new();
    for &l in &ls {
        let r = &u.rscs[l];
        let first = r.running_on.first().copied();
        let e = (l, first);
        match r.role {
            Role::Started => lists.entry("active").or_default().push(e),
            Role::Unpromoted => {
                lists.entry("unpromoted").or_default().push(e);
                lists.entry("active").or_default().push(e);
            }
            Role::Promoted => {
                lists.entry("promoted").or_default().push(e);
                lists.entry("active").or_default().push(e);
            }
            _ => lists.entry("inactive").or_default().push(e),
        }
        for t in ["start", "stop", "promote", "demote"] {
            for x in b.find_all(l, t) {
                let a = &b.actions[x];
                let Some(n) = a.node else { continue };
                if a.optional || a.notify.is_some() {
                    continue;
                }
                if !(a.runnable || (t == "stop" && u.nodes[n].unclean)) {
                    continue;
                }
                lists.entry(t).or_default().push((l, Some(n)));
            }
        }
    }
    let any = lists.get(task).is_some_and(|v| !v.is_empty());
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| vars.push((format!("notify_{k}"), v));
    for (list, rname, nname) in [
        ("stop", "stop_resource", Some("stop_uname")),
        ("start", "start_resource", Some("start_uname")),
        ("demote", "demote_resource", Some("demote_uname")),
        ("promote", "promote_resource", Some("promote_uname")),
        ("active", "active_resource", Some("active_uname")),
        (
            "unpromoted",
            "unpromoted_resource",
            Some("unpromoted_uname"),
        ),
        ("unpromoted", "slave_resource", Some("slave_uname")),
        ("promoted", "promoted_resource", Some("promoted_uname")),
        ("promoted", "master_resource", Some("master_uname")),
        ("inactive", "inactive_resource", None),
    ] {
        let (rs, ns) = entries_to_strings(
            u,
            lists.get(list).map(Vec::as_slice).unwrap_or(&[]),
            nname.is_some(),
        );
        put(rname, rs);
        if let Some(nn) = nname {
            put(nn, ns);
        }
    }
    let mut avail: Vec<&str> = b.a.scored.tables[c]
        .keys()
        .map(|&n| u.nodes[n].uname.as_str())
        .collect();
    avail.sort_unstable();
    put("available_uname", words(avail));
    let all: Vec<&str> = u.nodes.iter().map(|n| n.uname.as_str()).collect();
    let host = u.rscs[c]
        .meta
        .get("container-attribute-target")
        .is_some_and(|v| v == "host");
    if host {
        let hosts: Vec<&str> = u
            .nodes
            .iter()
            .enumerate()
            .map(|(ni, n)| {
                if n.kind == NodeKind::Guest {
                    if let Some(k) = crate::actions::guest_container(u, ni) {
                        if let Some(&h) = u.rscs[k].running_on.first() {
                            return u.nodes[h].uname.as_str();
                        }
                    }
                }
                n.uname.as_str()
            })
            .collect();
        put("all_hosts", words(hosts));
    }
    put("all_uname", words(all));
    (vars, any)
}

/// The meta attributes a notification pseudo action is made with.
fn own_vars(n: &Notify) -> Vec<(String, String)> {
    vec![
        ("notify_type".to_string(), n.n_type.to_string()),
        ("notify_operation".to_string(), n.operation.to_string()),
        ("notify_key_type".to_string(), n.key_type.to_string()),
        ("notify_key_operation".to_string(), n.key_operation.clone()),
    ]
}

/// Add variables not already set (Pacemaker's `add_hash_param`).
fn add_vars(to: &mut Vec<(String, String)>, vars: &[(String, String)]) {
    for (k, v) in vars {
        if !to.iter().any(|(x, _)| x == k) {
            to.push((k.clone(), v.clone()));
        }
    }
}

fn words(v: Vec<&str>) -> String {
    if v.is_empty() {
        " ".to_string()
    } else {
        v.join(" ")
    }
}

/// Sorted by instance name then node id; one entry per instance.
fn entries_to_strings(u: &Unpacked, list: &[Entry], with_nodes: bool) -> (String, String) {
    let mut l: Vec<Entry> = list
        .iter()
        .copied()
        .filter(|(_, n)| !with_nodes || n.is_some())
        .collect();
    l.sort_by(|a, b| {
        u.rscs[a.0].id.cmp(&u.rscs[b.0].id).then_with(|| {
            let id = |n: Option<NodeId>| n.map(|n| u.nodes[n].id.as_str());
            match (id(a.1), id(b.1)) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, _) => std::cmp::Ordering::Greater,
                (_, None) => std::cmp::Ordering::Less,
                (Some(x), Some(y)) => x.cmp(y),
            }
        })
    });
    l.dedup_by(|a, b| a.0 == b.0);
    let rs = words(l.iter().map(|(r, _)| u.rscs[*r].id.as_str()).collect());
    let ns = words(
        l.iter()
            .filter_map(|(_, n)| n.map(|n| u.nodes[n].uname.as_str()))
            .collect(),
    );
    (rs, ns)
}

/// The notify actions of every instance of clone `c` for one collective
/// action (`create_notify_actions`).
fn instance_actions(b: &mut B, c: RscId, nd: &NData) {
    let u = b.u();
    let mut ls = Vec::new();
    leaves(&u.rscs, c, &mut ls);
    for l in ls {
        let op = nd.operation;
        // the instance's own required actions carry the variables too
        for t in ["start", "stop", "promote", "demote"] {
            for x in b.find_all(l, t) {
                let a = &mut b.actions[x];
                if !a.optional && a.node.is_some() {
                    add_vars(&mut a.notify_vars, &nd.vars);
                }
            }
        }
        if op != "stop" && !nd.any {
            continue;
        }
        let r = &u.rscs[l];
        if r.role != Role::Stopped && (op == "stop" || op == "demote") {
            let stop = b
                .find_all(l, "stop")
                .first()
                .map(|&x| (b.actions[x].pseudo, b.actions[x].optional));
            for &n in &r.running_on {
                let node = &u.nodes[n];
                if stop.is_some_and(|(p, _)| p) && (node.unclean || node.remote_requires_reset) {
                    continue;
                }
                instance_notify(b, l, n, nd.pre, nd.pre_done, nd);
                if op == "demote" || stop.is_none_or(|(_, o)| o) {
                    post_notify(b, l, n, nd);
                }
            }
        }
        let next = b.a.node[l];
        if b.a.next_role[l] != Role::Stopped && (op == "start" || op == "promote") {
            let start = b.find_all(l, "start").first().copied();
            if let Some(s) = start {
                let blocked = b.actions[s]
                    .node
                    .and_then(|n| {
                        (u.nodes[n].kind != NodeKind::Member)
                            .then(|| remote_connection(u, n))
                            .flatten()
                    })
                    .is_some_and(|conn| {
                        b.find_all(conn, "start")
                            .first()
                            .is_some_and(|&cs| !b.actions[cs].runnable)
                    });
                if blocked {
                    continue;
                }
            }
            let Some(n) = next else { continue };
            if op != "start" || start.is_none_or(|s| b.actions[s].optional) {
                instance_notify(b, l, n, nd.pre, nd.pre_done, nd);
            }
            post_notify(b, l, n, nd);
        }
    }
}

/// `new_notify_action`: instance `l` told on node `n`, between the pseudo
/// action `op` and its confirmation.
fn instance_notify(
    b: &mut B,
    l: RscId,
    n: NodeId,
    op: Option<ActionId>,
    done: Option<ActionId>,
    nd: &NData,
) -> Option<ActionId> {
    let (op, done) = (op?, done?);
    let u = b.u();
    if !u.nodes[n].online || !b.actions[op].runnable {
        return None;
    }
    let meta = b.actions[op].notify.as_deref()?;
    // the pseudo action's own meta first, then the notification data
    let mut vars = own_vars(meta);
    vars.extend(nd.vars.iter().cloned());
    let notify = Notify {
        n_type: meta.n_type,
        operation: nd.operation,
        key_type: meta.n_type,
        key_operation: nd.operation.to_string(),
    };
    let optional = b.actions[op].optional;
    let runnable = !u.nodes[n].unclean;
    let x = new_notify(b, l, Some(n), notify, vars, optional, runnable);
    b.order(op, x, G);
    b.order(x, done, G);
    Some(x)
}

/// `new_post_notify_action`: the post notification, and the instance's
/// recurring monitors after all post notifications.
fn post_notify(b: &mut B, l: RscId, n: NodeId, nd: &NData) {
    instance_notify(b, l, n, nd.post, nd.post_done, nd);
    let Some(done) = nd.post_done else { return };
    let mons: Vec<ActionId> = b
        .all_of(l)
        .into_iter()
        .filter(|&i| {
            let a = &b.actions[i];
            a.interval_ms > 0 && a.task != "cancel" && a.notify.is_none()
        })
        .collect();
    for m in mons {
        b.order(done, m, G);
    }
}

/// Stops implied by fencing (`pe__order_notifs_after_fencing`).
fn after_fencing(b: &mut B) {
    let u = b.u();
    for ri in 0..u.rscs.len() {
        let r = &u.rscs[ri];
        if !r.is_leaf() || !r.meta.get("notify").is_some_and(|v| is_true(v)) {
            continue;
        }
        for s in b.find_all(ri, "stop") {
            let (Some(n), true) = (b.actions[s].node, b.actions[s].pseudo) else {
                continue;
            };
            let Some(f) = crate::actions::fenced_action(b, n) else {
                continue;
            };
            let fence_task = "stonith";
            let (opt, run) = (b.actions[f].optional, b.actions[f].runnable);
            let mk = |key_type: &'static str| Notify {
                n_type: "post",
                operation: "stop",
                key_type,
                key_operation: fence_task.to_string(),
            };
            let (p, pd) = (mk("post"), mk("confirmed-post"));
            let (pv, pdv) = (own_vars(&p), own_vars(&pd));
            let post = new_notify(b, ri, None, p, pv, opt, run);
            let post_done = new_notify(b, ri, None, pd, pdv, opt, run);
            b.order(f, post, G);
            b.order(post, post_done, G);
            let nd = NData {
                operation: "stop",
                pre: None,
                pre_done: None,
                post: Some(post),
                post_done: Some(post_done),
                any: true,
                vars: vec![
                    ("notify_stop_resource".to_string(), r.id.clone()),
                    ("notify_stop_uname".to_string(), u.nodes[n].uname.clone()),
                ],
            };
            let top = {
                let mut t = ri;
                while let Some(p) = u.rscs[t].parent {
                    t = p;
                }
                t
            };
            instance_actions(b, top, &nd);
        }
    }
}

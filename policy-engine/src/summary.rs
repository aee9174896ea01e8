//! Stage 5 (part): the Transition Summary as data — one [`Change`] per
//! resource change and one [`Fence`] per node fencing, in Pacemaker's order
//! (fencing first, then resources in configuration order).

use crate::actions::{Action, Actions};
use crate::model::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Start,
    Stop,
    Move,
    Recover,
    Restart,
    Migrate,
    Promote,
    Demote,
    RePromote,
    Reload,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Start => "Start",
            Verb::Stop => "Stop",
            Verb::Move => "Move",
            Verb::Recover => "Recover",
            Verb::Restart => "Restart",
            Verb::Migrate => "Migrate",
            Verb::Promote => "Promote",
            Verb::Demote => "Demote",
            Verb::RePromote => "Re-promote",
            Verb::Reload => "Reload",
        }
    }
}

/// A resource change line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub verb: Verb,
    pub rsc: String,
    pub rsc_index: RscId,
    pub role: Role,
    pub next_role: Role,
    pub origin: Option<String>,
    pub destination: Option<String>,
    pub reason: Option<String>,
    /// The action shown cannot run.
    pub blocked: bool,
}

/// A fencing line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub node: String,
    pub action: String,
    pub container: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub fences: Vec<Fence>,
    pub changes: Vec<Change>,
}

pub fn summarize(acts: &Actions) -> Summary {
    let u = &acts.assigned.scored.unpacked;
    let mut s = Summary::default();
    for a in &acts.actions {
        if let Some((n, act)) = &a.fence {
            if a.optional {
                continue;
            }
            let node = &u.nodes[*n];
            // a guest's "fencing" is its container's recovery
            let container = (node.kind == crate::unpack::NodeKind::Guest)
                .then(|| crate::actions::guest_container(u, *n))
                .flatten()
                .map(|k| u.rscs[k].id.clone());
            let reason = if container.is_some() {
                "guest is unclean".to_string()
            } else if act == "on" {
                a.reason
                    .clone()
                    .unwrap_or_else(|| "required by unfencing".into())
            } else {
                node.fence_reason
                    .clone()
                    .unwrap_or_else(|| "node is unclean".into())
            };
            s.fences.push(Fence {
                node: node.uname.clone(),
                action: act.clone(),
                container,
                reason,
            });
        }
    }
    for &t in &u.top_xml {
        walk(acts, t, &mut s.changes);
    }
    s
}

fn walk(acts: &Actions, r: RscId, out: &mut Vec<Change>) {
    let u = &acts.assigned.scored.unpacked;
    let rr = &u.rscs[r];
    if rr.is_leaf() {
        leaf_changes(acts, r, out);
    } else {
        for &c in &rr.children {
            walk(acts, c, out);
        }
    }
}

fn leaf_changes(acts: &Actions, r: RscId, out: &mut Vec<Change>) {
    let u = &acts.assigned.scored.unpacked;
    let rr = &u.rscs[r];
    let next = acts.assigned.node[r];
    let next_role = acts.assigned.next_role[r];
    // active only through a migration record: reported as started there
    let role = if rr.running_on.is_empty() {
        Role::Stopped
    } else {
        rr.role.max(Role::Started)
    };
    if !rr.managed {
        return;
    }
    // like pe__find_active_on: a resource that needs fencing is reported
    // on the first node it is active on, others on the first clean one
    let needs_fencing = crate::actions::needs_fencing(u, rr);
    let current = rr.continued_migration(next).or_else(|| {
        rr.running_on
            .iter()
            .copied()
            .find(|&n| needs_fencing || (u.nodes[n].online && !u.nodes[n].unclean))
            .or_else(|| rr.running_on.first().copied())
    });
    if current.is_none() && next.is_none() {
        return;
    }
    let name = |n: Option<NodeId>| n.map(|x| u.nodes[x].uname.clone());
    let start = acts.find(Some(r), "start", next);
    let stop_on = |n: Option<NodeId>| acts.find(Some(r), "stop", n);
    let start_runnable = start.is_some_and(|a| a.runnable);
    let stop = if start_runnable {
        stop_on(current)
    } else {
        stop_on(current).or_else(|| acts.find_all(r, "stop").first().map(|&i| &acts.actions[i]))
    };
    let moving = current.is_some() && next.is_some() && current != next;
    let mk = |verb: Verb,
              origin: Option<NodeId>,
              dest: Option<NodeId>,
              action: Option<&Action>,
              source: Option<&Action>| Change {
        verb,
        rsc: rr.id.clone(),
        rsc_index: r,
        role,
        next_role,
        origin: name(origin),
        destination: name(dest),
        reason: source.or(action).and_then(|a| a.reason.clone()),
        blocked: action.is_some_and(|a| !a.runnable),
    };
    let failed = rr.failed;
    let promote = acts.find(Some(r), "promote", next);
    let demote = current.and_then(|c| acts.find(Some(r), "demote", Some(c)));
    let required = |a: Option<&Action>| a.is_some_and(|a| !a.optional);
    let reload = !moving && current.is_some_and(|c| rr.reload_on.contains(&c)) && !failed;
    if role == next_role {
        if reload && start.is_some_and(|a| a.optional && a.runnable) {
            out.push(mk(Verb::Reload, current, None, None, None));
            return;
        }
        if start.is_none() || start.is_some_and(|a| a.optional) {
            if required(demote) && required(promote) {
                out.push(mk(Verb::RePromote, current, None, promote, None));
            }
            return;
        }
        let st = start.unwrap();
        if !st.runnable {
            let src = if stop.is_some_and(|s| s.reason.is_some()) {
                stop
            } else {
                Some(st)
            };
            let mut c = mk(Verb::Stop, current, None, stop, src);
            c.reason = src.and_then(|a| a.reason.clone());
            out.push(c);
            return;
        }
        if moving && migratable(acts, r, current, next) {
            out.push(mk(Verb::Migrate, current, next, stop, Some(st)));
            return;
        }
        if moving {
            let v = if failed { Verb::Recover } else { Verb::Move };
            let mut c = mk(v, current, next, stop, Some(st));
            let source_clean = current.is_some_and(|c| u.nodes[c].online && !u.nodes[c].unclean);
            if c.reason.is_none() && allow_migrate(rr) && !failed && source_clean {
                // (a guest connection's own container is no such first)
                if let Some(fr) = next
                    .and_then(|n| non_migrating_first(acts, r, n))
                    .filter(|&fr| crate::unpack::container_of(u, r) != Some(fr))
                {
                    c.reason = Some(format!("unrunnable {} stop", u.rscs[fr].id));
                }
            }
            out.push(c);
        } else if failed {
            out.push(mk(Verb::Recover, current, None, start, None));
        } else {
            out.push(mk(Verb::Restart, current, None, start, None));
        }
        return;
    }
    // role changes
    if stop.is_some() && (next_role == Role::Stopped || start.is_some_and(|a| !a.runnable)) {
        // Pacemaker takes the reason from an unrunnable start when the
        // resource was assigned a node, else from the stop
        let start_exists = start.is_some_and(|a| a.node.is_some());
        for &n in &rr.running_on {
            let so = stop_on(Some(n));
            let src = if start_exists && start.is_some_and(|a| !a.runnable) {
                start
            } else {
                so
            };
            let mut c = mk(Verb::Stop, Some(n), None, so, src);
            c.reason = src.and_then(|a| a.reason.clone());
            out.push(c);
        }
        return;
    }
    if stop.is_some() && failed && required(stop) {
        out.push(mk(Verb::Recover, current, next, stop, None));
    } else if moving {
        out.push(mk(Verb::Move, current, next, stop, None));
    } else if required(stop) {
        out.push(mk(Verb::Restart, current, next.or(current), start, None));
    } else if role == Role::Promoted {
        out.push(mk(Verb::Demote, current, next.or(current), demote, None));
    } else if next_role == Role::Promoted {
        out.push(mk(Verb::Promote, current, next, promote, None));
        if current.is_none() && start.is_some_and(|a| !a.runnable) {
            let last = out.last_mut().unwrap();
            last.blocked = true;
            last.reason = start.and_then(|a| a.reason.clone());
        }
    } else if role == Role::Stopped {
        out.push(mk(Verb::Start, None, next, start, None));
    }
}

/// `allow-migrate`, which defaults to true for remote connections only.
fn allow_migrate(rr: &crate::unpack::Rsc) -> bool {
    crate::unpack::allow_migrate(rr)
}

/// Whether a move of `r` can be done as a live migration.
pub fn migratable(acts: &Actions, r: RscId, current: Option<NodeId>, next: Option<NodeId>) -> bool {
    let u = &acts.assigned.scored.unpacked;
    let rr = &u.rscs[r];
    let allow = allow_migrate(rr);
    let (Some(c), Some(n)) = (current, next) else {
        return false;
    };
    // an earlier migration still awaiting its source's stop blocks a new one
    if !allow
        || !rr.managed
        || rr.failed
        || rr.no_migrate
        || rr.pending_start
        || (rr.running_on.len() != 1 && rr.continued_migration(next).is_none())
        || !rr.dangling_migrations.is_empty()
    {
        return false;
    }
    let cn = &u.nodes[c];
    if !cn.online || cn.unclean || !u.nodes[n].available() {
        return false;
    }
    let Some(start) = acts.find(Some(r), "start", Some(n)) else {
        return false;
    };
    if !start.runnable {
        return false;
    }
    non_migrating_first(acts, r, n).is_none()
}

/// The resource of a required, non-migrating action ordered before `r`'s
/// start on `n`: it prevents the migration (Pacemaker then reports the move
/// as due to that resource's unrunnable stop).
fn non_migrating_first(acts: &Actions, r: RscId, n: NodeId) -> Option<RscId> {
    let u = &acts.assigned.scored.unpacked;
    let rr = &u.rscs[r];
    let start_id = *acts.by_key.get(&(Some(r), "start".to_string(), Some(n)))?;
    for o in &acts.orderings {
        if o.then != start_id
            || o.flags
                & (crate::actions::flags::INTERNAL
                    | crate::actions::flags::COLOCATION
                    | crate::actions::flags::GRAPH_ONLY
                    | crate::actions::flags::NO_EDGE
                    | crate::actions::flags::OPTIONAL)
                != 0
        {
            continue;
        }
        let f = &acts.actions[o.first];
        if f.optional {
            continue;
        }
        if let Some(fr) = f.rsc {
            // nor does a guest connection's own container
            if fr == r {
                continue;
            }
            let frr = &u.rscs[fr];
            // the pseudo actions of its own group/clone only bracket it
            let mut anc = rr.parent;
            let mut own_parent = false;
            while let Some(a) = anc {
                own_parent |= a == fr;
                anc = u.rscs[a].parent;
            }
            if own_parent && f.pseudo {
                continue;
            }
            if !frr.is_leaf() && f.task.starts_with("promote") {
                // a promotion does not move anything
                continue;
            }
            if frr.is_leaf() {
                let fcur = frr.running_on.first().copied();
                let fnext = acts.assigned.node[fr];
                if fcur.is_some() && fnext.is_some() && fcur != fnext && migratable_simple(u, fr) {
                    continue;
                }
            }
            return Some(fr);
        }
    }
    None
}

fn migratable_simple(u: &crate::unpack::Unpacked, r: RscId) -> bool {
    let rr = &u.rscs[r];
    rr.meta
        .get("allow-migrate")
        .map(|v| crate::unpack::is_true(v))
        .unwrap_or(false)
        && rr.managed
        && !rr.failed
        && !rr.no_migrate
}

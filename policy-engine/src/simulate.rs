//! Simulated execution: the state after every executed action succeeds
//! (crm_simulate's "Revised Cluster Status").

use std::collections::BTreeMap;

use crate::model::*;
use crate::render::{current_leaves, LeafState};
use crate::Transition;

/// Leaf states and offline nodes after the transition.
pub fn revised(t: &Transition) -> (BTreeMap<RscId, LeafState>, Vec<NodeId>) {
    let acts = &t.actions;
    let u = t.unpacked();
    let mut leaves = current_leaves(u);
    let offline: Vec<NodeId> = acts
        .fenced
        .iter()
        .copied()
        .filter(|&n| {
            acts.find(
                None,
                &format!("stonith-{}-{}", u.nodes[n].uname, u.options.stonith_action),
                Some(n),
            )
            .is_some_and(|a| a.runnable)
        })
        .collect();
    for (&r, st) in leaves.iter_mut() {
        let rr = &u.rscs[r];
        if !rr.managed {
            continue;
        }
        let mut nodes: Vec<NodeId> = st.nodes.clone();
        let mut role = st.role;
        let mut failed = st.failed;
        for &n in &rr.running_on {
            if let Some(a) = acts.find(Some(r), "stop", Some(n)) {
                if !a.optional && a.runnable {
                    nodes.retain(|&x| x != n);
                    failed = false;
                }
            }
            if offline.contains(&n) {
                nodes.retain(|&x| x != n);
            }
        }
        if nodes.is_empty() {
            role = Role::Stopped;
        }
        let next = acts.assigned.node[r];
        if let Some(nn) = next {
            if let Some(a) = acts.find(Some(r), "start", Some(nn)) {
                if !a.optional && a.runnable {
                    if !nodes.contains(&nn) {
                        nodes.push(nn);
                    }
                    role = Role::Started;
                    failed = false;
                }
            }
            let promotable =
                crate::unpack::clone_of(&u.rscs, r).is_some_and(|c| u.rscs[c].promotable);
            if promotable && nodes.contains(&nn) {
                if role == Role::Started {
                    role = Role::Unpromoted;
                }
                if let Some(a) = acts.find(Some(r), "promote", Some(nn)) {
                    if !a.optional && a.runnable {
                        role = Role::Promoted;
                    }
                }
            }
        }
        for &n in &rr.running_on {
            if let Some(a) = acts.find(Some(r), "demote", Some(n)) {
                if !a.optional && a.runnable && role == Role::Promoted {
                    role = Role::Unpromoted;
                }
            }
        }
        st.nodes = nodes;
        st.role = if st.nodes.is_empty() {
            Role::Stopped
        } else {
            role
        };
        st.failed = failed && !st.nodes.is_empty();
    }
    (leaves, offline)
}

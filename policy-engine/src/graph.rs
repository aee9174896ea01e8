//! Stage 5: the transition graph. Actions that will be executed (required
//! and runnable) become nodes of a petgraph `DiGraph`, added in a stable key
//! order; orderings between two executed actions become edges.

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::actions::{flags, ActionId, Actions};
use crate::unpack::Unpacked;

/// A graph node: an executed action with its stable key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphAction {
    pub action: ActionId,
    /// Pacemaker-style key, e.g. `rsc1_start_0 node1`.
    pub key: String,
}

#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub graph: DiGraph<GraphAction, ()>,
    pub index: BTreeMap<ActionId, NodeIndex>,
    /// Actions in execution order (a deterministic topological order).
    pub order: Vec<ActionId>,
}

/// The name a resource's actions carry in the graph: a clone instance whose
/// history was recorded under another name (an anonymous clone's `rsc`
/// rather than `rsc:N`) keeps that name, as Pacemaker's `clone_name` does.
pub fn graph_name(u: &Unpacked, r: crate::model::RscId) -> &str {
    let rr = &u.rscs[r];
    let Some(p) = rr.parent else {
        return &rr.id;
    };
    // a name that is another instance's id means the history belongs to that
    // instance in Pacemaker's mapping (inactive entries go to the first free
    // instance), so only an active entry may carry it over
    let sibling = |n: &str| n != rr.id && u.rscs[p].children.iter().any(|&c| u.rscs[c].id == n);
    let active = rr
        .history
        .iter()
        .filter(|(n, _)| rr.running_on.contains(n))
        .map(|(_, h)| h.history_name.as_str());
    let any = rr
        .history
        .values()
        .map(|h| h.history_name.as_str())
        .filter(|n| !sibling(n));
    active.chain(any).find(|n| !n.is_empty()).unwrap_or(&rr.id)
}

/// Operation key (`rsc_task_interval`) of an action.
pub fn op_key(u: &Unpacked, a: &crate::actions::Action) -> String {
    match a.rsc {
        Some(r) => {
            let name = graph_name(u, r);
            // a notification of an instance known by another name is keyed
            // by its type and operation under that name
            if let Some(n) = a.notify.as_deref().filter(|_| name != u.rscs[r].id) {
                return match n.task() {
                    "notify" => format!("{name}_{}_notify_{}_0", n.n_type, n.operation),
                    t => format!("{name}_{t}_0"),
                };
            }
            format!(
                "{}_{}_{}",
                name,
                a.cancels.as_deref().unwrap_or(&a.task),
                a.interval_ms
            )
        }
        None => match &a.bundle {
            Some(bid) => format!("{bid}_{}_0", a.task),
            None => a.task.clone(),
        },
    }
}

/// In the graph: runnable and required (or shown anyway, see
/// [`crate::graph_ops`]).
pub fn is_executed(a: &crate::actions::Action) -> bool {
    (!a.optional || a.printed) && a.runnable && !a.graph_unrunnable
}

pub fn build(acts: &Actions) -> Graph {
    let u = &acts.assigned.scored.unpacked;
    let mut keyed: Vec<(String, ActionId)> = acts
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| is_executed(a))
        .map(|(i, a)| {
            let node = a.node.map(|n| u.nodes[n].uname.clone()).unwrap_or_default();
            (format!("{} {}", op_key(u, a), node), i)
        })
        .collect();
    keyed.sort();
    let mut g = Graph::default();
    for (k, i) in &keyed {
        let ni = g.graph.add_node(GraphAction {
            action: *i,
            key: k.clone(),
        });
        g.index.insert(*i, ni);
    }
    let mut edges: Vec<(NodeIndex, NodeIndex)> = acts
        .orderings
        .iter()
        .filter(|o| o.flags & (flags::NO_EDGE | flags::COLOCATION) == 0)
        .filter_map(|o| {
            let first = crate::notify::graph_first(acts, o.first, o.then);
            Some((*g.index.get(&first)?, *g.index.get(&o.then)?))
        })
        .collect();
    edges.sort();
    edges.dedup();
    for (a, b) in edges {
        if a != b {
            g.graph.add_edge(a, b, ());
        }
    }
    // deterministic topological order: repeatedly take ready actions in action-creation order
    let n = g.graph.node_count();
    let mut indeg: Vec<usize> = vec![0; n];
    for e in g.graph.raw_edges() {
        indeg[e.target().index()] += 1;
    }
    let mut done = vec![false; n];
    let mut by_action: Vec<(ActionId, NodeIndex)> = g.index.iter().map(|(a, n)| (*a, *n)).collect();
    by_action.sort();
    loop {
        let mut progressed = false;
        for &(a, ni) in &by_action {
            if done[ni.index()] || indeg[ni.index()] > 0 {
                continue;
            }
            done[ni.index()] = true;
            progressed = true;
            g.order.push(a);
            for nb in g.graph.neighbors(ni) {
                indeg[nb.index()] -= 1;
            }
        }
        if !progressed {
            break;
        }
    }
    // cycles: append the rest
    for &(a, ni) in &by_action {
        if !done[ni.index()] {
            g.order.push(a);
        }
    }
    g
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

fn action_xml(t: &crate::Transition, a: ActionId, id: usize) -> String {
    let u = t.unpacked();
    let act = &t.actions.actions[a];
    let node_attrs = act
        .node
        .map(|n| {
            format!(
                " on_node=\"{}\" on_node_uuid=\"{}\"",
                esc(&u.nodes[n].uname),
                esc(&u.nodes[n].id)
            )
        })
        .unwrap_or_default();
    if let Some((n, action)) = &act.fence {
        // a guest node's "fencing" (its container's recovery) is a pseudo
        // event
        let tag = if act.pseudo {
            "pseudo_event"
        } else {
            "crm_event"
        };
        return format!(
            "<{tag} id=\"{id}\" operation=\"stonith\" operation_key=\"stonith-{}-{}\"{}><attributes CRM_meta_stonith_action=\"{}\"/></{tag}>",
            esc(&u.nodes[*n].uname),
            esc(action),
            node_attrs,
            esc(action)
        );
    }
    if act.rsc.is_none() && act.task.starts_with("do_shutdown-") {
        return format!(
            "<crm_event id=\"{id}\" operation=\"do_shutdown\" operation_key=\"{}\"{}><attributes CRM_meta_op_no_wait=\"true\"/></crm_event>",
            esc(&act.task),
            node_attrs
        );
    }
    if act.rsc.is_none() && act.task.starts_with("probe_again-") {
        return format!(
            "<rsc_op id=\"{id}\" operation=\"probe_again\" operation_key=\"{}\"{}><attributes CRM_meta_op_no_wait=\"true\"/></rsc_op>",
            esc(&act.task),
            node_attrs
        );
    }
    if act.task == "clear_failcount" {
        let r = act.rsc.map(|r| graph_name(u, r)).unwrap_or_default();
        return format!(
            "<crm_event id=\"{id}\" operation=\"clear_failcount\" operation_key=\"{}_clear_failcount_0\"{}><attributes/></crm_event>",
            esc(r),
            node_attrs
        );
    }
    let key = op_key(u, act);
    let attrs = attributes(act);
    if act.pseudo {
        return format!(
            "<pseudo_event id=\"{id}\" operation=\"{}\" operation_key=\"{}\"{}>{attrs}</pseudo_event>",
            esc(act.op_task()),
            esc(&key),
            // only node-level pseudo ops (a guest's fencing) name a node
            if act.rsc.is_none() && act.bundle.is_none() { node_attrs } else { String::new() }
        );
    }
    let prim = act
        .rsc
        .map(|r| {
            let rr = &u.rscs[r];
            let prov = rr
                .provider
                .as_ref()
                .map(|p| format!(" provider=\"{}\"", esc(p)))
                .unwrap_or_default();
            format!(
                "<primitive id=\"{}\" class=\"{}\"{} type=\"{}\"/>",
                esc(&rr.id),
                esc(&rr.class),
                prov,
                esc(&rr.agent)
            )
        })
        .unwrap_or_default();
    format!(
        "<rsc_op id=\"{id}\" operation=\"{}\" operation_key=\"{}\"{}>{}{attrs}</rsc_op>",
        esc(act.op_task()),
        esc(&key),
        node_attrs,
        prim
    )
}

/// An action's `<attributes>`: its notification variables as `CRM_meta_*`,
/// in name order as Pacemaker writes them.
fn attributes(act: &crate::actions::Action) -> String {
    let mut vars: Vec<&(String, String)> = act.notify_vars.iter().collect();
    vars.sort();
    let mut s = String::from("<attributes");
    for (k, v) in vars {
        s.push_str(&format!(" CRM_meta_{}=\"{}\"", esc(k), esc(v)));
    }
    s.push_str("/>");
    s
}

/// Serialise the graph as `<transition_graph>` XML.
pub fn to_xml(t: &crate::Transition) -> String {
    let g = &t.graph;
    let mut ids: BTreeMap<ActionId, usize> = BTreeMap::new();
    for (i, &a) in g.order.iter().enumerate() {
        ids.insert(a, i);
    }
    let mut s = String::from("<transition_graph cluster-delay=\"60s\" stonith-timeout=\"60s\" failed-stop-offset=\"INFINITY\" failed-start-offset=\"INFINITY\" transition_id=\"0\">\n");
    for (syn, &a) in g.order.iter().enumerate() {
        s.push_str(&format!("  <synapse id=\"{syn}\">\n    <action_set>\n      {}\n    </action_set>\n    <inputs>\n", action_xml(t, a, ids[&a])));
        let ni = g.index[&a];
        let mut preds: Vec<ActionId> = g
            .graph
            .neighbors_directed(ni, petgraph::Direction::Incoming)
            .map(|p| g.graph[p].action)
            .collect();
        preds.sort();
        preds.dedup();
        for p in preds {
            s.push_str(&format!(
                "      <trigger>\n        {}\n      </trigger>\n",
                action_xml(t, p, ids[&p])
            ));
        }
        s.push_str("    </inputs>\n  </synapse>\n");
    }
    s.push_str("</transition_graph>\n");
    s
}

//! Text rendering in the look of `crm_mon` / `crm_simulate`: the cluster
//! status block and the Transition Summary lines. This is the only module
//! that formats text; `crm status` reuses [`cluster_status`].

use std::collections::BTreeMap;

use crate::model::*;
use crate::summary::{Change, Summary};
use crate::unpack::*;

/// The state of one leaf resource instance, as shown in a status block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafState {
    pub role: Role,
    pub nodes: Vec<NodeId>,
    pub failed: bool,
}

/// A status snapshot: the unpacked cluster plus per-leaf state (current or
/// revised).
pub struct StatusView<'a> {
    pub unpacked: &'a Unpacked,
    pub leaves: &'a BTreeMap<RscId, LeafState>,
    /// Node overrides (e.g. nodes fenced during the transition are offline).
    pub offline: &'a [NodeId],
}

/// The current state of every leaf, from the unpacked status.
pub fn current_leaves(u: &Unpacked) -> BTreeMap<RscId, LeafState> {
    let mut m = BTreeMap::new();
    for (i, r) in u.rscs.iter().enumerate() {
        if r.is_leaf() {
            m.insert(
                i,
                LeafState {
                    role: if r.running_on.is_empty() {
                        Role::Stopped
                    } else {
                        r.role
                    },
                    nodes: r.running_on.clone(),
                    failed: r.failed,
                },
            );
        }
    }
    m
}

/// Render the `* Node List:` and `* Full List of Resources:` blocks (crm_mon
/// style), each line indented as `crm_simulate` prints them.
pub fn cluster_status(v: &StatusView) -> String {
    let u = v.unpacked;
    let mut out = String::new();
    out.push_str("  * Node List:\n");
    let mut online = Vec::new();
    let mut offline = Vec::new();
    let mut remote_on = Vec::new();
    let mut remote_off = Vec::new();
    let mut guest_on = Vec::new();
    let mut individual = Vec::new();
    for (ni, n) in u.nodes.iter().enumerate() {
        let is_offline = v.offline.contains(&ni);
        let active_here = v.leaves.values().any(|l| l.nodes.contains(&ni));
        match n.kind {
            NodeKind::Member => {
                if is_offline {
                    offline.push(n.uname.clone());
                } else if n.unclean {
                    individual.push(format!(
                        "Node {}: UNCLEAN ({})",
                        n.uname,
                        if n.online { "online" } else { "offline" }
                    ));
                } else if n.pending {
                    individual.push(format!("Node {}: pending", n.uname));
                } else if !n.online {
                    if n.standby {
                        individual.push(format!("Node {}: OFFLINE (standby)", n.uname));
                    } else if n.maintenance {
                        individual.push(format!("Node {}: OFFLINE (maintenance)", n.uname));
                    } else {
                        offline.push(n.uname.clone());
                    }
                } else if n.standby {
                    if active_here {
                        individual
                            .push(format!("Node {}: standby (with active resources)", n.uname));
                    } else {
                        individual.push(format!("Node {}: standby", n.uname));
                    }
                } else if n.maintenance {
                    individual.push(format!("Node {}: maintenance", n.uname));
                } else {
                    online.push(n.uname.clone());
                }
            }
            NodeKind::Remote => {
                if n.online && !is_offline {
                    remote_on.push(n.uname.clone());
                } else {
                    remote_off.push(n.uname.clone());
                }
            }
            NodeKind::Guest => {
                if n.online && !is_offline {
                    let host = n
                        .remote_rsc
                        .as_ref()
                        .and_then(|r| u.rsc_by_id.get(r))
                        .and_then(|&r| v.leaves.get(&r))
                        .and_then(|l| l.nodes.first())
                        .map(|&h| u.nodes[h].uname.clone())
                        .unwrap_or_default();
                    guest_on.push(format!("{}@{}", n.uname, host));
                }
            }
        }
    }
    for l in individual {
        out.push_str(&format!("    * {l}\n"));
    }
    for (label, list) in [
        ("Online", online),
        ("OFFLINE", offline),
        ("RemoteOnline", remote_on),
        ("RemoteOFFLINE", remote_off),
        ("GuestOnline", guest_on),
    ] {
        if !list.is_empty() {
            out.push_str(&format!("    * {}: [ {} ]\n", label, list.join(" ")));
        }
    }
    out.push('\n');
    out.push_str("  * Full List of Resources:\n");
    let mut any = false;
    for &t in &u.top_xml {
        let mut lines = Vec::new();
        rsc_lines(v, t, 4, &mut lines);
        for l in lines {
            any = true;
            out.push_str(&l);
            out.push('\n');
        }
    }
    if !any {
        out.push_str("    * No resources\n");
    }
    out
}

fn node_names(u: &Unpacked, ns: &[NodeId]) -> String {
    ns.iter()
        .map(|&n| u.nodes[n].uname.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

fn leaf_state_text(v: &StatusView, r: RscId) -> String {
    let u = v.unpacked;
    let rr = &u.rscs[r];
    let st = v.leaves.get(&r).cloned().unwrap_or(LeafState {
        role: Role::Stopped,
        nodes: Vec::new(),
        failed: false,
    });
    // flags in crm_mon's order, joined as " (a, b)"
    let mut flags: Vec<&str> = Vec::new();
    if st.nodes.len() == 1 && u.nodes[st.nodes[0]].unclean && !v.offline.contains(&st.nodes[0]) {
        flags.push("UNCLEAN");
    }
    if crate::assign::effective_target_role(u, r) == Some(Role::Stopped) {
        flags.push("disabled");
    }
    if !rr.managed {
        flags.push(if rr.blocked {
            "blocked"
        } else if !u.options.maintenance_mode {
            "unmanaged"
        } else {
            "maintenance"
        });
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(" ({})", flags.join(", "))
    };
    if st.nodes.is_empty() {
        return format!("Stopped{flags}");
    }
    let role = if st.failed {
        "FAILED".to_string()
    } else {
        st.role.name().to_string()
    };
    let mut t = if rr.orphan {
        format!("ORPHANED {role}")
    } else {
        role
    };
    if st.nodes.len() == 1 {
        t.push(' ');
        t.push_str(&u.nodes[st.nodes[0]].uname);
        t.push_str(&flags);
    } else {
        t.push_str(&format!("{flags} [ {} ]", node_names(u, &st.nodes)));
    }
    t
}

fn rsc_lines(v: &StatusView, r: RscId, indent: usize, out: &mut Vec<String>) {
    let u = v.unpacked;
    let rr = &u.rscs[r];
    let pad = " ".repeat(indent);
    match rr.kind {
        RscKind::Primitive => {
            if rr.orphan && v.leaves.get(&r).is_none_or(|l| l.nodes.is_empty()) {
                return;
            }
            // instances of anonymous clones print their configured id
            let anonymous = crate::unpack::clone_of(&u.rscs, r).is_some_and(|c| !u.rscs[c].unique);
            let name = if anonymous && !rr.orphan {
                &rr.xml_id
            } else {
                &rr.id
            };
            out.push(format!(
                "{pad}* {}\t({}):\t {}",
                name,
                rr.agent_string(),
                leaf_state_text(v, r)
            ));
        }
        RscKind::Group => {
            let mut head = format!("{pad}* Resource Group: {}", rr.id);
            if !rr.managed {
                head.push_str(" (unmanaged)");
            }
            if crate::assign::effective_target_role(u, r) == Some(Role::Stopped) {
                head.push_str(" (disabled)");
            }
            head.push(':');
            out.push(head);
            for &c in &rr.children {
                rsc_lines(v, c, indent + 2, out);
            }
        }
        RscKind::Clone => {
            let child_name = rr.params.get("#child-xml-id").cloned().unwrap_or_default();
            let mut head = format!("{pad}* Clone Set: {} [{}]", rr.id, child_name);
            if rr.promotable {
                head.push_str(" (promotable)");
            }
            if crate::assign::effective_target_role(u, r) == Some(Role::Stopped) {
                head.push_str(" (disabled)");
            }
            if !rr.managed {
                head.push_str(" (unmanaged)");
            }
            head.push(':');
            out.push(head);
            let inner = " ".repeat(indent + 2);
            if rr.unique {
                for &c in &rr.children {
                    rsc_lines(v, c, indent + 2, out);
                }
                return;
            }
            // collapse anonymous instances
            let mut by_role: BTreeMap<Role, Vec<NodeId>> = BTreeMap::new();
            let mut used: Vec<NodeId> = Vec::new();
            for &c in &rr.children {
                let mut ls = Vec::new();
                leaves(&u.rscs, c, &mut ls);
                let states: Vec<LeafState> =
                    ls.iter().filter_map(|l| v.leaves.get(l).cloned()).collect();
                let active: Vec<&LeafState> =
                    states.iter().filter(|s| !s.nodes.is_empty()).collect();
                if active.is_empty() {
                    continue;
                }
                let node = active[0].nodes[0];
                // an instance on a node that is offline and unclean is listed alone
                let lost =
                    u.nodes[node].unclean && !u.nodes[node].online && !v.offline.contains(&node);
                let uniform = !lost
                    && states
                        .iter()
                        .all(|s| s.nodes == vec![node] && !s.failed && s.role == active[0].role)
                    && ls.iter().all(|&l| u.rscs[l].managed);
                if uniform {
                    by_role.entry(active[0].role).or_default().push(node);
                    used.push(node);
                } else if u.rscs[c].kind == RscKind::Group {
                    out.push(format!("{inner}* Resource Group: {}:", u.rscs[c].id));
                    for &l in &ls {
                        rsc_lines(v, l, indent + 4, out);
                    }
                    used.extend(active.iter().flat_map(|s| s.nodes.clone()));
                } else {
                    rsc_lines(v, c, indent + 2, out);
                    used.extend(active.iter().flat_map(|s| s.nodes.clone()));
                }
            }
            for role in [Role::Promoted, Role::Unpromoted, Role::Started] {
                if let Some(ns) = by_role.get_mut(&role) {
                    ns.sort_by(|a, b| numeric_strcasecmp(&u.nodes[*a].uname, &u.nodes[*b].uname));
                    out.push(format!(
                        "{inner}* {}: [ {} ]",
                        role.name(),
                        node_names(u, ns)
                    ));
                }
            }
            let mut stopped: Vec<NodeId> = (0..u.nodes.len())
                .filter(|n| !used.contains(n))
                .filter(|&n| u.nodes[n].kind == NodeKind::Member || u.nodes[n].online)
                .collect();
            stopped.sort_by(|a, b| numeric_strcasecmp(&u.nodes[*a].uname, &u.nodes[*b].uname));
            if !stopped.is_empty() {
                let disabled = crate::assign::effective_target_role(u, r) == Some(Role::Stopped);
                let label = if disabled {
                    "Stopped (disabled)"
                } else {
                    "Stopped"
                };
                out.push(format!("{inner}* {label}: [ {} ]", node_names(u, &stopped)));
            }
        }
    }
}

/// Details text inside `( ... )` for a change line.
pub fn change_details(c: &Change) -> String {
    let need_role = c.role > Role::Started || c.next_role > Role::Unpromoted;
    match (&c.origin, &c.destination) {
        (None, Some(d)) => {
            if need_role {
                format!("{} -> {} {}", c.role, c.next_role, d)
            } else {
                d.clone()
            }
        }
        (Some(o), None) => {
            if need_role {
                format!("{} {}", c.role, o)
            } else {
                o.clone()
            }
        }
        (Some(o), Some(d)) if o == d => {
            if c.role == c.next_role || c.next_role == Role::Unknown {
                if need_role {
                    format!("{} {}", c.role, o)
                } else {
                    o.clone()
                }
            } else {
                format!("{} -> {} {}", c.role, c.next_role, o)
            }
        }
        (Some(o), Some(d)) => {
            if c.role == c.next_role {
                if need_role {
                    format!("{} -> {} {}", o, d, c.role)
                } else {
                    format!("{o} -> {d}")
                }
            } else {
                format!("{} {} -> {} {}", c.role, o, c.next_role, d)
            }
        }
        (None, None) => String::new(),
    }
}

/// The Transition Summary lines (without the header), padded like
/// crm_simulate (id width grows, details right-aligned).
pub fn transition_summary(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    for f in &s.fences {
        let container = f
            .container
            .as_ref()
            .map(|c| format!(" (resource: {c})"))
            .unwrap_or_default();
        out.push(format!(
            "  * Fence ({}) {}{} '{}'",
            f.action, f.node, container, f.reason
        ));
    }
    let mut w = 5usize;
    for c in &s.changes {
        if c.rsc.len() > w {
            w = c.rsc.len() + 2;
        }
    }
    let details: Vec<String> = s.changes.iter().map(change_details).collect();
    let dw = details.iter().map(|d| d.len()).max().unwrap_or(5).max(5);
    for (c, d) in s.changes.iter().zip(details) {
        let mut line = format!(
            "  * {:<8}   {:<w$}   ( {:>dw$} )",
            c.verb.name(),
            c.rsc,
            d,
            w = w,
            dw = dw
        );
        match (&c.reason, c.blocked) {
            (Some(r), true) => line.push_str(&format!("  due to {r} (blocked)")),
            (Some(r), false) => line.push_str(&format!("  due to {r}")),
            (None, true) => line.push_str("  blocked"),
            (None, false) => {}
        }
        out.push(line);
    }
    out
}

//! Stages 2 and 3: scoring ([`Scored`]: allowed-node tables after locations,
//! stickiness, failures and tickets) and assignment ([`Assigned`]: a node and
//! a next role for every resource instance).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::*;
use crate::score::{Score, INFINITY};
use crate::unpack::*;

/// A recorded contribution to a resource's score on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub rsc: RscId,
    pub node: Option<NodeId>,
    pub score: Score,
    pub source: String,
}

/// Output of the scoring stage.
#[derive(Debug, Clone)]
pub struct Scored {
    pub unpacked: Unpacked,
    /// Allowed-node table per resource (every level).
    pub tables: Vec<Table>,
    /// Role-filtered location constraints, used for promotion.
    pub role_locations: Vec<Location>,
    /// Colocations with group/clone references remapped (plus group internals).
    pub colocations: Vec<Colocation>,
    /// Per entry of `colocations`: the group named as its primary, when the
    /// constraint was written "X with group". Pacemaker moves such a
    /// constraint onto the group's last member only when the group's own
    /// assignment begins (`expand_group_colocations`); until then, merging
    /// scores through the members does not reach X.
    pub coloc_primary_group: Vec<Option<RscId>>,
    pub contributions: Vec<Contribution>,
}

/// Output of the assignment stage.
#[derive(Debug, Clone)]
pub struct Assigned {
    pub scored: Scored,
    /// Assigned node per resource (leaves and instances).
    pub node: Vec<Option<NodeId>>,
    /// Next role per resource.
    pub next_role: Vec<Role>,
    /// Allocation score lines: (Pacemaker function, rsc, node, score).
    pub score_lines: Vec<(&'static str, RscId, NodeId, Score)>,
    /// Promotion scores: (instance, node, score).
    pub promotion_lines: Vec<(String, String, Score)>,
    /// Why a resource was left unassigned (or assigned), as data.
    pub reasons: BTreeMap<RscId, Vec<String>>,
    /// Resources whose next role was capped by quorum handling.
    pub quorum_blocked: BTreeSet<RscId>,
    /// Clone instances (leaves) placed on a node and then kept from running
    /// there by an interleaved mandatory order whose first clone has no
    /// instance on that node ("inhibiting ... from being active"), with that
    /// node. Pacemaker does this while applying orderings, after the
    /// instance's actions exist: its start there is required but
    /// unrunnable, and its stop carries no reason.
    pub inhibited: BTreeMap<RscId, NodeId>,
}

fn add_to(t: &mut Table, n: NodeId, s: Score) {
    let e = t.entry(n).or_insert(Score::ZERO);
    *e = e.add(s);
}

/// A dependent's best score `best` as it counts towards another resource's
/// node at `factor` (Pacemaker's `add_node_scores_matching_attr`): rounded
/// half away from zero, and a product that rounds to 0 from a non-zero score
/// counts 1 in the direction of the factor, whatever the score's sign (a
/// dependent's -5 at factor 0.0001 still adds +1; checked with crm_simulate).
fn attenuated(factor: f64, best: Score) -> i64 {
    let x = (factor * best.0 as f64).round() as i64;
    if x == 0 && best.0 != 0 {
        if factor > 0.0 {
            return 1;
        }
        if factor < 0.0 {
            return -1;
        }
    }
    x
}

/// Stage 2: build allowed-node tables.
pub fn score(mut u: Unpacked) -> Scored {
    let n_nodes = u.nodes.len();
    let mut tables: Vec<Table> = vec![Table::new(); u.rscs.len()];
    let mut contributions = Vec::new();
    if u.options.symmetric {
        for t in tables.iter_mut() {
            for n in 0..n_nodes {
                t.insert(n, u.nodes[n].base_score);
            }
        }
    }
    crate::bundle::reserve_guest_nodes(&u, &mut tables);
    // a guest node's connection may always opt in to every node (where it
    // runs depends on its container)
    if !u.options.symmetric {
        for (ri, r) in u.rscs.iter().enumerate() {
            if is_remote_agent(r) && r.meta.contains_key("container") {
                for n in 0..n_nodes {
                    tables[ri].insert(n, Score::ZERO);
                }
            }
        }
    }
    // node health: the summed #health-* attributes act as a location score
    if u.options.health_strategy != "none" && !u.options.health_strategy.is_empty() {
        let (red, yellow, green) = u.options.health_scores;
        let scores: Vec<(NodeId, Score)> = u
            .nodes
            .iter()
            .enumerate()
            .map(|(ni, n)| {
                let mut s = Score::ZERO;
                for (k, v) in &n.attrs {
                    if k.starts_with("#health") {
                        s = s.add(Score::parse_with_health(v, red, yellow, green));
                    }
                }
                (ni, s)
            })
            .filter(|(_, s)| s.0 != 0)
            .collect();
        for &t in &u.top_xml {
            let exempt = u.rscs[t]
                .meta
                .get("allow-unhealthy-nodes")
                .is_some_and(|v| is_true(v));
            if !exempt && !scores.is_empty() {
                apply_location(
                    &u,
                    &mut tables,
                    t,
                    &scores,
                    true,
                    "#health",
                    &mut contributions,
                );
            }
        }
    }
    let mut role_locations = Vec::new();
    // locations (applied in reverse XML order, as Pacemaker prepends)
    for loc in u.locations.iter().rev() {
        if matches!(loc.role, Some(Role::Promoted) | Some(Role::Unpromoted)) {
            role_locations.push(loc.clone());
            continue;
        }
        apply_location(
            &u,
            &mut tables,
            loc.rsc,
            &loc.scores,
            true,
            &loc.id,
            &mut contributions,
        );
    }
    role_locations.reverse();
    // stickiness and status bans on leaves
    for (ri, r) in u.rscs.iter().enumerate() {
        if !r.is_leaf() {
            continue;
        }
        if r.managed && r.stickiness > 0 && r.running_on.len() == 1 {
            let n = r.running_on[0];
            if u.options.symmetric || tables[ri].contains_key(&n) {
                add_to(&mut tables[ri], n, Score(r.stickiness));
                contributions.push(Contribution {
                    rsc: ri,
                    node: Some(n),
                    score: Score(r.stickiness),
                    source: "resource-stickiness".into(),
                });
            }
        }
        let anon_clone = clone_of(&u.rscs, ri).filter(|&c| !u.rscs[c].unique);
        for (&n, why) in &r.status_bans {
            match anon_clone {
                Some(c) => {
                    let mut ls = Vec::new();
                    leaves(&u.rscs, c, &mut ls);
                    for l in ls.into_iter().filter(|&l| u.rscs[l].xml_id == r.xml_id) {
                        tables[l].insert(n, Score::NEG_INF);
                    }
                    tables[c].insert(n, Score::NEG_INF);
                }
                None => {
                    tables[ri].insert(n, Score::NEG_INF);
                }
            }
            contributions.push(Contribution {
                rsc: ri,
                node: Some(n),
                score: Score::NEG_INF,
                source: why.clone(),
            });
        }
        if r.ban_everywhere {
            for n in 0..n_nodes {
                tables[ri].insert(n, Score::NEG_INF);
            }
        }
    }
    // tickets (Pacemaker's rsc_ticket_constraint)
    for t in &u.tickets.clone() {
        let role = t.role.filter(|r| *r != Role::Started);
        let mut all = vec![t.rsc];
        collect_all(&u.rscs, t.rsc, &mut all);
        let running: Vec<NodeId> = all
            .iter()
            .flat_map(|&r| u.rscs[r].running_on.clone())
            .collect();
        let ban = |tables: &mut Vec<Table>, contributions: &mut Vec<Contribution>, why: &str| {
            for &r in &all {
                for n in 0..n_nodes {
                    tables[r].insert(n, Score::NEG_INF);
                }
            }
            contributions.push(Contribution {
                rsc: t.rsc,
                node: None,
                score: Score::NEG_INF,
                source: why.to_string(),
            });
        };
        if !t.granted && !running.is_empty() {
            match t.loss_policy.as_str() {
                "demote" => {
                    if role != Some(Role::Promoted) {
                        ban(&mut tables, &mut contributions, "__loss_of_ticket__");
                    }
                }
                "fence" if role.is_some() => {
                    // only the instances in the ticket's role are fenced away
                    let hit: Vec<RscId> = all
                        .iter()
                        .copied()
                        .filter(|&r| u.rscs[r].is_leaf() && Some(u.rscs[r].role) == role)
                        .collect();
                    for &r in &hit {
                        for n in 0..n_nodes {
                            tables[r].insert(n, Score::NEG_INF);
                        }
                        contributions.push(Contribution {
                            rsc: r,
                            node: None,
                            score: Score::NEG_INF,
                            source: "__loss_of_ticket__".to_string(),
                        });
                        for n in u.rscs[r].running_on.clone() {
                            let node = &mut u.nodes[n];
                            node.unclean = true;
                            if node.fence_reason.is_none() {
                                node.fence_reason = Some("deadman ticket was lost".into());
                            }
                        }
                    }
                }
                "fence" => {
                    ban(&mut tables, &mut contributions, "__loss_of_ticket__");
                    for &n in &running {
                        let node = &mut u.nodes[n];
                        node.unclean = true;
                        if node.fence_reason.is_none() {
                            node.fence_reason = Some("deadman ticket was lost".into());
                        }
                    }
                }
                "freeze" => {
                    for &r in &all {
                        u.rscs[r].managed = false;
                    }
                }
                _ => ban(&mut tables, &mut contributions, "__loss_of_ticket__"),
            }
        } else if (!t.granted || t.standby)
            && (role != Some(Role::Promoted) || t.loss_policy == "stop")
        {
            ban(&mut tables, &mut contributions, "__no_ticket__");
        }
    }
    // exclusive discovery: a resource with `resource-discovery=exclusive`
    // locations may only run on the nodes those locations name
    let mut exclusive: BTreeMap<RscId, BTreeSet<NodeId>> = BTreeMap::new();
    for loc in &u.locations {
        if loc.discovery.as_deref() == Some("exclusive") {
            exclusive
                .entry(loc.rsc)
                .or_default()
                .extend(loc.scores.iter().map(|&(n, _)| n));
        }
    }
    for (&r, covered) in &exclusive {
        let mut all = vec![r];
        collect_all(&u.rscs, r, &mut all);
        for x in all {
            for (n, s) in tables[x].iter_mut() {
                if !covered.contains(n) {
                    *s = Score::NEG_INF;
                }
            }
        }
    }
    // remote connections, fencing devices and guest containers never run on
    // remote or guest nodes (Pacemaker's rsc_avoids_remote_nodes); a
    // bundle's containers may run on remote nodes (pe_rsc_allow_remote_remotes)
    let guest_containers: BTreeSet<RscId> = u
        .rscs
        .iter()
        .enumerate()
        .filter(|(_, r)| is_remote_agent(r) && r.parent.is_none())
        .filter_map(|(ri, _)| container_of(&u, ri))
        .filter(|&c| !u.rscs[c].meta.contains_key(crate::bundle::CONTAINER_META))
        .collect();
    for (ri, r) in u.rscs.iter().enumerate() {
        let avoids = r.is_leaf()
            && ((is_remote_agent(r) && r.parent.is_none())
                || r.is_stonith()
                || guest_containers.contains(&ri));
        if !avoids {
            continue;
        }
        for (ni, n) in u.nodes.iter().enumerate() {
            if n.kind != NodeKind::Member {
                if let Some(s) = tables[ri].get_mut(&ni) {
                    *s = Score::NEG_INF;
                }
            }
        }
    }
    crate::bundle::order_containers(&mut u, &tables);
    // colocations: remap group/clone references, add group internals
    let mut colocations = Vec::new();
    let mut coloc_primary_group = Vec::new();
    for (gi, g) in u.rscs.iter().enumerate() {
        let collocated = g.meta.get("collocated").is_none_or(|v| is_true(v));
        if g.kind == RscKind::Group && collocated {
            let _ = gi;
            for w in g.children.windows(2) {
                let influence = u.rscs[w[1]]
                    .meta
                    .get("critical")
                    .map(|v| is_true(v))
                    .unwrap_or(true);
                coloc_primary_group.push(None);
                colocations.push(Colocation {
                    id: format!("{}-internal", g.id),
                    dependent: w[1],
                    primary: w[0],
                    score: Score::INF,
                    dependent_role: None,
                    primary_role: None,
                    node_attribute: "#uname".into(),
                    influence,
                    primary_replicas: Vec::new(),
                });
            }
        }
    }
    for c in &u.colocations {
        let mut c = c.clone();
        // "group with X": first member with X; once a member is unmanaged, the
        // internal chain no longer carries a mandatory colocation, so every
        // later member gets the INFINITY ones directly
        let mut extra_dependents = Vec::new();
        if u.rscs[c.dependent].kind == RscKind::Group {
            let g = &u.rscs[c.dependent];
            let ch = &g.children;
            let collocated = g.meta.get("collocated").is_none_or(|v| is_true(v));
            if let Some(&f) = ch.first() {
                c.dependent = f;
            }
            if !collocated {
                // members of a non-colocated group each follow the colocation
                extra_dependents.extend(ch.iter().skip(1).copied());
            } else if let Some(&f) = ch.first() {
                let mut any_unmanaged = !u.rscs[f].managed;
                for &m in &ch[1..] {
                    if any_unmanaged {
                        if c.score == Score::INF {
                            extra_dependents.push(m);
                        }
                    } else if !u.rscs[m].managed {
                        any_unmanaged = true;
                    }
                }
            }
        }
        let primary_group = (u.rscs[c.primary].kind == RscKind::Group).then_some(c.primary);
        if u.rscs[c.primary].kind == RscKind::Group {
            let ch = &u.rscs[c.primary].children;
            let p = if c.score.is_inf() {
                ch.last()
            } else {
                ch.first()
            };
            if let Some(&p) = p {
                c.primary = p;
            }
        }
        for m in extra_dependents {
            let mut e = c.clone();
            e.dependent = m;
            colocations.push(e);
            coloc_primary_group.push(primary_group);
        }
        colocations.push(c);
        coloc_primary_group.push(primary_group);
    }
    Scored {
        unpacked: u,
        tables,
        role_locations,
        colocations,
        coloc_primary_group,
        contributions,
    }
}

fn collect_all(rscs: &[Rsc], r: RscId, out: &mut Vec<RscId>) {
    for &c in &rscs[r].children {
        out.push(c);
        collect_all(rscs, c, out);
    }
}

fn apply_location(
    u: &Unpacked,
    tables: &mut [Table],
    rsc: RscId,
    scores: &[(NodeId, Score)],
    full: bool,
    id: &str,
    contributions: &mut Vec<Contribution>,
) {
    for &(n, s) in scores {
        let s2 = if full { s } else { Score::ZERO };
        add_to(&mut tables[rsc], n, s2);
        contributions.push(Contribution {
            rsc,
            node: Some(n),
            score: s2,
            source: format!("location {id}"),
        });
    }
    let r = &u.rscs[rsc];
    match r.kind {
        RscKind::Primitive => {}
        RscKind::Group => {
            for (i, &c) in r.children.iter().enumerate() {
                apply_location(u, tables, c, scores, full && i == 0, id, contributions);
            }
        }
        RscKind::Clone => {
            for &c in &r.children {
                apply_location(u, tables, c, scores, full, id, contributions);
            }
        }
    }
}

/// Each node's value of a node attribute (by node id), and per value the
/// best score of an available node with it.
type AttrBest<'a> = (Vec<Option<&'a str>>, BTreeMap<Option<&'a str>, Score>);

struct Assigner<'a> {
    u: &'a Unpacked,
    tables: Vec<Table>,
    colocs: &'a [Colocation],
    coloc_primary_group: &'a [Option<RscId>],
    role_locations: &'a [Location],
    node: Vec<Option<NodeId>>,
    next_role: Vec<Role>,
    done: Vec<bool>,
    in_progress: Vec<bool>,
    num_resources: Vec<usize>,
    util_free: Vec<BTreeMap<String, i64>>,
    score_lines: Vec<(&'static str, RscId, NodeId, Score)>,
    promotion_lines: Vec<(String, String, Score)>,
    reasons: BTreeMap<RscId, Vec<String>>,
    quorum_blocked: BTreeSet<RscId>,
    /// Top-level container of each resource (clone or group or itself).
    top_of: Vec<RscId>,
    /// Node states, updated once remote connections are placed.
    nodes: Vec<NodeInfo>,
}

/// Stage 3: assign every resource.
pub fn assign(s: Scored) -> Assigned {
    let u = &s.unpacked;
    let n = u.rscs.len();
    let mut top_of = vec![0; n];
    for (i, slot) in top_of.iter_mut().enumerate() {
        let mut t = i;
        while let Some(p) = u.rscs[t].parent {
            t = p;
        }
        *slot = t;
    }
    let mut a = Assigner {
        u,
        tables: s.tables.clone(),
        colocs: &s.colocations,
        coloc_primary_group: &s.coloc_primary_group,
        role_locations: &s.role_locations,
        node: vec![None; n],
        next_role: vec![Role::Unknown; n],
        done: vec![false; n],
        in_progress: vec![false; n],
        num_resources: vec![0; u.nodes.len()],
        util_free: u.nodes.iter().map(|n| n.utilization.clone()).collect(),
        score_lines: Vec::new(),
        promotion_lines: Vec::new(),
        reasons: BTreeMap::new(),
        quorum_blocked: BTreeSet::new(),
        top_of,
        nodes: u.nodes.clone(),
    };
    let mut order: Vec<RscId> = u.top.clone();
    if u.options.placement_strategy != "default" {
        order = a.sort_for_placement(order);
    }
    // remote connections first (a bundle's connections are part of the
    // bundle, placed with it)
    let (remotes, rest): (Vec<RscId>, Vec<RscId>) = order.into_iter().partition(|&r| {
        let x = &u.rscs[r];
        x.is_leaf()
            && x.class == "ocf"
            && x.provider.as_deref() == Some("pacemaker")
            && x.agent == "remote"
            && crate::bundle::member_of(u, r).is_none()
    });
    for &r in &remotes {
        // a partially migrated connection prefers its migration target
        let prefer = u.rscs[r].partial_migration.map(|(_, target)| target);
        a.assign(r, prefer);
    }
    for r in rest {
        a.assign(r, None);
    }
    // interleaved mandatory start orders between clones: an instance with no
    // instance of the first clone placed on its node may not be active
    let mut inhibited = BTreeMap::new();
    loop {
        let mut changed = false;
        for o in &u.orders {
            if o.kind != OrderKind::Mandatory
                || o.one_or_more.is_some()
                || o.first_action != "start"
                || o.then_action != "start"
                || u.rscs[o.first].kind != RscKind::Clone
                || u.rscs[o.then].kind != RscKind::Clone
                || !u.rscs[o.then].interleave
            {
                continue;
            }
            let first_nodes: BTreeSet<NodeId> = u.rscs[o.first]
                .children
                .iter()
                .filter_map(|&i| a.instance_node(i))
                .collect();
            for &i in &u.rscs[o.then].children {
                if let Some(n) = a.instance_node(i) {
                    if !first_nodes.contains(&n) {
                        let mut ls = Vec::new();
                        leaves(&u.rscs, i, &mut ls);
                        for l in ls {
                            if let Some(ln) = a.node[l] {
                                inhibited.insert(l, ln);
                            }
                        }
                        a.stop_instance(i);
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    let nodes = std::mem::take(&mut a.nodes);
    let (node, next_role, score_lines, promotion_lines, reasons, quorum_blocked) = (
        a.node,
        a.next_role,
        a.score_lines,
        a.promotion_lines,
        a.reasons,
        a.quorum_blocked,
    );
    let mut s = s;
    s.unpacked.nodes = nodes;
    Assigned {
        scored: s,
        node,
        next_role,
        score_lines,
        promotion_lines,
        reasons,
        quorum_blocked,
        inhibited,
    }
}

impl<'a> Assigner<'a> {
    fn available(&self, n: NodeId) -> bool {
        self.nodes[n].available()
    }

    /// For a colocation by node attribute `attr`: each node's value of it
    /// (by node id), and per value the best score `table` gives an available
    /// node with it (found once, not for every pair of nodes compared).
    fn best_by_attr(&self, table: &Table, attr: &str) -> AttrBest<'a> {
        let u = self.u;
        let node_attr: Vec<Option<&str>> = u
            .nodes
            .iter()
            .map(|n| n.attrs.get(attr).map(String::as_str))
            .collect();
        let mut best = BTreeMap::new();
        for (&m, &s) in table {
            if self.available(m) {
                let b = best.entry(node_attr[m]).or_insert(s);
                *b = (*b).max(s);
            }
        }
        (node_attr, best)
    }

    /// Pacemaker's `remote_connection_assigned`: a remote or guest node is
    /// online when its connection is placed (an unseen node's uncleanness is
    /// revoked), otherwise it is shutting down.
    fn remote_connection_assigned(&mut self, r: RscId) {
        let id = &self.u.rscs[r].id;
        let Some(ni) = self
            .nodes
            .iter()
            .position(|n| n.kind != NodeKind::Member && n.remote_rsc.as_ref() == Some(id))
        else {
            return;
        };
        let n = &mut self.nodes[ni];
        if self.node[r].is_some() && self.next_role[r] != Role::Stopped {
            n.online = true;
            if n.unseen {
                n.unclean = false;
            }
        } else {
            n.shutdown = true;
        }
    }

    /// Pacemaker's `sort_resources`/`cmp_resources`, used with a placement
    /// strategy: priority first; then the score on the current node
    /// (-INFINITY for a resource active nowhere); then the scores on each
    /// node (missing = -INFINITY), nodes taken in `pcmk__sort_nodes` order
    /// before any assignment. Scores are the resource's own table (a group's
    /// last member's) plus its "this with" colocations, attenuated and
    /// followed recursively ([`Self::sort_scores`]).
    fn sort_for_placement(&self, mut order: Vec<RscId>) -> Vec<RscId> {
        let u = self.u;
        let strategy = u.options.placement_strategy.as_str();
        let mut nodes: Vec<NodeId> = (0..u.nodes.len()).collect();
        let weight = |n: NodeId| {
            if u.nodes[n].available() {
                u.nodes[n].base_score
            } else {
                Score::NEG_INF
            }
        };
        nodes.sort_by(|&x, &y| {
            weight(y)
                .cmp(&weight(x))
                .then_with(|| {
                    if strategy == "balanced" {
                        self.compare_capacity(x, y).cmp(&0)
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .then_with(|| u.nodes[x].uname.as_bytes().cmp(u.nodes[y].uname.as_bytes()))
        });
        let keys: BTreeMap<RscId, (Score, Vec<Option<Score>>)> = order
            .iter()
            .map(|&r| {
                let t = self.sort_scores(r);
                let mut ls = Vec::new();
                leaves(&u.rscs, r, &mut ls);
                let current = ls
                    .iter()
                    .find_map(|&l| u.rscs[l].running_on.first().copied());
                let cur = current
                    .and_then(|n| t.get(&n).copied())
                    .unwrap_or(Score::NEG_INF);
                (r, (cur, nodes.iter().map(|n| t.get(n).copied()).collect()))
            })
            .collect();
        order.sort_by(|x, y| {
            let (px, py) = (u.rscs[*x].priority, u.rscs[*y].priority);
            py.cmp(&px).then_with(|| {
                let (cx, nx) = &keys[x];
                let (cy, ny) = &keys[y];
                cy.cmp(cx).then_with(|| {
                    for (a, b) in nx.iter().zip(ny) {
                        let a = a.unwrap_or(Score::NEG_INF);
                        let b = b.unwrap_or(Score::NEG_INF);
                        if a != b {
                            return b.cmp(&a);
                        }
                    }
                    std::cmp::Ordering::Equal
                })
            })
        });
        order
    }

    /// The scores `cmp_resources` compares for top-level resource `r`:
    /// its own allowed-node table (a group's or clone's own, not a
    /// member's) merged with its "this with" colocations.
    fn sort_scores(&self, r: RscId) -> Table {
        let mut visited = vec![r];
        // a group is judged by its last member, which reaches the others
        // (and the group's own colocations) through the internal chain
        let start = match self.u.rscs[r].kind {
            RscKind::Group => self.u.rscs[r].children.last().copied().unwrap_or(r),
            _ => r,
        };
        if start != r {
            visited.push(start);
        }
        let mut work = self.tables[start].clone();
        if self.can_run_any(&work) {
            for c in self.colocations_of(start).filter(|c| c.dependent == start) {
                let f = c.score.0 as f64 / INFINITY as f64;
                self.merge_scores(
                    &mut work,
                    c.primary,
                    &c.node_attribute,
                    f,
                    true,
                    &mut visited,
                );
            }
        }
        work
    }

    /// The colocations naming `x`: group members see their group's
    /// (remapped onto members) and the internal chain; anything else the
    /// configured ones.
    fn colocations_of(&self, x: RscId) -> std::slice::Iter<'_, Colocation> {
        let in_group = self.u.rscs[x]
            .parent
            .is_some_and(|p| self.u.rscs[p].kind == RscKind::Group);
        if in_group {
            self.colocs.iter()
        } else {
            self.u.colocations.iter()
        }
    }

    fn can_run_any(&self, t: &Table) -> bool {
        t.iter().any(|(n, v)| v.0 >= 0 && self.available(*n))
    }

    /// `add_colocated_node_scores` with a non-empty table: add `other`'s
    /// best score per attribute value times `factor`, then follow `other`'s
    /// own colocations (this-with when `forward`, else with-this); the whole
    /// contribution is rolled back if no node stays usable.
    fn merge_scores(
        &self,
        work: &mut Table,
        other: RscId,
        attr: &str,
        factor: f64,
        forward: bool,
        visited: &mut Vec<RscId>,
    ) {
        if visited.contains(&other) {
            return;
        }
        visited.push(other);
        let mut w = work.clone();
        let dt = &self.tables[other];
        let (node_attr, best_by_attr) = self.best_by_attr(dt, attr);
        for (n, v) in w.iter_mut() {
            let best = best_by_attr
                .get(&node_attr[*n])
                .copied()
                .unwrap_or(Score::NEG_INF);
            if factor < 0.0 && best.0 < 0 {
                continue;
            }
            *v = v.add(Score(attenuated(factor, best)));
        }
        if self.can_run_any(&w) {
            let sign = if factor < 0.0 { -1.0 } else { 1.0 };
            let next: Vec<(RscId, String, f64)> = self
                .colocations_of(other)
                .filter(|c| {
                    if forward {
                        c.dependent == other
                    } else {
                        c.primary == other && self.has_influence(c)
                    }
                })
                .map(|c| {
                    let o = if forward { c.primary } else { c.dependent };
                    (
                        o,
                        c.node_attribute.clone(),
                        sign * c.score.0 as f64 / INFINITY as f64,
                    )
                })
                .collect();
            for (o, a, f) in next {
                self.merge_scores(&mut w, o, &a, f, forward, visited);
            }
            *work = w;
        }
        visited.pop();
    }

    fn reason(&mut self, r: RscId, s: String) {
        self.reasons.entry(r).or_default().push(s);
    }

    /// The set of nodes a (possibly container) resource has been assigned to,
    /// optionally restricted to instances with the given next role.
    fn assigned_nodes(&self, r: RscId, role: Option<Role>) -> BTreeSet<NodeId> {
        let mut out = BTreeSet::new();
        let rr = &self.u.rscs[r];
        match rr.kind {
            RscKind::Primitive | RscKind::Group => {
                let leaf = if rr.kind == RscKind::Group {
                    rr.children.first().copied()
                } else {
                    Some(r)
                };
                if let Some(l) = leaf {
                    if let Some(n) = self.node[l] {
                        let nr = if rr.kind == RscKind::Group {
                            self.next_role[r]
                        } else {
                            self.next_role[l]
                        };
                        if role.is_none() || role == Some(nr) {
                            out.insert(n);
                        }
                    }
                }
            }
            RscKind::Clone => {
                for &c in &rr.children {
                    out.extend(self.assigned_nodes(c, role));
                }
            }
        }
        out
    }

    fn role_matches(&self, filter: Option<Role>, r: RscId) -> bool {
        match filter {
            None => true,
            Some(f) => {
                let nr = self.next_role[r];
                if nr == Role::Unknown {
                    // not yet decided: promoted-role filters don't match
                    return f != Role::Promoted;
                }
                nr == f
            }
        }
    }

    /// For a bundle's connection whose container is placed on a remote or
    /// guest node: its mandatory colocation with that node's connection.
    fn nested_remote_colocation(&self, r: RscId) -> Option<Colocation> {
        let u = self.u;
        if !is_remote_agent(&u.rscs[r]) {
            return None;
        }
        let container = container_of(u, r)?;
        if !u.rscs[container]
            .meta
            .contains_key(crate::bundle::CONTAINER_META)
        {
            return None;
        }
        let host = self.node[container]?;
        if self.nodes[host].kind == NodeKind::Member {
            return None;
        }
        let primary = remote_connection(u, host)?;
        Some(Colocation {
            id: "child-remote-with-docker-remote".into(),
            dependent: r,
            primary,
            score: Score::INF,
            dependent_role: None,
            primary_role: None,
            node_attribute: "#uname".into(),
            influence: true,
            primary_replicas: Vec::new(),
        })
    }

    /// On a guest node, resources can be promoted only if its container is
    /// placed (`pcmk__node_available` with `consider_guest`).
    fn guest_container_placed(&self, n: NodeId) -> bool {
        self.nodes[n].kind != NodeKind::Guest
            || crate::actions::guest_container(self.u, n).is_none_or(|k| self.node[k].is_some())
    }

    /// Pacemaker's `pcmk__colocation_has_influence`: the dependent
    /// influences where the primary goes if the colocation says so or the
    /// primary is not active yet. A colocation with a bundle influences
    /// only each of its containers as it is placed (not here).
    fn has_influence(&self, c: &Colocation) -> bool {
        if !c.primary_replicas.is_empty() {
            return false;
        }
        c.influence || {
            let mut ls = Vec::new();
            leaves(&self.u.rscs, c.primary, &mut ls);
            ls.iter().all(|&l| self.u.rscs[l].running_on.is_empty())
        }
    }

    /// Assign a colocation's primary: a bundle's containers and its inner
    /// clone (whose roles a role filter looks at) as a whole.
    fn assign_primary(&mut self, c: &Colocation) {
        if c.primary_replicas.is_empty() {
            self.assign(c.primary, None);
            return;
        }
        for &(container, _) in &c.primary_replicas {
            self.assign(container, None);
        }
        for &(_, inner) in &c.primary_replicas {
            if let Some(clone) = inner.and_then(|i| self.u.rscs[i].parent) {
                self.assign(clone, None);
            }
        }
    }

    /// The nodes a bundle's replicas make usable for a mandatory colocation
    /// with the bundle: where each unblocked container is placed, and (with a
    /// promoted-role filter) only those whose inner instance is promoted.
    fn replica_nodes(&self, c: &Colocation) -> BTreeSet<NodeId> {
        let mut out = BTreeSet::new();
        for &(container, inner) in &c.primary_replicas {
            let Some(n) = self.node[container] else {
                continue;
            };
            if self.u.rscs[container].blocked {
                continue;
            }
            if c.primary_role == Some(Role::Promoted)
                && inner.is_none_or(|i| self.next_role[i] != Role::Promoted)
            {
                continue;
            }
            out.insert(n);
        }
        out
    }

    /// Apply a this-with colocation to `table` once the primary is assigned.
    fn apply_coloc(&self, table: &mut Table, c: &Colocation, dep_is_clone: bool) {
        if !c.primary_replicas.is_empty() {
            let allowed = self.replica_nodes(c);
            for (n, v) in table.iter_mut() {
                if !allowed.contains(n) {
                    *v = Score::NEG_INF;
                }
            }
            return;
        }
        let prim = &self.u.rscs[c.primary];
        // a role filter on a clone that cannot promote is ignored: its
        // instances only ever run "Started"
        let primary_role = if prim.kind == RscKind::Clone && !prim.promotable {
            None
        } else {
            c.primary_role
        };
        let mut primary_nodes = self.assigned_nodes(c.primary, primary_role);
        if prim.kind == RscKind::Clone && c.score.is_inf() && !dep_is_clone {
            // a blocked instance lets nothing follow it where it is
            primary_nodes = BTreeSet::new();
            for &i in &self.u.rscs[c.primary].children {
                let mut ls = Vec::new();
                leaves(&self.u.rscs, i, &mut ls);
                if !ls.iter().any(|&l| self.u.rscs[l].blocked) {
                    primary_nodes.extend(self.assigned_nodes(i, primary_role));
                }
            }
        }
        let attr_of = |n: NodeId| {
            self.u.nodes[n]
                .attrs
                .get(&c.node_attribute)
                .map(String::as_str)
        };
        let primary_attrs: BTreeSet<Option<&str>> =
            primary_nodes.iter().map(|&n| attr_of(n)).collect();
        let primary_assigned = !self.assigned_nodes(c.primary, None).is_empty();
        let before = table.clone();
        if primary_nodes.is_empty() {
            if primary_role == Some(Role::Promoted) && primary_assigned && c.score.0 < 0 {
                return;
            }
            if c.score.0 > 0 {
                for v in table.values_mut() {
                    *v = v.add(Score(-c.score.0));
                }
            }
        } else {
            for (n, v) in table.iter_mut() {
                let m = primary_attrs.contains(&attr_of(*n));
                if c.score.is_inf() {
                    if !m {
                        *v = Score::NEG_INF;
                    }
                } else if m {
                    *v = v.add(c.score);
                }
            }
        }
        if !c.score.is_inf()
            && !c.score.is_neg_inf()
            && !table.iter().any(|(n, v)| v.0 >= 0 && self.available(*n))
        {
            *table = before;
        }
    }

    /// Pacemaker's `pcmk__add_colocated_node_scores`.
    fn add_colocated(
        &self,
        work: &mut Table,
        dep: RscId,
        attr: &str,
        factor: f64,
        visited: &mut Vec<RscId>,
    ) {
        self.add_colocated_mode(work, dep, attr, factor, visited, false);
    }

    /// Add `factor` times the best score of `dep` (on nodes sharing `attr`)
    /// to each node of `work`, then recurse into `dep`'s own dependents; the
    /// whole merge is rolled back when no node would be left usable.
    /// `only_positive` (promotion): a merge never turns a node negative; a
    /// positive node it would turn negative is kept at 1 instead.
    fn add_colocated_mode(
        &self,
        work: &mut Table,
        dep: RscId,
        attr: &str,
        factor: f64,
        visited: &mut Vec<RscId>,
        only_positive: bool,
    ) {
        if visited.contains(&dep) {
            return;
        }
        visited.push(dep);
        let mut w = work.clone();
        let mut unusable: Vec<NodeId> = Vec::new();
        let dt = self.effective_table(dep);
        let (node_attr, best_by_attr) = self.best_by_attr(&dt, attr);
        for (n, v) in w.iter_mut() {
            let best = best_by_attr
                .get(&node_attr[*n])
                .copied()
                .unwrap_or(Score::NEG_INF);
            if factor < 0.0 && best.0 < 0 {
                continue;
            }
            let mut x = attenuated(factor, best);
            if best.is_neg_inf() && factor >= 1.0 {
                x = -INFINITY;
            }
            let new = v.add(Score(x));
            if only_positive && new.0 < 0 && v.0 >= 0 {
                if v.0 > 0 {
                    unusable.push(*n);
                }
                continue;
            }
            *v = new;
        }
        if w.iter().any(|(n, v)| v.0 >= 0 && self.available(*n)) {
            // recurse into the dependent's own dependents
            let deps: Vec<&Colocation> = self
                .colocs
                .iter()
                .zip(self.coloc_primary_group)
                .filter(|(c, g)| c.primary == dep && self.has_influence(c) && self.expanded(**g))
                .map(|(c, _)| c)
                .collect();
            for c in deps {
                if self.done[c.dependent] {
                    continue;
                }
                let f = c.score.0 as f64 / INFINITY as f64;
                let f = if factor < 0.0 { -f.abs() } else { f };
                self.add_colocated_mode(&mut w, c.dependent, attr, f, visited, only_positive);
            }
            for n in unusable {
                w.insert(n, Score(1));
            }
            if w.iter().any(|(n, v)| v.0 >= 0 && self.available(*n)) {
                *work = w;
            }
        }
        visited.pop();
    }

    /// Whether a colocation written against group `g` (if any) is already
    /// attached to the group's members: only once `g`'s assignment began.
    /// (Pacemaker assigns a member's group before the member itself.)
    fn expanded(&self, g: Option<RscId>) -> bool {
        g.is_none_or(|g| {
            std::iter::once(g)
                .chain(self.u.rscs[g].children.iter().copied())
                .any(|x| self.in_progress[x] || self.done[x])
        })
    }

    fn effective_table(&self, r: RscId) -> Table {
        let rr = &self.u.rscs[r];
        match rr.kind {
            RscKind::Primitive => self.tables[r].clone(),
            RscKind::Group => rr
                .children
                .first()
                .map(|&c| self.tables[c].clone())
                .unwrap_or_default(),
            RscKind::Clone => self.tables[r].clone(),
        }
    }

    fn assign(&mut self, r: RscId, prefer: Option<NodeId>) {
        if self.done[r] || self.in_progress[r] {
            return;
        }
        self.in_progress[r] = true;
        match self.u.rscs[r].kind {
            RscKind::Primitive => self.assign_primitive(r, prefer),
            RscKind::Group => {
                let ch = self.u.rscs[r].children.clone();
                for c in ch {
                    self.assign(c, prefer);
                }
                let first = self.u.rscs[r].children.first().copied();
                self.node[r] = first.and_then(|f| self.node[f]);
                self.next_role[r] = first.map(|f| self.next_role[f]).unwrap_or(Role::Stopped);
            }
            RscKind::Clone => self.assign_clone(r),
        }
        self.in_progress[r] = false;
        self.done[r] = true;
    }

    fn assign_primitive(&mut self, r: RscId, prefer: Option<NodeId>) {
        let u = self.u;
        let rr = &u.rscs[r];
        // this-with colocations
        let mut this_with: Vec<Colocation> = self
            .colocs
            .iter()
            .filter(|c| c.dependent == r)
            .cloned()
            .collect();
        // primaries with higher priority first, then clones before groups
        // before primitives, promotable clones first
        let rank = |c: &Colocation| {
            let pr = &u.rscs[c.primary];
            let kind = match pr.kind {
                _ if !c.primary_replicas.is_empty() => 3,
                RscKind::Clone => 2,
                RscKind::Group => 1,
                _ => 0,
            };
            (
                std::cmp::Reverse(pr.priority),
                std::cmp::Reverse(kind),
                std::cmp::Reverse(pr.promotable),
            )
        };
        this_with.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| u.rscs[a.primary].id.cmp(&u.rscs[b.primary].id))
        });
        let mut table = self.tables[r].clone();
        for c in &this_with {
            let p = c.primary;
            if self.top_of[p] == self.top_of[r]
                && self.u.rscs[self.top_of[r]].kind == RscKind::Clone
            {
                // within the same clone instance (group member): assign normally
            }
            self.assign_primary(c);
            if !self.role_matches(c.dependent_role, r) && c.score.0 > 0 {
                continue;
            }
            self.apply_coloc(&mut table, c, false);
            // the scores are updated in place, so resources assigned later
            // while this one is still being placed already see them
            self.tables[r] = table.clone();
        }
        // a bundle's connection whose container went to a remote or guest
        // node runs where that node's own connection runs (only one
        // connection per pacemaker-remoted: "child-remote-with-docker-remote")
        if let Some(nested) = self.nested_remote_colocation(r) {
            self.assign_primary(&nested);
            self.apply_coloc(&mut table, &nested, false);
            self.tables[r] = table.clone();
        }
        // with-this colocations (influence)
        // (a bundle's container also takes those of what is colocated with
        // the bundle: pcmk__with_bundle_colocations)
        let running = !rr.running_on.is_empty();
        let with_this: Vec<Colocation> = self
            .colocs
            .iter()
            .filter(|c| {
                let ours = if c.primary_replicas.is_empty() {
                    c.primary == r && self.has_influence(c)
                } else {
                    c.primary_replicas.iter().any(|&(k, _)| k == r) && (c.influence || !running)
                };
                ours && !self.done[c.dependent]
            })
            .cloned()
            .collect();
        for c in &with_this {
            let f = c.score.0 as f64 / INFINITY as f64;
            let mut visited = vec![r];
            self.add_colocated(&mut table, c.dependent, &c.node_attribute, f, &mut visited);
        }
        // next role
        let mut next_role = Role::Started;
        let parent_clone = clone_of(&u.rscs, r);
        let target = effective_target_role(u, r);
        if target == Some(Role::Stopped) || rr.forced_stop || u.options.stop_all {
            next_role = Role::Stopped;
            for v in table.values_mut() {
                *v = Score::NEG_INF;
            }
            if target == Some(Role::Stopped) {
                self.reason(r, "target-role is Stopped".into());
            }
        }
        let _ = parent_clone;
        self.tables[r] = table.clone();
        let chosen: Option<NodeId> = if !rr.managed {
            // pinned to where it runs
            rr.running_on.first().copied()
        } else if next_role == Role::Stopped {
            None
        } else {
            // a bundle's replicas are placed like clone instances: one that
            // runs (and has not failed) prefers its node (pass 1 of
            // pcmk__assign_instances)
            let prefer = prefer.or_else(|| {
                let on = &rr.running_on;
                (rr.meta.contains_key(crate::bundle::CONTAINER_META)
                    && on.len() == 1
                    && !rr.failed
                    && self.available(on[0]))
                .then(|| on[0])
            });
            let (limited, prefer) = self.limit_utilization(r, &table, prefer);
            let chosen = self.best_node(r, &limited, prefer);
            self.tables[r] = limited;
            chosen
        };
        let chosen = chosen.filter(|&n| {
            if !rr.managed {
                return true;
            }
            let w = self.tables[r].get(&n).copied().unwrap_or(Score::NEG_INF);
            w.0 >= 0 && (self.available(n) || self.nodes[n].kind == NodeKind::Guest)
        });
        for (&n, &s) in &table {
            self.score_lines.push(("pcmk__primitive_assign", r, n, s));
        }
        match chosen {
            Some(n) => {
                self.node[r] = Some(n);
                self.num_resources[n] += 1;
                for (k, v) in &rr.utilization {
                    if let Some(f) = self.util_free[n].get_mut(k) {
                        *f -= v;
                    }
                }
                self.next_role[r] = if next_role == Role::Stopped {
                    Role::Stopped
                } else {
                    Role::Started
                };
                self.reason(
                    r,
                    format!(
                        "assigned to {} with score {}",
                        u.nodes[n].uname,
                        table.get(&n).copied().unwrap_or_default()
                    ),
                );
            }
            None => {
                self.node[r] = None;
                self.next_role[r] = Role::Stopped;
                if next_role != Role::Stopped {
                    self.reason(r, "no node with a non-negative score is available".into());
                }
            }
        }
        if is_remote_agent(rr) {
            self.remote_connection_assigned(r);
        }
    }

    /// Whether node `n` has room for `need` (every attribute the need names;
    /// a node without the attribute has 0).
    fn has_capacity(&self, n: NodeId, need: &BTreeMap<String, i64>) -> bool {
        need.iter()
            .all(|(k, v)| *v <= self.util_free[n].get(k).copied().unwrap_or(0))
    }

    /// Pacemaker's `pcmk__colocated_resources`: `r` and everything tied to
    /// it by mandatory (+INFINITY) colocations, in either direction,
    /// transitively; a clone does not pull in non-clone dependents.
    fn colocated_set(&self, orig: RscId, x: RscId, out: &mut Vec<RscId>) {
        if out.contains(&x) {
            return;
        }
        out.push(x);
        for c in self.colocs.iter() {
            if c.dependent == x && c.primary != orig && c.score == Score::INF {
                self.colocated_set(orig, c.primary, out);
            }
        }
        let x_clone = self.u.rscs[x].kind == RscKind::Clone;
        for c in self.colocs.iter() {
            if c.primary == x
                && c.dependent != orig
                && c.score == Score::INF
                && (!x_clone || self.u.rscs[c.dependent].kind == RscKind::Clone)
            {
                self.colocated_set(orig, c.dependent, out);
            }
        }
    }

    /// Add the utilization of unassigned `x` (a clone counts one instance,
    /// the one already listed if any, else its first) to `sum`.
    fn add_unassigned_utilization(
        &self,
        x: RscId,
        listed: &[RscId],
        sum: &mut BTreeMap<String, i64>,
    ) {
        if self.done[x] {
            return;
        }
        let xr = &self.u.rscs[x];
        match xr.kind {
            RscKind::Primitive => {
                for (k, v) in &xr.utilization {
                    *sum.entry(k.clone()).or_insert(0) += v;
                }
            }
            RscKind::Group => {
                for &m in &xr.children {
                    if !listed.contains(&m) {
                        self.add_unassigned_utilization(m, listed, sum);
                    }
                }
            }
            RscKind::Clone => {
                let mut existing = false;
                for &i in &xr.children {
                    if listed.contains(&i) {
                        existing = true;
                    } else if self.u.rscs[i].children.iter().any(|g| listed.contains(g)) {
                        self.add_unassigned_utilization(i, listed, sum);
                        existing = true;
                    }
                }
                if !existing {
                    if let Some(&i) = xr.children.first() {
                        self.add_unassigned_utilization(i, listed, sum);
                    }
                }
            }
        }
    }

    /// Pacemaker's `pcmk__ban_insufficient_capacity`: with a placement
    /// strategy, if some node has room for `r` plus every still unassigned
    /// resource mandatorily colocated with it, ban the nodes that do not;
    /// otherwise ban the nodes without room for `r` alone and prefer the
    /// node with the most free capacity.
    fn limit_utilization(
        &self,
        r: RscId,
        table: &Table,
        prefer: Option<NodeId>,
    ) -> (Table, Option<NodeId>) {
        let mut t = table.clone();
        if self.u.options.placement_strategy == "default" {
            return (t, prefer);
        }
        let mut set = Vec::new();
        self.colocated_set(r, r, &mut set);
        let mut need = BTreeMap::new();
        for &x in &set {
            self.add_unassigned_utilization(x, &set, &mut need);
        }
        let usable: Vec<NodeId> = t
            .iter()
            .filter(|(n, w)| w.0 >= 0 && self.available(**n))
            .map(|(n, _)| *n)
            .collect();
        let mut most_capable: Option<NodeId> = None;
        let mut any_capable = false;
        for &n in &usable {
            any_capable |= self.has_capacity(n, &need);
            if most_capable.is_none_or(|m| self.compare_capacity(n, m) < 0) {
                most_capable = Some(n);
            }
        }
        let own = &self.u.rscs[r].utilization;
        for &n in &usable {
            let fits = if any_capable {
                self.has_capacity(n, &need)
            } else {
                self.has_capacity(n, own)
            };
            if !fits {
                t.insert(n, Score::NEG_INF);
            }
        }
        let prefer = if any_capable {
            prefer
        } else {
            prefer.or(most_capable)
        };
        (t, prefer)
    }

    /// Pacemaker's `pcmk__compare_node_capacities`: negative when `x` has
    /// more free capacity than `y` (one vote per attribute).
    fn compare_capacity(&self, x: NodeId, y: NodeId) -> i64 {
        let (fx, fy) = (&self.util_free[x], &self.util_free[y]);
        let mut vote = 0i64;
        for k in fx.keys().chain(fy.keys().filter(|k| !fx.contains_key(*k))) {
            let a = fx.get(k).copied().unwrap_or(0);
            let b = fy.get(k).copied().unwrap_or(0);
            vote -= (a - b).signum();
        }
        vote
    }

    fn best_node(&self, r: RscId, table: &Table, prefer: Option<NodeId>) -> Option<NodeId> {
        let rr = &self.u.rscs[r];
        let current = rr.running_on.first().copied();
        let balanced = self.u.options.placement_strategy == "balanced";
        let minimal = self.u.options.placement_strategy == "minimal";
        let eff = |n: NodeId| -> Score {
            let w = table.get(&n).copied().unwrap_or(Score::NEG_INF);
            if !self.available(n) {
                Score::NEG_INF
            } else {
                w
            }
        };
        let mut cands: Vec<NodeId> = table.keys().copied().collect();
        cands.sort_by(|&x, &y| {
            eff(y)
                .cmp(&eff(x))
                .then_with(|| {
                    if minimal {
                        return std::cmp::Ordering::Equal;
                    }
                    let mut o = std::cmp::Ordering::Equal;
                    if balanced {
                        o = self.compare_capacity(x, y).cmp(&0);
                    }
                    o.then_with(|| self.num_resources[x].cmp(&self.num_resources[y]))
                })
                .then_with(|| {
                    if minimal {
                        return std::cmp::Ordering::Equal;
                    }
                    let cx = Some(x) == current;
                    let cy = Some(y) == current;
                    cy.cmp(&cx)
                })
                .then_with(|| {
                    self.u.nodes[x]
                        .uname
                        .as_bytes()
                        .cmp(self.u.nodes[y].uname.as_bytes())
                })
        });
        let best = *cands.first()?;
        let best_w = eff(best);
        if best_w.0 < 0 {
            // the graph may assume a guest node's connection will come up
            // (pcmk__finalize_assignment): its own weight decides
            let own = table.get(&best).copied().unwrap_or(Score::NEG_INF);
            if self.nodes[best].kind == NodeKind::Guest && own.0 >= 0 {
                return Some(best);
            }
            return None;
        }
        if let Some(p) = prefer {
            if table.contains_key(&p) && eff(p) >= best_w && self.available(p) {
                return Some(p);
            }
        }
        let unique_instance = clone_of(&self.u.rscs, r)
            .map(|c| self.u.rscs[c].unique)
            .unwrap_or(false);
        if best_w.0 > 0 && !unique_instance {
            if let Some(c) = current {
                if eff(c) == best_w {
                    return Some(c);
                }
            }
        }
        Some(best)
    }

    fn assign_clone(&mut self, c: RscId) {
        let u = self.u;
        let cr = &u.rscs[c];
        // primaries of this-with colocations
        let this_with: Vec<Colocation> = self
            .colocs
            .iter()
            .filter(|x| x.dependent == c)
            .cloned()
            .collect();
        let mut table = self.tables[c].clone();
        for x in &this_with {
            self.assign_primary(x);
            if x.dependent_role.is_some() {
                continue;
            }
            self.apply_coloc(&mut table, x, true);
        }
        let with_this: Vec<Colocation> = self
            .colocs
            .iter()
            .filter(|x| x.primary == c && self.has_influence(x) && !self.done[x.dependent])
            .cloned()
            .collect();
        for x in &with_this {
            let f = x.score.0 as f64 / INFINITY as f64;
            let mut visited = vec![c];
            let mut t2 = table.clone();
            self.add_colocated(&mut t2, x.dependent, &x.node_attribute, f, &mut visited);
            // non-negative flag: positive nodes pushed negative become 1... keep simple
            // only_positive: never push a node negative
            for (n, v) in t2.iter_mut() {
                if let Some(old) = table.get(n) {
                    if v.0 < 0 {
                        *v = if old.0 > 0 { Score(1) } else { *old };
                    }
                }
            }
            table = t2;
        }
        self.tables[c] = table.clone();
        let instances = cr.children.clone();
        // sort instances: active on an available node first, then number
        let mut sorted = instances.clone();
        let inst_current = |s: &Self, i: RscId| -> Option<NodeId> {
            let mut ls = Vec::new();
            leaves(&s.u.rscs, i, &mut ls);
            ls.iter()
                .find_map(|&l| s.u.rscs[l].running_on.first().copied())
        };
        let inst_failed = |s: &Self, i: RscId| -> bool {
            let mut ls = Vec::new();
            leaves(&s.u.rscs, i, &mut ls);
            ls.iter().any(|&l| s.u.rscs[l].failed)
        };
        // instances are ordered by where they run, then by the weight of
        // their most preferred node, then by number
        let best_of = |s: &Self, i: RscId| -> Score {
            let leaf = if s.u.rscs[i].kind == RscKind::Group {
                s.u.rscs[i].children.first().copied().unwrap_or(i)
            } else {
                i
            };
            s.tables[leaf]
                .iter()
                .filter(|(n, _)| s.available(**n) && table.get(n).is_some_and(|w| w.0 >= 0))
                .map(|(n, v)| {
                    let p = if cr.promotable {
                        s.promotion_attr(c, i, *n)
                    } else {
                        Score::ZERO
                    };
                    if p.0 > 0 {
                        v.add(p)
                    } else {
                        *v
                    }
                })
                .max()
                .unwrap_or(Score::NEG_INF)
        };
        // an instance active on a node it may no longer run on goes after
        // the others (inactive ones included); failed instances go after
        // healthy ones
        type Key = (
            bool,
            std::cmp::Reverse<Score>,
            bool,
            bool,
            bool,
            std::cmp::Reverse<Score>,
        );
        let keys: BTreeMap<RscId, Key> = sorted
            .iter()
            .map(|&i| {
                let cur = inst_current(self, i);
                let active_ok = cur.is_some_and(|n| self.available(n));
                let allowed_here = cur.is_none_or(|n| {
                    let leaf = if u.rscs[i].kind == RscKind::Group {
                        u.rscs[i].children.first().copied().unwrap_or(i)
                    } else {
                        i
                    };
                    self.tables[leaf].get(&n).is_some_and(|w| w.0 >= 0)
                });
                (
                    i,
                    (
                        !allowed_here,
                        std::cmp::Reverse(self.instance_priority(c, i)),
                        !active_ok,
                        !active_ok && inst_failed(self, i),
                        cur.is_none(),
                        std::cmp::Reverse(best_of(self, i)),
                    ),
                )
            })
            .collect();
        sorted.sort_by_key(|&i| (keys[&i], i));
        let avail_nodes = (0..u.nodes.len()).filter(|&n| self.available(n)).count();
        let max_per_node = cr.clone_max.checked_div(avail_nodes).unwrap_or(1).max(1);
        let node_max = if cr.unique {
            cr.clone_node_max.max(1)
        } else {
            1
        };
        let mut per_node: BTreeMap<NodeId, usize> = BTreeMap::new();
        let mut allocated = 0usize;
        let clone_stopped = {
            let mut ls = Vec::new();
            leaves(&u.rscs, c, &mut ls);
            !ls.is_empty()
                && ls
                    .iter()
                    .all(|&l| effective_target_role(u, l) == Some(Role::Stopped))
        };
        let mut assigned_set: BTreeSet<RscId> = BTreeSet::new();
        // a bundle assigns each replica's instance to the replica's guest
        // node before its clone places the rest, even while that node cannot
        // run resources yet (pcmk__bundle_allocate)
        if u.rscs[c].meta.contains_key(crate::bundle::BUNDLE_META) && !clone_stopped {
            for &i in &sorted {
                let Some(g) = crate::bundle::instance_guest(u, i) else {
                    continue;
                };
                if self.available(g) || !u.rscs[i].is_leaf() {
                    continue;
                }
                self.assign(i, None);
                if let Some(n) = self.instance_node(i) {
                    *per_node.entry(n).or_default() += 1;
                    allocated += 1;
                    assigned_set.insert(i);
                }
            }
        }
        // promotion scores added to instance tables before placement
        let promo_bonus = |s: &Self, i: RscId, n: NodeId| -> Score {
            if !cr.promotable {
                return Score::ZERO;
            }
            let sc = s.promotion_attr(c, i, n);
            if sc.0 > 0 {
                sc
            } else {
                Score::ZERO
            }
        };
        // pass 1: running instances stay put when possible
        for &i in &sorted {
            if clone_stopped || allocated >= cr.clone_max {
                break;
            }
            let Some(cur) = inst_current(self, i) else {
                continue;
            };
            if inst_failed(self, i) {
                continue;
            }
            if !self.available(cur)
                || per_node.get(&cur).copied().unwrap_or(0)
                    >= max_per_node.min(node_max.max(max_per_node))
            {
                continue;
            }
            let t = self.instance_table(c, i, &table, &per_node, node_max, &promo_bonus);
            let best = t
                .iter()
                .filter(|(n, _)| self.available(**n))
                .map(|(_, v)| *v)
                .max();
            let cw = t.get(&cur).copied().unwrap_or(Score::NEG_INF);
            if cw.0 < 0 || best.is_some_and(|b| cw < b) {
                continue;
            }
            let mut members = vec![i];
            collect_all(&u.rscs, i, &mut members);
            let backup: Vec<(Table, usize)> = members
                .iter()
                .map(|&m| {
                    let why = self.reasons.get(&m).map_or(0, |v| v.len());
                    (self.tables[m].clone(), why)
                })
                .collect();
            self.set_instance_table(i, &t);
            self.assign(i, Some(cur));
            if self.instance_node(i).is_some_and(|n| n != cur) {
                // "not pre-assigning to the current node because another is
                // better" (e.g. no capacity left there): undo, try in pass 2
                for (&m, (table, why)) in members.iter().zip(backup) {
                    self.unassign(m);
                    self.tables[m] = table;
                    if let Some(v) = self.reasons.get_mut(&m) {
                        v.truncate(why);
                    }
                }
                continue;
            }
            if let Some(n) = self.instance_node(i) {
                *per_node.entry(n).or_default() += 1;
                allocated += 1;
                assigned_set.insert(i);
            }
        }
        // pass 2
        for &i in &sorted {
            if assigned_set.contains(&i) {
                continue;
            }
            if clone_stopped || allocated >= cr.clone_max {
                self.stop_instance(i);
                continue;
            }
            let t = self.instance_table(c, i, &table, &per_node, node_max, &promo_bonus);
            self.set_instance_table(i, &t);
            self.assign(i, None);
            if let Some(n) = self.instance_node(i) {
                *per_node.entry(n).or_default() += 1;
                allocated += 1;
            }
        }
        for &i in &instances {
            self.done[i] = true;
        }
        for (&n, &s) in &table {
            self.score_lines.push(("pcmk__clone_allocate", c, n, s));
        }
        if cr.promotable {
            self.promote(c);
        }
        self.node[c] = None;
        self.next_role[c] = Role::Started;
    }

    fn instance_node(&self, i: RscId) -> Option<NodeId> {
        let r = &self.u.rscs[i];
        if r.kind == RscKind::Group {
            r.children.first().and_then(|&f| self.node[f])
        } else {
            self.node[i]
        }
    }

    /// Undo the assignment of one resource (not its children), giving back
    /// the node's capacity.
    fn unassign(&mut self, r: RscId) {
        if let Some(n) = self.node[r].take() {
            if self.u.rscs[r].is_leaf() {
                self.num_resources[n] -= 1;
                for (k, v) in &self.u.rscs[r].utilization {
                    if let Some(f) = self.util_free[n].get_mut(k) {
                        *f += v;
                    }
                }
            }
        }
        self.next_role[r] = Role::Unknown;
        self.done[r] = false;
    }

    fn stop_instance(&mut self, i: RscId) {
        let mut ls = vec![i];
        collect_all(&self.u.rscs, i, &mut ls);
        for l in ls {
            self.node[l] = None;
            self.next_role[l] = Role::Stopped;
            self.done[l] = true;
        }
    }

    fn instance_table(
        &self,
        c: RscId,
        i: RscId,
        clone_table: &Table,
        per_node: &BTreeMap<NodeId, usize>,
        node_max: usize,
        promo: &dyn Fn(&Self, RscId, NodeId) -> Score,
    ) -> Table {
        let _ = c;
        let leaf = if self.u.rscs[i].kind == RscKind::Group {
            self.u.rscs[i].children.first().copied().unwrap_or(i)
        } else {
            i
        };
        let mut t = self.tables[leaf].clone();
        for (n, v) in t.iter_mut() {
            let cw = clone_table.get(n).copied().unwrap_or(Score::NEG_INF);
            if !self.available(*n) || cw.0 < 0 || per_node.get(n).copied().unwrap_or(0) >= node_max
            {
                *v = Score::NEG_INF;
            } else {
                // clone-level colocation influence
                let base = self.tables[c].get(n).copied().unwrap_or(Score::ZERO);
                let orig = self.tables_orig_clone(c, *n);
                *v = v.add(Score(base.0 - orig.0)).add(promo(self, i, *n));
            }
        }
        t
    }

    fn tables_orig_clone(&self, _c: RscId, _n: NodeId) -> Score {
        // the clone's own (location) score is already in the instance table
        self.tables[_c].get(&_n).copied().unwrap_or(Score::ZERO)
    }

    fn set_instance_table(&mut self, i: RscId, t: &Table) {
        let leaf = if self.u.rscs[i].kind == RscKind::Group {
            self.u.rscs[i].children.first().copied().unwrap_or(i)
        } else {
            i
        };
        let old = self.tables[leaf].clone();
        for (n, v) in t {
            if v.is_neg_inf() && !old.get(n).is_some_and(|o| o.is_neg_inf()) {
                // ban only for this instance
            }
        }
        self.tables[leaf] = t.clone();
        let _ = old;
    }

    /// The node whose attributes resource `r` (in clone `c`) reads on node
    /// `n`: with `container-attribute-target=host`, a guest node's
    /// attributes are those of the host its container runs on
    /// (`pe_node_attribute_calculated`).
    fn attr_node(&self, r: RscId, c: RscId, n: NodeId) -> NodeId {
        let u = self.u;
        let target = u.rscs[r]
            .meta
            .get("container-attribute-target")
            .or_else(|| u.rscs[c].meta.get("container-attribute-target"));
        if target.map(String::as_str) != Some("host") || u.nodes[n].kind != NodeKind::Guest {
            return n;
        }
        u.nodes[n]
            .remote_rsc
            .as_ref()
            .and_then(|x| u.rsc_by_id.get(x))
            .and_then(|&x| container_of(u, x))
            .and_then(|x| u.rscs[x].running_on.first().copied())
            .unwrap_or(n)
    }

    /// The promotion score a node attribute gives instance `i` on node `n`.
    fn promotion_attr(&self, c: RscId, i: RscId, n: NodeId) -> Score {
        let mut ls = Vec::new();
        leaves(&self.u.rscs, i, &mut ls);
        let mut total: Option<Score> = None;
        for l in ls {
            if let Some(v) = self.leaf_promotion_attr(c, l, n) {
                total = Some(total.unwrap_or(Score::ZERO).add(v));
            }
        }
        total.unwrap_or(Score(-1))
    }

    /// The promotion score node attribute of primitive `l` (inside clone
    /// `c`) on node `n`, if set.
    fn leaf_promotion_attr(&self, c: RscId, l: RscId, n: NodeId) -> Option<Score> {
        let r = &self.u.rscs[l];
        let mut names = Vec::new();
        if let Some(h) = r.history.get(&n) {
            names.push(h.history_name.clone());
        }
        names.push(r.id.clone());
        if !self.u.rscs[c].unique {
            names.push(r.xml_id.clone());
        }
        let attrs = &self.u.nodes[self.attr_node(l, c, n)].attrs;
        names
            .iter()
            .find_map(|nm| {
                attrs
                    .get(&format!("master-{nm}"))
                    .or_else(|| attrs.get(&format!("promotion-{nm}")))
            })
            .map(|v| Score::parse(v))
    }

    /// Whether primitive `l`'s promotion score on node `n` counts
    /// (Pacemaker's promotion_score_applies): an anonymous instance's counts
    /// where it is active, or where no instance is active but one was
    /// probed; any instance's counts everywhere while it was never probed
    /// nor started anywhere, else only where its status is known.
    fn promotion_score_applies(&self, c: RscId, l: RscId, n: NodeId) -> bool {
        let u = self.u;
        let r = &u.rscs[l];
        if !u.rscs[c].unique {
            let mut twins = Vec::new();
            leaves(&u.rscs, c, &mut twins);
            twins.retain(|&t| u.rscs[t].xml_id == r.xml_id);
            match twins.iter().find(|&&t| u.rscs[t].running_on.contains(&n)) {
                Some(&active) if active == l => return true,
                Some(_) => {}
                None if twins.iter().any(|&t| u.rscs[t].history.contains_key(&n)) => return true,
                None => {}
            }
        }
        (r.running_on.is_empty() && r.history.is_empty())
            || r.history.contains_key(&n)
            || r.running_on.contains(&n)
    }

    /// An instance's priority when a clone orders its instances for
    /// placement: its `priority`, raised to the best promotion score that
    /// counts on a node it may run on (pcmk__add_promotion_scores).
    fn instance_priority(&self, c: RscId, i: RscId) -> Score {
        let u = self.u;
        let mut p = Score(u.rscs[i].priority);
        if !u.rscs[c].promotable {
            return p;
        }
        let mut ls = Vec::new();
        leaves(&u.rscs, i, &mut ls);
        let Some(&first) = ls.first() else {
            return p;
        };
        for (&n, w) in &self.tables[first] {
            if !self.available(n) || w.0 < 0 {
                continue;
            }
            let mut total: Option<Score> = None;
            for &l in &ls {
                if self.promotion_score_applies(c, l, n) {
                    if let Some(v) = self.leaf_promotion_attr(c, l, n) {
                        total = Some(total.unwrap_or(Score::ZERO).add(v));
                    }
                }
            }
            if let Some(t) = total.filter(|t| *t > p) {
                p = t;
            }
        }
        p
    }

    fn promote(&mut self, c: RscId) {
        let u = self.u;
        let cr = &u.rscs[c];
        let instances = cr.children.clone();
        let mut cands: Vec<(Score, bool, bool, RscId, NodeId)> = Vec::new();
        let quorum_demote =
            !u.options.have_quorum && u.options.no_quorum_policy == NoQuorumPolicy::Demote;
        let quorum_freeze =
            !u.options.have_quorum && u.options.no_quorum_policy == NoQuorumPolicy::Freeze;
        for &i in &instances {
            let Some(n) = self.instance_node(i) else {
                continue;
            };
            let mut s = self.promotion_attr(c, i, n);
            // only where active/probed?
            for loc in self.role_locations {
                if loc.role == Some(Role::Promoted) && (loc.rsc == c || loc.rsc == i) {
                    for &(ln, ls) in &loc.scores {
                        if ln == n {
                            s = s.add(ls);
                        }
                    }
                }
            }
            // an eligible instance starts from the clone's own weight on its
            // node (locations and dependents' preferences merged at assignment)
            if s.0 >= 0 {
                let base = self.tables[c].get(&n).copied().unwrap_or(Score::ZERO);
                s = s.add(base);
            }
            // dependents colocated with the promoted role pull promotion
            // towards their preferred nodes
            for col in self.colocs.iter() {
                if col.primary == c
                    && col.primary_role == Some(Role::Promoted)
                    && self.has_influence(col)
                    && s.0 >= 0
                {
                    let f = col.score.0 as f64 / INFINITY as f64;
                    let mut w = Table::new();
                    w.insert(n, s);
                    let mut visited = vec![c];
                    self.add_colocated_mode(
                        &mut w,
                        col.dependent,
                        &col.node_attribute,
                        f,
                        &mut visited,
                        true,
                    );
                    s = w.get(&n).copied().unwrap_or(s);
                }
            }
            for col in self.colocs.iter() {
                // "must be Unpromoted where the primary is": no promotion there
                if col.dependent == c
                    && col.dependent_role == Some(Role::Unpromoted)
                    && col.score.is_inf()
                {
                    let pn = self.assigned_nodes(col.primary, col.primary_role);
                    let attr = |x: NodeId| {
                        self.u.nodes[x]
                            .attrs
                            .get(&col.node_attribute)
                            .map(String::as_str)
                    };
                    if pn.iter().any(|&p| attr(p) == attr(n)) {
                        s = Score::NEG_INF;
                    }
                }
                if col.dependent == c && col.dependent_role == Some(Role::Promoted) {
                    let pn = self.assigned_nodes(col.primary, col.primary_role);
                    let attr = |x: NodeId| {
                        self.u.nodes[x]
                            .attrs
                            .get(&col.node_attribute)
                            .map(String::as_str)
                    };
                    let matched = pn.iter().any(|&p| attr(p) == attr(n));
                    if matched {
                        // a mandatory colocation lifts even an instance
                        // without a promotion score; an optional one only
                        // adds to an instance that has one
                        if col.score.is_inf() || s.0 >= 0 {
                            s = s.add(col.score);
                        }
                    } else if col.score.is_inf() {
                        s = Score::NEG_INF;
                    }
                    if matched && col.score.is_neg_inf() {
                        s = Score::NEG_INF;
                    }
                }
            }
            let mut ls = Vec::new();
            leaves(&u.rscs, i, &mut ls);
            let cur_promoted = ls.iter().any(|&l| u.rscs[l].role == Role::Promoted);
            let target = effective_target_role(u, i);
            if target == Some(Role::Unpromoted) || target == Some(Role::Stopped) {
                s = Score::NEG_INF;
            }
            if ls.iter().any(|&l| !u.rscs[l].managed) {
                // unmanaged instances keep whatever role they have
                s = if cur_promoted {
                    Score::INF
                } else {
                    Score::NEG_INF
                };
            }
            if quorum_demote || ls.iter().any(|&l| u.rscs[l].force_demote) {
                s = Score::NEG_INF;
            }
            // a cloned group is promoted only if every member will be
            // active (node_to_be_promoted_on)
            if ls.iter().any(|&l| self.node[l].is_none()) {
                s = Score::NEG_INF;
            }
            // frozen without quorum: roles stay as they are
            if quorum_freeze && !cur_promoted {
                s = Score::NEG_INF;
            }
            let ticket_lost = u.tickets.iter().any(|t| {
                (t.rsc == c || t.rsc == i)
                    && t.role == Some(Role::Promoted)
                    && (!t.granted || t.standby)
            });
            if ticket_lost {
                s = Score::NEG_INF;
            }
            self.promotion_lines
                .push((u.rscs[i].id.clone(), u.nodes[n].uname.clone(), s));
            let failed = ls.iter().any(|&l| u.rscs[l].failed);
            cands.push((s, cur_promoted, failed, i, n));
        }
        // ties: currently promoted first, then healthy before failed, then
        // instance order
        cands.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(b.1.cmp(&a.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        let mut promoted = 0;
        let mut per_node: BTreeMap<NodeId, usize> = BTreeMap::new();
        for (s, _, _, i, n) in cands {
            let mut ls = Vec::new();
            leaves(&u.rscs, i, &mut ls);
            let pinned = ls.iter().any(|&l| !u.rscs[l].managed);
            let role = if s.0 >= 0
                && promoted < cr.promoted_max
                && per_node.get(&n).copied().unwrap_or(0) < cr.promoted_node_max
                && (self.available(n) || pinned)
                && self.guest_container_placed(n)
            {
                promoted += 1;
                *per_node.entry(n).or_default() += 1;
                Role::Promoted
            } else {
                Role::Unpromoted
            };
            let mut ls = vec![i];
            collect_all(&u.rscs, i, &mut ls);
            for l in ls {
                if self.node[l].is_some() {
                    self.next_role[l] = role;
                }
            }
        }
    }
}

/// target-role with inheritance (own meta already includes the parent's).
pub fn effective_target_role(u: &Unpacked, r: RscId) -> Option<Role> {
    // a resource's own meta attribute wins; it inherits its parent's only
    // when it has none
    let mut x = Some(r);
    while let Some(i) = x {
        if let Some(t) = u.rscs[i].target_role {
            return Some(t);
        }
        x = u.rscs[i].parent;
    }
    None
}

//! Constraint unpacking (part of stage 1): `rsc_location`, `rsc_colocation`,
//! `rsc_order` and `rsc_ticket`, with resource sets, tags and rules expanded.

use std::collections::BTreeMap;

use cib::xml::Element;

use crate::model::*;
use crate::rules::{eval_rule, RuleContext};
use crate::score::Score;
use crate::unpack::*;

fn deref<'a>(ids: &BTreeMap<&'a str, &'a Element>, e: &'a Element) -> &'a Element {
    e.attr("id-ref")
        .and_then(|r| ids.get(r).copied())
        .unwrap_or(e)
}

/// Resolve a constraint's resource reference (ids, tags) to resources.
fn resolve(u: &Unpacked, tags: &BTreeMap<String, Vec<String>>, id: &str) -> Vec<RscId> {
    if let Some(members) = tags.get(id) {
        return members.iter().flat_map(|m| resolve(u, tags, m)).collect();
    }
    if let Some(&i) = u.rsc_by_id.get(id) {
        if !u.rscs[i].orphan {
            return vec![i];
        }
    }
    // a template ⇒ every primitive built from it
    let from_template: Vec<RscId> = (0..u.rscs.len())
        .filter(|&i| u.rscs[i].template.as_deref() == Some(id) && u.rscs[i].instance.is_none())
        .collect();
    if !from_template.is_empty() {
        return from_template;
    }
    // a clone's child referenced by its configured id ⇒ the clone
    for (i, r) in u.rscs.iter().enumerate() {
        if r.kind == RscKind::Clone && r.params.get("#child-xml-id").map(String::as_str) == Some(id)
        {
            return vec![i];
        }
    }
    Vec::new()
}

pub fn unpack_constraints(root: &Element, ids: &BTreeMap<&str, &Element>, u: &mut Unpacked) {
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(t) = root.child("configuration").and_then(|c| c.child("tags")) {
        for tag in t.elements().filter(|e| e.name == "tag") {
            let members = tag
                .elements()
                .filter(|e| e.name == "obj_ref")
                .filter_map(|e| e.attr("id").map(str::to_string))
                .collect();
            tags.insert(tag.attr("id").unwrap_or("").to_string(), members);
        }
    }
    // ticket states
    let mut tickets: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    if let Some(ts) = root.child("status").and_then(|s| s.child("tickets")) {
        for t in ts.elements().filter(|e| e.name == "ticket_state") {
            let granted = t.attr("granted").map(is_true).unwrap_or(false);
            let standby = t.attr("standby").map(is_true).unwrap_or(false);
            tickets.insert(t.attr("id").unwrap_or("").to_string(), (granted, standby));
        }
    }
    let Some(cons) = root
        .child("configuration")
        .and_then(|c| c.child("constraints"))
    else {
        return;
    };
    for c in cons.elements() {
        let c = deref(ids, c);
        match c.name.as_str() {
            "rsc_location" => unpack_location(u, ids, &tags, c),
            "rsc_colocation" => unpack_colocation(u, ids, &tags, c),
            "rsc_order" => unpack_order(u, ids, &tags, c),
            "rsc_ticket" => unpack_ticket(u, ids, &tags, &tickets, c),
            _ => {}
        }
    }
}

fn set_members(
    u: &Unpacked,
    ids: &BTreeMap<&str, &Element>,
    tags: &BTreeMap<String, Vec<String>>,
    set: &Element,
) -> Vec<RscId> {
    let mut out = Vec::new();
    for r in set.elements().filter(|e| e.name == "resource_ref") {
        let r = deref(ids, r);
        if let Some(id) = r.attr("id") {
            out.extend(resolve(u, tags, id));
        }
    }
    out
}

fn unpack_location(
    u: &mut Unpacked,
    ids: &BTreeMap<&str, &Element>,
    tags: &BTreeMap<String, Vec<String>>,
    c: &Element,
) {
    let id = c.attr("id").unwrap_or("").to_string();
    let mut rscs: Vec<RscId> = Vec::new();
    let mut pattern_matches: Vec<(RscId, Vec<String>)> = Vec::new();
    if let Some(r) = c.attr("rsc") {
        rscs = resolve(u, tags, r);
    } else if let Some(p) = c.attr("rsc-pattern") {
        // `!pattern`: every top-level resource that does not match
        let (invert, p) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        if let Some(re) = SimpleRegex::new(p) {
            // a bundle is one top-level resource: matched by its own id,
            // standing for its containers
            let mut bundles_seen: Vec<&str> = Vec::new();
            for &t in &u.top_xml {
                if u.rscs[t].orphan {
                    continue;
                }
                let bundle = crate::bundle::member_of(u, t);
                if let Some(b) = bundle {
                    if bundles_seen.contains(&b) {
                        continue;
                    }
                    bundles_seen.push(b);
                }
                let name = bundle.unwrap_or(&u.rscs[t].id);
                let targets = match bundle {
                    Some(b) => resolve(u, tags, b),
                    None => vec![t],
                };
                match (re.captures(name), invert) {
                    (Some(caps), false) => {
                        pattern_matches.extend(targets.into_iter().map(|x| (x, caps.clone())));
                    }
                    (None, true) => {
                        pattern_matches.extend(targets.into_iter().map(|x| (x, Vec::new())));
                    }
                    _ => {}
                }
            }
        }
    } else {
        for set in c.elements().filter(|e| e.name == "resource_set") {
            let set = deref(ids, set);
            rscs.extend(set_members(u, ids, tags, set));
        }
    }
    let role = c.attr("role").and_then(Role::parse);
    let discovery = c.attr("resource-discovery").map(str::to_string);
    let mut targets: Vec<(RscId, Vec<String>)> =
        rscs.into_iter().map(|r| (r, Vec::new())).collect();
    targets.extend(pattern_matches);
    for (rsc, caps) in targets {
        let mut scores = Vec::new();
        if let Some(node) = c.attr("node") {
            let score = c.attr("score").map(Score::parse).unwrap_or(Score::ZERO);
            if let Some(n) = u.nodes.iter().position(|x| x.uname == node) {
                scores.push((n, score));
            }
        } else {
            for rule in c.elements().filter(|e| e.name == "rule") {
                let rule = deref(ids, rule);
                let role_r = rule.attr("role").and_then(Role::parse).or(role);
                let mut sc = Vec::new();
                for (ni, n) in u.nodes.iter().enumerate() {
                    let r = &u.rscs[rsc];
                    let ctx = RuleContext {
                        node_attrs: Some(&n.attrs),
                        now: u.now,
                        rsc: Some((r.class.as_str(), r.provider.as_deref(), r.agent.as_str())),
                        params: Some(&r.params),
                        meta: Some(&r.meta),
                        op: None,
                    };
                    let rule_sub = substitute_caps(rule, &caps);
                    if eval_rule(rule_sub.as_ref().unwrap_or(rule), &ctx) {
                        let s = if let Some(sa) = rule.attr("score-attribute") {
                            n.attrs
                                .get(sa)
                                .map(|v| Score::parse(v))
                                .unwrap_or(Score::ZERO)
                        } else {
                            rule.attr("score").map(Score::parse).unwrap_or(Score::ZERO)
                        };
                        sc.push((ni, s));
                    }
                }
                u.locations.push(Location {
                    id: id.clone(),
                    rsc,
                    role: role_r,
                    scores: sc,
                    discovery: discovery.clone(),
                });
            }
            continue;
        }
        u.locations.push(Location {
            id: id.clone(),
            rsc,
            role,
            scores,
            discovery: discovery.clone(),
        });
    }
}

fn substitute_caps(rule: &Element, caps: &[String]) -> Option<Element> {
    if caps.is_empty() {
        return None;
    }
    let mut r = rule.clone();
    fn walk(e: &mut Element, caps: &[String]) {
        for (_, v) in e.attrs.iter_mut() {
            for (i, c) in caps.iter().enumerate() {
                *v = v.replace(&format!("%{i}"), c);
            }
        }
        for c in e.elements_mut() {
            walk(c, caps);
        }
    }
    walk(&mut r, caps);
    Some(r)
}

fn coloc_influence(u: &Unpacked, c: &Element, dependent: RscId) -> bool {
    // a value that is not a boolean counts as absent (crm_str_to_boolean)
    let given = c.attr("influence").and_then(parse_bool);
    match given {
        Some(v) => v,
        None => u.rscs[dependent]
            .meta
            .get("critical")
            .map(|v| is_true(v))
            .unwrap_or(true),
    }
}

fn unpack_colocation(
    u: &mut Unpacked,
    ids: &BTreeMap<&str, &Element>,
    tags: &BTreeMap<String, Vec<String>>,
    c: &Element,
) {
    let id = c.attr("id").unwrap_or("").to_string();
    let score = c.attr("score").map(Score::parse).unwrap_or(Score::ZERO);
    let node_attribute = c.attr("node-attribute").unwrap_or("#uname").to_string();
    let sets: Vec<&Element> = c
        .elements()
        .filter(|e| e.name == "resource_set")
        .map(|s| deref(ids, s))
        .collect();
    let drole = c.attr("rsc-role").and_then(Role::parse);
    let prole = c.attr("with-rsc-role").and_then(Role::parse);
    let mut sets: Vec<CSet> = sets
        .iter()
        .map(|set| CSet {
            members: set_members(u, ids, tags, set),
            role: set.attr("role").and_then(Role::parse),
            sequential: set.attr("sequential").map(is_true),
            score: set.attr("score").map(Score::parse),
            listed: set
                .attr("ordering")
                .is_some_and(|o| o.eq_ignore_ascii_case("listed")),
        })
        .collect();
    if sets.is_empty() {
        let (Some(dep_id), Some(prim_id)) = (c.attr("rsc"), c.attr("with-rsc")) else {
            return;
        };
        let (dep_tag, prim_tag) = (is_tag(u, tags, dep_id), is_tag(u, tags, prim_id));
        // a bundle with a bundle: each of the dependent's containers goes
        // with a replica of the primary (compatible_replica), at INFINITY
        // only where one is placed
        let bundles = dep_tag
            && prim_tag
            && crate::bundle::replicas(u, dep_id).is_some()
            && crate::bundle::replicas(u, prim_id).is_some();
        if dep_tag && prim_tag && !(bundles && score == Score::INF) {
            // "two templates or tags cannot be colocated" (finite scores
            // between bundles are not supported)
            return;
        }
        let bundle = if prim_tag && (!dep_tag || bundles) && score == Score::INF {
            crate::bundle::replicas(u, prim_id)
        } else {
            None
        };
        if let Some(reps) = bundle {
            // "X with bundle" at INFINITY (pcmk__bundle_apply_coloc_score):
            // X may run only where one of the bundle's containers is placed
            // (finite scores act on each container, as the set below does)
            for d in resolve(u, tags, dep_id) {
                let before = u.colocations.len();
                push_colocation(
                    u,
                    c,
                    &id,
                    &node_attribute,
                    d,
                    reps[0].0,
                    score,
                    drole,
                    prole,
                );
                if let Some(x) = u.colocations.get_mut(before) {
                    x.primary_replicas = reps.clone();
                    // a dependent bundle's containers do not pull the
                    // primary's (its influence is the bundle's own, flat
                    // preference)
                    if bundles {
                        x.influence = false;
                    }
                }
            }
            return;
        }
        if dep_tag || prim_tag {
            // a template/tag reference becomes a non-sequential set, and so
            // does the plain resource on the other side (a one-member set)
            let as_set = |id: &str, tag: bool, role: Option<Role>| CSet {
                members: resolve(u, tags, id),
                role,
                sequential: tag.then_some(false),
                score: None,
                listed: false,
            };
            sets = vec![
                as_set(dep_id, dep_tag, drole),
                as_set(prim_id, prim_tag, prole),
            ];
        } else {
            if score == Score::ZERO {
                return;
            }
            let deps = resolve(u, tags, dep_id);
            let prims = resolve(u, tags, prim_id);
            for &d in &deps {
                for &p in &prims {
                    push_colocation(u, c, &id, &node_attribute, d, p, score, drole, prole);
                }
            }
            return;
        }
    }
    // Pacemaker's unpack_colocation_set / colocate_rsc_sets
    for i in 0..sets.len() {
        let set = &sets[i];
        let s = set.score.unwrap_or(score);
        if s != Score::ZERO && set.sequential != Some(false) {
            let m = &set.members;
            if s.0 < 0 {
                // anti-colocate every member with every earlier one
                for a in 0..m.len() {
                    for b in 0..a {
                        push_colocation(
                            u,
                            c,
                            &id,
                            &node_attribute,
                            m[a],
                            m[b],
                            s,
                            set.role,
                            set.role,
                        );
                    }
                }
            } else {
                for w in m.windows(2) {
                    let (d, p) = if set.listed {
                        (w[0], w[1])
                    } else {
                        (w[1], w[0])
                    };
                    push_colocation(u, c, &id, &node_attribute, d, p, s, set.role, set.role);
                }
            }
        }
        if i == 0 || score == Score::ZERO {
            continue;
        }
        // between sets: the earlier set (its first member, if sequential)
        // depends on the later one (its last member, if sequential)
        let (s1, s2) = (&sets[i - 1], &sets[i]);
        let deps: Vec<RscId> = if s1.sequential != Some(false) {
            s1.members.first().copied().into_iter().collect()
        } else {
            s1.members.clone()
        };
        let prims: Vec<RscId> = if s2.sequential != Some(false) {
            s2.members.last().copied().into_iter().collect()
        } else {
            s2.members.clone()
        };
        let (r1, r2) = (s1.role, s2.role);
        for &d in &deps {
            for &p in &prims {
                push_colocation(u, c, &id, &node_attribute, d, p, score, r1, r2);
            }
        }
    }
}

/// A colocation resource set, resolved.
struct CSet {
    members: Vec<RscId>,
    role: Option<Role>,
    /// The explicit `sequential` attribute (absent counts as true).
    sequential: Option<bool>,
    score: Option<Score>,
    /// `ordering="listed"`: each member is the primary of the one before.
    listed: bool,
}

/// Whether a constraint reference names a tag or a template (not a resource).
fn is_tag(u: &Unpacked, tags: &BTreeMap<String, Vec<String>>, id: &str) -> bool {
    tags.contains_key(id)
        || (!u.rsc_by_id.contains_key(id)
            && u.rscs.iter().any(|r| r.template.as_deref() == Some(id)))
}

#[allow(clippy::too_many_arguments)]
fn push_colocation(
    u: &mut Unpacked,
    c: &Element,
    id: &str,
    node_attribute: &str,
    d: RscId,
    p: RscId,
    score: Score,
    drole: Option<Role>,
    prole: Option<Role>,
) {
    if d == p || score == Score::ZERO {
        return;
    }
    let influence = coloc_influence(u, c, d);
    u.colocations.push(Colocation {
        id: id.to_string(),
        dependent: d,
        primary: p,
        score,
        dependent_role: drole.filter(|r| *r != Role::Started),
        primary_role: prole.filter(|r| *r != Role::Started),
        node_attribute: node_attribute.to_string(),
        influence,
        primary_replicas: Vec::new(),
    });
}

fn unpack_order(
    u: &mut Unpacked,
    ids: &BTreeMap<&str, &Element>,
    tags: &BTreeMap<String, Vec<String>>,
    c: &Element,
) {
    let id = c.attr("id").unwrap_or("").to_string();
    let kind = match c.attr("kind").map(|k| k.to_ascii_lowercase()) {
        Some(k) if k == "optional" => OrderKind::Optional,
        Some(k) if k == "serialize" => OrderKind::Serialize,
        Some(_) => OrderKind::Mandatory,
        None => match c.attr("score") {
            Some(s) if Score::parse(s) == Score::ZERO => OrderKind::Optional,
            _ => OrderKind::Mandatory,
        },
    };
    // a Serialize order is never symmetrical
    let symmetrical =
        c.attr("symmetrical").map(is_true).unwrap_or(true) && kind != OrderKind::Serialize;
    let sets: Vec<&Element> = c
        .elements()
        .filter(|e| e.name == "resource_set")
        .map(|s| deref(ids, s))
        .collect();
    if sets.is_empty() {
        // a bundle named on either side is one order through its pseudo
        // actions, not one per container (its first container stands for it)
        // (a bundle id is a tag of its containers: only tags are looked up)
        let bundle_ref = |r: &str| {
            tags.contains_key(r)
                .then(|| crate::bundle::replicas(u, r))
                .flatten()
                .and_then(|reps| reps.first().map(|&(k, _)| (r.to_string(), k)))
        };
        let first_bundle = c.attr("first").and_then(bundle_ref);
        let then_bundle = c.attr("then").and_then(bundle_ref);
        // the resources named on one side (a bundle's first container)
        let side = |u: &Unpacked, attr: &str, bundle: &Option<(String, RscId)>| match bundle {
            Some((_, k)) => vec![*k],
            None => c
                .attr(attr)
                .map(|r| resolve(u, tags, r))
                .unwrap_or_default(),
        };
        let firsts = side(u, "first", &first_bundle);
        let thens = side(u, "then", &then_bundle);
        let fa = c.attr("first-action").unwrap_or("start").to_string();
        let ta = c
            .attr("then-action")
            .map(str::to_string)
            .unwrap_or(fa.clone());
        let clone_min = firsts
            .first()
            .filter(|_| first_bundle.is_none())
            .and_then(|&f| u.rscs[f].meta.get("clone-min"))
            .map(|v| Score::parse(v).0.max(0) as usize)
            .filter(|&m| m > 0)
            .or_else(|| {
                // require-all=false: one runnable instance of a clone suffices
                let clone_first = firsts
                    .first()
                    .is_some_and(|&f| u.rscs[f].kind == RscKind::Clone);
                (clone_first && c.attr("require-all").is_some_and(|v| !is_true(v))).then_some(1)
            });
        for &f in &firsts {
            for &t in &thens {
                u.orders.push(Order {
                    id: id.clone(),
                    first: f,
                    first_action: fa.clone(),
                    then: t,
                    then_action: ta.clone(),
                    kind,
                    symmetrical,
                    one_or_more: clone_min.map(|m| (format!("clone-one-or-more:{id}"), m)),
                    first_bundle: first_bundle.as_ref().map(|(b, _)| b.clone()),
                    then_bundle: then_bundle.as_ref().map(|(b, _)| b.clone()),
                });
            }
        }
        return;
    }
    let push = |u: &mut Unpacked,
                f: RscId,
                fa: &str,
                t: RscId,
                ta: &str,
                k: OrderKind,
                sym: bool,
                oom: Option<(String, usize)>| {
        if f == t {
            return;
        }
        u.orders.push(Order {
            id: id.clone(),
            first: f,
            first_action: fa.to_string(),
            then: t,
            then_action: ta.to_string(),
            kind: k,
            symmetrical: sym,
            one_or_more: oom,
            first_bundle: None,
            then_bundle: None,
        });
    };
    let mut prev: Option<(Vec<RscId>, String, Option<&str>, bool)> = None;
    let mut prev_id = String::new();
    for set in &sets {
        let members = set_members(u, ids, tags, set);
        let action = set.attr("action").unwrap_or("start").to_string();
        let sequential = set.attr("sequential").map(is_true).unwrap_or(true);
        let require_all = set.attr("require-all").map(is_true).unwrap_or(true);
        let skind = match set.attr("kind") {
            Some("Optional") => OrderKind::Optional,
            Some("Serialize") => OrderKind::Serialize,
            Some(_) => OrderKind::Mandatory,
            None => kind,
        };
        if skind == OrderKind::Serialize {
            // each member before every later one, never inverted
            for (i, &f) in members.iter().enumerate() {
                for &t in &members[i + 1..] {
                    push(u, f, &action, t, &action, skind, false, None);
                }
            }
        } else if sequential {
            for w in members.windows(2) {
                push(u, w[0], &action, w[1], &action, skind, symmetrical, None);
            }
        }
        if let Some((pm, pa, pseq_explicit, prev_require_all)) = &prev {
            let firsts: Vec<RscId> = if *pseq_explicit == Some("true") {
                pm.last().copied().into_iter().collect()
            } else {
                pm.clone()
            };
            let thens: Vec<RscId> = if set.attr("sequential") == Some("true") {
                members.first().copied().into_iter().collect()
            } else {
                members.clone()
            };
            let oom = if !*prev_require_all {
                Some((format!("one-or-more:{}", prev_id), 1usize))
            } else {
                None
            };
            for &f in &firsts {
                for &t in &thens {
                    push(u, f, pa, t, &action, kind, symmetrical, oom.clone());
                }
            }
        }
        prev = Some((members, action, set.attr("sequential"), require_all));
        prev_id = set.attr("id").unwrap_or("").to_string();
    }
}

fn unpack_ticket(
    u: &mut Unpacked,
    ids: &BTreeMap<&str, &Element>,
    tags: &BTreeMap<String, Vec<String>>,
    states: &BTreeMap<String, (bool, bool)>,
    c: &Element,
) {
    let ticket = c.attr("ticket").unwrap_or("");
    let (granted, standby) = states.get(ticket).copied().unwrap_or((false, false));
    let loss = c.attr("loss-policy").unwrap_or("stop").to_string();
    let mut rscs: Vec<(RscId, Option<Role>)> = Vec::new();
    if let Some(r) = c.attr("rsc") {
        let role = c.attr("rsc-role").and_then(Role::parse);
        for x in resolve(u, tags, r) {
            rscs.push((x, role));
        }
    }
    for set in c.elements().filter(|e| e.name == "resource_set") {
        let set = deref(ids, set);
        let role = set.attr("role").and_then(Role::parse);
        for x in set_members(u, ids, tags, set) {
            rscs.push((x, role));
        }
    }
    for (rsc, role) in rscs {
        u.tickets.push(Ticket {
            rsc,
            role,
            granted,
            standby,
            loss_policy: loss.clone(),
        });
    }
}

/// Minimal POSIX extended regex subset for `rsc-pattern` (anchors, `.`, `*`,
/// `+`, `?`, character classes, groups without alternation).
pub struct SimpleRegex {
    pat: Vec<char>,
}

impl SimpleRegex {
    pub fn new(p: &str) -> Option<SimpleRegex> {
        Some(SimpleRegex {
            pat: p.chars().collect(),
        })
    }

    /// Returns the whole match and capture groups if the pattern matches
    /// somewhere in `s`.
    pub fn captures(&self, s: &str) -> Option<Vec<String>> {
        let text: Vec<char> = s.chars().collect();
        let anchored = self.pat.first() == Some(&'^');
        let pat: &[char] = if anchored { &self.pat[1..] } else { &self.pat };
        let starts: Vec<usize> = if anchored {
            vec![0]
        } else {
            (0..=text.len()).collect()
        };
        for st in starts {
            let mut caps = Vec::new();
            if let Some(end) = match_here(pat, &text, st, &mut caps) {
                let mut out = vec![text[st..end].iter().collect::<String>()];
                out.extend(
                    caps.into_iter()
                        .map(|(a, b)| text[a..b].iter().collect::<String>()),
                );
                return Some(out);
            }
        }
        None
    }
}

fn atom_len(p: &[char]) -> usize {
    match p.first() {
        Some('\\') => 2.min(p.len()),
        Some('[') => {
            let mut i = 1;
            if p.get(i) == Some(&'^') {
                i += 1;
            }
            if p.get(i) == Some(&']') {
                i += 1;
            }
            while i < p.len() && p[i] != ']' {
                i += 1;
            }
            (i + 1).min(p.len())
        }
        Some(_) => 1,
        None => 0,
    }
}

fn atom_matches(a: &[char], c: char) -> bool {
    match a.first() {
        Some('.') => true,
        Some('\\') => a.get(1) == Some(&c),
        Some('[') => {
            let mut i = 1;
            let neg = a.get(1) == Some(&'^');
            if neg {
                i += 1;
            }
            let end = a.len() - 1;
            let mut found = false;
            while i < end {
                if i + 2 < end && a[i + 1] == '-' {
                    if c >= a[i] && c <= a[i + 2] {
                        found = true;
                    }
                    i += 3;
                } else {
                    if a[i] == c {
                        found = true;
                    }
                    i += 1;
                }
            }
            found != neg
        }
        Some(x) => *x == c,
        None => false,
    }
}

fn match_here(p: &[char], t: &[char], i: usize, caps: &mut Vec<(usize, usize)>) -> Option<usize> {
    if p.is_empty() {
        return Some(i);
    }
    if p == ['$'] {
        return if i == t.len() { Some(i) } else { None };
    }
    if p[0] == '(' {
        // find matching ')'
        let mut depth = 0;
        let mut j = 0;
        while j < p.len() {
            match p[j] {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        let inner = &p[1..j.min(p.len())];
        let rest = if j < p.len() { &p[j + 1..] } else { &[][..] };
        let slot = caps.len();
        caps.push((i, i));
        // try every end position for the group, longest first
        for end in (i..=t.len()).rev() {
            let mut inner_caps = Vec::new();
            if match_here(inner, &t[..end], i, &mut inner_caps) == Some(end) {
                caps[slot] = (i, end);
                let save = caps.len();
                caps.extend(inner_caps);
                if let Some(e) = match_here(rest, t, end, caps) {
                    return Some(e);
                }
                caps.truncate(save);
            }
        }
        caps.truncate(slot);
        return None;
    }
    let al = atom_len(p);
    let atom = &p[..al];
    let rest = &p[al..];
    match rest.first() {
        Some('*') | Some('+') | Some('?') => {
            let q = rest[0];
            let rest = &rest[1..];
            let mut n = 0;
            while i + n < t.len() && atom_matches(atom, t[i + n]) && (q != '?' || n < 1) {
                n += 1;
            }
            let min = if q == '+' { 1 } else { 0 };
            let mut k = n as isize;
            while k >= min as isize {
                if let Some(e) = match_here(rest, t, i + k as usize, caps) {
                    return Some(e);
                }
                k -= 1;
            }
            None
        }
        _ => {
            if i < t.len() && atom_matches(atom, t[i]) {
                match_here(rest, t, i + 1, caps)
            } else {
                None
            }
        }
    }
}

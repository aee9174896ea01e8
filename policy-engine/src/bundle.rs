//! Bundles (part of stage 1): Pacemaker's `<bundle>` is expanded, before
//! anything else is unpacked, into the resources Pacemaker generates for it
//! (`pe__unpack_bundle`), so every later stage sees ordinary primitives,
//! guest nodes and a clone:
//!
//! - per replica `i` (`replicas`, default `promoted-max`, else 1): an optional `B-ip-ADDR`
//!   `ocf:heartbeat:IPaddr2` (address = `ip-range-start` + i), colocated
//!   with and started before the container `B-docker-i` (`B-podman-i`,
//!   `B-rkt-i`: `ocf:heartbeat:docker|podman|rkt`), and, when the bundle has
//!   an inner primitive, the implicit `ocf:pacemaker:remote` connection `B-i`
//!   contained in the container, which makes guest node `B-i`;
//! - the inner primitive becomes the anonymous, ordered clone `B-clone`
//!   (`B-master` when promotable; `clone-max` = replicas, promotable with
//!   `promoted-max`, globally unique when `replicas-per-host` is above 1,
//!   notifying when the primitive says `notify=true`)
//!   whose instance `rsc:i` may only run on guest node `B-i`
//!   ([`pin_instances`]); its
//!   history on `B-i` belongs to that instance ([`history_instance`]);
//! - containers may run on remote nodes (then the replica's connection runs
//!   with that node's connection), never on guest nodes;
//! - constraints naming the bundle apply to its containers: the bundle id
//!   becomes a tag of them; a location for the promoted or unpromoted role
//!   applies to the inner clone instead; "X with bundle" at INFINITY lets X
//!   run only where a container is placed ([`replicas`] are kept on the
//!   colocation), and X's preferences influence each container as it is
//!   placed; a bundle with a bundle at INFINITY puts each dependent
//!   container where a primary container is (without influence back);
//! - containers are placed like clone instances: those that may stay on
//!   their node first, preferring it (`order_containers`), then the rest,
//!   one per node unless `replicas-per-host` is above 1.
//!
//! The bundle's meta attributes are copied to everything generated.
//!
//! The bundle itself is no resource here, but it has its own pseudo actions
//! (part of stage 4, [`create_actions`], [`graph_orderings`]), keyed by its
//! id ([`action_key`]) and carrying it in `Action::bundle`:
//!
//! ```text
//! B_start   -> each container's start, B-clone_start
//! B_stop    -> each container's stop, each instance's stop, B-clone_stop
//! container start, B-clone_running -> B_running
//! container stop,  B-clone_stopped -> B_stopped
//! B_promote -> B-master_promote, B-master_promoted -> B_promoted (and
//! demote alike), with a promotable clone's own brackets between them
//! ```
//!
//! An ordering naming the bundle acts through them: as its first side the
//! bundle's done action (`B_running` for start, ...), judged by its
//! containers (or, for promote and demote, its inner instances); as its then
//! side the bundle's action, and each container's matching action without
//! a graph edge (Pacemaker's `pcmk__multi_update_actions`).

use std::collections::BTreeMap;

use cib::xml::{Element, Node};

use crate::model::{NodeId, Role, RscId};
use crate::score::Score;
use crate::unpack::{Location, RscKind, Unpacked};

/// Meta attribute marking the clone generated for a bundle's inner
/// primitive; its value is the bundle id.
pub const BUNDLE_META: &str = "internal-bundle";
/// Meta attribute marking a bundle's containers (unlike guest nodes'
/// containers they may run on remote nodes); its value is the bundle id.
pub const CONTAINER_META: &str = "internal-bundle-container";

/// Meta attribute marking every resource generated for a bundle (ip,
/// container, connection, inner clone); its value is the bundle id.
pub const MEMBER_META: &str = "internal-bundle-member";

/// A bundle connection's `addr` without an ip range: the name of the node
/// its container runs on (digests are computed with it filled in).
pub const REMOTE_ADDR_HOST: &str = "#uname";

/// The CIB with every `<bundle>` expanded, or `None` when there is none.
pub fn expand(root: &Element) -> Option<Element> {
    let rs = root.child("configuration")?.child("resources")?;
    if !rs.elements().any(|e| e.name == "bundle") {
        return None;
    }
    let mut out = root.clone();
    let conf = out.child_mut("configuration")?;
    let mut tags = Vec::new();
    let mut extra_cons = Vec::new();
    // bundles with an inner primitive, with the id of their inner clone
    let mut with_inner: Vec<(String, String)> = Vec::new();
    {
        let rs = conf.child_mut("resources")?;
        let old = std::mem::take(&mut rs.children);
        for n in old {
            match n {
                Node::Element(e) if e.name == "bundle" => {
                    let (rscs, tag, cons) = expand_one(&e);
                    if let Some(inner) = rscs.iter().find(|x| x.name == "clone") {
                        with_inner.push((
                            e.attr("id").unwrap_or("").to_string(),
                            inner.attr("id").unwrap_or("").to_string(),
                        ));
                    }
                    rs.children.extend(rscs.into_iter().map(Node::Element));
                    tags.push(tag);
                    extra_cons.extend(cons);
                }
                other => rs.children.push(other),
            }
        }
    }
    if conf.child("tags").is_none() {
        conf.push(Element::new("tags"));
    }
    let t = conf.child_mut("tags")?;
    for tag in tags {
        t.push(tag);
    }
    if conf.child("constraints").is_none() {
        conf.push(Element::new("constraints"));
    }
    let c = conf.child_mut("constraints")?;
    // a location for a bundle's promoted or unpromoted role applies to its
    // inner clone (the containers only ever run in the started role)
    for x in c.children.iter_mut() {
        let Node::Element(e) = x else { continue };
        if e.name != "rsc_location"
            || !e
                .attr("role")
                .is_some_and(|r| matches!(r, "Promoted" | "Master" | "Unpromoted" | "Slave"))
        {
            continue;
        }
        let Some((_, inner)) = e
            .attr("rsc")
            .and_then(|b| with_inner.iter().find(|(x, _)| x == b))
        else {
            continue;
        };
        e.set_attr("rsc", inner.clone());
    }
    for x in extra_cons {
        c.push(x);
    }
    Some(out)
}

fn nvpair(owner: &str, k: &str, v: &str) -> Element {
    Element::new("nvpair")
        .with_attr("id", format!("{owner}-{k}"))
        .with_attr("name", k)
        .with_attr("value", v)
}

/// An operation; without a timeout `op_defaults` (else 20s) apply.
fn op(owner: &str, task: &str, interval: &str, timeout: Option<&str>) -> Element {
    let e = Element::new("op")
        .with_attr("id", format!("{owner}-{task}-interval-{interval}"))
        .with_attr("name", task)
        .with_attr("interval", interval);
    match timeout {
        Some(t) => e.with_attr("timeout", t),
        None => e,
    }
}

/// IPv4 `start` + `i`, or `None` when `start` is not an IPv4 address.
fn ip_add(start: &str, i: usize) -> Option<String> {
    let a: std::net::Ipv4Addr = start.parse().ok()?;
    let v = u32::from(a).checked_add(i as u32)?;
    Some(std::net::Ipv4Addr::from(v).to_string())
}

/// One bundle: its generated resources (in Pacemaker's order: per replica ip,
/// container, connection; then the inner clone), the tag standing for it,
/// and the internal constraints between the generated resources.
fn expand_one(b: &Element) -> (Vec<Element>, Element, Vec<Element>) {
    let bid = b.attr("id").unwrap_or("").to_string();
    let mut meta: Vec<(String, String)> = Vec::new();
    for ms in b.elements().filter(|e| e.name == "meta_attributes") {
        for nv in ms.elements().filter(|e| e.name == "nvpair") {
            if let (Some(n), Some(v)) = (nv.attr("name"), nv.attr("value")) {
                meta.push((n.to_string(), v.to_string()));
            }
        }
    }
    let (kind, ct) = ["docker", "podman", "rkt"]
        .iter()
        .find_map(|k| b.child(k).map(|c| (*k, c)))
        .unwrap_or(("docker", b));
    let promoted_max = ct
        .attr("promoted-max")
        .or_else(|| ct.attr("masters"))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    // replicas defaults to promoted-max, else 1
    let replicas = ct
        .attr("replicas")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(promoted_max.max(1));
    let per_host = ct
        .attr("replicas-per-host")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1);
    let net = b.child("network");
    let ip_start = net.and_then(|n| n.attr("ip-range-start"));
    let inner = b.elements().find(|e| e.name == "primitive");
    let with_meta = |owner: &str, extra: &[(&str, &str)]| {
        let mut m = Element::new("meta_attributes").with_attr("id", format!("{owner}-meta"));
        for (k, v) in &meta {
            m.push(nvpair(owner, k, v));
        }
        for (k, v) in extra {
            m.push(nvpair(owner, k, v));
        }
        m.push(nvpair(owner, MEMBER_META, &bid));
        m
    };
    let mut rscs = Vec::new();
    let mut cons = Vec::new();
    let mut tag = Element::new("tag").with_attr("id", bid.as_str());
    let mut containers = Vec::new();
    for i in 0..replicas {
        let cid = format!("{bid}-{kind}-{i}");
        let addr = ip_start.and_then(|s| ip_add(s, i));
        if let Some(a) = &addr {
            let id = format!("{bid}-ip-{a}");
            let mut ia = Element::new("instance_attributes")
                .with_attr("id", format!("{id}-instance_attributes"))
                .with_child(nvpair(&id, "ip", a));
            if let Some(v) = net.and_then(|n| n.attr("host-interface")) {
                ia.push(nvpair(&id, "nic", v));
            }
            // a single address unless the network says otherwise
            let mask = net.and_then(|n| n.attr("host-netmask")).unwrap_or("32");
            ia.push(nvpair(&id, "cidr_netmask", mask));
            rscs.push(
                Element::new("primitive")
                    .with_attr("id", id.as_str())
                    .with_attr("class", "ocf")
                    .with_attr("provider", "heartbeat")
                    .with_attr("type", "IPaddr2")
                    .with_child(ia)
                    .with_child(with_meta(&id, &[]))
                    .with_child(
                        Element::new("operations").with_child(op(&id, "monitor", "60s", None)),
                    ),
            );
            cons.push(
                Element::new("rsc_colocation")
                    .with_attr("id", format!("{id}-with-{cid}"))
                    .with_attr("rsc", id.as_str())
                    .with_attr("with-rsc", cid.as_str())
                    .with_attr("score", "INFINITY"),
            );
            cons.push(
                Element::new("rsc_order")
                    .with_attr("id", format!("{id}-before-{cid}"))
                    .with_attr("first", id.as_str())
                    .with_attr("then", cid.as_str())
                    .with_attr("kind", "Mandatory"),
            );
        }
        let params = container_params(b, kind, ct, &bid, i, replicas, inner.is_some());
        let mut ia =
            Element::new("instance_attributes").with_attr("id", format!("{bid}-attributes-{i}"));
        for (k, v) in &params {
            ia.push(nvpair(&cid, k, v));
        }
        rscs.push(
            Element::new("primitive")
                .with_attr("id", cid.as_str())
                .with_child(ia)
                .with_attr("class", "ocf")
                .with_attr("provider", "heartbeat")
                .with_attr("type", kind)
                .with_child(with_meta(&cid, &[(CONTAINER_META, &bid)]))
                .with_child(
                    Element::new("operations").with_child(op(&cid, "monitor", "60s", None)),
                ),
        );
        tag.push(Element::new("obj_ref").with_attr("id", cid.as_str()));
        containers.push(cid.clone());
        if inner.is_some() {
            let id = format!("{bid}-{i}");
            let port = net
                .and_then(|n| n.attr("control-port"))
                .unwrap_or("3121")
                .to_string();
            // without an ip the address is the host's name, filled in per node
            let host = addr.clone().unwrap_or_else(|| REMOTE_ADDR_HOST.to_string());
            rscs.push(
                Element::new("primitive")
                    .with_attr("id", id.as_str())
                    .with_attr("class", "ocf")
                    .with_attr("provider", "pacemaker")
                    .with_attr("type", "remote")
                    .with_child(
                        Element::new("instance_attributes")
                            .with_attr("id", format!("{id}-instance_attributes"))
                            .with_child(nvpair(&id, "addr", &host))
                            .with_child(nvpair(&id, "port", &port)),
                    )
                    .with_child(with_meta(&id, &[("container", &cid)]))
                    .with_child(Element::new("operations").with_child(op(
                        &id,
                        "monitor",
                        "30s",
                        Some("30s"),
                    ))),
            );
        }
    }
    // replicas-per-host: containers of one bundle spread over the nodes
    if per_host == 1 {
        for (a, x) in containers.iter().enumerate() {
            for y in &containers[..a] {
                cons.push(
                    Element::new("rsc_colocation")
                        .with_attr("id", format!("{x}-not-with-{y}"))
                        .with_attr("rsc", x.as_str())
                        .with_attr("with-rsc", y.as_str())
                        .with_attr("score", "-INFINITY"),
                );
            }
        }
    }
    if let Some(p) = inner {
        // Pacemaker names a promotable bundle's inner clone `B-master`
        let id = if promoted_max > 0 {
            format!("{bid}-master")
        } else {
            format!("{bid}-clone")
        };
        let r = replicas.to_string();
        let ph = per_host.to_string();
        let pm = promoted_max.to_string();
        let mut extra: Vec<(&str, &str)> = vec![
            ("clone-max", &r),
            ("clone-node-max", &ph),
            // several replicas on one host make the instances unique
            (
                "globally-unique",
                if per_host > 1 { "true" } else { "false" },
            ),
            (BUNDLE_META, &bid),
            // its instances start one after another (pe__unpack_bundle)
            ("ordered", "true"),
        ];
        // the inner primitive's `notify` makes its clone notify (the
        // generated clone has no meta attributes of its own to say so)
        let notify = p
            .elements()
            .filter(|e| e.name == "meta_attributes")
            .flat_map(|m| m.elements().filter(|e| e.name == "nvpair"))
            .find(|nv| nv.attr("name") == Some("notify"))
            .and_then(|nv| nv.attr("value"))
            .map(str::to_string);
        if let Some(v) = &notify {
            extra.push(("notify", v));
        }
        if promoted_max > 0 {
            extra.push(("promotable", "true"));
            extra.push(("promoted-max", &pm));
            extra.push(("promoted-node-max", "1"));
        }
        rscs.push(
            Element::new("clone")
                .with_attr("id", id.as_str())
                .with_child(with_meta(&id, &extra))
                .with_child(p.clone()),
        );
    }
    (rscs, tag, cons)
}

/// The container's parameters as Pacemaker generates them (so that digests
/// of its history match): image, pull/kill/reuse flags, the launcher's run
/// options (hostname when there is an ip range, stderr, network, control
/// port, storage mappings then, with an inner primitive, the remote key and
/// the per-replica log directory, port mappings (with an inner primitive,
/// the control port last), user options, then the
/// host entries of every replica's address, after a space even when there
/// are none), the per-replica mount points, the run and monitor commands.
fn container_params(
    b: &Element,
    kind: &str,
    ct: &Element,
    bid: &str,
    i: usize,
    replicas: usize,
    has_child: bool,
) -> Vec<(String, String)> {
    let net = b.child("network");
    let rkt = kind == "rkt";
    let ip_start = net.and_then(|n| n.attr("ip-range-start"));
    let addr = ip_start.and_then(|s| ip_add(s, i));
    let mut mounts: Vec<(String, String, Option<String>, bool)> = Vec::new();
    if let Some(st) = b.child("storage") {
        for m in st.elements().filter(|e| e.name == "storage-mapping") {
            let (src, sub) = match (m.attr("source-dir"), m.attr("source-dir-root")) {
                (Some(s), _) => (s, false),
                (None, Some(s)) => (s, true),
                _ => continue,
            };
            let Some(t) = m.attr("target-dir") else {
                continue;
            };
            mounts.push((src.into(), t.into(), m.attr("options").map(Into::into), sub));
        }
    }
    if has_child {
        let key = "/etc/pacemaker/authkey";
        mounts.push((key.into(), key.into(), None, false));
        mounts.push((
            "/var/log/pacemaker/bundles".into(),
            "/var/log".into(),
            None,
            true,
        ));
    }
    let mut run = String::new();
    let mut points = Vec::new();
    if kind == "docker" {
        run.push_str(" --restart=no");
    }
    if ip_start.is_some() {
        if rkt {
            run.push_str(&format!(" --hostname={bid}-{i}"));
        } else {
            run.push_str(&format!(" -h {bid}-{i}"));
        }
    }
    let env = if rkt { " --environment=" } else { " -e " };
    run.push_str(&format!("{env}PCMK_stderr=1"));
    let network = ct.attr("network");
    if let Some(n) = network {
        run.push_str(&format!(" --net={n}"));
    }
    let port = net.and_then(|n| n.attr("control-port")).unwrap_or("3121");
    run.push_str(&format!("{env}PCMK_remote_port={port}"));
    for (k, (src, tgt, opts, sub)) in mounts.iter().enumerate() {
        let src = if *sub {
            let s = format!("{src}/{bid}-{i}");
            points.push(s.clone());
            s
        } else {
            src.clone()
        };
        if rkt {
            run.push_str(&format!(" --volume vol{k},kind=host,source={src}"));
            if let Some(o) = opts {
                run.push_str(&format!(",{o}"));
            }
            run.push_str(&format!(" --mount volume=vol{k},target={tgt}"));
        } else {
            run.push_str(&format!(" -v {src}:{tgt}"));
            if let Some(o) = opts {
                run.push_str(&format!(":{o}"));
            }
        }
    }
    // the configured port mappings, then (with an inner primitive) the
    // control port
    let mut ports: Vec<(&str, &str)> = net
        .into_iter()
        .flat_map(|n| n.elements().filter(|e| e.name == "port-mapping"))
        .filter_map(|pm| {
            let p = pm.attr("port").filter(|p| !p.is_empty())?;
            Some((p, pm.attr("internal-port").unwrap_or(p)))
        })
        .collect();
    if has_child {
        ports.push((port, port));
    }
    for (p, inner) in ports {
        if let Some(a) = &addr {
            run.push_str(&format!(" -p {a}:{p}:{inner}"));
        } else if !network.is_some_and(|n| n.eq_ignore_ascii_case("host")) {
            run.push_str(&format!(" -p {p}:{inner}"));
        }
    }
    if let Some(o) = ct.attr("options") {
        run.push_str(&format!(" {o}"));
    }
    let add_host = net
        .and_then(|n| n.attr("add-host"))
        .is_none_or(crate::unpack::is_true);
    run.push(' ');
    if add_host && !rkt {
        for r in 0..replicas {
            if let Some(a) = ip_start.and_then(|s| ip_add(s, r)) {
                run.push_str(&format!(" --add-host={bid}-{r}:{a}"));
            }
        }
    }
    let mut out: Vec<(String, String)> = vec![
        ("image".into(), ct.attr("image").unwrap_or("").into()),
        ("allow_pull".into(), "true".into()),
        ("force_kill".into(), "false".into()),
        ("reuse".into(), "false".into()),
        ("run_opts".into(), run),
        ("mount_points".into(), points.join(",")),
    ];
    match (ct.attr("run-command"), has_child) {
        (Some(c), _) => out.push(("run_cmd".into(), c.into())),
        (None, true) => out.push(("run_cmd".into(), "/usr/sbin/pacemaker-remoted".into())),
        (None, false) => {}
    }
    out.push(("monitor_cmd".into(), "/bin/true".into()));
    out
}

/// The replicas of bundle `bid`, in replica order: each container with the
/// inner clone's instance running in it (if the bundle has an inner
/// primitive); `None` when `bid` is not a bundle.
pub fn replicas(u: &Unpacked, bid: &str) -> Option<Vec<(RscId, Option<RscId>)>> {
    let containers: Vec<RscId> = (0..u.rscs.len())
        .filter(|&r| u.rscs[r].meta.get(CONTAINER_META).map(String::as_str) == Some(bid))
        .collect();
    if containers.is_empty() {
        return None;
    }
    let clone = (0..u.rscs.len()).find(|&c| bundle_of(u, c) == Some(bid));
    Some(
        containers
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let inner = clone.and_then(|cl| {
                    u.rscs[cl]
                        .children
                        .iter()
                        .copied()
                        .find(|&x| u.rscs[x].instance == Some(i))
                });
                (c, inner)
            })
            .collect(),
    )
}

/// The bundle a resource was generated for.
pub fn member_of(u: &Unpacked, r: RscId) -> Option<&str> {
    u.rscs[r].meta.get(MEMBER_META).map(String::as_str)
}

/// The guest node of the replica a bundle's inner instance belongs to.
pub fn instance_guest(u: &Unpacked, inst: RscId) -> Option<NodeId> {
    let clone = u.rscs[inst].parent?;
    let bid = bundle_of(u, clone)?;
    replica_node(u, bid, u.rscs[inst].instance?)
}

/// The bundle a clone was generated for.
fn bundle_of(u: &Unpacked, clone: RscId) -> Option<&str> {
    let r = &u.rscs[clone];
    if r.kind != RscKind::Clone {
        return None;
    }
    r.meta.get(BUNDLE_META).map(String::as_str)
}

/// The guest node of replica `i` of bundle `bid`.
fn replica_node(u: &Unpacked, bid: &str, i: usize) -> Option<NodeId> {
    let name = format!("{bid}-{i}");
    u.nodes.iter().position(|n| n.uname == name)
}

/// History of a bundle's inner resource on guest node `nid` belongs to the
/// instance of that replica.
pub fn history_instance(u: &Unpacked, clone: RscId, nid: NodeId) -> Option<RscId> {
    let bid = bundle_of(u, clone)?;
    u.rscs[clone].children.iter().copied().find(|&c| {
        u.rscs[c]
            .instance
            .is_some_and(|i| replica_node(u, bid, i) == Some(nid))
    })
}

/// A bundle's containers are placed like clone instances: those that can
/// stay where they run are placed first (the one whose node the bundle's
/// dependents prefer most first, else in replica order), then the rest.
/// The containers' mutual -INFINITY anti-colocations are turned so that
/// each container avoids only the ones placed before it.
pub fn order_containers(u: &mut Unpacked, tables: &[crate::model::Table]) {
    let is_c = |u: &Unpacked, r: RscId| u.rscs[r].meta.contains_key(CONTAINER_META);
    let loc = |u: &Unpacked, r: RscId, n: NodeId| {
        u.locations
            .iter()
            .filter(|l| l.rsc == r && matches!(l.role, None | Some(Role::Started)))
            .flat_map(|l| l.scores.iter())
            .filter(|(m, _)| *m == n)
            .fold(Score::ZERO, |a, (_, s)| a.add(*s))
    };
    let stays = |u: &Unpacked, r: RscId| {
        let on = &u.rscs[r].running_on;
        if on.len() != 1 || !u.nodes[on[0]].available() {
            return false;
        }
        // the container's own location scores still allow its node, and so
        // do those of what it must be colocated with
        let n = on[0];
        loc(u, r, n) >= Score::ZERO
            && !u.colocations.iter().any(|c| {
                c.dependent == r
                    && c.score == Score::INF
                    && c.primary_role.is_none()
                    && loc(u, c.primary, n) == Score::NEG_INF
            })
    };
    // among those that stay, the one whose node what is colocated with the
    // bundle prefers most goes first (pcmk__cmp_instance: colocation score
    // on the current node)
    let pull = |u: &Unpacked, r: RscId| {
        let Some(&n) = u.rscs[r].running_on.first() else {
            return Score::ZERO;
        };
        u.colocations
            .iter()
            .filter(|c| c.influence && c.primary_replicas.iter().any(|&(k, _)| k == r))
            .fold(Score::ZERO, |a, c| {
                let w = tables[c.dependent]
                    .get(&n)
                    .copied()
                    .unwrap_or(Score::NEG_INF);
                let f = c.score.0 as f64 / crate::score::INFINITY as f64;
                a.add(Score((w.0 as f64 * f).round() as i64))
            })
    };
    let rank = |u: &Unpacked, r: RscId| (stays(u, r), pull(u, r));
    for k in 0..u.colocations.len() {
        let c = &u.colocations[k];
        if c.score != Score::NEG_INF
            || !is_c(u, c.dependent)
            || !is_c(u, c.primary)
            || c.id
                != format!(
                    "{}-not-with-{}",
                    u.rscs[c.dependent].id, u.rscs[c.primary].id
                )
        {
            continue;
        }
        // generated with the later replica as dependent
        let (d, p) = (c.dependent, c.primary);
        if rank(u, d) > rank(u, p) {
            let c = &mut u.colocations[k];
            c.dependent = p;
            c.primary = d;
        }
    }
}

/// Instance `i` of a bundle's inner clone may only run on guest node `B-i`.
pub fn pin_instances(u: &mut Unpacked) {
    let mut locs = Vec::new();
    for c in 0..u.rscs.len() {
        let Some(bid) = bundle_of(u, c) else { continue };
        let by_node: BTreeMap<usize, Option<NodeId>> = u.rscs[c]
            .children
            .iter()
            .filter_map(|&x| u.rscs[x].instance)
            .map(|i| (i, replica_node(u, bid, i)))
            .collect();
        for &x in &u.rscs[c].children {
            let Some(i) = u.rscs[x].instance else {
                continue;
            };
            let g = by_node.get(&i).copied().flatten();
            let scores = (0..u.nodes.len())
                .filter(|&n| Some(n) != g)
                .map(|n| (n, Score::NEG_INF))
                .collect();
            locs.push(Location {
                id: "bundle-replica".into(),
                rsc: x,
                role: None,
                scores,
                discovery: None,
            });
        }
    }
    u.locations.extend(locs);
}

/// A bundle's guest nodes are reserved for its own inner instances
/// (Pacemaker creates them with weight -INFINITY and gives each replica's
/// instance its node at 0): every other resource gets -INFINITY there.
pub fn reserve_guest_nodes(u: &Unpacked, tables: &mut [crate::model::Table]) {
    for c in 0..u.rscs.len() {
        let Some(bid) = bundle_of(u, c) else { continue };
        for &x in &u.rscs[c].children {
            let Some(i) = u.rscs[x].instance else {
                continue;
            };
            let Some(g) = replica_node(u, bid, i) else {
                continue;
            };
            let mut own = Vec::new();
            crate::unpack::leaves(&u.rscs, x, &mut own);
            own.push(x);
            own.push(c);
            for (ri, t) in tables.iter_mut().enumerate() {
                if own.contains(&ri) {
                    t.insert(g, Score::ZERO);
                } else {
                    t.insert(g, Score::NEG_INF);
                }
            }
        }
    }
}

/// Every bundle's id, in configuration order.
pub fn ids(u: &Unpacked) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &u.rscs {
        if let Some(b) = r.meta.get(CONTAINER_META) {
            if !out.contains(b) {
                out.push(b.clone());
            }
        }
    }
    out
}

/// The inner clone of bundle `bid`, if it has an inner primitive.
pub fn inner_clone(u: &Unpacked, bid: &str) -> Option<RscId> {
    (0..u.rscs.len()).find(|&c| bundle_of(u, c) == Some(bid))
}

/// The key of bundle `bid`'s own pseudo action `task` (the bundle is no
/// resource of ours, so its actions have none: they carry its id instead).
pub fn action_key(bid: &str, task: &str) -> (Option<RscId>, String, Option<NodeId>) {
    (None, format!("{bid}_{task}_0"), None)
}

/// A bundle's own pseudo actions and the orderings that give them their
/// flags (Pacemaker's `pcmk__bundle_create_actions`,
/// `pcmk__bundle_internal_constraints` and `pcmk__bundle_action_flags`).
///
/// `B_start`, `B_running`, `B_stop`, `B_stopped` are made as a clone's are
/// from its instances, with the containers as instances: required when a
/// container is starting (stopping) when they are made. Promotable inner
/// clones add `B_promote`, `B_promoted`, `B_demote`, `B_demoted`, optional.
///
/// As the first side of an ordering a bundle's action is judged by its
/// replicas: `B_running` (`B_stopped`) is required when a container's start
/// (stop) is, and runnable while one is; `B_promoted` (`B_demoted`) likewise
/// by the inner instances' promotes (demotes), and not runnable when none
/// has any. Those links carry flags only: the graph edges Pacemaker draws
/// (from the inner clone's own pseudo actions) are added by
/// [`graph_orderings`].
pub(crate) fn create_actions(b: &mut crate::actions::B) {
    use crate::actions::flags;
    let u = b.u();
    for bid in ids(u) {
        let Some(reps) = replicas(u, &bid) else {
            continue;
        };
        let containers: Vec<RscId> = reps.iter().map(|&(k, _)| k).collect();
        let required = |b: &crate::actions::B, task: &str, stop: bool| {
            containers.iter().any(|&k| {
                b.find_all(k, task).iter().any(|&x| {
                    let a = &b.actions[x];
                    !a.optional && a.node.is_some() && (a.runnable || (stop && a.pseudo))
                })
            })
        };
        let starting = required(b, "start", false);
        let stopping = required(b, "stop", true);
        let mut tasks = vec![
            ("start", !starting),
            ("running", !starting),
            ("stop", !stopping),
            ("stopped", !stopping),
        ];
        let promotable = inner_clone(u, &bid).is_some_and(|c| u.rscs[c].promotable);
        if promotable {
            for t in ["promote", "promoted", "demote", "demoted"] {
                tasks.push((t, true));
            }
        }
        for (task, optional) in tasks {
            let key = action_key(&bid, task);
            if b.by_key.contains_key(&key) {
                continue;
            }
            b.actions.push(crate::actions::Action {
                task: task.to_string(),
                pseudo: true,
                optional,
                runnable: true,
                bundle: Some(bid.clone()),
                ..Default::default()
            });
            b.by_key.insert(key, b.actions.len() - 1);
        }
        let act = |b: &crate::actions::B, t: &str| b.by_key[&action_key(&bid, t)];
        let link = flags::IMPLIES_THEN | flags::ONE_OR_MORE | flags::INTERNAL;
        for (task, done) in [("start", "running"), ("stop", "stopped")] {
            let d = act(b, done);
            b.actions[d].one_or_more = Some(1);
            for &k in &containers {
                for x in b.find_all(k, task) {
                    b.order(x, d, link);
                }
            }
        }
        if promotable {
            let insts: Vec<RscId> = reps.iter().filter_map(|&(_, i)| i).collect();
            for (task, done) in [("promote", "promoted"), ("demote", "demoted")] {
                let d = act(b, done);
                b.actions[d].one_or_more = Some(1);
                let mut any = false;
                for &i in &insts {
                    for x in b.find_all(i, task) {
                        if b.actions[x].node.is_some() {
                            any = true;
                        }
                        b.order(x, d, link | flags::NO_EDGE);
                    }
                }
                // no replica does it: nothing to wait for, nothing runnable
                if !any {
                    b.actions[d].runnable = false;
                }
            }
        }
    }
}

/// The graph edges of bundles' pseudo actions (Pacemaker's
/// `pcmk__bundle_internal_constraints`, `pcmk__promotable_restart_ordering`),
/// and which of them are shown although optional: `B_start` (`B_stop`,
/// `B_promote`, `B_demote`) when what it precedes is required, `B_running`
/// (`B_stopped`, `B_promoted`, `B_demoted`) when what precedes it is. A
/// container's probes precede `B_stopped` (the "stop then" ordering that
/// names it).
pub(crate) fn graph_orderings(b: &mut crate::actions::B, probes: &[crate::actions::ActionId]) {
    use crate::actions::{flags, ActionId};
    let g = flags::GRAPH_ONLY | flags::OPTIONAL;
    let u = b.u();
    for bid in ids(u) {
        let Some(reps) = replicas(u, &bid) else {
            continue;
        };
        let inner = inner_clone(u, &bid);
        let act = |b: &crate::actions::B, t: &str| b.by_key.get(&action_key(&bid, t)).copied();
        let clone_act = |b: &crate::actions::B, t: &str| {
            inner.and_then(|c| b.by_key.get(&(Some(c), t.to_string(), None)).copied())
        };
        // (first, then) pairs; `before` marks the first printed by a
        // required then, otherwise the then is printed by a required first
        let mut edges: Vec<(ActionId, ActionId, bool)> = Vec::new();
        let mut add = |f: Option<ActionId>, t: Option<ActionId>, before: bool| {
            if let (Some(f), Some(t)) = (f, t) {
                edges.push((f, t, before));
            }
        };
        for (task, done) in [("start", "running"), ("stop", "stopped")] {
            add(act(b, task), clone_act(b, task), true);
            add(clone_act(b, done), act(b, done), false);
            for &(k, i) in &reps {
                for x in b.find_all(k, task) {
                    add(act(b, task), Some(x), true);
                    add(Some(x), act(b, done), false);
                }
                if task == "stop" {
                    for x in i.map(|i| b.find_all(i, "stop")).unwrap_or_default() {
                        add(act(b, task), Some(x), true);
                    }
                }
            }
        }
        if inner.is_some_and(|c| u.rscs[c].promotable) {
            for (task, done) in [("promote", "promoted"), ("demote", "demoted")] {
                add(act(b, task), clone_act(b, task), true);
                add(clone_act(b, done), act(b, done), false);
            }
            for (f, t) in [
                ("stopped", "start"),
                ("stopped", "promote"),
                ("demoted", "stop"),
                ("demoted", "start"),
                ("demoted", "promote"),
                ("running", "promote"),
                ("demote", "demoted"),
            ] {
                if let (Some(f), Some(t)) = (act(b, f), act(b, t)) {
                    b.order(f, t, g);
                }
            }
        }
        // Pacemaker marks the bundle's action shown when it evaluates the
        // ordering while the other action is required. A container's start
        // or stop counts when required (a start only when it can run: one
        // made required later, by its own restart, comes after the
        // evaluation). The inner clone's start (stop, promote, demote)
        // counts when an instance was about to do it when the clone's
        // pseudo actions were made, or when it ends up shown and the
        // bundle's action is looked at again later: it changes when an
        // ordering from a notifying clone is moved onto that clone's
        // post-notifications. Its promote and demote count when shown
        // (instances' role changes are all decided before Pacemaker makes
        // the clone's pseudo actions; ours can become required later, by a
        // restart). Its done actions count when shown.
        let revisited = |b: &crate::actions::B, x: ActionId| {
            b.orderings.iter().any(|o| {
                o.then == x && o.flags & (flags::INTERNAL | flags::NO_EDGE) == 0 && {
                    let f = &b.actions[o.first];
                    f.pseudo
                        && f.node.is_none()
                        && f.notify.is_none()
                        && f.rsc.is_some_and(|c| crate::notify::notifies(u, c))
                }
            })
        };
        let required = |b: &crate::actions::B, x: ActionId, dst: ActionId, before: bool| {
            let a = &b.actions[x];
            match a.rsc {
                Some(r) if before && !u.rscs[r].is_leaf() => {
                    b.seeds.get(&r).is_some_and(|s| match a.task.as_str() {
                        "start" => s.starting,
                        "stop" => s.stopping,
                        "promote" => s.promoting,
                        "demote" => s.demoting,
                        _ => false,
                    }) || ((!a.optional || a.printed)
                        && (revisited(b, dst) || matches!(a.task.as_str(), "promote" | "demote")))
                }
                Some(r) if u.rscs[r].is_leaf() => {
                    !a.optional && (a.task != "start" || (a.runnable && a.node.is_some()))
                }
                _ => !a.optional || a.printed,
            }
        };
        for (f, t, before) in edges {
            b.order(f, t, g);
            let (src, dst) = if before { (t, f) } else { (f, t) };
            if required(b, src, dst, before) && b.actions[dst].optional {
                b.actions[dst].printed = true;
            }
        }
        // a collective action no container (inner instance) can run is not
        // runnable (pcmk__bundle_action_flags)
        for (task, of_inner) in [
            ("start", false),
            ("stop", false),
            ("promote", true),
            ("demote", true),
        ] {
            let Some(pa) = act(b, task) else { continue };
            let members: Vec<ActionId> = reps
                .iter()
                .filter_map(|&(k, i)| if of_inner { i } else { Some(k) })
                .flat_map(|r| b.find_all(r, task))
                .collect();
            if !members.is_empty() && !members.iter().any(|&x| b.actions[x].runnable) {
                b.actions[pa].graph_unrunnable = true;
            }
        }
        if let Some(stopped) = act(b, "stopped") {
            for &p in probes {
                if b.actions[p]
                    .rsc
                    .is_some_and(|r| reps.iter().any(|&(k, _)| k == r))
                {
                    b.order(p, stopped, g);
                }
            }
        }
    }
}

/// A bundle that cannot start blocks what must be colocated with it
/// (Pacemaker's `pcmk__block_colocation_dependents`, as it first runs over
/// every action before the orderings are applied): when every container's
/// start is unrunnable (and the bundle has no inner clone, whose own start
/// would still be runnable), each dependent of an INFINITY colocation with
/// the bundle gets its starts made unrunnable, "colocation with" the last
/// container. A dependent bundle loses its own start, its members' starts
/// and its inner clone's (`mark_action_blocked`).
pub(crate) fn block_colocation_dependents(b: &mut crate::actions::B) {
    let u = b.u();
    let start_runnable = |b: &crate::actions::B, r: RscId| {
        b.find_all(r, "start")
            .iter()
            .any(|&x| b.actions[x].runnable)
    };
    for c in &b.a.scored.colocations {
        if c.primary_replicas.is_empty()
            || !c.score.is_inf()
            || c.score.0 < 0
            || c.dependent_role.is_some()
        {
            continue;
        }
        let Some(pb) = member_of(u, c.primary).map(str::to_string) else {
            continue;
        };
        if inner_clone(u, &pb).is_some() {
            continue;
        }
        let containers: Vec<RscId> = c.primary_replicas.iter().map(|&(k, _)| k).collect();
        if containers.is_empty() || containers.iter().any(|&k| start_runnable(b, k)) {
            continue;
        }
        let reason = format!("colocation with {}", u.rscs[*containers.last().unwrap()].id);
        // the dependent's starts, outermost first
        let mut starts: Vec<crate::actions::ActionId> = Vec::new();
        let d = c.dependent;
        match u.rscs[d].meta.get(CONTAINER_META) {
            Some(db) => {
                starts.extend(b.by_key.get(&action_key(db, "start")).copied());
                for r in 0..u.rscs.len() {
                    if member_of(u, r) == Some(db.as_str()) && u.rscs[r].is_leaf() {
                        starts.extend(b.find_all(r, "start"));
                    }
                }
                if let Some(ic) = inner_clone(u, db) {
                    starts.extend(
                        b.by_key
                            .get(&(Some(ic), "start".to_string(), None))
                            .copied(),
                    );
                    let mut ls = Vec::new();
                    crate::unpack::leaves(&u.rscs, ic, &mut ls);
                    for l in ls {
                        starts.extend(b.find_all(l, "start"));
                    }
                }
            }
            None => {
                if !u.rscs[d].is_leaf() {
                    starts.extend(b.by_key.get(&(Some(d), "start".to_string(), None)).copied());
                }
                let mut ls = Vec::new();
                crate::unpack::leaves(&u.rscs, d, &mut ls);
                for l in ls {
                    starts.extend(b.find_all(l, "start"));
                }
            }
        }
        for x in starts {
            if b.actions[x].runnable {
                b.actions[x].runnable = false;
                b.set_reason(x, &reason);
            }
        }
    }
}

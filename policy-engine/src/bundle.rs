//! Bundles (part of stage 1): Pacemaker's `<bundle>` is expanded, before
//! anything else is unpacked, into the resources Pacemaker generates for it
//! (`pe__unpack_bundle`), so every later stage sees ordinary primitives,
//! guest nodes and a clone:
//!
//! - per replica `i` (`replicas`, default 1): an optional `B-ip-ADDR`
//!   `ocf:heartbeat:IPaddr2` (address = `ip-range-start` + i), colocated
//!   with and started before the container `B-docker-i` (`B-podman-i`,
//!   `B-rkt-i`: `ocf:heartbeat:docker|podman|rkt`), and, when the bundle has
//!   an inner primitive, the implicit `ocf:pacemaker:remote` connection `B-i`
//!   contained in the container, which makes guest node `B-i`;
//! - the inner primitive becomes the anonymous clone `B-clone`
//!   (`clone-max` = replicas, promotable with `promoted-max`) whose instance
//!   `rsc:i` may only run on guest node `B-i` ([`pin_instances`]); its
//!   history on `B-i` belongs to that instance ([`history_instance`]);
//! - containers never run on remote or guest nodes;
//! - constraints naming the bundle apply to its containers: the bundle id
//!   becomes a tag of them.
//!
//! The bundle's meta attributes are copied to everything generated.

use std::collections::BTreeMap;

use cib::xml::{Element, Node};

use crate::model::{NodeId, RscId};
use crate::score::Score;
use crate::unpack::{Location, RscKind, Unpacked};

/// Meta attribute marking the clone generated for a bundle's inner
/// primitive; its value is the bundle id.
pub const BUNDLE_META: &str = "internal-bundle";
/// Meta attribute marking a bundle's containers, which (like guest nodes'
/// containers) never run on remote or guest nodes.
pub const CONTAINER_META: &str = "internal-bundle-container";

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
    {
        let rs = conf.child_mut("resources")?;
        let old = std::mem::take(&mut rs.children);
        for n in old {
            match n {
                Node::Element(e) if e.name == "bundle" => {
                    let (rscs, tag, cons) = expand_one(&e);
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

fn op(owner: &str, task: &str, interval: &str, timeout: &str) -> Element {
    Element::new("op")
        .with_attr("id", format!("{owner}-{task}-interval-{interval}"))
        .with_attr("name", task)
        .with_attr("interval", interval)
        .with_attr("timeout", timeout)
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
    let replicas = ct
        .attr("replicas")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1);
    let promoted_max = ct
        .attr("promoted-max")
        .or_else(|| ct.attr("masters"))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
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
            if let Some(v) = net.and_then(|n| n.attr("host-netmask")) {
                ia.push(nvpair(&id, "cidr_netmask", v));
            }
            rscs.push(
                Element::new("primitive")
                    .with_attr("id", id.as_str())
                    .with_attr("class", "ocf")
                    .with_attr("provider", "heartbeat")
                    .with_attr("type", "IPaddr2")
                    .with_child(ia)
                    .with_child(with_meta(&id, &[]))
                    .with_child(
                        Element::new("operations").with_child(op(&id, "monitor", "60s", "20s")),
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
        rscs.push(
            Element::new("primitive")
                .with_attr("id", cid.as_str())
                .with_attr("class", "ocf")
                .with_attr("provider", "heartbeat")
                .with_attr("type", kind)
                .with_child(with_meta(&cid, &[(CONTAINER_META, "true")]))
                .with_child(
                    Element::new("operations").with_child(op(&cid, "monitor", "60s", "20s")),
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
            let host = addr.clone().unwrap_or_else(|| id.clone());
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
                    .with_child(
                        Element::new("operations").with_child(op(&id, "monitor", "30s", "30s")),
                    ),
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
        let id = format!("{bid}-clone");
        let r = replicas.to_string();
        let ph = per_host.to_string();
        let pm = promoted_max.to_string();
        let mut extra: Vec<(&str, &str)> = vec![
            ("clone-max", &r),
            ("clone-node-max", &ph),
            ("globally-unique", "false"),
            (BUNDLE_META, &bid),
        ];
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

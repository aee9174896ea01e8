//! `crm node ...` and `crm resource ...`: commands that edit the CIB
//! directly (no configure session), as crmsh does through `crm_attribute`
//! and `crm_resource`.
//!
//! Each command is parsed into an [`Action`]: an edit of the whole CIB
//! (configuration change: `epoch` is raised; status change: `num_updates`
//! is raised) or a read-only report.

use std::collections::HashSet;

use cib::xml::{Element, Node};

use crate::config::{is_resource, set_nvpair};
use crate::ids;

/// An edit of the whole CIB, returning informational messages.
pub type Edit = Box<dyn FnMut(&mut Element) -> Result<Vec<String>, String>>;
/// A read-only report.
pub type Report = Box<dyn FnMut(&Element) -> Result<String, String>>;

/// What a node/resource command does.
pub enum Action {
    /// Changes the configuration section.
    Config(Edit),
    /// Changes only the status section.
    Status(Edit),
    /// Prints something.
    Print(Report),
}

fn used_ids(cib: &Element) -> HashSet<String> {
    let mut s = HashSet::new();
    ids::collect(cib, &mut s);
    s
}

fn conf_mut(cib: &mut Element) -> Result<&mut Element, String> {
    cib.child_mut("configuration")
        .ok_or_else(|| "the CIB has no configuration section".to_string())
}

fn node_mut<'a>(cib: &'a mut Element, name: &str) -> Result<&'a mut Element, String> {
    conf_mut(cib)?
        .child_mut("nodes")
        .and_then(|n| {
            n.elements_mut()
                .find(|e| e.attr("uname") == Some(name) || e.attr("id") == Some(name))
        })
        .ok_or_else(|| format!("node {name} does not exist in the CIB"))
}

fn find_rsc<'a>(el: &'a mut Element, id: &str) -> Option<&'a mut Element> {
    if is_resource(&el.name) && el.attr("id") == Some(id) {
        return Some(el);
    }
    for c in el.elements_mut() {
        if let Some(r) = find_rsc(c, id) {
            return Some(r);
        }
    }
    None
}

fn rsc_mut<'a>(cib: &'a mut Element, id: &str) -> Result<&'a mut Element, String> {
    let res = conf_mut(cib)?
        .child_mut("resources")
        .ok_or_else(|| format!("resource {id} does not exist"))?;
    find_rsc(res, id).ok_or_else(|| format!("resource {id} does not exist"))
}

fn get_nv(el: &Element, set: &str, name: &str) -> Option<String> {
    el.elements()
        .filter(|s| s.name == set)
        .flat_map(|s| s.elements())
        .find(|n| n.attr("name") == Some(name))
        .and_then(|n| n.attr("value").map(str::to_string))
}

fn del_nv(el: &mut Element, set: &str, name: &str) -> bool {
    let mut found = false;
    for s in el.elements_mut().filter(|s| s.name == set) {
        let before = s.children.len();
        s.children
            .retain(|n| !matches!(n, Node::Element(e) if e.attr("name") == Some(name)));
        found |= s.children.len() != before;
    }
    found
}

fn set_attr_in(
    cib: &mut Element,
    target: Target,
    set: &'static str,
    name: &str,
    value: &str,
) -> Result<(), String> {
    let mut used = used_ids(cib);
    let el = match target {
        Target::Node(n) => node_mut(cib, n)?,
        Target::Rsc(r) => rsc_mut(cib, r)?,
    };
    set_nvpair(el, set, name, value, &mut used);
    Ok(())
}

#[derive(Clone, Copy)]
enum Target<'a> {
    Node(&'a str),
    Rsc(&'a str),
}

fn local_node() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The subcommand word as a `'static` string (closures outlive `args`).
fn intern(s: &str) -> &'static str {
    const WORDS: &[&str] = &[
        "standby",
        "online",
        "ready",
        "attribute",
        "utilization",
        "clearstate",
        "delete",
        "show",
        "list",
        "start",
        "stop",
        "restart",
        "manage",
        "unmanage",
        "maintenance",
        "param",
        "meta",
        "move",
        "migrate",
        "ban",
        "clear",
        "unmove",
        "unmigrate",
        "unban",
        "cleanup",
        "refresh",
        "failcount",
        "status",
    ];
    WORDS.iter().find(|w| **w == s).copied().unwrap_or("?")
}

/// `crm node ...`.
pub fn node(args: &[String]) -> Result<Action, String> {
    let a: Vec<String> = args.to_vec();
    let sub = intern(a.first().map(String::as_str).unwrap_or(""));
    match sub {
        "standby" | "online" | "ready" => {
            let node = a.get(1).cloned().unwrap_or_else(local_node);
            let value = if sub == "standby" { "on" } else { "off" };
            let lifetime = a.get(2).cloned().unwrap_or_else(|| "forever".into());
            if lifetime == "reboot" {
                return Err("node standby with lifetime=reboot needs a running cluster (the status section); use lifetime forever".into());
            }
            Ok(Action::Config(Box::new(move |cib| {
                set_attr_in(
                    cib,
                    Target::Node(&node),
                    "instance_attributes",
                    "standby",
                    value,
                )?;
                Ok(vec![format!(
                    "{} node {node}",
                    if value == "on" { "standby" } else { "online" }
                )])
            })))
        }
        "attribute" | "utilization" => {
            let set: &'static str = if sub == "attribute" {
                "instance_attributes"
            } else {
                "utilization"
            };
            let (Some(node), Some(op), Some(name)) =
                (a.get(1).cloned(), a.get(2).cloned(), a.get(3).cloned())
            else {
                return Err(format!(
                    "usage: node {sub} <node> set|delete|show <name> [<value>]"
                ));
            };
            match op.as_str() {
                "set" => {
                    let Some(value) = a.get(4).cloned() else {
                        return Err(format!("usage: node {sub} <node> set <name> <value>"));
                    };
                    Ok(Action::Config(Box::new(move |cib| {
                        set_attr_in(cib, Target::Node(&node), set, &name, &value)?;
                        Ok(Vec::new())
                    })))
                }
                "delete" => Ok(Action::Config(Box::new(move |cib| {
                    if !del_nv(node_mut(cib, &node)?, set, &name) {
                        return Err(format!("node {node}: no {sub} {name}"));
                    }
                    Ok(Vec::new())
                }))),
                "show" => Ok(Action::Print(Box::new(move |cib| {
                    let mut c = cib.clone();
                    let n = node_mut(&mut c, &node)?;
                    match get_nv(n, set, &name) {
                        Some(v) => Ok(format!("scope=nodes  name={name} value={v}\n")),
                        None => Err(format!("node {node}: no {sub} {name}")),
                    }
                }))),
                _ => Err(format!(
                    "usage: node {sub} <node> set|delete|show <name> [<value>]"
                )),
            }
        }
        "clearstate" => {
            let Some(node) = a.get(1).cloned() else {
                return Err("usage: node clearstate <node>".into());
            };
            Ok(Action::Status(Box::new(move |cib| {
                if let Some(st) = cib.child_mut("status") {
                    st.children.retain(|n| !matches!(n, Node::Element(e) if e.attr("uname") == Some(node.as_str()) || e.attr("id") == Some(node.as_str())));
                }
                Ok(vec![format!("cleared state of node {node}")])
            })))
        }
        "delete" => {
            let Some(node) = a.get(1).cloned() else {
                return Err("usage: node delete <node>".into());
            };
            Ok(Action::Config(Box::new(move |cib| {
                let conf = conf_mut(cib)?;
                let nodes = conf
                    .child_mut("nodes")
                    .ok_or_else(|| format!("node {node} does not exist in the CIB"))?;
                let before = nodes.children.len();
                nodes.children.retain(|n| !matches!(n, Node::Element(e) if e.attr("uname") == Some(node.as_str()) || e.attr("id") == Some(node.as_str())));
                if nodes.children.len() == before {
                    return Err(format!("node {node} does not exist in the CIB"));
                }
                if let Some(st) = cib.child_mut("status") {
                    st.children.retain(|n| !matches!(n, Node::Element(e) if e.attr("uname") == Some(node.as_str())));
                }
                Ok(vec![format!("node {node} deleted")])
            })))
        }
        "show" | "list" => Ok(Action::Print(Box::new(|cib| {
            let conf = cib
                .child("configuration")
                .cloned()
                .unwrap_or_else(|| Element::new("configuration"));
            let nodes: Vec<String> = conf
                .child("nodes")
                .map(|n| {
                    n.elements()
                        .filter_map(|e| e.attr("id").map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            Ok(crate::show::show_config(&conf, &nodes))
        }))),
        _ => Err("usage: node standby|online|attribute|utilization|clearstate|show ...".into()),
    }
}

/// Seconds in an ISO 8601 duration (`PT1H`, `P2D`, `PT30M`, `P1DT12H`),
/// the lifetime syntax `crm_resource` takes (months count 30 days, years
/// 365).
pub fn iso8601_duration(s: &str) -> Option<i64> {
    let body = s.strip_prefix('P')?;
    let (date, time) = match body.split_once('T') {
        Some((d, t)) => (d, t),
        None => (body, ""),
    };
    let mut total = 0i64;
    let mut scan = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                num.push(c);
            } else {
                let (_, mult) = units.iter().find(|(u, _)| *u == c)?;
                total += num.parse::<i64>().ok()? * mult;
                num.clear();
            }
        }
        num.is_empty().then_some(())
    };
    scan(
        date,
        &[
            ('Y', 365 * 86400),
            ('M', 30 * 86400),
            ('W', 7 * 86400),
            ('D', 86400),
        ],
    )?;
    scan(time, &[('H', 3600), ('M', 60), ('S', 1)])?;
    (total > 0).then_some(total)
}

/// The constraint `crm_resource --move/--ban` writes: a plain location, or,
/// with a lifetime, a rule that stops applying at now + lifetime.
fn cli_constraint(
    id: &str,
    rsc: &str,
    node: &str,
    score: &str,
    lifetime: Option<&str>,
) -> Result<Element, String> {
    let mut el = Element::new("rsc_location")
        .with_attr("id", id)
        .with_attr("rsc", rsc)
        .with_attr("role", "Started");
    let Some(l) = lifetime else {
        return Ok(el.with_attr("node", node).with_attr("score", score));
    };
    let secs = iso8601_duration(l).ok_or_else(|| {
        format!("lifetime {l}: expected an ISO 8601 duration such as PT1H or P1D")
    })?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let end = chrono::DateTime::from_timestamp(now + secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S +00:00").to_string())
        .unwrap_or_default();
    let rule = Element::new("rule")
        .with_attr("id", format!("{id}-rule"))
        .with_attr("score", score)
        .with_attr("boolean-op", "and")
        .with_child(
            Element::new("expression")
                .with_attr("id", format!("{id}-expr"))
                .with_attr("attribute", "#uname")
                .with_attr("operation", "eq")
                .with_attr("value", node)
                .with_attr("type", "string"),
        )
        .with_child(
            Element::new("date_expression")
                .with_attr("id", format!("{id}-lifetime"))
                .with_attr("operation", "lt")
                .with_attr("end", end),
        );
    el.push(rule);
    Ok(el)
}

/// `crm resource ...`.
pub fn resource(args: &[String]) -> Result<Action, String> {
    let a: Vec<String> = args.to_vec();
    let sub = intern(a.first().map(String::as_str).unwrap_or("status"));
    let rsc = a.get(1).cloned();
    let need = |what: &str| -> Result<String, String> {
        rsc.clone()
            .ok_or_else(|| format!("usage: resource {sub} <resource>{what}"))
    };
    let meta_set = |r: String, name: &'static str, value: &'static str, msg: String| -> Action {
        Action::Config(Box::new(move |cib| {
            set_attr_in(cib, Target::Rsc(&r), "meta_attributes", name, value)?;
            Ok(vec![msg.clone()])
        }))
    };
    match sub {
        "start" => {
            let r = need("")?;
            Ok(meta_set(
                r.clone(),
                "target-role",
                "Started",
                format!("starting {r}"),
            ))
        }
        "stop" => {
            let r = need("")?;
            Ok(meta_set(
                r.clone(),
                "target-role",
                "Stopped",
                format!("stopping {r}"),
            ))
        }
        "restart" => Err(
            "resource restart needs a running cluster to wait for the stop; use stop and start"
                .into(),
        ),
        "manage" => {
            let r = need("")?;
            Ok(meta_set(r, "is-managed", "true", String::new()))
        }
        "unmanage" => {
            let r = need("")?;
            Ok(meta_set(r, "is-managed", "false", String::new()))
        }
        "maintenance" => {
            let r = need(" [on|off]")?;
            let on = !matches!(a.get(2).map(String::as_str), Some("off" | "false" | "no"));
            Ok(meta_set(
                r,
                "maintenance",
                if on { "true" } else { "false" },
                String::new(),
            ))
        }
        "param" | "meta" | "utilization" => {
            let set: &'static str = match sub {
                "param" => "instance_attributes",
                "meta" => "meta_attributes",
                _ => "utilization",
            };
            let r = need(" set|delete|show <name> [<value>]")?;
            let (Some(op), Some(name)) = (a.get(2).cloned(), a.get(3).cloned()) else {
                return Err(format!(
                    "usage: resource {sub} <resource> set|delete|show <name> [<value>]"
                ));
            };
            match op.as_str() {
                "set" => {
                    let Some(v) = a.get(4).cloned() else {
                        return Err(format!(
                            "usage: resource {sub} <resource> set <name> <value>"
                        ));
                    };
                    Ok(Action::Config(Box::new(move |cib| {
                        set_attr_in(cib, Target::Rsc(&r), set, &name, &v)?;
                        Ok(vec![format!("Set '{r}' option: name={name} value={v}")])
                    })))
                }
                "delete" => Ok(Action::Config(Box::new(move |cib| {
                    if !del_nv(rsc_mut(cib, &r)?, set, &name) {
                        return Err(format!("{r}: no {sub} {name}"));
                    }
                    Ok(vec![format!("Deleted '{r}' option: name={name}")])
                }))),
                "show" => Ok(Action::Print(Box::new(move |cib| {
                    let mut c = cib.clone();
                    match get_nv(rsc_mut(&mut c, &r)?, set, &name) {
                        Some(v) => Ok(format!("{v}\n")),
                        None => Err(format!("{r}: no {sub} {name}")),
                    }
                }))),
                _ => Err(format!(
                    "usage: resource {sub} <resource> set|delete|show <name> [<value>]"
                )),
            }
        }
        "move" | "migrate" | "ban" => {
            let r = need(" <node> [<lifetime>]")?;
            let Some(node) = a.get(2).cloned() else {
                return Err(format!("usage: resource {sub} <resource> <node> [<lifetime>] (offline there is no current location to move away from)"));
            };
            let lifetime = a.get(3).filter(|x| *x != "force").cloned();
            let ban = sub == "ban";
            Ok(Action::Config(Box::new(move |cib| {
                rsc_mut(cib, &r)?;
                let id = if ban {
                    format!("cli-ban-{r}-on-{node}")
                } else {
                    format!("cli-prefer-{r}")
                };
                let score = if ban { "-INFINITY" } else { "INFINITY" };
                let el = cli_constraint(&id, &r, &node, score, lifetime.as_deref())?;
                let conf = conf_mut(cib)?;
                if conf.child("constraints").is_none() {
                    conf.push(Element::new("constraints"));
                }
                let cons = conf.child_mut("constraints").expect("ensured");
                cons.children.retain(
                    |n| !matches!(n, Node::Element(e) if e.attr("id") == Some(id.as_str())),
                );
                cons.push(el);
                let what = if ban { "Ban" } else { "Move" };
                Ok(vec![
                    format!("{what} constraint created for {r} to {node}"),
                    format!("Use `crm resource clear {r}` to remove this constraint"),
                ])
            })))
        }
        "clear" | "unmove" | "unmigrate" | "unban" => {
            let r = need("")?;
            Ok(Action::Config(Box::new(move |cib| {
                rsc_mut(cib, &r)?;
                let prefer = format!("cli-prefer-{r}");
                let ban = format!("cli-ban-{r}-on-");
                let conf = conf_mut(cib)?;
                if let Some(cons) = conf.child_mut("constraints") {
                    cons.children.retain(|n| match n {
                        Node::Element(e) => {
                            let id = e.attr("id").unwrap_or("");
                            !(id == prefer || id.starts_with(&ban))
                        }
                        _ => true,
                    });
                }
                Ok(vec![format!("Removed migration constraints for {r}")])
            })))
        }
        "cleanup" | "refresh" => {
            let r = rsc.clone();
            let node = a.get(2).cloned();
            Ok(Action::Status(Box::new(move |cib| {
                let mut n = 0;
                if let Some(st) = cib.child_mut("status") {
                    for ns in st.elements_mut() {
                        if node.as_deref().is_some_and(|x| ns.attr("uname") != Some(x)) {
                            continue;
                        }
                        if let Some(lrm) = ns.child_mut("lrm") {
                            if let Some(lr) = lrm.child_mut("lrm_resources") {
                                let before = lr.children.len();
                                lr.children.retain(|c| match (c, &r) {
                                    (Node::Element(e), Some(r)) => e.attr("id") != Some(r.as_str()),
                                    (_, None) => false,
                                    _ => true,
                                });
                                n += before - lr.children.len();
                            }
                        }
                        if let Some(ta) = ns.child_mut("transient_attributes") {
                            for set in ta.elements_mut() {
                                set.children.retain(|c| match c {
                                    Node::Element(e) => {
                                        let name = e.attr("name").unwrap_or("");
                                        let failure = name.starts_with("fail-count-")
                                            || name.starts_with("last-failure-");
                                        !(failure
                                            && r.as_deref().is_none_or(|r| {
                                                name.contains(&format!("-{r}#"))
                                                    || name.ends_with(&format!("-{r}"))
                                            }))
                                    }
                                    _ => true,
                                });
                            }
                        }
                    }
                }
                Ok(vec![format!(
                    "Cleaned up {} ({n} operation histories removed)",
                    r.as_deref().unwrap_or("all resources")
                )])
            })))
        }
        "failcount" => {
            let r = need(" set|delete|show <node>")?;
            let (Some(op), Some(node)) = (a.get(2).cloned(), a.get(3).cloned()) else {
                return Err(
                    "usage: resource failcount <resource> set|delete|show <node> [<value>]".into(),
                );
            };
            match op.as_str() {
                "show" => Ok(Action::Print(Box::new(move |cib| {
                    let mut total = 0u64;
                    if let Some(st) = cib.child("status") {
                        for ns in st
                            .elements()
                            .filter(|n| n.attr("uname") == Some(node.as_str()))
                        {
                            for ta in ns.elements().filter(|e| e.name == "transient_attributes") {
                                for set in ta.elements() {
                                    for nv in set.elements() {
                                        let name = nv.attr("name").unwrap_or("");
                                        if name.starts_with(&format!("fail-count-{r}")) {
                                            total += nv
                                                .attr("value")
                                                .and_then(|v| v.parse().ok())
                                                .unwrap_or(0);
                                        }
                                    }
                                }
                            }
                        }
                    }
                    Ok(format!("scope=status  name=fail-count-{r} value={total}\n"))
                }))),
                "delete" => resource(&["cleanup".to_string(), r, node]),
                "set" => {
                    let value = a.get(4).cloned().ok_or_else(|| {
                        "usage: resource failcount <resource> set <node> <value>".to_string()
                    })?;
                    let score = cib::values::Score::parse(&value).ok_or_else(|| {
                        format!("failcount value '{value}' is not a number or INFINITY")
                    })?;
                    let value = score.value().max(0).to_string();
                    Ok(Action::Status(Box::new(move |cib| {
                        set_fail_count(cib, &r, &node, &value)?;
                        Ok(vec![])
                    })))
                }
                _ => Err(
                    "usage: resource failcount <resource> set|delete|show <node> [<value>]".into(),
                ),
            }
        }
        "status" | "show" | "list" => Ok(Action::Print(Box::new(move |cib| {
            let mut s = crate::status::render(cib);
            if let Some(i) = s.find("Full List of Resources:") {
                s = s[i..].to_string();
            }
            Ok(s)
        }))),
        other => Err(format!("resource {other}: No such command")),
    }
}

/// Writes the transient attribute `fail-count-RSC` (the name crmsh's
/// `failcount set` writes; the scheduler reads it together with the
/// per-operation `fail-count-RSC#OP_INTERVAL` ones) on `node`'s status entry.
/// Setting 0 removes every fail count and last-failure time of `rsc` on the
/// node instead, leaving its operation history alone (unlike cleanup).
fn set_fail_count(cib: &mut Element, rsc: &str, node: &str, value: &str) -> Result<(), String> {
    let status = cib
        .child_mut("status")
        .ok_or_else(|| "the CIB has no status section".to_string())?;
    let ns = status
        .elements_mut()
        .find(|n| n.name == "node_state" && n.attr("uname") == Some(node))
        .ok_or_else(|| format!("node {node} has no status entry (it has never been up)"))?;
    let node_id = ns.attr("id").unwrap_or(node).to_string();
    if ns.child("transient_attributes").is_none() {
        ns.push(Element::new("transient_attributes").with_attr("id", node_id.as_str()));
    }
    let ta = ns.child_mut("transient_attributes").expect("just ensured");
    if ta.child("instance_attributes").is_none() {
        ta.push(Element::new("instance_attributes").with_attr("id", format!("status-{node_id}")));
    }
    let set = ta.child_mut("instance_attributes").expect("just ensured");
    let set_id = set.attr("id").unwrap_or("status").to_string();
    let name = format!("fail-count-{rsc}");
    if value == "0" {
        set.children.retain(|c| match c {
            Node::Element(e) => {
                let n = e.attr("name").unwrap_or("");
                !["fail-count-", "last-failure-"].iter().any(|p| {
                    n.strip_prefix(p)
                        .is_some_and(|rest| rest == rsc || rest.starts_with(&format!("{rsc}#")))
                })
            }
            _ => true,
        });
        return Ok(());
    }
    let existing = set.children.iter_mut().find_map(|c| match c {
        Node::Element(e) if e.attr("name") == Some(name.as_str()) => Some(e),
        _ => None,
    });
    match existing {
        Some(nv) => nv.set_attr("value", value),
        None => set.push(
            Element::new("nvpair")
                .with_attr("id", format!("{set_id}-{name}"))
                .with_attr("name", name.as_str())
                .with_attr("value", value),
        ),
    }
    Ok(())
}

/// `crm ra classes|providers|list|info`: the resource agents installed on
/// this machine, found the way the LRM finds them.
pub fn ra(args: &[String]) -> Result<String, String> {
    let dirs = lrm::agent::AgentDirs::default();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["classes"] => {
            let mut s = String::new();
            for c in lrm::agent::CLASSES {
                if *c == "ocf" {
                    s.push_str(&format!("ocf / {}\n", dirs.ocf_providers().join(" ")));
                } else {
                    s.push_str(&format!("{c}\n"));
                }
            }
            Ok(s)
        }
        ["providers", ty, ..] => {
            let provs: Vec<String> = dirs
                .ocf_providers()
                .into_iter()
                .filter(|p| {
                    dirs.list("ocf", Some(p))
                        .is_ok_and(|l| l.iter().any(|t| t == ty))
                })
                .collect();
            Ok(format!("{}\n", provs.join(" ")))
        }
        ["list", class, rest @ ..] => {
            let list = dirs
                .list(class, rest.first().copied())
                .map_err(|e| e.to_string())?;
            Ok(format!("{}\n", list.join(" ")))
        }
        ["info" | "meta", agent] => {
            let parts: Vec<&str> = agent.split(':').collect();
            let (prov, ty) = match parts.as_slice() {
                [t] => ("heartbeat", *t),
                ["ocf", p, t] => (*p, *t),
                _ => return Err(format!("ra info: only OCF agents are described ({agent})")),
            };
            let params = crate::agents::param_names(prov, ty);
            if params.is_empty() {
                return Err(format!(
                    "ra info: ocf:{prov}:{ty}: no such agent, or it has no meta-data"
                ));
            }
            let mut s = format!("ocf:{prov}:{ty}\n\nParameters (*: required):\n");
            for (n, req) in crate::agents::params(prov, ty) {
                s.push_str(&format!("{n}{}\n", if req { "*" } else { "" }));
            }
            Ok(s)
        }
        _ => Err("usage: ra classes | providers TYPE | list CLASS [PROVIDER] | info AGENT".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(iso8601_duration("PT1H"), Some(3600));
        assert_eq!(iso8601_duration("P1DT30M"), Some(86400 + 1800));
        assert_eq!(iso8601_duration("PT90S"), Some(90));
        assert_eq!(iso8601_duration("1h"), None);
        assert_eq!(iso8601_duration("PT"), None);
    }
}

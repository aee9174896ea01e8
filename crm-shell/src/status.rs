//! `crm status`: the `crm_mon -1 -r` layout. The node and resource blocks
//! come from the policy engine's renderer ([`policy_engine::render`]), which
//! knows how Pacemaker groups clones, promotable sets and groups; this
//! module adds the "Cluster Summary" header and the failed actions, and
//! re-indents the blocks the way `crm_mon` prints them.

use cib::xml::Element;

fn property(cib: &Element, name: &str) -> Option<String> {
    let cc = cib.child("configuration")?.child("crm_config")?;
    cc.elements()
        .flat_map(|s| s.elements())
        .find(|n| n.attr("name") == Some(name))
        .and_then(|n| n.attr("value").map(str::to_string))
}

/// `Mon Nov 23 01:53:11 2026` (UTC), as crm_mon prints times.
fn fmt_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| {
            t.format("%a %b %e %H:%M:%S %Y")
                .to_string()
                .replace("  ", " ")
        })
        .unwrap_or_default()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Renders the status of `cib` at time `now` (epoch seconds).
pub fn render_at(cib: &Element, now: i64) -> String {
    let mut s = String::from("Cluster Summary:\n");
    let stack = property(cib, "cluster-infrastructure").unwrap_or_else(|| "unknown".into());
    s.push_str(&format!("  * Stack: {stack}\n"));
    let nodes: Vec<(String, String)> = cib
        .child("configuration")
        .and_then(|c| c.child("nodes"))
        .map(|n| {
            n.elements()
                .map(|e| {
                    let id = e.attr("id").unwrap_or("").to_string();
                    let uname = e.attr("uname").unwrap_or(&id).to_string();
                    (id, uname)
                })
                .collect()
        })
        .unwrap_or_default();
    match cib.attr("dc-uuid") {
        Some(dc) => {
            let name = nodes
                .iter()
                .find(|(i, _)| i == dc)
                .map(|(_, u)| u.clone())
                .unwrap_or_else(|| dc.to_string());
            let version = property(cib, "dc-version").unwrap_or_else(|| "unknown".into());
            let quorum = if cib.attr("have-quorum") == Some("1") {
                "partition with quorum"
            } else {
                "partition WITHOUT quorum"
            };
            s.push_str(&format!(
                "  * Current DC: {name} (version {version}) - {quorum}\n"
            ));
        }
        None => s.push_str("  * Current DC: NONE\n"),
    }
    s.push_str(&format!("  * Last updated: {}\n", fmt_time(now)));
    if let Some(w) = cib.attr("cib-last-written") {
        let mut line = format!("  * Last change:  {w}");
        if let (Some(u), Some(c), Some(o)) = (
            cib.attr("update-user"),
            cib.attr("update-client"),
            cib.attr("update-origin"),
        ) {
            line.push_str(&format!(" by {u} via {c} on {o}"));
        }
        s.push_str(&line);
        s.push('\n');
    }
    let unpacked = match policy_engine::unpack::unpack(cib, Some(now)) {
        Ok(u) => u,
        Err(e) => {
            s.push_str(&format!(
                "\nERROR: the CIB cannot be read by the scheduler: {e}\n"
            ));
            return s;
        }
    };
    let leaves = policy_engine::render::current_leaves(&unpacked);
    s.push_str(&format!("  * {} nodes configured\n", nodes.len()));
    s.push_str(&format!(
        "  * {} resource instances configured\n",
        leaves.len()
    ));
    let view = policy_engine::render::StatusView {
        unpacked: &unpacked,
        leaves: &leaves,
        offline: &[],
    };
    let block = policy_engine::render::cluster_status(&view);
    // the simulator indents everything by two more spaces than crm_mon
    for line in block.lines() {
        let l = line.strip_prefix("  ").unwrap_or(line);
        if let Some(h) = l
            .strip_prefix("* ")
            .filter(|h| h.ends_with("List:") || h.ends_with("Resources:"))
        {
            if !s.ends_with("\n\n") {
                s.push('\n');
            }
            s.push_str(h);
        } else {
            s.push_str(l);
        }
        s.push('\n');
    }
    let failed = failed_actions(cib);
    if !failed.is_empty() {
        if !s.ends_with("\n\n") {
            s.push('\n');
        }
        s.push_str("Failed Resource Actions:\n");
        for f in failed {
            s.push_str(&format!("  * {f}\n"));
        }
    }
    // Not in crm_mon: constraints left by `crm resource move/ban` are the
    // classic cause of "why does it not go back?", so they are listed
    let cli = cli_constraints(cib);
    if !cli.is_empty() {
        if !s.ends_with("\n\n") {
            s.push('\n');
        }
        s.push_str("Move/ban constraints (remove with `crm resource clear RESOURCE`):\n");
        for c in cli {
            s.push_str(&format!("  * {c}\n"));
        }
    }
    // crm_mon ends with an empty line
    if !s.ends_with("\n\n") {
        s.push('\n');
    }
    s
}

/// Renders the status now.
pub fn render(cib: &Element) -> String {
    render_at(cib, now_secs())
}

fn rc_text(rc: &str) -> &'static str {
    match rc {
        "1" => "error",
        "2" => "invalid parameter",
        "3" => "unimplemented feature",
        "4" => "insufficient privileges",
        "5" => "not installed",
        "6" => "not configured",
        "7" => "not running",
        "8" => "promoted",
        "9" => "promoted (failed)",
        _ => "unknown",
    }
}

fn interval_text(ms: &str) -> String {
    let ms: u64 = ms.parse().unwrap_or(0);
    let (secs, rem) = (ms / 1000, ms % 1000);
    if rem == 0 {
        format!("{secs}s")
    } else {
        format!("{ms}ms")
    }
}

/// `p_mysql 20s-interval monitor on node1 returned 'not running' (...) at TIME`
fn failed_actions(cib: &Element) -> Vec<String> {
    let mut out = Vec::new();
    let Some(status) = cib.child("status") else {
        return out;
    };
    for ns in status.elements().filter(|n| n.name == "node_state") {
        let node = ns.attr("uname").unwrap_or("");
        let Some(lrs) = ns.child("lrm").and_then(|l| l.child("lrm_resources")) else {
            continue;
        };
        for lr in lrs.elements() {
            let rsc = lr.attr("id").unwrap_or("");
            for op in lr
                .elements()
                .filter(|o| o.attr("id").is_some_and(|i| i.ends_with("_last_failure_0")))
            {
                let task = op.attr("operation").unwrap_or("");
                let interval = op.attr("interval").unwrap_or("0");
                let what = if interval != "0" {
                    format!("{} {}-interval {task}", rsc, interval_text(interval))
                } else {
                    format!("{rsc} {task}")
                };
                let reason = op
                    .attr("exit-reason")
                    .filter(|r| !r.is_empty())
                    .unwrap_or("");
                let when = op
                    .attr("last-rc-change")
                    .and_then(|t| t.parse::<i64>().ok())
                    .map(fmt_time)
                    .unwrap_or_default();
                let reason = if reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({reason})")
                };
                out.push(format!(
                    "{what} on {node} returned '{}'{reason} at {when}",
                    rc_text(op.attr("rc-code").unwrap_or(""))
                ));
            }
        }
    }
    out
}

/// `cli-prefer-*` / `cli-ban-*` constraints, described.
fn cli_constraints(cib: &Element) -> Vec<String> {
    let Some(cons) = cib
        .child("configuration")
        .and_then(|c| c.child("constraints"))
    else {
        return Vec::new();
    };
    cons.elements()
        .filter(|c| c.name == "rsc_location")
        .filter_map(|c| {
            let id = c.attr("id")?;
            let rsc = c.attr("rsc").unwrap_or("?");
            let rule = c.child("rule");
            let node = c
                .attr("node")
                .or_else(|| {
                    rule.and_then(|r| r.child("expression"))
                        .and_then(|e| e.attr("value"))
                })
                .unwrap_or("?");
            let expires = rule
                .and_then(|r| r.child("date_expression"))
                .and_then(|d| d.attr("end"))
                .map(|e| format!(" until {e}"))
                .unwrap_or_default();
            if id.starts_with("cli-prefer-") {
                Some(format!("{id}: {rsc} prefers {node}{expires}"))
            } else if id.starts_with("cli-ban-") {
                Some(format!("{id}: {rsc} banned from {node}{expires}"))
            } else {
                None
            }
        })
        .collect()
}

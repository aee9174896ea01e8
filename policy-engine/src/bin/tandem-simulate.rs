//! `tandem-simulate`: crm_simulate's interface on Tandem's policy engine.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use policy_engine::graph::{graph_name, is_executed, op_key};
use policy_engine::history::History;
use policy_engine::render::{cluster_status, current_leaves, transition_summary, StatusView};
use policy_engine::{rules, schedule_with, Transition};

#[derive(Parser, Debug)]
#[command(
    name = "tandem-simulate",
    about = "Simulate the cluster's response to a CIB (crm_simulate compatible)"
)]
struct Args {
    /// CIB file to read
    #[arg(short = 'x', long = "xml-file")]
    xml: std::path::PathBuf,
    /// Simulate: schedule, print the summary, pretend every action succeeds
    #[arg(short = 'S', long = "simulate")]
    simulate: bool,
    /// Run: print the current status and the Transition Summary
    #[arg(short = 'R', long = "run")]
    run: bool,
    /// Show allocation scores
    #[arg(short = 's', long = "show-scores")]
    scores: bool,
    /// Quiet: skip the status sections
    #[arg(short = 'Q', long = "quiet")]
    quiet: bool,
    /// Write the transition graph XML to this file
    #[arg(short = 'G', long = "save-graph")]
    graph: Option<std::path::PathBuf>,
    /// Effective cluster time (ISO 8601)
    #[arg(short = 't', long = "set-datetime")]
    time: Option<String>,
    /// Explain why a resource is placed where it is
    #[arg(long = "explain")]
    explain: Option<String>,
    /// Remaining words of an unquoted -t value (e.g. `-t 2014-05-07 00:28:00`)
    #[arg(hide = true)]
    rest: Vec<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tandem-simulate: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Peak resident memory so far (Linux), for TANDEM_TIMING.
fn hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// `schedule_with` stage by stage, printing each stage's time (TANDEM_TIMING set).
fn timed_schedule(
    root: &cib::xml::Element,
    history: History,
    now: Option<i64>,
) -> Result<Transition> {
    use policy_engine::{actions, assign, graph, summary, unpack};
    let t = std::time::Instant::now();
    let u = unpack::unpack_with(root, history, now)?;
    eprintln!("unpack: {:?} {}", t.elapsed(), hwm());
    let t = std::time::Instant::now();
    let scored = assign::score(u);
    eprintln!("score: {:?} {}", t.elapsed(), hwm());
    let t = std::time::Instant::now();
    let assigned = assign::assign(scored);
    eprintln!("assign: {:?} {}", t.elapsed(), hwm());
    let t = std::time::Instant::now();
    let acts = actions::create_actions(assigned);
    eprintln!("actions: {:?} {}", t.elapsed(), hwm());
    let t = std::time::Instant::now();
    let summary = summary::summarize(&acts);
    let mut acts = acts;
    policy_engine::graph_ops::add_migrations(&mut acts, &summary);
    eprintln!("summary: {:?} {}", t.elapsed(), hwm());
    let t = std::time::Instant::now();
    let graph = graph::build(&acts);
    eprintln!("graph: {:?} {}", t.elapsed(), hwm());
    Ok(Transition {
        actions: acts,
        summary,
        graph,
    })
}

fn run() -> Result<ExitCode> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.xml)
        .with_context(|| format!("cannot read {}", args.xml.display()))?;
    let t0 = std::time::Instant::now();
    // the tree is only read by the scheduler: resource histories go
    // straight into compact records instead
    let (root, history) = policy_engine::history::read_cib(&text)
        .map_err(|e| anyhow::anyhow!("{}:{}", args.xml.display(), e))?;
    // tree and histories own their strings: the text is not needed any more
    drop(text);
    if std::env::var_os("TANDEM_TIMING").is_some() {
        eprintln!("parse: {:?} {}", t0.elapsed(), hwm());
    }
    let time = args.time.as_ref().map(|t| {
        let mut v = vec![t.clone()];
        v.extend(args.rest.iter().cloned());
        v.join(" ")
    });
    let now = match &time {
        Some(t) => {
            Some(rules::parse_datetime(t).with_context(|| format!("invalid date/time '{t}'"))?)
        }
        None => None,
    };
    // no -t and no execution-date in the CIB: use the wall clock (the engine
    // itself never reads it)
    let now = now.or_else(|| {
        if root.attr("execution-date").is_some() {
            None
        } else {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs() as i64)
        }
    });
    let t = if std::env::var_os("TANDEM_TIMING").is_some() {
        timed_schedule(&root, history, now)?
    } else {
        schedule_with(&root, history, now).with_context(|| format!("{}", args.xml.display()))?
    };
    let mut out = String::new();
    let u = t.unpacked();
    if u.options.validate_none {
        eprintln!("Schema validation of configuration is disabled (enabling is encouraged and prevents common misconfigurations)");
    }
    if let Some(ts) = &time {
        let _ = ts;
        out.push_str(&format!(
            "Setting effective cluster time: {}\n",
            rules::format_datetime(u.now)
        ));
    }
    let exec_line = if time.is_none() {
        u.options.execution_date.map(|d| {
            format!(
                "Using the original execution date of: {}\n",
                rules::format_datetime(d)
            )
        })
    } else {
        None
    };
    if let Some(l) = &exec_line {
        out.push_str(l);
    }
    if u.options.maintenance_mode {
        out.push_str("\n              *** Resource management is DISABLED ***\n  The cluster will not attempt to start, stop or recover services\n\n");
    }
    let cur = current_leaves(u);
    let disabled = count_disabled(&t);
    let blocked = u.rscs.iter().filter(|r| r.is_leaf() && r.blocked).count();
    if disabled > 0 || blocked > 0 {
        let total = u.rscs.iter().filter(|r| r.is_leaf() && !r.orphan).count();
        out.push_str(&format!(
            "{disabled} of {total} resource instances DISABLED and {blocked} BLOCKED from further action due to failure\n\n"
        ));
    }
    if !args.quiet {
        out.push_str("Current cluster status:\n");
        out.push_str(&cluster_status(&StatusView {
            unpacked: u,
            leaves: &cur,
            offline: &[],
        }));
        out.push('\n');
    }
    if args.scores {
        out.push_str(&scores_text(&t));
    }
    out.push_str("Transition Summary:\n");
    for l in transition_summary(&t.summary) {
        out.push_str(&l);
        out.push('\n');
    }
    if args.simulate {
        out.push('\n');
        out.push_str("Executing Cluster Transition:\n");
        out.push_str(&executing(&t));
        if let Some(l) = &exec_line {
            out.push_str(l);
        }
        if !args.quiet {
            let (rev, offline) = policy_engine::simulate::revised(&t);
            out.push('\n');
            out.push_str("Revised Cluster Status:\n");
            out.push_str(&cluster_status(&StatusView {
                unpacked: u,
                leaves: &rev,
                offline: &offline,
            }));
        }
    }
    if let Some(rsc) = &args.explain {
        out.push_str(&explain(&t, rsc));
    }
    if let Some(g) = &args.graph {
        std::fs::write(g, policy_engine::graph_xml(&t))
            .with_context(|| format!("cannot write {}", g.display()))?;
    }
    // the process is about to exit: skip freeing the (possibly huge) trees
    std::mem::forget(t);
    std::mem::forget(root);
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match lock.write_all(out.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r?,
    }
    Ok(ExitCode::SUCCESS)
}

fn count_disabled(t: &Transition) -> usize {
    let u = t.unpacked();
    u.rscs
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            r.is_leaf()
                && !r.orphan
                && policy_engine::assign::effective_target_role(u, *i)
                    == Some(policy_engine::model::Role::Stopped)
        })
        .count()
}

fn executing(t: &Transition) -> String {
    let u = t.unpacked();
    let mut s = String::new();
    for &a in &t.graph.order {
        let act = &t.actions.actions[a];
        if !is_executed(act) {
            continue;
        }
        if let Some((n, action)) = &act.fence {
            s.push_str(&format!("  * Fencing {} ({})\n", u.nodes[*n].uname, action));
        } else if act.pseudo {
            // (only node-level pseudo actions, a guest's fencing, name a
            // node; a resource's pseudo start or stop does not)
            let on = match act.node {
                Some(n) if act.rsc.is_none() => format!(" on {}", u.nodes[n].uname),
                _ => String::new(),
            };
            s.push_str(&format!("  * Pseudo action:   {}{}\n", op_key(u, act), on));
        } else if let (None, Some(n), true) =
            (act.rsc, act.node, act.task.starts_with("do_shutdown-"))
        {
            s.push_str(&format!(
                "  * Cluster action:  do_shutdown on {}\n",
                u.nodes[n].uname
            ));
        } else if let (Some(r), Some(n), "clear_failcount") = (act.rsc, act.node, act.task.as_str())
        {
            s.push_str(&format!(
                "  * Cluster action:  clear_failcount for {} on {}\n",
                graph_name(u, r),
                u.nodes[n].uname
            ));
        } else if let (Some(r), Some(n)) = (act.rsc, act.node) {
            let task = if act.interval_ms > 0 {
                format!("{}={}", act.task, act.interval_ms)
            } else {
                act.op_task().to_string()
            };
            s.push_str(&format!(
                "  * Resource action: {:<15} {} on {}\n",
                graph_name(u, r),
                task,
                u.nodes[n].uname
            ));
        }
    }
    s
}

fn scores_text(t: &Transition) -> String {
    let a = &t.actions.assigned;
    let u = t.unpacked();
    let mut lines: Vec<String> = a
        .score_lines
        .iter()
        .map(|&(f, r, n, s)| {
            let (r, n) = (&u.rscs[r].id, &u.nodes[n].uname);
            format!("{f}: {r} allocation score on {n}: {s}")
        })
        .collect();
    for (r, n, s) in &a.promotion_lines {
        lines.push(format!("{r} promotion score on {n}: {s}"));
    }
    lines.sort();
    lines.dedup();
    let mut s = String::from("Allocation scores:\n");
    for l in lines {
        s.push_str(&l);
        s.push('\n');
    }
    s
}

fn explain(t: &Transition, rsc: &str) -> String {
    let u = t.unpacked();
    let Some(&r) = u.rsc_by_id.get(rsc) else {
        return format!("\nNo resource named '{rsc}'\n");
    };
    let mut s = format!("\nWhy {rsc} is where it is:\n");
    let mut ids = vec![r];
    let mut all = Vec::new();
    policy_engine::unpack::leaves(&u.rscs, r, &mut all);
    ids.extend(all.into_iter().filter(|&x| x != r));
    for id in ids {
        let a = &t.actions.assigned;
        let name = &u.rscs[id].id;
        match a.node[id] {
            Some(n) => s.push_str(&format!(
                "  {name}: placed on {} (role {})\n",
                u.nodes[n].uname, a.next_role[id]
            )),
            None => s.push_str(&format!(
                "  {name}: not placed (role {})\n",
                a.next_role[id]
            )),
        }
        for c in a.scored.contributions.iter().filter(|c| c.rsc == id) {
            let node = c
                .node
                .map(|n| u.nodes[n].uname.as_str())
                .unwrap_or("every node");
            s.push_str(&format!(
                "    {} contributes {} on {}\n",
                c.source, c.score, node
            ));
        }
        if let Some(rs) = a.reasons.get(&id) {
            for x in rs {
                s.push_str(&format!("    {x}\n"));
            }
        }
        for act in t.actions.actions.iter().filter(|x| x.rsc == Some(id)) {
            if let Some(reason) = &act.reason {
                s.push_str(&format!(
                    "    {} {}: {}\n",
                    act.task,
                    if act.runnable { "required" } else { "blocked" },
                    reason
                ));
            }
        }
    }
    s
}

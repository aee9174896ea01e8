//! `tandem-lrm`: run resource agents by hand, as the cluster would.
//!
//! ```text
//! tandem-lrm exec AGENT ACTION [name=value ...] [--timeout 20s] [--interval 10s]
//! tandem-lrm meta-data AGENT
//! tandem-lrm list [CLASS[:PROVIDER]]
//! ```
//!
//! `exec` prints the result in words and exits with the agent's OCF rc, or
//! 198 when the operation timed out (as Pacemaker maps it), 5 when the agent
//! is not installed, 3 when the class has no such action, 1 on other
//! execution errors. Invoked as `crm_attribute` or `crm_master` (through a
//! symlink), it is the attribute front end agents call (see `lrm::attrd`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use lrm::{
    parse_duration, Action, AgentDirs, AgentSpec, EnvSettings, ExecStatus, Lrm, LrmConfig,
    LrmEvent, OpRequest,
};

#[derive(Parser, Debug)]
#[command(
    name = "tandem-lrm",
    version,
    about = "Tandem local resource manager tool"
)]
struct Args {
    /// OCF root directory.
    #[arg(long, global = true, default_value = "/usr/lib/ocf", env = "OCF_ROOT")]
    ocf_root: PathBuf,
    /// LSB init script directory.
    #[arg(long, global = true, default_value = "/etc/init.d")]
    lsb_dir: PathBuf,
    /// Heartbeat v1 resource script directory.
    #[arg(long, global = true, default_value = "/etc/ha.d/resource.d")]
    heartbeat_dir: PathBuf,
    /// Fence agent directory.
    #[arg(long, global = true, default_value = "/usr/sbin")]
    stonith_dir: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run one action of an agent (recurring with --interval for monitors).
    Exec {
        /// ocf:PROVIDER:TYPE, lsb:NAME, heartbeat:NAME or stonith:NAME.
        agent: String,
        /// start, stop, monitor, promote, demote, notify, reload,
        /// reload-agent, migrate_to, migrate_from, meta-data, validate-all.
        action: String,
        /// Instance parameters as name=value.
        params: Vec<String>,
        /// Operation timeout (20s, 500ms, 2min; bare numbers are seconds).
        #[arg(long, default_value = "20s")]
        timeout: String,
        /// Interval; for monitor, repeats and prints only changes.
        #[arg(long)]
        interval: Option<String>,
        /// Stop a recurring monitor after this many result changes.
        #[arg(long)]
        changes: Option<usize>,
        /// Resource id (OCF_RESOURCE_INSTANCE); defaults to the agent type.
        #[arg(long)]
        rsc: Option<String>,
        /// Meta attribute as name=value (repeatable).
        #[arg(long = "meta", value_name = "NAME=VALUE")]
        meta: Vec<String>,
        /// OCF_CHECK_LEVEL for monitors (0, 10, 20).
        #[arg(long)]
        check_level: Option<u32>,
        /// Node attribute directory for promotion scores.
        #[arg(long, default_value = "/run/tandem/attrd")]
        attr_dir: PathBuf,
        /// Print the agent's stdout and stderr.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Print an agent's meta-data XML.
    #[command(name = "meta-data")]
    MetaData {
        /// Agent name.
        agent: String,
    },
    /// List classes, or the agents of `CLASS[:PROVIDER]`.
    List {
        /// Class, or ocf:PROVIDER.
        what: Option<String>,
    },
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let base = argv
        .first()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or("")
        .to_string();
    if base == "crm_attribute" || base == "crm_master" {
        let code = lrm::attrd::crm_attribute_main(&argv[1..], base == "crm_master");
        return ExitCode::from(code as u8);
    }
    match run(Args::parse()) {
        Ok(code) => ExitCode::from(code),
        // Output piped into `head` and closed: not an error (as ripgrep).
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tandem-lrm: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn pairs(items: &[String], what: &str) -> Result<BTreeMap<String, String>> {
    let mut m = BTreeMap::new();
    for it in items {
        let Some((k, v)) = it.split_once('=') else {
            bail!("{what} '{it}' is not NAME=VALUE");
        };
        if k.is_empty() {
            bail!("{what} '{it}' has an empty name");
        }
        m.insert(k.to_string(), v.to_string());
    }
    Ok(m)
}

fn dirs(a: &Args) -> AgentDirs {
    AgentDirs {
        ocf_root: a.ocf_root.clone(),
        lsb_dir: a.lsb_dir.clone(),
        heartbeat_dir: a.heartbeat_dir.clone(),
        stonith_dir: a.stonith_dir.clone(),
    }
}

fn exit_code(rec: &lrm::OpRecord) -> u8 {
    match (rec.result.status, rec.result.rc) {
        (ExecStatus::Done, Some(rc)) => rc.code(),
        (ExecStatus::Timeout, _) => lrm::EXIT_TIMEOUT,
        (ExecStatus::NotInstalled, _) => 5,
        (ExecStatus::NotSupported, _) => 3,
        _ => 1,
    }
}

fn print_record(rec: &lrm::OpRecord, verbose: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let r = &rec.result;
    let words = match (r.status, r.rc) {
        (ExecStatus::Done, Some(rc)) => format!("returned: {rc}"),
        (ExecStatus::Timeout, _) => "timed out (Timed Out)".to_string(),
        (s, _) => format!("failed ({s})"),
    };
    writeln!(
        out,
        "Operation {} for {} ({}) {} [call {}, {} ms]",
        rec.key.action,
        rec.key.rsc,
        rec.agent,
        words,
        rec.call_id,
        r.exec_time.as_millis()
    )?;
    if let Some(reason) = &r.reason {
        writeln!(out, " >  reason: {reason}")?;
    }
    if verbose {
        for (name, c) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            for line in c.text().lines() {
                writeln!(out, " >  {name}: {line}")?;
            }
        }
    }
    Ok(())
}

/// A private directory with `crm_attribute`/`crm_master` links to this
/// binary, removed when the command exits (so promotable agents publish
/// their scores to `--attr-dir`).
fn shim_dir() -> Option<tempfile::TempDir> {
    let exe = std::env::current_exe().ok()?;
    let dir = tempfile::Builder::new()
        .prefix("tandem-lrm-shims")
        .tempdir()
        .ok()?;
    lrm::attrd::install_shims(dir.path(), &exe).ok()?;
    Some(dir)
}

fn run(a: Args) -> Result<u8> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let d = dirs(&a);
    match a.cmd {
        Cmd::List { what } => {
            match what.as_deref() {
                None => {
                    for c in lrm::CLASSES {
                        writeln!(std::io::stdout(), "{c}")?;
                    }
                }
                Some(w) => {
                    let (class, provider) = match w.split_once(':') {
                        Some((c, p)) => (c, Some(p)),
                        None => (w, None),
                    };
                    for n in d.list(class, provider)? {
                        writeln!(std::io::stdout(), "{n}")?;
                    }
                }
            }
            Ok(0)
        }
        Cmd::MetaData { agent } => {
            let agent: AgentSpec = agent.parse()?;
            let config = LrmConfig {
                env: EnvSettings {
                    dirs: d,
                    ..EnvSettings::default()
                },
                ..LrmConfig::default()
            };
            let (lrm, _ev) = Lrm::new(config);
            let xml = rt.block_on(lrm.metadata(&agent))?;
            write!(std::io::stdout(), "{xml}")?;
            Ok(0)
        }
        Cmd::Exec {
            agent,
            action,
            params,
            timeout,
            interval,
            changes,
            rsc,
            meta,
            check_level,
            attr_dir,
            verbose,
        } => {
            let agent: AgentSpec = agent.parse()?;
            let action = Action::parse(&action);
            let timeout = parse_duration(&timeout)?;
            let interval = interval
                .as_deref()
                .map(parse_duration)
                .transpose()?
                .unwrap_or(Duration::ZERO);
            let mut req = OpRequest::new(
                rsc.unwrap_or_else(|| agent.kind().to_string()),
                agent,
                action,
            )
            .timeout(timeout)
            .interval(interval);
            req.params = pairs(&params, "parameter")?;
            req.meta = pairs(&meta, "meta attribute")?;
            req.check_level = check_level;
            let shims = shim_dir();
            let config = LrmConfig {
                env: EnvSettings {
                    dirs: d,
                    shim_dir: shims.as_ref().map(|s| s.path().to_path_buf()),
                    attr_dir: Some(attr_dir),
                    node_name: nix::unistd::gethostname()
                        .ok()
                        .and_then(|h| h.into_string().ok()),
                    ..EnvSettings::default()
                },
                ..LrmConfig::default()
            };
            let (lrm, mut events) = Lrm::new(config);
            rt.block_on(async move {
                if interval.is_zero() {
                    let rec = lrm.exec(req).await;
                    if rec.key.action == Action::MetaData && rec.result.is(lrm::OcfRc::Success) {
                        write!(std::io::stdout(), "{}", rec.result.stdout.text())?;
                    } else {
                        print_record(&rec, verbose)?;
                    }
                    return Ok(exit_code(&rec));
                }
                lrm.start_recurring(req)?;
                let mut seen = 0usize;
                let mut last = 1u8;
                loop {
                    tokio::select! {
                        ev = events.recv() => {
                            let Some(LrmEvent::OpResult(rec)) = ev else { break };
                            print_record(&rec, verbose)?;
                            last = exit_code(&rec);
                            seen += 1;
                            if changes.is_some_and(|c| seen >= c) {
                                break;
                            }
                        }
                        _ = tokio::signal::ctrl_c() => break,
                    }
                }
                Ok(last)
            })
        }
    }
}

//! `tandem-agent`: the multi-call binary behind every `ocf:tandem:*` agent.
//!
//! Invoked as `.../resource.d/tandem/IPaddr2 start` it is the IPaddr2
//! agent. Invoked as `tandem-agent` it offers:
//! `tandem-agent install [--ocf-root DIR]`, `tandem-agent list`, and
//! `tandem-agent AGENT ACTION` (run an agent without installing it).

use std::path::PathBuf;
use std::process::ExitCode;

use agents::ocf::Ctx;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let me = args
        .first()
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        .unwrap_or_default();
    if let Some(agent) = agents::agent(&me) {
        let action = args.get(1).map(String::as_str).unwrap_or("");
        let rc = agents::dispatch(agent.as_ref(), action, &Ctx::from_env());
        return ExitCode::from(rc as u8);
    }
    match args.get(1).map(String::as_str) {
        Some("install") => {
            let mut root =
                PathBuf::from(std::env::var("OCF_ROOT").unwrap_or_else(|_| "/usr/lib/ocf".into()));
            let mut i = 2;
            while i < args.len() {
                match args[i].as_str() {
                    "--ocf-root" if i + 1 < args.len() => {
                        root = PathBuf::from(&args[i + 1]);
                        i += 1;
                    }
                    other => {
                        eprintln!("tandem-agent install: unknown argument '{other}'");
                        return ExitCode::from(64);
                    }
                }
                i += 1;
            }
            let exe = match std::env::current_exe() {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("tandem-agent: cannot find own executable: {e}");
                    return ExitCode::from(1);
                }
            };
            match agents::install::install(&exe, &root) {
                Ok(paths) => {
                    for p in paths {
                        println!("{}", p.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("tandem-agent install: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Some("list") => {
            for a in agents::AGENTS {
                println!("{a}");
            }
            ExitCode::SUCCESS
        }
        Some(name) if agents::agent(name).is_some() => {
            let agent = agents::agent(name).expect("checked");
            let action = args.get(2).map(String::as_str).unwrap_or("");
            ExitCode::from(agents::dispatch(agent.as_ref(), action, &Ctx::from_env()) as u8)
        }
        _ => {
            eprintln!(
                "usage: tandem-agent install [--ocf-root DIR] | list | AGENT ACTION\nagents: {}",
                agents::AGENTS.join(" ")
            );
            ExitCode::from(64)
        }
    }
}

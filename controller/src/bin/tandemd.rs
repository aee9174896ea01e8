//! `tandemd`: the Tandem node daemon (membership and quorum for now).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use controller::daemon::{run, Options};

/// Tandem node daemon.
#[derive(Parser, Debug)]
#[command(name = "tandemd", version)]
struct Args {
    /// corosync.conf-style configuration file.
    #[arg(long, default_value = "/etc/tandem/corosync.conf")]
    config: PathBuf,
    /// Local node (nodelist name, ring0 address or node id) when several are local.
    #[arg(long)]
    node: Option<String>,
    /// Unix socket the tools talk to.
    #[arg(long, default_value = controller::DEFAULT_SOCKET)]
    socket: PathBuf,
    /// Directory for ring ids and boot epochs.
    #[arg(long, default_value = "/var/lib/tandem")]
    state_dir: PathBuf,
    /// Use Corosync's failure detection timing (token + consensus) instead of the fast path.
    #[arg(long)]
    corosync_timing: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TANDEM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let a = Args::parse();
    let opts = Options {
        config: a.config,
        node: a.node,
        socket: a.socket,
        state_dir: a.state_dir,
        corosync_timing: a.corosync_timing,
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tandemd: {e}");
            return ExitCode::from(2);
        }
    };
    let res = rt.block_on(run(opts, async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }));
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tandemd: {e:#}");
            ExitCode::from(2)
        }
    }
}

//! `tandem-cmapctl`: diagnostics in the style of `corosync-cmapctl`, from the local tandemd.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "tandem-cmapctl", version)]
struct Args {
    /// Prefix filter (only runtime.members keys are provided).
    prefix: Option<String>,
    /// tandemd socket (default: $TANDEM_SOCKET, else /run/tandem/tandemd.sock).
    #[arg(long)]
    socket: Option<PathBuf>,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let path = controller::socket_path(a.socket.clone());
    let r = match controller::ipc::query_status(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "tandem-cmapctl: {e}: {}",
                std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            );
            return ExitCode::from(1);
        }
    };
    let out = controller::render::cmap_members(&r);
    for l in out.lines() {
        if a.prefix.as_deref().is_none_or(|p| l.starts_with(p)) {
            println!("{l}");
        }
    }
    ExitCode::SUCCESS
}

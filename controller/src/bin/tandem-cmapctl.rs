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
    let r = match controller::tool_status("tandem-cmapctl", a.socket.clone()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let out = controller::render::cmap_members(&r);
    for l in out.lines() {
        if a.prefix.as_deref().is_none_or(|p| l.starts_with(p)) {
            println!("{l}");
        }
    }
    ExitCode::SUCCESS
}

//! `tandem-quorumtool`: diagnostics in the style of `corosync-quorumtool`, from the local tandemd.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "tandem-quorumtool", version)]
struct Args {
    /// Show quorum status (like corosync-quorumtool -s).
    #[arg(short = 's')]
    status: bool,
    /// tandemd socket (default: $TANDEM_SOCKET, else /run/tandem/tandemd.sock).
    #[arg(long)]
    socket: Option<PathBuf>,
}

fn main() -> ExitCode {
    let a = Args::parse();
    if !a.status {
        eprintln!("usage: tandem-quorumtool -s [--socket PATH]");
        return ExitCode::from(1);
    }
    let r = match controller::tool_status("tandem-quorumtool", a.socket.clone()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let date = chrono::Local::now()
        .format("%a %b %e %H:%M:%S %Y")
        .to_string();
    print!("{}", controller::render::quorumtool(&r, &date));
    ExitCode::SUCCESS
}

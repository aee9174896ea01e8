//! `tandem-cfgtool`: diagnostics in the style of `corosync-cfgtool`, from the local tandemd.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "tandem-cfgtool", version)]
struct Args {
    /// Show the status of the ring links (like corosync-cfgtool -s).
    #[arg(short = 's')]
    status: bool,
    /// tandemd socket (default: $TANDEM_SOCKET, else /run/tandem/tandemd.sock).
    #[arg(long)]
    socket: Option<PathBuf>,
}

fn main() -> ExitCode {
    let a = Args::parse();
    if !a.status {
        eprintln!("usage: tandem-cfgtool -s [--socket PATH]");
        return ExitCode::from(1);
    }
    let r = match controller::tool_status("tandem-cfgtool", a.socket.clone()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    print!("{}", controller::render::cfgtool(&r));
    ExitCode::SUCCESS
}

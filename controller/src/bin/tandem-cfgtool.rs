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
    let path = controller::socket_path(a.socket.clone());
    let r = match controller::ipc::query_status(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "tandem-cfgtool: {e}: {}",
                std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            );
            return ExitCode::from(1);
        }
    };
    if !a.status {
        eprintln!("usage: tandem-cfgtool -s [--socket PATH]");
        return ExitCode::from(1);
    }
    print!("{}", controller::render::cfgtool(&r));
    ExitCode::SUCCESS
}

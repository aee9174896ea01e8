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
    let path = controller::socket_path(a.socket.clone());
    let r = match controller::ipc::query_status(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "tandem-quorumtool: {e}: {}",
                std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            );
            return ExitCode::from(1);
        }
    };
    if !a.status {
        eprintln!("usage: tandem-quorumtool -s [--socket PATH]");
        return ExitCode::from(1);
    }
    let date = chrono::Local::now()
        .format("%a %b %e %H:%M:%S %Y")
        .to_string();
    print!("{}", controller::render::quorumtool(&r, &date));
    ExitCode::SUCCESS
}

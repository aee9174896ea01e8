//! `controller`: the node daemon `tandemd` and its diagnostics tools.
//!
//! Today `tandemd` runs the membership layer only: it reads `corosync.conf`, drives the
//! `membership` core over UDP with the tokio driver, and answers status requests on a
//! root-only Unix socket. Later issues add the CIB, scheduler and LRM as tasks in the same
//! process.
//!
//! # How data enters and leaves
//!
//! - In: the config file, UDP datagrams from nodelist peers (through `membership::driver`),
//!   and one-line requests on the Unix socket ([`ipc`]).
//! - Out: UDP datagrams, log lines (tracing, stderr), and [`ipc::StatusReply`] answers that
//!   the tools render like `corosync-cfgtool -s`, `corosync-quorumtool -s` and
//!   `corosync-cmapctl | grep members` ([`render`]).

pub mod daemon;
pub mod ipc;
pub mod render;
pub mod testcluster;

/// Socket used when neither `--socket` nor `TANDEM_SOCKET` is given.
pub const DEFAULT_SOCKET: &str = "/run/tandem/tandemd.sock";

/// Resolves the socket path for a client tool: flag, then `TANDEM_SOCKET`, then the default.
pub fn socket_path(flag: Option<std::path::PathBuf>) -> std::path::PathBuf {
    flag.or_else(|| std::env::var_os("TANDEM_SOCKET").map(Into::into))
        .unwrap_or_else(|| DEFAULT_SOCKET.into())
}

/// What the diagnostic tools share: asks the daemon at the resolved socket
/// for its status, or prints `TOOL: error: cause` and gives exit code 1.
pub fn tool_status(
    tool: &str,
    socket: Option<std::path::PathBuf>,
) -> Result<ipc::StatusReply, std::process::ExitCode> {
    ipc::query_status(&socket_path(socket)).map_err(|e| {
        let cause = std::error::Error::source(&e)
            .map(|s| s.to_string())
            .unwrap_or_default();
        eprintln!("{tool}: {e}: {cause}");
        std::process::ExitCode::from(1)
    })
}

//! Shared by the controller's integration tests.

use std::path::Path;
use std::process::Command;

/// Run one of the status tools (`tandem-cfgtool`, `tandem-quorumtool`) with
/// `-s` against a daemon's socket; it must succeed. Returns its stdout.
pub fn tool(name: &str, sock: &Path) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_tandemd")).with_file_name(name);
    let out = Command::new(bin)
        .arg("-s")
        .env("TANDEM_SOCKET", sock)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

//! Running one agent process: its own process group, bounded output capture,
//! and a timeout that kills the whole group (SIGTERM, then SIGKILL).
//!
//! This mirrors Pacemaker's `services_linux.c` (`setpgid(0, 0)` in the child)
//! and `mainloop.c` `child_kill_helper` (`kill(-pid, ...)`). Unlike Pacemaker
//! we send SIGTERM first and give the group [`RunLimits::kill_grace`] to exit,
//! so agents can clean up temporary files; then SIGKILL. We only return once
//! no live (non-zombie) process is left in the group.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::request::Invocation;
use crate::result::Captured;

/// Limits applied to one execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    /// Maximum run time before the process group is killed.
    pub timeout: Duration,
    /// Time between SIGTERM and SIGKILL on timeout.
    pub kill_grace: Duration,
    /// Bytes kept per output stream (the tail is kept).
    pub output_limit: usize,
}

/// How the process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Exited with this status.
    Exited(u8),
    /// Killed by this signal (not by us).
    Signaled(i32),
    /// Exceeded the timeout; the group was killed.
    TimedOut,
    /// Could not be started.
    SpawnFailed(std::io::ErrorKind, String),
}

/// What running a process produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How it ended.
    pub ending: Ending,
    /// Captured stdout.
    pub stdout: Captured,
    /// Captured stderr.
    pub stderr: Captured,
    /// Spawn to end (including the kill on timeout).
    pub elapsed: Duration,
}

impl Outcome {
    /// An outcome where the process exited with `code` and printed nothing.
    pub fn exited(code: u8) -> Outcome {
        Outcome {
            ending: Ending::Exited(code),
            stdout: Captured::default(),
            stderr: Captured::default(),
            elapsed: Duration::ZERO,
        }
    }
}

/// Future returned by [`Runner::run`].
pub type RunFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>>;

/// Runs agent invocations. The executor's only access to processes, so
/// tests (and the cluster simulator) can swap in scripted agents.
pub trait Runner: Send + Sync + 'static {
    /// Runs `inv` within `limits`.
    fn run<'a>(&'a self, inv: &'a Invocation, limits: RunLimits) -> RunFuture<'a>;
}

/// The real runner: child processes in their own process group.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessRunner;

impl Runner for ProcessRunner {
    fn run<'a>(&'a self, inv: &'a Invocation, limits: RunLimits) -> RunFuture<'a> {
        Box::pin(async move {
            if !crate::request::is_installed(&inv.program) {
                return Outcome {
                    ending: Ending::SpawnFailed(
                        std::io::ErrorKind::NotFound,
                        "not found or not executable".into(),
                    ),
                    stdout: Captured::default(),
                    stderr: Captured::default(),
                    elapsed: Duration::ZERO,
                };
            }
            run(inv, limits).await
        })
    }
}

/// A scripted runner for tests: a function decides each outcome, and no
/// process is started.
pub struct FnRunner<F>(pub F);

impl<F> Runner for FnRunner<F>
where
    F: Fn(&Invocation) -> Outcome + Send + Sync + 'static,
{
    fn run<'a>(&'a self, inv: &'a Invocation, _limits: RunLimits) -> RunFuture<'a> {
        let out = (self.0)(inv);
        Box::pin(async move { out })
    }
}

#[derive(Default)]
struct Tail {
    buf: Vec<u8>,
    dropped: u64,
}

fn push_bounded(t: &mut Tail, data: &[u8], limit: usize) {
    t.buf.extend_from_slice(data);
    if t.buf.len() > limit {
        let excess = t.buf.len() - limit;
        t.buf.drain(..excess);
        t.dropped += excess as u64;
    }
}

async fn pump<R: AsyncRead + Unpin>(mut r: R, sink: Arc<Mutex<Tail>>, limit: usize) {
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                // std Mutex: held only for a memcpy, never across an await.
                let mut t = sink.lock().expect("output buffer poisoned");
                push_bounded(&mut t, &chunk[..n], limit);
            }
        }
    }
}

fn take(sink: &Arc<Mutex<Tail>>) -> Captured {
    let mut t = sink.lock().expect("output buffer poisoned");
    Captured {
        bytes: std::mem::take(&mut t.buf),
        dropped: t.dropped,
    }
}

/// Is any live (non-zombie) process left in process group `pgid`?
///
/// Zombies are ignored: orphaned grandchildren are reaped by init, not by us,
/// and a zombie no longer runs or holds resources (other than its pid).
pub fn group_alive(pgid: i32) -> bool {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return false;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the parenthesised command: state ppid pgrp ...
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let mut f = stat[close + 1..].split_whitespace();
        let state = f.next().unwrap_or("");
        let _ppid = f.next();
        let pgrp: i32 = f.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if pgrp == pgid && state != "Z" && state != "X" {
            return true;
        }
    }
    false
}

async fn wait_group_gone(pgid: i32, max: Duration) -> bool {
    let end = Instant::now() + max;
    loop {
        if !group_alive(pgid) {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// How long we wait for output pipes to close after the agent exited. A
/// daemon started by the agent may inherit them and keep them open forever.
const DRAIN_GRACE: Duration = Duration::from_millis(100);

/// Runs `inv` to completion or timeout.
pub async fn run(inv: &Invocation, limits: RunLimits) -> Outcome {
    let started = Instant::now();
    let mut cmd = Command::new(&inv.program);
    cmd.args(&inv.args)
        .env_clear()
        .envs(inv.env.iter().map(|(k, v)| (k, v)))
        .stdin(if inv.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir("/")
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                ending: Ending::SpawnFailed(e.kind(), e.to_string()),
                stdout: Captured::default(),
                stderr: Captured::default(),
                elapsed: started.elapsed(),
            }
        }
    };
    let pgid = child.id().map(|p| p as i32).unwrap_or(0);
    let out = Arc::new(Mutex::new(Tail::default()));
    let err = Arc::new(Mutex::new(Tail::default()));
    let mut pumps = Vec::new();
    if let Some(o) = child.stdout.take() {
        pumps.push(tokio::spawn(pump(o, out.clone(), limits.output_limit)));
    }
    if let Some(e) = child.stderr.take() {
        pumps.push(tokio::spawn(pump(e, err.clone(), limits.output_limit)));
    }
    if let (Some(data), Some(mut stdin)) = (inv.stdin.clone(), child.stdin.take()) {
        tokio::spawn(async move {
            let _ = stdin.write_all(data.as_bytes()).await;
            // Dropping stdin closes it, which fence agents wait for.
        });
    }

    let ending = match tokio::time::timeout(limits.timeout, child.wait()).await {
        Ok(Ok(status)) => {
            use std::os::unix::process::ExitStatusExt;
            match (status.code(), status.signal()) {
                (Some(c), _) => Ending::Exited(c as u8),
                (None, Some(s)) => Ending::Signaled(s),
                (None, None) => Ending::Signaled(0),
            }
        }
        Ok(Err(e)) => Ending::SpawnFailed(e.kind(), format!("waiting for agent: {e}")),
        Err(_elapsed) => {
            tracing::warn!(pgid, program = %inv.program.display(), "timeout: killing process group");
            kill_group(pgid, limits.kill_grace).await;
            let _ = child.wait().await;
            Ending::TimedOut
        }
    };
    let drain_end = Instant::now() + DRAIN_GRACE;
    for p in pumps {
        let left = drain_end.saturating_duration_since(Instant::now());
        let abort = p.abort_handle();
        if tokio::time::timeout(left, p).await.is_err() {
            abort.abort();
        }
    }
    Outcome {
        ending,
        stdout: take(&out),
        stderr: take(&err),
        elapsed: started.elapsed(),
    }
}

/// SIGTERM to the group, up to `grace` for it to go, then SIGKILL, then wait
/// until no live process is left in it.
pub async fn kill_group(pgid: i32, grace: Duration) {
    if pgid <= 1 {
        return;
    }
    let pg = Pid::from_raw(pgid);
    let _ = killpg(pg, Signal::SIGTERM);
    if !wait_group_gone(pgid, grace).await {
        let _ = killpg(pg, Signal::SIGKILL);
        if !wait_group_gone(pgid, Duration::from_secs(2)).await {
            tracing::error!(pgid, "process group survived SIGKILL");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_keeps_tail() {
        let mut t = Tail::default();
        push_bounded(&mut t, b"hello ", 8);
        push_bounded(&mut t, b"world", 8);
        assert_eq!(t.buf, b"lo world");
        assert_eq!(t.dropped, 3);
    }
}

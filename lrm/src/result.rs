//! The two halves of an operation's outcome, kept apart on purpose.
//!
//! [`ExecStatus`] says how *execution* went (done, timed out, cancelled, agent
//! missing, ...): it is the executor's view, Pacemaker's `op-status`.
//! [`OcfRc`] is what the *agent* answered (its exit code, OCF RA API 1.1 §
//! "Return codes"), Pacemaker's `rc-code`. A timeout is an execution status and
//! never an invented exit code, so [`ExecResult::rc`] is `None` unless the agent
//! actually ran to completion.

use std::fmt;
use std::time::Duration;

/// An agent's exit code as defined by the OCF Resource Agent API 1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OcfRc {
    /// 0: success; for monitor, "running".
    Success,
    /// 1: generic error.
    ErrGeneric,
    /// 2: invalid or unsupported arguments (usually "invalid on this host").
    ErrArgs,
    /// 3: action not implemented.
    ErrUnimplemented,
    /// 4: insufficient privileges.
    ErrPerm,
    /// 5: required software not installed on this host.
    ErrInstalled,
    /// 6: configuration invalid everywhere.
    ErrConfigured,
    /// 7: cleanly stopped (monitor).
    NotRunning,
    /// 8: running in the promoted role (monitor).
    RunningPromoted,
    /// 9: promoted but failed (monitor).
    FailedPromoted,
    /// 190: running but degraded (OCF 1.1).
    Degraded,
    /// 191: promoted but degraded (OCF 1.1).
    DegradedPromoted,
    /// Any other exit status; it has no defined meaning.
    Other(u8),
}

impl OcfRc {
    /// Maps a numeric exit status to an [`OcfRc`].
    pub fn from_code(code: u8) -> OcfRc {
        match code {
            0 => OcfRc::Success,
            1 => OcfRc::ErrGeneric,
            2 => OcfRc::ErrArgs,
            3 => OcfRc::ErrUnimplemented,
            4 => OcfRc::ErrPerm,
            5 => OcfRc::ErrInstalled,
            6 => OcfRc::ErrConfigured,
            7 => OcfRc::NotRunning,
            8 => OcfRc::RunningPromoted,
            9 => OcfRc::FailedPromoted,
            190 => OcfRc::Degraded,
            191 => OcfRc::DegradedPromoted,
            other => OcfRc::Other(other),
        }
    }

    /// The numeric exit status.
    pub fn code(self) -> u8 {
        match self {
            OcfRc::Success => 0,
            OcfRc::ErrGeneric => 1,
            OcfRc::ErrArgs => 2,
            OcfRc::ErrUnimplemented => 3,
            OcfRc::ErrPerm => 4,
            OcfRc::ErrInstalled => 5,
            OcfRc::ErrConfigured => 6,
            OcfRc::NotRunning => 7,
            OcfRc::RunningPromoted => 8,
            OcfRc::FailedPromoted => 9,
            OcfRc::Degraded => 190,
            OcfRc::DegradedPromoted => 191,
            OcfRc::Other(c) => c,
        }
    }

    /// The symbolic name from `ocf-returncodes` (`OCF_SUCCESS`, ...).
    pub fn name(self) -> &'static str {
        match self {
            OcfRc::Success => "OCF_SUCCESS",
            OcfRc::ErrGeneric => "OCF_ERR_GENERIC",
            OcfRc::ErrArgs => "OCF_ERR_ARGS",
            OcfRc::ErrUnimplemented => "OCF_ERR_UNIMPLEMENTED",
            OcfRc::ErrPerm => "OCF_ERR_PERM",
            OcfRc::ErrInstalled => "OCF_ERR_INSTALLED",
            OcfRc::ErrConfigured => "OCF_ERR_CONFIGURED",
            OcfRc::NotRunning => "OCF_NOT_RUNNING",
            OcfRc::RunningPromoted => "OCF_RUNNING_PROMOTED",
            OcfRc::FailedPromoted => "OCF_FAILED_PROMOTED",
            OcfRc::Degraded => "OCF_DEGRADED",
            OcfRc::DegradedPromoted => "OCF_DEGRADED_PROMOTED",
            OcfRc::Other(_) => "OCF_UNKNOWN",
        }
    }

    /// The words `crm_mon` uses for this code ("not running", "promoted", ...).
    pub fn describe(self) -> &'static str {
        match self {
            OcfRc::Success => "ok",
            OcfRc::ErrGeneric => "error",
            OcfRc::ErrArgs => "invalid parameter",
            OcfRc::ErrUnimplemented => "unimplemented feature",
            OcfRc::ErrPerm => "insufficient privileges",
            OcfRc::ErrInstalled => "not installed",
            OcfRc::ErrConfigured => "not configured",
            OcfRc::NotRunning => "not running",
            OcfRc::RunningPromoted => "promoted",
            OcfRc::FailedPromoted => "promoted (failed)",
            OcfRc::Degraded => "degraded",
            OcfRc::DegradedPromoted => "promoted (degraded)",
            OcfRc::Other(_) => "unknown",
        }
    }
}

impl fmt::Display for OcfRc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' ({})", self.describe(), self.code())
    }
}

/// How execution of an operation went, independent of what the agent said.
///
/// The numbers ([`ExecStatus::code`]) are Pacemaker's `op-status` values, as
/// stored in the CIB's `lrm_rsc_op` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExecStatus {
    /// The agent ran and exited; its exit code is in [`ExecResult::rc`].
    Done,
    /// The operation was cancelled (a recurring monitor stopped on request).
    Cancelled,
    /// The operation exceeded its timeout and its process group was killed.
    Timeout,
    /// The action is not supported for this class of agent.
    NotSupported,
    /// The agent could not be run, or died from a signal.
    Error,
    /// The agent executable does not exist.
    NotInstalled,
}

impl ExecStatus {
    /// Pacemaker's numeric `op-status`.
    pub fn code(self) -> i32 {
        match self {
            ExecStatus::Done => 0,
            ExecStatus::Cancelled => 1,
            ExecStatus::Timeout => 2,
            ExecStatus::NotSupported => 3,
            ExecStatus::Error => 4,
            ExecStatus::NotInstalled => 7,
        }
    }

    /// Words for humans ("complete", "Timed Out", ...), as Pacemaker prints them.
    pub fn describe(self) -> &'static str {
        match self {
            ExecStatus::Done => "complete",
            ExecStatus::Cancelled => "Cancelled",
            ExecStatus::Timeout => "Timed Out",
            ExecStatus::NotSupported => "NOT SUPPORTED",
            ExecStatus::Error => "Error",
            ExecStatus::NotInstalled => "Not installed",
        }
    }
}

impl fmt::Display for ExecStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Output captured from one stream of an agent, bounded in size.
///
/// When an agent writes more than the limit, the *oldest* bytes are dropped:
/// the exit reason and the last error messages are at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The bytes kept (the tail of the stream).
    pub bytes: Vec<u8>,
    /// Bytes dropped from the front because of the limit.
    pub dropped: u64,
}

impl Captured {
    /// The kept bytes as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// The complete outcome of one execution of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    /// How execution went.
    pub status: ExecStatus,
    /// What the agent answered (mapped for LSB/heartbeat/stonith classes);
    /// `None` unless `status` is [`ExecStatus::Done`].
    pub rc: Option<OcfRc>,
    /// Human-readable reason: the agent's last `ocf-exit-reason:` line, or the
    /// executor's explanation (timeout, signal, missing agent).
    pub reason: Option<String>,
    /// Captured standard output.
    pub stdout: Captured,
    /// Captured standard error.
    pub stderr: Captured,
    /// Time from spawn until the agent (and, on timeout, its group) was gone.
    pub exec_time: Duration,
}

impl ExecResult {
    /// A result produced without running anything (e.g. a stonith `stop`).
    pub fn immediate(rc: OcfRc, stdout: String) -> ExecResult {
        ExecResult {
            status: ExecStatus::Done,
            rc: Some(rc),
            reason: None,
            stdout: Captured {
                bytes: stdout.into_bytes(),
                dropped: 0,
            },
            stderr: Captured::default(),
            exec_time: Duration::ZERO,
        }
    }

    /// A failure of execution itself (no agent rc).
    pub fn failed(status: ExecStatus, reason: impl Into<String>) -> ExecResult {
        ExecResult {
            status,
            rc: None,
            reason: Some(reason.into()),
            stdout: Captured::default(),
            stderr: Captured::default(),
            exec_time: Duration::ZERO,
        }
    }

    /// True when the agent ran and returned `rc`.
    pub fn is(&self, rc: OcfRc) -> bool {
        self.status == ExecStatus::Done && self.rc == Some(rc)
    }

    /// One line in words: `"ok (0)"`, `"Timed Out"`, `"not running (7): reason"`.
    pub fn summary(&self) -> String {
        let mut s = match (self.status, self.rc) {
            (ExecStatus::Done, Some(rc)) => format!("{} ({})", rc.describe(), rc.code()),
            (status, _) => status.describe().to_string(),
        };
        if let Some(r) = &self.reason {
            s.push_str(": ");
            s.push_str(r);
        }
        s
    }
}

/// How bad an operation's outcome is, in Pacemaker's terms (see
/// `reference/ocf` §3): what the cluster should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// As expected (or a cancelled recurring op, which is not a failure).
    Ok,
    /// Recover in place (stop/start), count a failure.
    Soft,
    /// Ban the resource from this node.
    Hard,
    /// Stop the resource everywhere; no recovery.
    Fatal,
}

impl ExecResult {
    /// Classifies the result against the rc the caller expected (`expected`
    /// is 7 for probes, 8 for promoted-role monitors, else 0). A probe that
    /// finds the resource active (0/8) or not installed (5) is not a failure:
    /// it is how the cluster discovers state. Degraded results (190/191)
    /// count as their non-degraded counterparts.
    pub fn severity(&self, expected: OcfRc, is_probe: bool) -> Severity {
        let rc = match (self.status, self.rc) {
            (ExecStatus::Cancelled, _) => return Severity::Ok,
            (ExecStatus::Timeout | ExecStatus::Error, _) => return Severity::Soft,
            (ExecStatus::NotInstalled | ExecStatus::NotSupported, _) => {
                return if is_probe {
                    Severity::Ok
                } else {
                    Severity::Hard
                }
            }
            (ExecStatus::Done, None) => return Severity::Soft,
            (ExecStatus::Done, Some(rc)) => match rc {
                OcfRc::Degraded => OcfRc::Success,
                OcfRc::DegradedPromoted => OcfRc::RunningPromoted,
                rc => rc,
            },
        };
        if rc == expected {
            return Severity::Ok;
        }
        if is_probe
            && matches!(
                rc,
                OcfRc::Success | OcfRc::RunningPromoted | OcfRc::NotRunning | OcfRc::ErrInstalled
            )
        {
            return Severity::Ok;
        }
        match rc {
            OcfRc::ErrArgs | OcfRc::ErrUnimplemented | OcfRc::ErrPerm | OcfRc::ErrInstalled => {
                Severity::Hard
            }
            OcfRc::ErrConfigured => Severity::Fatal,
            _ => Severity::Soft,
        }
    }
}

/// Extracts the exit reason: the text after the last line of `stderr` that
/// starts with `prefix` (Pacemaker's `parse_exit_reason_from_stderr`).
pub fn exit_reason(stderr: &str, prefix: &str) -> Option<String> {
    stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(prefix))
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc_round_trip() {
        for c in 0..=255u8 {
            assert_eq!(OcfRc::from_code(c).code(), c);
        }
        assert_eq!(OcfRc::from_code(7), OcfRc::NotRunning);
        assert_eq!(OcfRc::NotRunning.to_string(), "'not running' (7)");
    }

    #[test]
    fn reason_is_last_prefixed_line() {
        let err = "x\nocf-exit-reason:first\nnoise\nocf-exit-reason:second one\ntrailer\n";
        assert_eq!(
            exit_reason(err, "ocf-exit-reason:").as_deref(),
            Some("second one")
        );
        assert_eq!(exit_reason("nothing", "ocf-exit-reason:"), None);
    }

    #[test]
    fn severity_follows_pacemaker_failure_classes() {
        let done = |c: u8| ExecResult::immediate(OcfRc::from_code(c), String::new());
        use Severity::*;
        assert_eq!(done(0).severity(OcfRc::Success, false), Ok);
        assert_eq!(done(190).severity(OcfRc::Success, false), Ok);
        assert_eq!(done(7).severity(OcfRc::NotRunning, true), Ok);
        assert_eq!(done(0).severity(OcfRc::NotRunning, true), Ok);
        assert_eq!(done(5).severity(OcfRc::NotRunning, true), Ok);
        assert_eq!(done(7).severity(OcfRc::Success, false), Soft);
        assert_eq!(done(1).severity(OcfRc::Success, false), Soft);
        assert_eq!(done(2).severity(OcfRc::Success, false), Hard);
        assert_eq!(done(5).severity(OcfRc::Success, false), Hard);
        assert_eq!(done(6).severity(OcfRc::Success, false), Fatal);
        assert_eq!(done(6).severity(OcfRc::NotRunning, true), Fatal);
        assert_eq!(done(0).severity(OcfRc::RunningPromoted, false), Soft);
        let t = ExecResult::failed(ExecStatus::Timeout, "t");
        assert_eq!(t.severity(OcfRc::Success, false), Soft);
        let c = ExecResult::failed(ExecStatus::Cancelled, "c");
        assert_eq!(c.severity(OcfRc::Success, false), Ok);
        let n = ExecResult::failed(ExecStatus::NotInstalled, "n");
        assert_eq!(n.severity(OcfRc::Success, false), Hard);
    }

    #[test]
    fn timeout_has_no_rc_and_a_status_code() {
        let r = ExecResult::failed(ExecStatus::Timeout, "timed out after 1s");
        assert_eq!(r.rc, None);
        assert_eq!(r.status.code(), 2);
        assert_eq!(r.summary(), "Timed Out: timed out after 1s");
    }
}

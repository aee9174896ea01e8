//! The exit statuses of `crm`, defined once.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | everything asked for was done |
//! | 1 | at least one command failed: a syntax or semantic error, a refused or failed commit, an unknown object; the session carried on with the next command |
//! | 2 | the command line itself was wrong (unknown option, missing argument) |
//! | 3 | the CIB could not be read or written (missing `CIB_file`, unreadable XML, I/O error) |
//!
//! crmsh uses 1 for both of the first failure kinds and 0 after a forced
//! commit that verification complained about; so do we.

/// How `crm` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Everything succeeded.
    Success = 0,
    /// A command failed (syntax, semantics, commit refused or rejected).
    CommandFailed = 1,
    /// Bad command-line usage.
    Usage = 2,
    /// The CIB could not be read or written.
    CibUnavailable = 3,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The worse of two outcomes (higher codes are worse).
    pub fn worst(self, other: Exit) -> Exit {
        self.max(other)
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

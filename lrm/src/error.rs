//! The error type of the `lrm` library.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong in the LRM *around* running an agent.
///
/// A failing agent is not an error: it is an [`crate::ExecResult`] with a
/// status and an rc. These errors are about bad requests and local IO.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LrmError {
    /// An agent name could not be parsed.
    #[error("bad agent name '{name}': {reason}")]
    BadAgentName {
        /// The name as given.
        name: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A duration such as `20s` or `2min` could not be parsed.
    #[error("bad duration '{text}': expected a number with an optional unit (ms, s, min, h)")]
    BadDuration {
        /// The text as given.
        text: String,
    },
    /// A request is inconsistent (e.g. a recurring op with interval 0).
    #[error("invalid request for resource '{rsc}': {reason}")]
    BadRequest {
        /// Resource id.
        rsc: String,
        /// What is wrong.
        reason: String,
    },
    /// A recurring operation with this key is already running.
    #[error("recurring {action} with interval {interval:?} already active on '{rsc}'")]
    DuplicateRecurring {
        /// Resource id.
        rsc: String,
        /// Action name.
        action: String,
        /// Interval.
        interval: Duration,
    },
    /// No recurring operation with this key exists.
    #[error("no recurring {action} with interval {interval:?} on '{rsc}'")]
    NoSuchOperation {
        /// Resource id.
        rsc: String,
        /// Action name.
        action: String,
        /// Interval.
        interval: Duration,
    },
    /// The agent's meta-data could not be obtained.
    #[error("meta-data of {agent} failed: {summary}")]
    MetaData {
        /// Agent name.
        agent: String,
        /// What happened, in words.
        summary: String,
    },
    /// The agent's meta-data could not be parsed.
    #[error("meta-data of {agent} is invalid: {source}")]
    BadMetaData {
        /// Agent name.
        agent: String,
        /// The parse error.
        #[source]
        source: crate::metadata::MetadataError,
    },
    /// An attribute name is not usable as a key.
    #[error("bad attribute name '{name}'")]
    BadAttributeName {
        /// The name as given.
        name: String,
    },
    /// Local IO on a path failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was attempted.
        op: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

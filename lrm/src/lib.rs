//! Tandem's local resource manager (LRM): runs resource agents on this node.
//!
//! The LRM is what actually starts, stops and watches services. It calls
//! agents exactly the way Pacemaker's executor (`pacemaker-execd`) does, so
//! Debian's `resource-agents` run unmodified.
//!
//! # How data enters and leaves
//!
//! * **In:** an [`OpRequest`]: resource id, [`AgentSpec`] (`ocf:PROVIDER:TYPE`,
//!   `lsb:NAME`, `heartbeat:NAME`, `stonith:NAME`), [`Action`], parameters,
//!   meta attributes, interval, timeout, `OCF_CHECK_LEVEL`. It comes from the
//!   controller through the async [`Lrm`] API, or from an admin through the
//!   `tandem-lrm` command.
//! * **Out:** an [`OpRecord`] per execution: call id, [`ExecResult`] (an
//!   [`ExecStatus`] saying how execution went and, separately, the agent's
//!   [`OcfRc`]), exit reason, bounded stdout/stderr, exec and queue time,
//!   last-rc-change. Recurring monitors report through [`LrmEvent`]s, and
//!   only when their result changes. Promotion scores written by agents leave
//!   through the [`attrd::AttrStore`] directory.
//!
//! # Layout
//!
//! * [`request`]: requests, and the pure mapping from a request to a process
//!   invocation (argv, environment, stdin) per class, and from an exit status
//!   back to an [`OcfRc`].
//! * [`classes`]: LSB and Heartbeat v1 specifics (status codes, synthesised
//!   meta-data).
//! * [`runner`]: one process in its own process group; on timeout the whole
//!   group gets SIGTERM, then SIGKILL. Processes are behind the small
//!   [`runner::Runner`] trait: [`runner::ProcessRunner`] is the real one,
//!   [`runner::FnRunner`] scripts agents for tests and simulations
//!   ([`Lrm::with_runner`]).
//! * [`executor`]: [`Lrm`]: per-resource serialisation, node concurrency
//!   limit, history, recurring monitors, meta-data cache.
//! * [`metadata`]: typed meta-data (parameters, actions, advised timeouts).
//! * [`attrd`]: node attributes for promotable agents and the
//!   `crm_attribute`-compatible front end.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use lrm::{Action, Lrm, LrmConfig, OcfRc, OpRequest};
//!
//! # async fn demo() {
//! let (lrm, mut events) = Lrm::new(LrmConfig::default());
//! let dummy: lrm::AgentSpec = "ocf:heartbeat:Dummy".parse().unwrap();
//! let start = OpRequest::new("d1", dummy.clone(), Action::Start)
//!     .param("state", "/run/d1.state")
//!     .timeout(Duration::from_secs(20));
//! let rec = lrm.exec(start).await;
//! assert!(rec.result.is(OcfRc::Success));
//!
//! // A recurring monitor: the first result, then only changes, arrive here.
//! let mon = OpRequest::new("d1", dummy, Action::Monitor)
//!     .param("state", "/run/d1.state")
//!     .interval(Duration::from_secs(10));
//! lrm.start_recurring(mon).unwrap();
//! let first = events.recv().await.unwrap();
//! # let _ = first;
//! lrm.cancel("d1", Action::Monitor, Duration::from_secs(10)).await.unwrap();
//! # }
//! ```
//!
//! # Deviations from Pacemaker
//!
//! * On timeout Pacemaker sends SIGKILL at once; we send SIGTERM, wait
//!   [`LrmConfig::kill_grace`] (100 ms by default), then SIGKILL, and return
//!   only when no live process is left in the group.
//! * Promotion scores are written to a local attribute directory instead of
//!   attrd/CIB (see [`attrd`]).
//! * `heartbeat:` scripts run (Pacemaker 2 dropped that class).

#![warn(missing_docs)]

pub mod agent;
pub mod attrd;
pub mod classes;
pub mod error;
pub mod executor;
pub mod metadata;
pub mod request;
pub mod result;
pub mod runner;

pub use agent::{AgentDirs, AgentSpec, CLASSES};
pub use error::LrmError;
pub use executor::{Lrm, LrmConfig, LrmEvent, OpKey, OpRecord};
pub use metadata::AgentMetadata;
pub use request::{parse_duration, Action, EnvSettings, Notify, OpRequest};
pub use result::{ExecResult, ExecStatus, OcfRc, Severity};

/// Exit status of `tandem-lrm exec` for a timed-out operation: Pacemaker's
/// `PCMK_OCF_TIMEOUT` (198), the code it reports for an agent timeout.
pub const EXIT_TIMEOUT: u8 = 198;

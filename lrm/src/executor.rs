//! The executor: the async API the controller drives.
//!
//! [`Lrm::exec`] runs one operation and returns its record. Operations on the
//! same resource are serialised (a per-resource lock); operations on different
//! resources run in parallel, up to [`LrmConfig::max_concurrent`] at a time.
//! [`Lrm::start_recurring`] runs a monitor every interval and sends an
//! [`LrmEvent`] only when the result *changes* (the first result is always
//! sent); [`Lrm::cancel`] stops it and reports a cancelled op, which is not a
//! failure. Every execution is recorded in the resource's history.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, watch, Semaphore};
use tracing::Instrument;

use crate::agent::AgentSpec;
use crate::attrd::AttrStore;
use crate::error::LrmError;
use crate::request::{map_exit, plan, Action, EnvSettings, OpRequest, Plan};
use crate::result::{exit_reason, ExecResult, ExecStatus};
use crate::runner::{Ending, ProcessRunner, RunLimits, Runner};

/// Executor configuration.
#[derive(Debug, Clone)]
pub struct LrmConfig {
    /// Environment and agent locations.
    pub env: EnvSettings,
    /// Operations running at once on this node (Pacemaker's
    /// `node-action-limit`; default 2 × CPUs).
    pub max_concurrent: usize,
    /// Time between SIGTERM and SIGKILL when an op times out.
    pub kill_grace: Duration,
    /// Bytes kept per output stream per operation.
    pub output_limit: usize,
}

impl Default for LrmConfig {
    fn default() -> LrmConfig {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        LrmConfig {
            env: EnvSettings::default(),
            max_concurrent: 2 * cpus,
            kill_grace: Duration::from_millis(100),
            output_limit: 64 * 1024,
        }
    }
}

/// Identifies an operation in the history: (resource, action, interval),
/// as Pacemaker's `rsc_action_interval` operation keys do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpKey {
    /// Resource id.
    pub rsc: String,
    /// Action.
    pub action: Action,
    /// Interval (zero for one-shot ops).
    pub interval: Duration,
}

impl std::fmt::Display for OpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}_{}_{}",
            self.rsc,
            self.action,
            self.interval.as_millis()
        )
    }
}

/// One recorded execution (a CIB `lrm_rsc_op`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRecord {
    /// Increasing per LRM instance.
    pub call_id: u64,
    /// Which operation.
    pub key: OpKey,
    /// The agent.
    pub agent: AgentSpec,
    /// What happened.
    pub result: ExecResult,
    /// Time spent waiting for the resource lock and a concurrency slot.
    pub queue_time: Duration,
    /// When the execution started.
    pub last_run: SystemTime,
    /// When the (status, rc) of this key last changed.
    pub last_rc_change: SystemTime,
}

/// Something the executor reports without being asked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LrmEvent {
    /// A recurring operation's result changed, or it was cancelled.
    OpResult(OpRecord),
}

struct Recurring {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    agent: AgentSpec,
}

struct Inner {
    config: LrmConfig,
    runner: Arc<dyn Runner>,
    slots: Semaphore,
    call_id: AtomicU64,
    // std Mutexes: only held for map lookups/inserts, never across an await.
    rsc_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    history: Mutex<BTreeMap<OpKey, OpRecord>>,
    recurring: Mutex<HashMap<OpKey, Recurring>>,
    metadata: Mutex<HashMap<AgentSpec, String>>,
    events: mpsc::UnboundedSender<LrmEvent>,
}

/// The local resource manager. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Lrm {
    inner: Arc<Inner>,
}

impl Lrm {
    /// Creates an executor running real processes, and the receiver of its
    /// [`LrmEvent`]s.
    pub fn new(config: LrmConfig) -> (Lrm, mpsc::UnboundedReceiver<LrmEvent>) {
        Lrm::with_runner(config, Arc::new(ProcessRunner))
    }

    /// Creates an executor that runs agents through `runner` (a scripted
    /// [`crate::runner::FnRunner`] in tests and simulations).
    pub fn with_runner(
        config: LrmConfig,
        runner: Arc<dyn Runner>,
    ) -> (Lrm, mpsc::UnboundedReceiver<LrmEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let lrm = Lrm {
            inner: Arc::new(Inner {
                runner,
                slots: Semaphore::new(config.max_concurrent.max(1)),
                config,
                call_id: AtomicU64::new(0),
                rsc_locks: Mutex::new(HashMap::new()),
                history: Mutex::new(BTreeMap::new()),
                recurring: Mutex::new(HashMap::new()),
                metadata: Mutex::new(HashMap::new()),
                events: tx,
            }),
        };
        (lrm, rx)
    }

    /// The configuration.
    pub fn config(&self) -> &LrmConfig {
        &self.inner.config
    }

    /// The node attribute store agents write to, if configured.
    pub fn attributes(&self) -> Option<Result<AttrStore, LrmError>> {
        self.inner
            .config
            .env
            .attr_dir
            .as_ref()
            .map(|d: &PathBuf| AttrStore::open(d.clone()))
    }

    fn rsc_lock(&self, rsc: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.inner.rsc_locks.lock().expect("rsc lock map poisoned");
        m.entry(rsc.to_string()).or_default().clone()
    }

    /// Runs one execution of `req` without touching history.
    async fn execute(&self, req: &OpRequest) -> (ExecResult, Duration, SystemTime) {
        let queued = Instant::now();
        let lock = self.rsc_lock(&req.rsc_id);
        let _rsc = lock.lock().await;
        let _slot = self
            .inner
            .slots
            .acquire()
            .await
            .expect("semaphore never closed");
        let queue_time = queued.elapsed();
        let started = SystemTime::now();
        let span = tracing::info_span!("op", rsc = %req.rsc_id, action = %req.action,
            interval_ms = req.interval.as_millis() as u64);
        // `instrument`, not `span.enter()`: an entered guard held across an
        // await would tag unrelated tasks polled on this thread.
        let result = self.execute_now(req).instrument(span.clone()).await;
        span.in_scope(|| tracing::debug!(result = %result.summary(), "op finished"));
        (result, queue_time, started)
    }

    async fn execute_now(&self, req: &OpRequest) -> ExecResult {
        let inv = match plan(req, &self.inner.config.env) {
            Plan::Immediate(r) => return r,
            Plan::Run(inv) => inv,
        };
        let limits = RunLimits {
            timeout: req.timeout,
            kill_grace: self.inner.config.kill_grace,
            output_limit: self.inner.config.output_limit,
        };
        let out = self.inner.runner.run(&inv, limits).await;
        let reason = exit_reason(&out.stderr.text(), crate::request::EXIT_REASON_PREFIX);
        let (status, rc, reason) = match out.ending {
            Ending::Exited(code) => (
                ExecStatus::Done,
                Some(map_exit(req, code, &out.stdout)),
                reason,
            ),
            Ending::TimedOut => (
                ExecStatus::Timeout,
                None,
                Some(format!(
                    "{} {} timed out after {}ms; process group killed",
                    req.agent,
                    req.action,
                    req.timeout.as_millis()
                )),
            ),
            Ending::Signaled(sig) => (
                ExecStatus::Error,
                None,
                Some(format!("agent killed by signal {sig}")),
            ),
            Ending::SpawnFailed(std::io::ErrorKind::NotFound, msg) => (
                ExecStatus::NotInstalled,
                None,
                Some(format!("{} {msg}", inv.program.display())),
            ),
            Ending::SpawnFailed(_, msg) => (
                ExecStatus::Error,
                None,
                Some(format!("cannot run {}: {msg}", inv.program.display())),
            ),
        };
        ExecResult {
            status,
            rc,
            reason,
            stdout: out.stdout,
            stderr: out.stderr,
            exec_time: out.elapsed,
        }
    }

    fn record(
        &self,
        req: &OpRequest,
        result: ExecResult,
        queue_time: Duration,
        started: SystemTime,
    ) -> OpRecord {
        let key = OpKey {
            rsc: req.rsc_id.clone(),
            action: req.action.clone(),
            interval: req.interval,
        };
        let call_id = self.inner.call_id.fetch_add(1, Ordering::SeqCst) + 1;
        let mut h = self.inner.history.lock().expect("history poisoned");
        let last_rc_change = match h.get(&key) {
            Some(prev) if prev.result.status == result.status && prev.result.rc == result.rc => {
                prev.last_rc_change
            }
            _ => started,
        };
        let rec = OpRecord {
            call_id,
            key: key.clone(),
            agent: req.agent.clone(),
            result,
            queue_time,
            last_run: started,
            last_rc_change,
        };
        h.insert(key, rec.clone());
        rec
    }

    /// Runs `req` once and records it. `req.interval` is passed to the agent
    /// as `OCF_RESKEY_CRM_meta_interval` (for recurring monitors use
    /// [`Lrm::start_recurring`]).
    pub async fn exec(&self, req: OpRequest) -> OpRecord {
        if req.action == Action::MetaData {
            if let Some(xml) = self.cached_metadata(&req.agent) {
                let r = ExecResult::immediate(crate::OcfRc::Success, xml);
                return self.record(&req, r, Duration::ZERO, SystemTime::now());
            }
        }
        let (result, q, started) = self.execute(&req).await;
        if req.action == Action::MetaData && result.is(crate::OcfRc::Success) {
            self.inner
                .metadata
                .lock()
                .expect("metadata cache poisoned")
                .insert(req.agent.clone(), result.stdout.text());
        }
        self.record(&req, result, q, started)
    }

    fn cached_metadata(&self, agent: &AgentSpec) -> Option<String> {
        self.inner
            .metadata
            .lock()
            .expect("metadata cache poisoned")
            .get(agent)
            .cloned()
    }

    /// The agent's meta-data XML (cached after the first success).
    pub async fn metadata(&self, agent: &AgentSpec) -> Result<String, LrmError> {
        if let Some(x) = self.cached_metadata(agent) {
            return Ok(x);
        }
        let req = OpRequest::new(
            format!("meta-data:{agent}"),
            agent.clone(),
            Action::MetaData,
        )
        .timeout(Duration::from_secs(5));
        // Not recorded in any resource's history: meta-data belongs to the
        // agent, not to a resource.
        let (result, _, _) = self.execute(&req).await;
        if result.is(crate::OcfRc::Success) {
            let xml = result.stdout.text();
            self.inner
                .metadata
                .lock()
                .expect("metadata cache poisoned")
                .insert(agent.clone(), xml.clone());
            Ok(xml)
        } else {
            Err(LrmError::MetaData {
                agent: agent.to_string(),
                summary: result.summary(),
            })
        }
    }

    /// The agent's meta-data, parsed (parameters, actions, advised timeouts).
    pub async fn agent_metadata(
        &self,
        agent: &AgentSpec,
    ) -> Result<crate::metadata::AgentMetadata, LrmError> {
        let xml = self.metadata(agent).await?;
        crate::metadata::AgentMetadata::parse(&xml).map_err(|source| LrmError::BadMetaData {
            agent: agent.to_string(),
            source,
        })
    }

    /// Starts a recurring operation (normally a monitor). The first result
    /// and every later *change* of (status, rc) are sent as events.
    pub fn start_recurring(&self, req: OpRequest) -> Result<OpKey, LrmError> {
        if req.interval.is_zero() {
            return Err(LrmError::BadRequest {
                rsc: req.rsc_id,
                reason: "a recurring operation needs an interval > 0".into(),
            });
        }
        let key = OpKey {
            rsc: req.rsc_id.clone(),
            action: req.action.clone(),
            interval: req.interval,
        };
        let mut rec = self.inner.recurring.lock().expect("recurring poisoned");
        if rec.contains_key(&key) {
            return Err(LrmError::DuplicateRecurring {
                rsc: key.rsc,
                action: key.action.to_string(),
                interval: key.interval,
            });
        }
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let agent = req.agent.clone();
        let me = self.clone();
        let task = tokio::spawn(async move {
            let mut last: Option<(ExecStatus, Option<crate::OcfRc>)> = None;
            loop {
                if *stop_rx.borrow() {
                    return;
                }
                let (result, q, started) = me.execute(&req).await;
                let now = (result.status, result.rc);
                let record = me.record(&req, result, q, started);
                if last != Some(now) {
                    last = Some(now);
                    let _ = me.inner.events.send(LrmEvent::OpResult(record));
                }
                tokio::select! {
                    _ = tokio::time::sleep(req.interval) => {}
                    _ = stop_rx.changed() => return,
                }
            }
        });
        rec.insert(
            key.clone(),
            Recurring {
                stop: stop_tx,
                task,
                agent,
            },
        );
        Ok(key)
    }

    /// Cancels a recurring operation. An execution in progress is allowed to
    /// finish (its result is recorded); then a `Cancelled` record is sent.
    pub async fn cancel(
        &self,
        rsc: &str,
        action: Action,
        interval: Duration,
    ) -> Result<OpRecord, LrmError> {
        let key = OpKey {
            rsc: rsc.to_string(),
            action,
            interval,
        };
        let r = self
            .inner
            .recurring
            .lock()
            .expect("recurring poisoned")
            .remove(&key);
        let Some(r) = r else {
            return Err(LrmError::NoSuchOperation {
                rsc: key.rsc,
                action: key.action.to_string(),
                interval: key.interval,
            });
        };
        let _ = r.stop.send(true);
        let _ = r.task.await;
        let req = OpRequest {
            interval: key.interval,
            ..OpRequest::new(key.rsc.clone(), r.agent, key.action.clone())
        };
        let rec = self.record(
            &req,
            ExecResult::failed(ExecStatus::Cancelled, "recurring operation cancelled"),
            Duration::ZERO,
            SystemTime::now(),
        );
        let _ = self.inner.events.send(LrmEvent::OpResult(rec.clone()));
        Ok(rec)
    }

    /// Cancels every recurring operation of `rsc` (before a stop, say).
    pub async fn cancel_all(&self, rsc: &str) -> Vec<OpRecord> {
        let keys: Vec<OpKey> = self
            .inner
            .recurring
            .lock()
            .expect("recurring poisoned")
            .keys()
            .filter(|k| k.rsc == rsc)
            .cloned()
            .collect();
        let mut out = Vec::new();
        for k in keys {
            if let Ok(r) = self.cancel(&k.rsc, k.action, k.interval).await {
                out.push(r);
            }
        }
        out
    }

    /// The latest record of every operation key of `rsc`, by call id.
    pub fn history(&self, rsc: &str) -> Vec<OpRecord> {
        let mut v: Vec<OpRecord> = self
            .inner
            .history
            .lock()
            .expect("history poisoned")
            .values()
            .filter(|r| r.key.rsc == rsc)
            .cloned()
            .collect();
        v.sort_by_key(|r| r.call_id);
        v
    }

    /// Keys of the recurring operations currently active.
    pub fn active_recurring(&self) -> Vec<OpKey> {
        let mut v: Vec<OpKey> = self
            .inner
            .recurring
            .lock()
            .expect("recurring poisoned")
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{FnRunner, Outcome};
    use crate::OcfRc;
    use std::sync::atomic::AtomicU8;

    /// Recurring monitors report the first result and then only changes;
    /// checked with a scripted agent (no processes).
    #[tokio::test]
    async fn recurring_reports_changes_only_with_scripted_agent() {
        let rc = Arc::new(AtomicU8::new(0));
        let runs = Arc::new(AtomicU64::new(0));
        let (r2, n2) = (rc.clone(), runs.clone());
        let runner = FnRunner(move |inv: &crate::request::Invocation| {
            assert_eq!(inv.args, vec!["monitor"]);
            n2.fetch_add(1, Ordering::SeqCst);
            Outcome::exited(r2.load(Ordering::SeqCst))
        });
        let (lrm, mut ev) = Lrm::with_runner(LrmConfig::default(), Arc::new(runner));
        let agent: AgentSpec = "ocf:test:Fake".parse().unwrap();
        let interval = Duration::from_millis(20);
        lrm.start_recurring(OpRequest::new("r", agent, Action::Monitor).interval(interval))
            .unwrap();
        let LrmEvent::OpResult(first) = ev.recv().await.unwrap();
        assert!(first.result.is(OcfRc::Success));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(ev.try_recv().is_err());
        let before = runs.load(Ordering::SeqCst);
        assert!(before >= 5, "only {before} runs");
        rc.store(7, Ordering::SeqCst);
        let LrmEvent::OpResult(changed) = ev.recv().await.unwrap();
        assert!(changed.result.is(OcfRc::NotRunning));
        assert!(changed.call_id > before);
        let h = lrm.history("r");
        assert_eq!(h.len(), 1);
        assert!(h[0].last_rc_change > first.last_rc_change || h[0].call_id > first.call_id);
        lrm.cancel("r", Action::Monitor, interval).await.unwrap();
        let LrmEvent::OpResult(c) = ev.recv().await.unwrap();
        assert_eq!(c.result.status, ExecStatus::Cancelled);
        assert_eq!(
            c.result.severity(OcfRc::Success, false),
            crate::Severity::Ok
        );
    }
}

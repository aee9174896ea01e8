//! The tokio shell around [`Totem`]: one UDP socket, one timer, no protocol decisions.
//!
//! Modelled on quinn's `ConnectionDriver`: each turn sends queued datagrams, hands events
//! on, publishes a [`Status`] snapshot, then waits for the first of a datagram, a submitted
//! message, the core's deadline or shutdown. Expiry is checked against the clock after every
//! wakeup (not only when the async timer fires), so a late wakeup never loses a timeout.
//! Ring sequence numbers are persisted (`ringid_<nodeid>`) before anything else is sent, and
//! the boot epoch (`epoch_<nodeid>`) is bumped at every start, so a restarted node's ring ids
//! and packet nonces never repeat.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

use crate::quorum::QuorumStatus;
use crate::totem::{Event, PeerStatus, State, Stats, Totem};
use crate::{NodeId, RingId};

/// Snapshot of the core published after every step.
#[derive(Debug, Clone)]
pub struct Status {
    /// Local node.
    pub node_id: NodeId,
    /// Installed ring.
    pub ring_id: RingId,
    /// Its members.
    pub members: Vec<NodeId>,
    /// Protocol state.
    pub state: State,
    /// Quorum.
    pub quorum: QuorumStatus,
    /// Link view of every nodelist node.
    pub peers: Vec<(NodeId, PeerStatus)>,
    /// Counters.
    pub stats: Stats,
}

impl Status {
    fn of(core: &Totem) -> Self {
        Status {
            node_id: core.node_id(),
            ring_id: core.ring_id(),
            members: core.members().to_vec(),
            state: core.state(),
            quorum: core.quorum().clone(),
            peers: core.peer_status(Instant::now()),
            stats: core.stats().clone(),
        }
    }
}

/// Errors of the persisted-state helpers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Reading or writing a state file failed.
    #[error("state file {path}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Node state kept across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persisted {
    /// Highest ring seq committed by an earlier run.
    pub ring_seq: u64,
    /// Boot epoch for this run (already incremented and saved).
    pub epoch: u32,
}

fn read_num(p: &Path) -> Result<u64, StateError> {
    match std::fs::read_to_string(p) {
        Ok(s) => Ok(s.trim().parse().unwrap_or(0)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(source) => Err(StateError::Io {
            path: p.into(),
            source,
        }),
    }
}

fn write_num(p: &Path, v: u64) -> Result<(), StateError> {
    let tmp = p.with_extension("tmp");
    std::fs::write(&tmp, format!("{v}\n"))
        .and_then(|_| std::fs::rename(&tmp, p))
        .map_err(|source| StateError::Io {
            path: p.into(),
            source,
        })
}

/// Loads `ringid_<id>` and bumps `epoch_<id>` in `dir` (created if missing).
pub fn load_persisted(dir: &Path, id: NodeId) -> Result<Persisted, StateError> {
    std::fs::create_dir_all(dir).map_err(|source| StateError::Io {
        path: dir.into(),
        source,
    })?;
    let ring_seq = read_num(&dir.join(format!("ringid_{id}")))?;
    let epoch = read_num(&dir.join(format!("epoch_{id}")))? as u32 + 1;
    write_num(&dir.join(format!("epoch_{id}")), epoch as u64)?;
    Ok(Persisted { ring_seq, epoch })
}

/// Channels to and from a running driver.
pub struct DriverHandle {
    /// Latest status.
    pub status: watch::Receiver<Status>,
    /// Events (deliveries, configurations, quorum).
    pub events: mpsc::UnboundedReceiver<Event>,
    /// Messages to send on the ring.
    pub submit: mpsc::Sender<Vec<u8>>,
}

/// Everything [`run`] needs besides the core.
pub struct DriverConfig {
    /// Bound UDP socket (the node's ring0 address and port).
    pub socket: UdpSocket,
    /// Address of every nodelist node.
    pub peers: BTreeMap<NodeId, SocketAddr>,
    /// Where `ringid_<nodeid>` is written (None: not persisted).
    pub state_dir: Option<PathBuf>,
    /// Fault injection for tests and benchmarks: traffic to and from these nodes is dropped
    /// (a simulated partition on one host). A std Mutex: never held across an await.
    pub blocked: std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<NodeId>>>,
}

/// Creates the channels for [`run`].
pub fn channels(
    core: &Totem,
) -> (
    DriverHandle,
    watch::Sender<Status>,
    mpsc::UnboundedSender<Event>,
    mpsc::Receiver<Vec<u8>>,
) {
    let (st_tx, st_rx) = watch::channel(Status::of(core));
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let (sub_tx, sub_rx) = mpsc::channel(1024);
    (
        DriverHandle {
            status: st_rx,
            events: ev_rx,
            submit: sub_tx,
        },
        st_tx,
        ev_tx,
        sub_rx,
    )
}

/// Drives `core` until `shutdown` completes.
pub async fn run(
    mut core: Totem,
    cfg: DriverConfig,
    status: watch::Sender<Status>,
    events: mpsc::UnboundedSender<Event>,
    mut submit: mpsc::Receiver<Vec<u8>>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StateError> {
    tokio::pin!(shutdown);
    let by_addr: BTreeMap<SocketAddr, NodeId> = cfg.peers.iter().map(|(n, a)| (*a, *n)).collect();
    let allowed: Vec<std::net::IpAddr> = cfg.peers.values().map(|a| a.ip()).collect();
    let mut buf = vec![0u8; 70_000];
    let me = core.node_id();
    loop {
        // Events first: a ring seq must be on disk before the commit token leaves.
        while let Some(ev) = core.poll_event() {
            if let Event::PersistRingSeq(s) = ev {
                if let Some(dir) = &cfg.state_dir {
                    write_num(&dir.join(format!("ringid_{me}")), s)?;
                }
            } else {
                let _ = events.send(ev);
            }
        }
        while let Some(t) = core.poll_transmit() {
            if cfg.blocked.lock().unwrap().contains(&t.dest) {
                continue;
            }
            if let Some(addr) = cfg.peers.get(&t.dest) {
                // Send errors (e.g. ECONNREFUSED from a dead peer) are the network losing
                // a packet; the protocol recovers from loss.
                let _ = cfg.socket.send_to(&t.bytes, addr).await;
            }
        }
        status.send_replace(Status::of(&core));
        let deadline = core.poll_timeout();
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            r = cfg.socket.recv_from(&mut buf) => {
                if let Ok((n, from)) = r {
                    // block_unlisted_ips: only nodelist addresses may speak to us.
                    let blocked = by_addr
                        .get(&from)
                        .is_some_and(|n| cfg.blocked.lock().unwrap().contains(n));
                    if allowed.contains(&from.ip()) && !blocked {
                        core.handle_datagram(Instant::now(), &buf[..n]);
                    }
                }
            }
            Some(m) = submit.recv() => {
                if let Err(e) = core.submit(Instant::now(), m) {
                    tracing::warn!(%e, "message dropped");
                }
            }
            _ = sleep => {}
        }
        let now = Instant::now();
        if core.poll_timeout().is_some_and(|d| d <= now) {
            core.handle_timeout(now);
        }
    }
}

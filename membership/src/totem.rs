//! The sans-IO Totem SRP core: token ring, agreed-order delivery, membership (EVS).
//!
//! Reference: Amir et al., "The Totem single-ring ordering and membership protocol" (1995),
//! as implemented by Corosync's `exec/totemsrp.c`; see `shared/reference/totem.md` for the
//! summary we worked from. States and messages keep Corosync's names: OPERATIONAL, GATHER,
//! COMMIT, RECOVERY; ORF token, mcast, join, commit token, merge detect, token hold cancel.
//!
//! Deviations from Corosync (each deliberate):
//! - **Fast failure path.** Entering GATHER because the token was lost (our own token timer,
//!   or a join from a ring member that says so) arms a short window `fail_window`; at its end,
//!   every node of `proc` we have heard nothing from since the loss goes to the fail set. This
//!   replaces the full `consensus` wait in the common crash case (token + W instead of
//!   token + consensus). `consensus` stays the bound for every other GATHER cause. Agreement
//!   still needs identical join sets from all of proc − fail plus the commit token, so EVS is
//!   untouched by the timeout choice.
//! - Sequence numbers are u64 (no wraparound handling needed); a ring's first message is seq 1.
//! - Commit tokens carry a `rotation` field instead of inferring the rotation from state.
//! - Install waits until the token's aru, seen on two consecutive visits, covers the last
//!   recovery message (`install_seq`), rather than Corosync's retrans_flg visit counting.
//! - Fragmentation is done here, not in a totempg layer: an application message is split into
//!   fragments sent in order; partial messages are dropped at a view change and the sender
//!   re-sends the whole message in the new ring.
//! - No `fail_recv_const` self-exclusion and no process-pause detection yet.
//!
//! Driving loop (the driver or the simulator does this):
//!
//! ```
//! # use membership::totem::*; use membership::quorum::QuorumConfig; use std::time::Instant;
//! let now = Instant::now();
//! let mut t = Totem::new(TotemParams::new(1, vec![1, 2, 3], TotemConfig::default()), now);
//! t.submit(now, b"hello".to_vec()).unwrap();
//! while let Some(tx) = t.poll_transmit() { /* send tx.bytes to tx.dest */ let _ = tx; }
//! while let Some(ev) = t.poll_event() { /* deliver */ let _ = ev; }
//! let _next_wakeup = t.poll_timeout(); // call t.handle_timeout(now) at that time
//! ```

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::crypto::{Envelope, OpenError};
use crate::quorum::{QuorumConfig, QuorumStatus, Votequorum};
use crate::wire::{CommitEntry, CommitToken, Join, Mcast, McastBody, Message, Token, MAX_RTR};
use crate::{NodeId, RingId};

/// Largest application message accepted by [`Totem::submit`] (Corosync's limit too).
pub const MAX_MESSAGE: usize = 1 << 20;
/// Maximum number of application messages waiting to be originated.
pub const MAX_PENDING: usize = 16_384;

/// Protocol timeouts and limits, with Corosync's meanings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotemConfig {
    /// Effective token timeout (already scaled by `token_coefficient`).
    pub token: Duration,
    /// Interval at which the last token is re-sent (token / (retransmits_before_loss + 0.2)).
    pub token_retransmit: Duration,
    /// How long an idle representative holds the token.
    pub hold: Duration,
    /// Join retransmit interval.
    pub join: Duration,
    /// Consensus timeout.
    pub consensus: Duration,
    /// Minimum interval between merge-detect messages of an idle representative.
    pub merge: Duration,
    /// Fast failure window after token loss (None: Corosync behaviour, wait for consensus).
    pub fail_window: Option<Duration>,
    /// Messages a node may originate per token visit.
    pub max_messages: u32,
    /// Messages the whole ring may originate per rotation.
    pub window_size: u32,
    /// Bytes per fragment.
    pub fragment_size: usize,
}

impl TotemConfig {
    /// Derives the dependent timeouts from an effective token timeout, as Corosync does.
    pub fn from_token(token: Duration, retransmits_before_loss: u32) -> Self {
        let token_retransmit = token.div_f64(retransmits_before_loss as f64 + 0.2);
        let hold = token_retransmit
            .mul_f64(0.8)
            .saturating_sub(Duration::from_millis(10))
            .max(Duration::from_millis(14));
        let join = Duration::from_millis(50);
        TotemConfig {
            token,
            token_retransmit,
            hold,
            join,
            consensus: token.mul_f64(1.2).max(join),
            merge: Duration::from_millis(200),
            fail_window: Some(Duration::from_millis(100)),
            max_messages: 17,
            window_size: 50,
            fragment_size: 1200,
        }
    }
}

impl Default for TotemConfig {
    fn default() -> Self {
        Self::from_token(Duration::from_millis(1000), 4)
    }
}

/// Everything a node needs to start: identity, nodelist, timeouts, quorum, keys, persisted state.
pub struct TotemParams {
    /// This node.
    pub me: NodeId,
    /// All nodelist ids.
    pub nodes: Vec<NodeId>,
    /// Timeouts.
    pub config: TotemConfig,
    /// votequorum settings.
    pub quorum: QuorumConfig,
    /// Packet envelope (keys, boot epoch).
    pub envelope: Envelope,
    /// Highest ring sequence number persisted by a previous run (0 on first start).
    pub persisted_ring_seq: u64,
}

impl TotemParams {
    /// Plaintext, simple-majority parameters (tests and examples).
    pub fn new(me: NodeId, nodes: Vec<NodeId>, config: TotemConfig) -> Self {
        let quorum = QuorumConfig::simple(&nodes);
        let envelope = Envelope::new(me, &nodes, 1, None, "");
        TotemParams {
            me,
            nodes,
            config,
            quorum,
            envelope,
            persisted_ring_seq: 0,
        }
    }
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination node.
    pub dest: NodeId,
    /// Sealed datagram.
    pub bytes: Vec<u8>,
}

/// What the core reports to its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An application message, in agreed order.
    Deliver {
        /// Originator.
        origin: NodeId,
        /// Ring whose order it was delivered in.
        ring_id: RingId,
        /// Sequence number of its last fragment in that ring.
        seq: u64,
        /// Contents.
        data: Vec<u8>,
    },
    /// Transitional configuration: the survivors of the old ring (`members`) that move
    /// together to `ring_id`; messages delivered after it and before the regular
    /// configuration belong to it.
    Transitional {
        /// The ring being installed.
        ring_id: RingId,
        /// Old ring members that move on together (always includes us).
        members: Vec<NodeId>,
        /// Old ring members that did not.
        left: Vec<NodeId>,
    },
    /// Regular configuration: a new ring is installed.
    Regular {
        /// The new ring.
        ring_id: RingId,
        /// Its members, ascending.
        members: Vec<NodeId>,
        /// Members that were not in our transitional configuration.
        joined: Vec<NodeId>,
        /// Old ring members that are gone.
        left: Vec<NodeId>,
    },
    /// Quorum status after a view change or a last-man-standing window.
    Quorum(QuorumStatus),
    /// The driver must persist this ring sequence number before sending anything else
    /// (Corosync's `ringid_<nodeid>` file); pass it back as `persisted_ring_seq` on restart.
    PersistRingSeq(u64),
}

/// Why [`Totem::submit`] refused a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// Bigger than [`MAX_MESSAGE`].
    #[error("message of {0} bytes exceeds the 1 MiB limit")]
    TooLarge(usize),
    /// Too many messages queued; retry after some are sent.
    #[error("send queue full")]
    QueueFull,
}

/// Protocol state (Corosync's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Ring installed, token circulating.
    Operational,
    /// Exchanging joins.
    Gather,
    /// Commit token circulating.
    Commit,
    /// New ring's token circulating, old messages being re-sent.
    Recovery,
}

/// Counters of dropped input and protocol activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Too short, bad magic or version.
    pub malformed: u64,
    /// Sender not in the nodelist.
    pub unknown_sender: u64,
    /// Failed authentication.
    pub auth_failed: u64,
    /// Replayed or from an older boot.
    pub replayed: u64,
    /// Authenticated but undecodable.
    pub undecodable: u64,
    /// Tokens received (accepted).
    pub tokens: u64,
    /// Token retransmissions sent.
    pub token_retransmits: u64,
    /// Messages re-sent on request.
    pub retransmits: u64,
    /// Regular configurations installed.
    pub views: u64,
}

/// Link view of one peer, for `tandem-cfgtool -s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerStatus {
    /// This node.
    Localhost,
    /// In our ring or heard from recently.
    Connected,
    /// Not heard from.
    Disconnected,
}

#[derive(Debug, Clone)]
struct Ring {
    id: RingId,
    members: Vec<NodeId>,
    store: BTreeMap<u64, Mcast>,
    my_aru: u64,
    high_seq: u64,
    high_delivered: u64,
    /// Every member is known to have every message up to here (safe delivery bound).
    safe_upto: u64,
}

impl Ring {
    fn new(id: RingId, members: Vec<NodeId>) -> Self {
        Ring {
            id,
            members,
            store: BTreeMap::new(),
            my_aru: 0,
            high_seq: 0,
            high_delivered: 0,
            safe_upto: 0,
        }
    }
    fn insert(&mut self, m: Mcast) -> bool {
        if m.seq <= self.my_aru || self.store.contains_key(&m.seq) {
            return false;
        }
        self.high_seq = self.high_seq.max(m.seq);
        self.store.insert(m.seq, m);
        while self.store.contains_key(&(self.my_aru + 1)) {
            self.my_aru += 1;
        }
        true
    }
    fn successor(&self, me: NodeId) -> NodeId {
        let i = self.members.iter().position(|&n| n == me).unwrap_or(0);
        self.members[(i + 1) % self.members.len()]
    }
}

#[derive(Debug, Default)]
struct Timers {
    token: Option<Instant>,
    retransmit: Option<Instant>,
    hold: Option<Instant>,
    join: Option<Instant>,
    consensus: Option<Instant>,
    fail_window: Option<Instant>,
}

#[derive(Debug)]
struct Outgoing {
    msg_id: u64,
    data: Vec<u8>,
    next_frag: u32,
    safe: bool,
}

/// Delivery guarantee of one application message (Totem's agreed and safe orders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Guarantee {
    /// Delivered once every message before it in the ring's order was delivered.
    #[default]
    Agreed,
    /// Additionally delivered (in the regular configuration) only once every member of the
    /// ring is known to have it: its sequence number is at or below the token's aru on two
    /// consecutive visits. Costs about one extra rotation of latency.
    Safe,
}

impl Outgoing {
    fn frag_cnt(&self, size: usize) -> u32 {
        (self.data.len().div_ceil(size)).max(1) as u32
    }
}

/// One node's protocol state machine. No sockets, no clock, no randomness.
pub struct Totem {
    me: NodeId,
    nodes: Vec<NodeId>,
    cfg: TotemConfig,
    envelope: Envelope,
    state: State,
    /// OPERATIONAL/GATHER: the installed ring. COMMIT/RECOVERY: the ring being formed.
    ring: Ring,
    /// COMMIT/RECOVERY: the installed ring, frozen.
    old: Option<Ring>,
    proc_set: BTreeSet<NodeId>,
    fail_set: BTreeSet<NodeId>,
    agreed: BTreeSet<NodeId>,
    loss: Option<(RingId, Instant)>,
    max_seq_seen: u64,
    persisted_seq: u64,
    // token bookkeeping for the current ring
    last_token_seq: Option<u64>,
    last_sent_token: Option<(NodeId, Vec<u8>)>,
    prev_token_aru: u64,
    prev_visit_seq: u64,
    sent_last_visit: u32,
    idle_visits: u32,
    held: Option<Token>,
    next_merge_detect: Option<Instant>,
    // commit / recovery
    commit_seen: Option<u64>,
    trans: Vec<NodeId>,
    recovery_queue: VecDeque<Mcast>,
    recovery_rotated: bool,
    orf_started: bool,
    // application
    pending: VecDeque<Outgoing>,
    next_msg_id: u64,
    assembly: BTreeMap<NodeId, (u64, u32, Vec<u8>)>,
    timers: Timers,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    quorum: Votequorum,
    last_heard: BTreeMap<NodeId, Instant>,
    stats: Stats,
}

impl Totem {
    /// Starts as a singleton ring (Corosync does the same) and begins looking for peers.
    pub fn new(p: TotemParams, now: Instant) -> Self {
        let mut nodes = p.nodes.clone();
        nodes.sort_unstable();
        nodes.dedup();
        let seq = p.persisted_ring_seq + 4;
        let id = RingId { rep: p.me, seq };
        let mut t = Totem {
            me: p.me,
            nodes,
            cfg: p.config,
            envelope: p.envelope,
            state: State::Operational,
            ring: Ring::new(id, vec![p.me]),
            old: None,
            proc_set: BTreeSet::from([p.me]),
            fail_set: BTreeSet::new(),
            agreed: BTreeSet::new(),
            loss: None,
            max_seq_seen: seq,
            persisted_seq: seq,
            last_token_seq: None,
            last_sent_token: None,
            prev_token_aru: 0,
            prev_visit_seq: 0,
            sent_last_visit: 0,
            idle_visits: 0,
            held: None,
            next_merge_detect: None,
            commit_seen: None,
            trans: Vec::new(),
            recovery_queue: VecDeque::new(),
            recovery_rotated: false,
            orf_started: false,
            pending: VecDeque::new(),
            next_msg_id: 0,
            assembly: BTreeMap::new(),
            timers: Timers::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            quorum: Votequorum::new(p.quorum),
            last_heard: BTreeMap::new(),
            stats: Stats::default(),
        };
        t.events.push_back(Event::PersistRingSeq(seq));
        t.events.push_back(Event::Regular {
            ring_id: id,
            members: vec![p.me],
            joined: vec![p.me],
            left: vec![],
        });
        let q = t.quorum.handle_view(now, &[p.me]).clone();
        t.events.push_back(Event::Quorum(q));
        t.stats.views += 1;
        let tok = t.first_token();
        t.process_token(now, tok);
        t
    }

    // ----- public API -------------------------------------------------------------------

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.me
    }
    /// Current protocol state.
    pub fn state(&self) -> State {
        self.state
    }
    /// The installed ring (in COMMIT/RECOVERY: the one still installed).
    pub fn ring_id(&self) -> RingId {
        self.installed().id
    }
    /// Members of the installed ring.
    pub fn members(&self) -> &[NodeId] {
        &self.installed().members
    }
    /// Current quorum status.
    pub fn quorum(&self) -> &QuorumStatus {
        self.quorum.status()
    }
    /// Drop and activity counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// Nodelist ids.
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }
    /// Number of application messages waiting to be sent.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
    /// Per-peer link view.
    pub fn peer_status(&self, now: Instant) -> Vec<(NodeId, PeerStatus)> {
        self.nodes
            .iter()
            .map(|&n| {
                let s = if n == self.me {
                    PeerStatus::Localhost
                } else if self.installed().members.contains(&n)
                    || self
                        .last_heard
                        .get(&n)
                        .is_some_and(|&t| now.saturating_duration_since(t) < self.cfg.token * 2)
                {
                    PeerStatus::Connected
                } else {
                    PeerStatus::Disconnected
                };
                (n, s)
            })
            .collect()
    }

    /// One-line summary of the internal state, for diagnostics and simulator reports.
    pub fn debug_summary(&self) -> String {
        format!(
            "node {} {:?} ring {} {:?} forming {:?} proc {:?} fail {:?} agreed {:?} maxseq {} persisted {} timers {:?}",
            self.me,
            self.state,
            self.installed().id,
            self.installed().members,
            self.old.as_ref().map(|_| (self.ring.id, &self.ring.members)),
            self.proc_set,
            self.fail_set,
            self.agreed,
            self.max_seq_seen,
            self.persisted_seq,
            self.timers
        )
    }

    fn installed(&self) -> &Ring {
        self.old.as_ref().unwrap_or(&self.ring)
    }

    /// Queues an application message for agreed-order delivery to the ring.
    /// Worth calling [`Totem::poll_transmit`] afterwards.
    pub fn submit(&mut self, now: Instant, data: Vec<u8>) -> Result<(), SubmitError> {
        self.submit_with(now, data, Guarantee::Agreed)
    }

    /// Queues an application message with the given delivery guarantee.
    pub fn submit_with(
        &mut self,
        now: Instant,
        data: Vec<u8>,
        guarantee: Guarantee,
    ) -> Result<(), SubmitError> {
        if data.len() > MAX_MESSAGE {
            return Err(SubmitError::TooLarge(data.len()));
        }
        if self.pending.len() >= MAX_PENDING {
            return Err(SubmitError::QueueFull);
        }
        let was_empty = self.pending.is_empty();
        self.next_msg_id += 1;
        self.pending.push_back(Outgoing {
            msg_id: self.next_msg_id,
            data,
            next_frag: 0,
            safe: guarantee == Guarantee::Safe,
        });
        if self.state == State::Operational && was_empty {
            if self.held.is_some() {
                // We are the representative holding the token: release it now.
                self.release_held(now);
            } else if self.ring.members.len() > 1 {
                let m = Message::TokenHoldCancel {
                    ring_id: self.ring.id,
                };
                self.mcast(&m);
            }
        }
        Ok(())
    }

    /// Next datagram to send. Worth calling after every `handle_*` and `submit`.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next event. Worth calling after every `handle_*`.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Earliest deadline at which [`Totem::handle_timeout`] must be called.
    /// Changes after every `handle_*` and `submit`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let t = &self.timers;
        [
            t.token,
            t.retransmit,
            t.hold,
            t.join,
            t.consensus,
            t.fail_window,
            self.quorum.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Feeds one received datagram. Bad input is counted and dropped, never an error.
    pub fn handle_datagram(&mut self, now: Instant, bytes: &[u8]) {
        let (sender, plain) = match self.envelope.open(bytes) {
            Ok(x) => x,
            Err(e) => {
                match e {
                    OpenError::Malformed => self.stats.malformed += 1,
                    OpenError::UnknownSender => self.stats.unknown_sender += 1,
                    OpenError::Auth => self.stats.auth_failed += 1,
                    OpenError::Replay => self.stats.replayed += 1,
                }
                tracing::trace!(?e, "dropped datagram");
                return;
            }
        };
        let msg = match Message::decode(&plain) {
            Ok(m) => m,
            Err(e) => {
                self.stats.undecodable += 1;
                tracing::trace!(%e, sender, "undecodable message");
                return;
            }
        };
        self.last_heard.insert(sender, now);
        match msg {
            Message::Token(t) => self.handle_token(now, sender, t),
            Message::Mcast(m) => self.handle_mcast(now, sender, m),
            Message::MergeDetect { ring_id } => {
                if ring_id != self.ring.id {
                    self.handle_foreign(now, sender, ring_id)
                }
            }
            Message::Join(j) => self.handle_join(now, sender, j),
            Message::Commit(c) => self.handle_commit(now, c),
            Message::TokenHoldCancel { ring_id } => {
                if ring_id == self.ring.id && self.state == State::Operational {
                    self.release_held(now);
                }
            }
        }
    }

    /// Fires every timer whose deadline is at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(q) = self.quorum.handle_timeout(now) {
            self.events.push_back(Event::Quorum(q));
        }
        if fired(&mut self.timers.hold, now) {
            self.release_held(now);
        }
        if fired(&mut self.timers.retransmit, now) {
            if let Some((dest, plain)) = self.last_sent_token.clone() {
                self.stats.token_retransmits += 1;
                let bytes = self.envelope.seal(&plain);
                self.transmits.push_back(Transmit { dest, bytes });
                self.timers.retransmit = Some(now + self.cfg.token_retransmit);
            }
        }
        if fired(&mut self.timers.token, now) {
            match self.state {
                State::Operational | State::Commit | State::Recovery => {
                    tracing::info!(node = self.me, ring = %self.ring.id, "A processor failed, forming new configuration");
                    self.enter_gather(now, true);
                }
                State::Gather => {}
            }
        }
        if fired(&mut self.timers.fail_window, now) && self.state == State::Gather {
            if let Some((_, since)) = self.loss {
                let silent: Vec<NodeId> = self
                    .proc_set
                    .iter()
                    .copied()
                    .filter(|&n| {
                        n != self.me
                            && !self.fail_set.contains(&n)
                            && self.last_heard.get(&n).is_none_or(|&t| t < since)
                    })
                    .collect();
                if !silent.is_empty() {
                    self.fail_set.extend(silent);
                    self.enter_gather(now, false);
                }
            }
        }
        if fired(&mut self.timers.consensus, now) && self.state == State::Gather {
            let missing: Vec<NodeId> = self
                .active()
                .into_iter()
                .filter(|n| !self.agreed.contains(n))
                .collect();
            self.fail_set.extend(missing);
            self.enter_gather(now, false);
        }
        if fired(&mut self.timers.join, now) && self.state == State::Gather {
            self.send_join();
            self.timers.join = Some(now + self.cfg.join);
        }
    }
}

fn is_safe(m: &Mcast) -> bool {
    matches!(m.body, McastBody::App { safe: true, .. })
}

fn fired(t: &mut Option<Instant>, now: Instant) -> bool {
    if t.is_some_and(|d| d <= now) {
        *t = None;
        true
    } else {
        false
    }
}

// ----- private protocol logic -----------------------------------------------------------
impl Totem {
    /// udpu "multicast": one unicast to every other nodelist member, in or out of the ring.
    fn mcast(&mut self, m: &Message) {
        let plain = m.encode();
        for i in 0..self.nodes.len() {
            let dest = self.nodes[i];
            if dest != self.me {
                let bytes = self.envelope.seal(&plain);
                self.transmits.push_back(Transmit { dest, bytes });
            }
        }
    }

    fn active(&self) -> Vec<NodeId> {
        self.proc_set.difference(&self.fail_set).copied().collect()
    }

    fn is_rep(&self) -> bool {
        self.ring.members.first() == Some(&self.me)
    }

    fn first_token(&self) -> Token {
        Token {
            ring_id: self.ring.id,
            token_seq: 0,
            seq: 0,
            aru: 0,
            aru_addr: self.me,
            fcc: 0,
            retrans_flg: false,
            install_seq: None,
            rtr: Vec::new(),
        }
    }

    fn reset_token_state(&mut self) {
        self.last_token_seq = None;
        self.last_sent_token = None;
        self.prev_token_aru = 0;
        self.prev_visit_seq = 0;
        self.sent_last_visit = 0;
        self.idle_visits = 0;
        self.held = None;
        self.timers.hold = None;
        self.timers.retransmit = None;
    }

    /// Sends a token (ORF or commit) to our successor, remembering it for retransmission.
    fn send_token(&mut self, now: Instant, dest: NodeId, m: &Message) {
        let plain = m.encode();
        let bytes = self.envelope.seal(&plain);
        self.transmits.push_back(Transmit { dest, bytes });
        self.last_sent_token = Some((dest, plain));
        self.timers.token = Some(now + self.cfg.token);
        self.timers.retransmit = Some(now + self.cfg.token_retransmit);
    }

    fn send_join(&mut self) {
        let j = Join {
            proc_list: self.proc_set.iter().copied().collect(),
            fail_list: self.fail_set.iter().copied().collect(),
            ring_seq: self.installed().id.seq,
            high_ring_seq: self.max_seq_seen.max(self.persisted_seq),
            loss_ring: self.loss.map(|l| l.0),
        };
        self.mcast(&Message::Join(j));
    }

    // ----- GATHER ----------------------------------------------------------------------

    /// memb_state_gather_enter. `loss`: entered because the token of the current ring
    /// (or of the ring being formed) was lost; arms the fast failure window once.
    fn enter_gather(&mut self, now: Instant, loss: bool) {
        let cur = self.ring.id;
        match self.state {
            State::Operational => {
                self.proc_set = self.ring.members.iter().copied().collect();
                self.fail_set.clear();
            }
            State::Commit | State::Recovery => {
                // Abort the new ring: the installed one is the reference again.
                if let Some(old) = self.old.take() {
                    self.ring = old;
                }
                self.recovery_queue.clear();
                self.trans.clear();
            }
            State::Gather => {}
        }
        if self.state != State::Gather {
            self.reset_token_state();
            self.timers.token = None;
        }
        self.state = State::Gather;
        self.agreed = BTreeSet::from([self.me]);
        if loss && self.loss.is_none() {
            self.loss = Some((cur, now));
            if let Some(w) = self.cfg.fail_window {
                self.timers.fail_window = Some(now + w);
            }
        }
        self.send_join();
        self.timers.join = Some(now + self.cfg.join);
        self.timers.consensus = Some(now + self.cfg.consensus);
        self.check_consensus(now);
    }

    fn handle_join(&mut self, now: Instant, sender: NodeId, j: Join) {
        self.max_seq_seen = self.max_seq_seen.max(j.high_ring_seq).max(j.ring_seq);
        if sender == self.me {
            return;
        }
        let loss_here = j.loss_ring == Some(self.ring.id) && self.ring.members.contains(&sender);
        match self.state {
            State::Operational => {
                if j.fail_list.contains(&self.me) {
                    return;
                }
                if self.ring.members.contains(&sender) && j.ring_seq < self.ring.id.seq {
                    return; // stale join from an earlier incarnation of a member
                }
                self.enter_gather(now, loss_here);
            }
            State::Commit | State::Recovery => {
                // Honour only a member of the new ring that knows of it: it has given up.
                if !(self.ring.members.contains(&sender) && j.high_ring_seq >= self.ring.id.seq) {
                    return;
                }
                self.enter_gather(now, loss_here);
            }
            State::Gather => {}
        }
        let jp: BTreeSet<NodeId> = j.proc_list.iter().copied().collect();
        let jf: BTreeSet<NodeId> = j.fail_list.iter().copied().collect();
        if jp == self.proc_set && jf == self.fail_set {
            self.agreed.insert(sender);
            self.check_consensus(now);
        } else if jp.is_subset(&self.proc_set) && jf.is_subset(&self.fail_set) {
            // The sender knows less than we do; our joins will teach it.
        } else if self.fail_set.contains(&sender) {
        } else {
            let before = (self.proc_set.len(), self.fail_set.len());
            self.proc_set.extend(jp.iter().copied());
            self.proc_set.insert(sender);
            if jf.contains(&self.me) {
                self.fail_set.insert(sender);
            } else if self.installed().members.contains(&sender) {
                // A peer of our ring: adopt its suspicions.
                self.fail_set.extend(jf.iter().copied());
            }
            self.fail_set.remove(&self.me);
            // Sets only grow; re-enter (and re-send our join) only on news, or joins
            // would answer joins forever.
            if (self.proc_set.len(), self.fail_set.len()) != before {
                self.enter_gather(now, false);
            }
        }
    }

    /// A packet of another ring: under udpu this is how separated rings find each other.
    fn handle_foreign(&mut self, now: Instant, sender: NodeId, ring_id: RingId) {
        if sender == self.me || ring_id.seq < self.installed().id.seq {
            return; // stale traffic of an older ring
        }
        match self.state {
            State::Operational => {
                self.enter_gather(now, false);
                if self.proc_set.insert(sender) {
                    self.enter_gather(now, false);
                }
            }
            State::Gather => {
                if !self.proc_set.contains(&sender) {
                    self.proc_set.insert(sender);
                    self.enter_gather(now, false);
                }
            }
            State::Commit | State::Recovery => {}
        }
    }

    fn check_consensus(&mut self, now: Instant) {
        if self.state != State::Gather {
            return;
        }
        let active = self.active();
        if !active.iter().all(|n| self.agreed.contains(n)) {
            return;
        }
        if active.first() != Some(&self.me) {
            return; // the lowest id creates the commit token
        }
        let seq = self
            .max_seq_seen
            .max(self.persisted_seq)
            .max(self.ring.id.seq)
            + 4;
        let n = active.len();
        let c = CommitToken {
            token_seq: 0,
            ring_id: RingId { rep: self.me, seq },
            rotation: 1,
            members: active,
            entries: vec![None; n],
        };
        tracing::debug!(node = self.me, ring = %c.ring_id, "consensus reached, committing");
        self.enter_commit(now, c);
    }

    // ----- COMMIT / RECOVERY -------------------------------------------------------------

    fn enter_commit(&mut self, now: Instant, mut c: CommitToken) {
        let Some(idx) = c.members.iter().position(|&n| n == self.me) else {
            return;
        };
        c.entries[idx] = Some(CommitEntry {
            old_ring: self.ring.id,
            aru: self.ring.my_aru,
            high_delivered: self.ring.high_delivered,
            high_seq: self.ring.high_seq,
        });
        self.state = State::Commit;
        self.persisted_seq = c.ring_id.seq;
        self.max_seq_seen = self.max_seq_seen.max(c.ring_id.seq);
        self.events.push_back(Event::PersistRingSeq(c.ring_id.seq));
        self.timers.join = None;
        self.timers.consensus = None;
        self.timers.fail_window = None;
        self.loss = None;
        let old = std::mem::replace(&mut self.ring, Ring::new(c.ring_id, c.members.clone()));
        self.old = Some(old);
        self.reset_token_state();
        self.orf_started = false;
        self.recovery_rotated = false;
        self.commit_seen = Some(c.token_seq);
        self.forward_commit(now, c);
    }

    fn forward_commit(&mut self, now: Instant, mut c: CommitToken) {
        c.token_seq += 1;
        let dest = self.ring.successor(self.me);
        self.send_token(now, dest, &Message::Commit(c));
    }

    fn handle_commit(&mut self, now: Instant, c: CommitToken) {
        match self.state {
            State::Gather => {
                if c.rotation != 1
                    || c.members != self.active()
                    || c.ring_id.seq <= self.persisted_seq.max(self.ring.id.seq)
                {
                    return;
                }
                let idx = c.members.iter().position(|&n| n == self.me);
                if idx.is_some_and(|i| c.entries[i].is_none()) {
                    self.enter_commit(now, c);
                }
            }
            State::Commit => {
                if c.ring_id != self.ring.id || self.commit_seen.is_some_and(|s| c.token_seq <= s) {
                    return;
                }
                self.commit_seen = Some(c.token_seq);
                let full = c.entries.iter().all(Option::is_some);
                if c.rotation == 1 && self.is_rep() && full {
                    let mut c = c;
                    c.rotation = 2;
                    self.enter_recovery(&c);
                    self.forward_commit(now, c);
                } else if c.rotation == 2 && !self.is_rep() && full {
                    self.enter_recovery(&c);
                    self.forward_commit(now, c);
                }
            }
            State::Recovery => {
                if c.ring_id == self.ring.id
                    && c.rotation == 2
                    && self.is_rep()
                    && !self.orf_started
                {
                    self.orf_started = true;
                    let t = self.first_token();
                    self.process_token(now, t);
                }
            }
            State::Operational => {}
        }
    }

    fn enter_recovery(&mut self, c: &CommitToken) {
        self.state = State::Recovery;
        let old = self.old.as_ref().expect("COMMIT keeps the old ring");
        let mut trans = Vec::new();
        let (mut min_aru, mut max_high) = (u64::MAX, 0u64);
        for (m, e) in c.members.iter().zip(&c.entries) {
            let e = e.as_ref().expect("full commit token");
            if e.old_ring == old.id && old.members.contains(m) {
                trans.push(*m);
                min_aru = min_aru.min(e.aru);
                max_high = max_high.max(e.high_seq);
            }
        }
        self.recovery_queue.clear();
        if min_aru < max_high {
            self.recovery_queue = old
                .store
                .range(min_aru + 1..)
                .map(|(_, m)| m.clone())
                .collect();
        }
        self.trans = trans;
        self.recovery_rotated = false;
    }

    fn install(&mut self, now: Instant, install_seq: u64) {
        let old = self.old.take().expect("RECOVERY keeps the old ring");
        let trans = std::mem::take(&mut self.trans);
        // (a) old-ring messages up to the first gap, still in the old regular configuration.
        // Safe messages not yet known to be everywhere wait for the transitional one.
        let mut s = old.high_delivered + 1;
        while let Some(m) = old.store.get(&s) {
            if is_safe(m) && s > old.safe_upto {
                break;
            }
            self.deliver_app(old.id, m.clone());
            s += 1;
        }
        let left: Vec<NodeId> = old
            .members
            .iter()
            .copied()
            .filter(|n| !trans.contains(n))
            .collect();
        // (b) the transitional configuration.
        self.events.push_back(Event::Transitional {
            ring_id: self.ring.id,
            members: trans.clone(),
            left: left.clone(),
        });
        // (c) the rest of the old ring's messages: the contiguous run (held by every
        // transitional member after recovery), then past the first gap only those
        // originated by transitional members.
        let mut rest: Vec<Mcast> = Vec::new();
        let mut contiguous = true;
        let mut next = s;
        for (&seq, m) in old.store.range(s..) {
            contiguous &= seq == next;
            next = seq + 1;
            if contiguous || trans.contains(&m.origin) {
                rest.push(m.clone());
            }
        }
        for m in rest {
            self.deliver_app(old.id, m);
        }
        self.assembly.clear();
        // (d) the regular configuration.
        let joined: Vec<NodeId> = self
            .ring
            .members
            .iter()
            .copied()
            .filter(|n| !trans.contains(n))
            .collect();
        tracing::info!(node = self.me, ring = %self.ring.id, members = ?self.ring.members, ?joined, ?left, "A new membership was formed");
        self.events.push_back(Event::Regular {
            ring_id: self.ring.id,
            members: self.ring.members.clone(),
            joined,
            left,
        });
        self.stats.views += 1;
        self.ring.high_delivered = install_seq;
        self.state = State::Operational;
        self.proc_set = self.ring.members.iter().copied().collect();
        self.fail_set.clear();
        if let Some(p) = self.pending.front_mut() {
            p.next_frag = 0; // partially sent in the old ring: re-send it whole
        }
        let members = self.ring.members.clone();
        let q = self.quorum.handle_view(now, &members).clone();
        self.events.push_back(Event::Quorum(q));
        self.next_merge_detect = None;
        self.deliver_ready();
    }

    // ----- OPERATIONAL: token and messages -------------------------------------------

    fn handle_token(&mut self, now: Instant, _sender: NodeId, t: Token) {
        if !matches!(self.state, State::Operational | State::Recovery) || t.ring_id != self.ring.id
        {
            return;
        }
        if self.last_token_seq.is_some_and(|l| t.token_seq <= l) {
            return; // retransmitted copy
        }
        if self.held.is_some() {
            return;
        }
        self.stats.tokens += 1;
        if self.state == State::Operational && self.is_rep() {
            let idle = t.seq == self.prev_visit_seq
                && t.rtr.is_empty()
                && self.pending.is_empty()
                && t.aru == t.seq;
            if idle {
                self.idle_visits += 1;
                if self.next_merge_detect.is_none_or(|d| d <= now) {
                    self.next_merge_detect = Some(now + self.cfg.merge);
                    let m = Message::MergeDetect {
                        ring_id: self.ring.id,
                    };
                    self.mcast(&m);
                }
                if self.idle_visits >= 3 {
                    // Token hold: an idle ring rotates once per `hold`, not continuously.
                    self.last_token_seq = Some(t.token_seq);
                    self.timers.retransmit = None;
                    self.held = Some(t);
                    self.timers.hold = Some(now + self.cfg.hold);
                    self.timers.token = Some(now + self.cfg.token);
                    return;
                }
            } else {
                self.idle_visits = 0;
            }
        }
        self.process_token(now, t);
    }

    fn release_held(&mut self, now: Instant) {
        if let Some(t) = self.held.take() {
            self.timers.hold = None;
            self.process_token(now, t);
        }
    }

    fn next_fragment(&mut self) -> Option<McastBody> {
        let size = self.cfg.fragment_size;
        let p = self.pending.front_mut()?;
        let cnt = p.frag_cnt(size);
        let i = p.next_frag;
        let start = i as usize * size;
        let end = (start + size).min(p.data.len());
        let body = McastBody::App {
            msg_id: p.msg_id,
            frag_idx: i,
            frag_cnt: cnt,
            safe: p.safe,
            data: p.data[start..end].to_vec(),
        };
        p.next_frag += 1;
        if p.next_frag == cnt {
            self.pending.pop_front();
        }
        Some(body)
    }

    fn process_token(&mut self, now: Instant, mut t: Token) {
        self.last_token_seq = Some(t.token_seq);
        self.timers.retransmit = None;
        self.last_sent_token = None;
        let stable = t.aru.min(self.prev_token_aru);
        self.prev_token_aru = t.aru;
        self.ring.safe_upto = self.ring.safe_upto.max(stable);
        if self.state == State::Operational {
            // Messages every member has received (and so delivered) are no longer needed.
            let upto = stable.min(self.ring.high_delivered);
            while let Some((&s, _)) = self.ring.store.first_key_value() {
                if s > upto {
                    break;
                }
                self.ring.store.remove(&s);
            }
        }
        // Serve retransmission requests.
        let mut remaining = Vec::new();
        for s in std::mem::take(&mut t.rtr) {
            if let Some(m) = self.ring.store.get(&s).cloned() {
                self.stats.retransmits += 1;
                self.mcast(&Message::Mcast(m));
            } else {
                remaining.push(s);
            }
        }
        t.rtr = remaining;
        // Request our own gaps among messages sent at least one rotation ago.
        let upto = self.prev_visit_seq.min(t.seq);
        let mut s = self.ring.my_aru + 1;
        while s <= upto && t.rtr.len() < MAX_RTR {
            if !self.ring.store.contains_key(&s) && !t.rtr.contains(&s) {
                t.rtr.push(s);
            }
            s += 1;
        }
        // Originate.
        let allowed = self
            .cfg
            .max_messages
            .min(self.cfg.window_size.saturating_sub(t.fcc));
        let mut sent = 0;
        while sent < allowed {
            let body = if self.state == State::Recovery {
                match self.recovery_queue.pop_front() {
                    Some(m) => McastBody::Recovered(Box::new(m)),
                    None => break,
                }
            } else {
                match self.next_fragment() {
                    Some(b) => b,
                    None => break,
                }
            };
            t.seq += 1;
            let m = Mcast {
                ring_id: self.ring.id,
                seq: t.seq,
                origin: self.me,
                body,
            };
            self.ring.insert(m.clone());
            self.mcast(&Message::Mcast(m));
            sent += 1;
        }
        t.fcc = t.fcc.saturating_sub(self.sent_last_visit) + sent;
        self.sent_last_visit = sent;
        if self.ring.my_aru < t.aru || t.aru_addr == self.me || t.aru_addr == 0 {
            t.aru = self.ring.my_aru;
            t.aru_addr = if t.aru == t.seq { 0 } else { self.me };
        }
        let mut install = None;
        if self.state == State::Recovery {
            if self.is_rep() {
                if self.recovery_rotated
                    && !t.retrans_flg
                    && self.recovery_queue.is_empty()
                    && t.install_seq.is_none()
                {
                    t.install_seq = Some(t.seq);
                }
                t.retrans_flg = false;
                self.recovery_rotated = true;
            }
            if !self.recovery_queue.is_empty() {
                t.retrans_flg = true;
            }
            if let Some(is) = t.install_seq {
                if stable >= is && self.ring.my_aru >= is {
                    install = Some(is);
                }
            }
        }
        t.token_seq += 1;
        self.prev_visit_seq = t.seq;
        let dest = self.ring.successor(self.me);
        self.send_token(now, dest, &Message::Token(t));
        if let Some(is) = install {
            self.install(now, is);
        } else if self.state == State::Operational {
            self.deliver_ready();
        }
    }

    fn handle_mcast(&mut self, now: Instant, sender: NodeId, m: Mcast) {
        if m.ring_id != self.ring.id {
            self.handle_foreign(now, sender, m.ring_id);
            return;
        }
        if self.state == State::Commit {
            return; // the old ring is frozen; the new one has no messages yet
        }
        let inner = match &m.body {
            McastBody::Recovered(inner) => Some((**inner).clone()),
            McastBody::App { .. } => None,
        };
        if !self.ring.insert(m) {
            return;
        }
        if self.state == State::Recovery {
            if let (Some(inner), Some(old)) = (inner, self.old.as_mut()) {
                // Through Ring::insert, so that my_aru and high_seq stay truthful: if this
                // attempt aborts, our next commit entry must describe what we now hold, or
                // a later recovery would skip re-sending it (seen as a failure-atomicity
                // violation by the simulator, seed 87737).
                if inner.ring_id == old.id {
                    old.insert(inner);
                }
            }
        }
        if self.state == State::Operational {
            self.deliver_ready();
        }
    }

    fn deliver_ready(&mut self) {
        while self.ring.high_delivered < self.ring.my_aru {
            let s = self.ring.high_delivered + 1;
            let m = self.ring.store.get(&s).cloned();
            if m.as_ref().is_some_and(is_safe) && s > self.ring.safe_upto {
                break; // a safe message blocks the order until every member has it
            }
            self.ring.high_delivered = s;
            if let Some(m) = m {
                self.deliver_app(self.ring.id, m);
            }
        }
    }

    fn deliver_app(&mut self, ring_id: RingId, m: Mcast) {
        let McastBody::App {
            msg_id,
            frag_idx,
            frag_cnt,
            data,
            ..
        } = m.body
        else {
            return;
        };
        if frag_cnt == 1 {
            self.events.push_back(Event::Deliver {
                origin: m.origin,
                ring_id,
                seq: m.seq,
                data,
            });
            return;
        }
        let complete = {
            let entry = self.assembly.get_mut(&m.origin);
            match entry {
                _ if frag_idx == 0 => {
                    self.assembly.insert(m.origin, (msg_id, 1, data));
                    false
                }
                Some((id, next, buf)) if *id == msg_id && *next == frag_idx => {
                    buf.extend_from_slice(&data);
                    *next += 1;
                    *next == frag_cnt
                }
                _ => {
                    // Throw-away mode: a fragment without its predecessors.
                    self.assembly.remove(&m.origin);
                    false
                }
            }
        };
        if complete || (frag_idx == 0 && frag_cnt == 1) {
            if let Some((_, _, buf)) = self.assembly.remove(&m.origin) {
                self.events.push_back(Event::Deliver {
                    origin: m.origin,
                    ring_id,
                    seq: m.seq,
                    data: buf,
                });
            }
        }
    }
}

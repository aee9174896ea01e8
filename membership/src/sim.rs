//! Deterministic simulator: N [`Totem`] cores on a seeded virtual network with a virtual clock.
//!
//! Faults: loss (up to 30 %), duplication, reordering (jittered delay), partitions and
//! heals, asymmetric (one-way) link cuts, process pauses, crash and restart (persisted ring
//! seq and boot epoch survive, like the driver's state files). After
//! every event the invariants of extended virtual synchrony and quorum are checked (views
//! agree; same ring and seq means same message; regular deliveries prefix-consistent; no
//! duplicates; ring seqs strictly increase across restarts; nodes moving between the same
//! two rings deliver the same old-ring set; safe messages reach every member that moves on;
//! quorate flag matches votes; no two quorate nodes in disjoint views), and at
//! the end of a run (after a final heal) liveness: one ring of all nodes, every message a
//! surviving node submitted delivered to it. A failing run reports its seed; replay it with
//! [`run`] and the same [`SimConfig`].
//!
//! Everything is driven by one splitmix64 stream seeded from the config, so a seed always
//! replays the same run.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashSet};
use std::time::{Duration, Instant};

use crate::crypto::{Cipher, Envelope};
use crate::quorum::QuorumConfig;
use crate::totem::{Event, Guarantee, State, Totem, TotemConfig, TotemParams};
use crate::{NodeId, RingId};

/// Parameters of one simulated run.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of everything random in the run.
    pub seed: u64,
    /// Number of nodes (ids 1..=n).
    pub nodes: usize,
    /// Virtual duration of the whole run.
    pub duration: Duration,
    /// Faults happen in this first part of the run; then everything heals.
    pub fault_phase: Duration,
    /// Token timeout.
    pub token: Duration,
    /// Highest packet loss rate used while faults are active.
    pub max_loss: f64,
    /// Inject partitions.
    pub partitions: bool,
    /// Inject crashes and restarts.
    pub crashes: bool,
    /// Seal packets with the AEAD envelope.
    pub crypto: bool,
    /// Mean application messages per second per node.
    pub msg_rate: f64,
    /// Largest application message (bigger than a fragment exercises fragmentation).
    pub max_msg: usize,
}

impl SimConfig {
    /// A run whose shape (node count, faults, loss, crypto) is itself derived from the seed.
    pub fn from_seed(seed: u64) -> Self {
        let mut r = Rng(seed ^ 0x5EED_5EED_5EED_5EED);
        let nodes = 2 + r.below(4) as usize;
        SimConfig {
            seed,
            nodes,
            fault_phase: Duration::ZERO,
            duration: Duration::ZERO,
            token: Duration::from_millis(if r.below(4) == 0 { 1000 } else { 300 }),
            max_loss: [0.0, 0.05, 0.2, 0.3][r.below(4) as usize],
            partitions: r.below(3) != 0,
            crashes: r.below(3) != 0,
            crypto: r.below(8) == 0,
            msg_rate: 10.0,
            max_msg: if r.below(4) == 0 { 5000 } else { 300 },
        }
        .with_default_duration()
    }

    /// Faults for 6 s, then a quiet, healed phase of max(4 s, 12 × token) for liveness.
    pub fn with_default_duration(mut self) -> Self {
        self.fault_phase = Duration::from_secs(6);
        self.duration = self.fault_phase + (self.token * 12).max(Duration::from_secs(4));
        self
    }
}

/// What a passing run did.
#[derive(Debug, Clone, Default)]
pub struct SimReport {
    /// Regular configurations installed (all nodes).
    pub views: u64,
    /// Messages delivered (all nodes).
    pub delivered: u64,
    /// Packets sent.
    pub packets: u64,
    /// Faults injected.
    pub faults: u64,
    /// Largest message delivered, in bytes.
    pub largest: usize,
}

/// Deterministic PRNG (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);
impl Rng {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(PartialEq, Eq)]
struct Packet {
    at: Duration,
    order: u64,
    from: NodeId,
    to: NodeId,
    bytes: Vec<u8>,
}
impl Ord for Packet {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.at, o.order).cmp(&(self.at, self.order))
    }
}
impl PartialOrd for Packet {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

#[derive(Debug, Clone)]
enum Fault {
    Partition(Vec<u8>),
    Heal,
    Crash(NodeId),
    Restart(NodeId),
    Loss(f64),
    /// Asymmetric cut: packets from the first node to the second are lost.
    OneWay(NodeId, NodeId),
    /// The node stops running (no timers, no input) for a while, like SIGSTOP or VM steal.
    Pause(NodeId, Duration),
    FinalHeal,
}

#[derive(Default)]
struct NodeRec {
    inc: u32,
    persisted_seq: u64,
    epoch: u32,
    last_installed_seq: u64,
    // per incarnation
    current_ring: Option<RingId>,
    in_transitional: bool,
    delivered_ids: HashSet<(NodeId, u32, u64)>,
    by_ring: BTreeMap<RingId, Vec<u64>>,
    regular_by_ring: BTreeMap<RingId, Vec<u64>>,
    last_seq_in_ring: BTreeMap<RingId, u64>,
    submitted: Vec<(NodeId, u32, u64)>,
    counter: u64,
    quorate: bool,
    /// Old-ring deliveries recorded when the node moved on (all incarnations).
    left_rings: BTreeMap<RingId, BTreeSet<u64>>,
}

/// (transitional set, old-ring seqs delivered, first node that reported it)
type Transition = (Vec<NodeId>, BTreeSet<u64>, NodeId);

struct Sim {
    cfg: SimConfig,
    rng: Rng,
    base: Instant,
    now: Duration,
    nodes: Vec<NodeId>,
    cores: BTreeMap<NodeId, Option<Totem>>,
    recs: BTreeMap<NodeId, NodeRec>,
    net: BinaryHeap<Packet>,
    order: u64,
    group: BTreeMap<NodeId, u8>,
    cut: BTreeSet<(NodeId, NodeId)>,
    paused_until: BTreeMap<NodeId, Duration>,
    loss: f64,
    faults: Vec<(Duration, Fault)>,
    next_submit: BTreeMap<NodeId, Duration>,
    submit_until: Duration,
    authkey: Vec<u8>,
    // global invariant state
    views: BTreeMap<RingId, Vec<NodeId>>,
    msg_at: BTreeMap<(RingId, u64), Vec<u8>>,
    transitions: BTreeMap<(RingId, RingId), Transition>,
    safe_ids: HashSet<(NodeId, u32, u64)>,
    /// Safe messages delivered in a regular configuration: every member of that ring that
    /// moves on cleanly must deliver them too.
    safe_msgs: BTreeSet<(RingId, u64)>,
    report: SimReport,
}

fn payload(node: NodeId, inc: u32, ctr: u64, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(16 + len);
    v.extend_from_slice(&node.to_be_bytes());
    v.extend_from_slice(&inc.to_be_bytes());
    v.extend_from_slice(&ctr.to_be_bytes());
    for i in 0..len {
        v.push((i as u64 ^ ctr ^ node as u64) as u8);
    }
    v
}

fn parse_payload(d: &[u8]) -> Option<(NodeId, u32, u64)> {
    if d.len() < 16 {
        return None;
    }
    let node = u32::from_be_bytes(d[0..4].try_into().ok()?);
    let inc = u32::from_be_bytes(d[4..8].try_into().ok()?);
    let ctr = u64::from_be_bytes(d[8..16].try_into().ok()?);
    for (i, &b) in d[16..].iter().enumerate() {
        if b != (i as u64 ^ ctr ^ node as u64) as u8 {
            return None;
        }
    }
    Some((node, inc, ctr))
}

/// Runs one simulation; `Err` describes the first invariant violation (with the seed).
pub fn run(cfg: &SimConfig) -> Result<SimReport, String> {
    let mut sim = Sim::new(cfg.clone());
    sim.main_loop()
        .map_err(|e| format!("seed {}: {} (config {:?})", cfg.seed, e, cfg))?;
    Ok(sim.report)
}

impl Sim {
    fn new(cfg: SimConfig) -> Self {
        let mut rng = Rng(cfg.seed);
        let nodes: Vec<NodeId> = (1..=cfg.nodes as NodeId).collect();
        let mut faults = Vec::new();
        let active = cfg.fault_phase;
        let nfaults = rng.below(8) + 2;
        for _ in 0..nfaults {
            let at = active.mul_f64(rng.unit());
            let f = match rng.below(7) {
                0 | 1 if cfg.partitions => {
                    let groups = 2 + rng.below(2) as u8;
                    Fault::Partition(
                        nodes
                            .iter()
                            .map(|_| rng.below(groups as u64) as u8)
                            .collect(),
                    )
                }
                2 if cfg.crashes => Fault::Crash(1 + rng.below(cfg.nodes as u64) as NodeId),
                3 if cfg.crashes => Fault::Restart(1 + rng.below(cfg.nodes as u64) as NodeId),
                5 if cfg.partitions => {
                    let a = 1 + rng.below(cfg.nodes as u64) as NodeId;
                    let b = 1 + rng.below(cfg.nodes as u64) as NodeId;
                    Fault::OneWay(a, b)
                }
                6 if cfg.crashes => Fault::Pause(
                    1 + rng.below(cfg.nodes as u64) as NodeId,
                    Duration::from_millis(50 + rng.below(2000)),
                ),
                _ => Fault::Loss(cfg.max_loss * rng.unit()),
            };
            faults.push((at, f));
            if rng.below(2) == 0 {
                faults.push((
                    at + Duration::from_millis(200 + rng.below(2000)),
                    Fault::Heal,
                ));
            }
        }
        // Make sure heavy loss is actually exercised when asked for.
        if cfg.max_loss > 0.0 {
            faults.push((Duration::ZERO, Fault::Loss(cfg.max_loss)));
        }
        faults.push((active, Fault::FinalHeal));
        faults.sort_by_key(|f| f.0);
        let submit_until = cfg.fault_phase + (cfg.duration - cfg.fault_phase) / 3;
        let mut s = Sim {
            rng,
            base: Instant::now(),
            now: Duration::ZERO,
            cores: BTreeMap::new(),
            recs: nodes.iter().map(|&n| (n, NodeRec::default())).collect(),
            net: BinaryHeap::new(),
            order: 0,
            group: nodes.iter().map(|&n| (n, 0)).collect(),
            cut: BTreeSet::new(),
            paused_until: BTreeMap::new(),
            loss: 0.0,
            faults,
            next_submit: BTreeMap::new(),
            submit_until,
            authkey: (0..256).map(|i| (i * 7 + 3) as u8).collect(),
            views: BTreeMap::new(),
            msg_at: BTreeMap::new(),
            transitions: BTreeMap::new(),
            safe_ids: HashSet::new(),
            safe_msgs: BTreeSet::new(),
            report: SimReport::default(),
            nodes,
            cfg,
        };
        for n in s.nodes.clone() {
            s.start(n);
        }
        s
    }

    fn t(&self) -> Instant {
        self.base + self.now
    }

    fn start(&mut self, n: NodeId) {
        self.paused_until.remove(&n);
        let rec = self.recs.get_mut(&n).unwrap();
        rec.inc += 1;
        rec.epoch += 1;
        rec.current_ring = None;
        rec.in_transitional = false;
        rec.delivered_ids.clear();
        rec.by_ring.clear();
        rec.regular_by_ring.clear();
        rec.last_seq_in_ring.clear();
        rec.submitted.clear();
        rec.quorate = false;
        let mut tc = TotemConfig::from_token(self.cfg.token, 4);
        tc.fragment_size = 1000;
        let key = self.authkey.clone();
        let envelope = Envelope::new(
            n,
            &self.nodes,
            rec.epoch,
            if self.cfg.crypto {
                Some((&key, Cipher::ChaCha20Poly1305))
            } else {
                None
            },
            "sim",
        );
        let params = TotemParams {
            me: n,
            nodes: self.nodes.clone(),
            config: tc,
            quorum: QuorumConfig::simple(&self.nodes),
            envelope,
            persisted_ring_seq: rec.persisted_seq,
        };
        let core = Totem::new(params, self.t());
        self.cores.insert(n, Some(core));
        let d = self.interval();
        self.next_submit.insert(n, self.now + d);
        // Initial events are checked by drain() on first use.
        let _ = self.drain(n);
    }

    fn interval(&mut self) -> Duration {
        Duration::from_secs_f64(2.0 * self.rng.unit() / self.cfg.msg_rate)
    }

    fn main_loop(&mut self) -> Result<(), String> {
        for n in self.nodes.clone() {
            self.drain(n)?;
        }
        let mut same_time_steps = 0u32;
        let mut last_now = Duration::MAX;
        loop {
            if self.report.packets > 2_000_000 {
                let all: Vec<String> = self
                    .cores
                    .values()
                    .flatten()
                    .map(|c| format!("{} {:?}", c.debug_summary(), c.stats()))
                    .collect();
                return Err(format!(
                    "packet storm at {:?}:\n{}",
                    self.now,
                    all.join("\n")
                ));
            }
            if self.now == last_now {
                same_time_steps += 1;
                if same_time_steps > 100_000 {
                    let all: Vec<String> = self
                        .cores
                        .values()
                        .flatten()
                        .map(|c| c.debug_summary())
                        .collect();
                    return Err(format!("livelock at {:?}:\n{}", self.now, all.join("\n")));
                }
            } else {
                same_time_steps = 0;
                last_now = self.now;
            }
            // Pick the earliest thing to do.
            let mut next = self.cfg.duration;
            let mut what = 0u8; // 0 end, 1 fault, 2 packet, 3 timer, 4 submit
            let mut who = 0;
            if let Some(f) = self.faults.first() {
                if f.0 < next {
                    next = f.0;
                    what = 1;
                }
            }
            if let Some(p) = self.net.peek() {
                if p.at < next {
                    next = p.at;
                    what = 2;
                }
            }
            for (&n, c) in &self.cores {
                if let Some(c) = c {
                    if let Some(d) = c.poll_timeout() {
                        let paused = self.paused_until.get(&n).copied().unwrap_or_default();
                        let d = d.saturating_duration_since(self.base).max(paused);
                        if d < next {
                            next = d;
                            what = 3;
                            who = n;
                        }
                    }
                }
            }
            for (&n, &d) in &self.next_submit {
                let paused = self.paused_until.get(&n).is_some_and(|&p| p > d);
                if d < next && d < self.submit_until && self.cores[&n].is_some() && !paused {
                    next = d;
                    what = 4;
                    who = n;
                }
            }
            self.now = next.max(self.now);
            match what {
                0 => break,
                1 => {
                    let (_, f) = self.faults.remove(0);
                    self.apply_fault(f)?;
                }
                2 => {
                    let mut p = self.net.pop().unwrap();
                    let paused = self.paused_until.get(&p.to).copied().unwrap_or_default();
                    if paused > self.now {
                        // A paused process reads its socket only when it runs again.
                        p.at = paused;
                        self.net.push(p);
                    } else if self.group[&p.from] == self.group[&p.to]
                        && !self.cut.contains(&(p.from, p.to))
                    {
                        let t = self.t();
                        if let Some(Some(c)) = self.cores.get_mut(&p.to) {
                            c.handle_datagram(t, &p.bytes);
                            self.drain(p.to)?;
                        }
                    }
                }
                3 => {
                    let t = self.t();
                    if let Some(Some(c)) = self.cores.get_mut(&who) {
                        c.handle_timeout(t);
                    }
                    self.drain(who)?;
                }
                _ => {
                    let d = self.interval();
                    self.next_submit.insert(who, self.now + d);
                    let len = self
                        .rng
                        .below(self.cfg.max_msg.saturating_sub(16) as u64 + 1)
                        as usize;
                    let t = self.t();
                    let rec = self.recs.get_mut(&who).unwrap();
                    rec.counter += 1;
                    let id = (who, rec.inc, rec.counter);
                    let p = payload(id.0, id.1, id.2, len);
                    if let Some(Some(c)) = self.cores.get_mut(&who) {
                        let g = if self.rng.below(3) == 0 {
                            Guarantee::Safe
                        } else {
                            Guarantee::Agreed
                        };
                        if c.submit_with(t, p, g).is_ok() {
                            if g == Guarantee::Safe {
                                self.safe_ids.insert(id);
                            }
                            self.recs.get_mut(&who).unwrap().submitted.push(id);
                        }
                    }
                    self.drain(who)?;
                }
            }
        }
        self.check_liveness()
    }

    fn apply_fault(&mut self, f: Fault) -> Result<(), String> {
        self.report.faults += 1;
        match f {
            Fault::Partition(g) => {
                for (i, &n) in self.nodes.iter().enumerate() {
                    self.group.insert(n, g[i]);
                }
            }
            Fault::Heal => {
                for g in self.group.values_mut() {
                    *g = 0;
                }
                self.cut.clear();
            }
            Fault::OneWay(a, b) => {
                if a != b {
                    self.cut.insert((a, b));
                }
            }
            Fault::Pause(n, d) => {
                self.paused_until.insert(n, self.now + d);
            }
            Fault::Loss(l) => self.loss = l,
            Fault::Crash(n) => {
                let alive = self.cores.values().filter(|c| c.is_some()).count();
                if alive > 1 {
                    self.cores.insert(n, None);
                }
            }
            Fault::Restart(n) => {
                if self.cores.get(&n).is_some_and(|c| c.is_none()) {
                    self.start(n);
                    self.drain(n)?;
                } else if let Some(c) = self.cores.get_mut(&n) {
                    // Crash-restart in one step: the same id comes back at once.
                    *c = None;
                    self.start(n);
                    self.drain(n)?;
                }
            }
            Fault::FinalHeal => {
                self.loss = 0.0;
                self.cut.clear();
                for g in self.group.values_mut() {
                    *g = 0;
                }
                for n in self.nodes.clone() {
                    if self.cores[&n].is_none() {
                        self.start(n);
                        self.drain(n)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Moves a node's transmits onto the network and checks its events.
    fn drain(&mut self, n: NodeId) -> Result<(), String> {
        let mut txs = Vec::new();
        let mut evs = Vec::new();
        if let Some(Some(c)) = self.cores.get_mut(&n) {
            while let Some(t) = c.poll_transmit() {
                txs.push(t);
            }
            while let Some(e) = c.poll_event() {
                evs.push(e);
            }
        }
        for t in txs {
            self.report.packets += 1;
            if (self.group[&n] != self.group[&t.dest] || self.cut.contains(&(n, t.dest)))
                && t.dest != n
            {
                continue;
            }
            if self.rng.unit() < self.loss {
                continue;
            }
            let copies = if self.rng.below(50) == 0 { 2 } else { 1 };
            for _ in 0..copies {
                let mut delay = Duration::from_micros(100 + self.rng.below(900));
                if self.rng.below(20) == 0 {
                    delay += Duration::from_millis(self.rng.below(30));
                }
                self.order += 1;
                self.net.push(Packet {
                    at: self.now + delay,
                    order: self.order,
                    from: n,
                    to: t.dest,
                    bytes: t.bytes.clone(),
                });
            }
        }
        let trace = std::env::var_os("SIM_TRACE").is_some();
        for e in evs {
            if trace {
                match &e {
                    Event::Deliver {
                        origin,
                        ring_id,
                        seq,
                        data,
                    } => eprintln!(
                        "{:?} n{n} deliver {ring_id}/{seq} from {origin} id {:?}",
                        self.now,
                        parse_payload(data)
                    ),
                    other => eprintln!("{:?} n{n} {other:?}", self.now),
                }
            }
            self.check_event(n, e)?;
        }
        Ok(())
    }

    fn check_event(&mut self, n: NodeId, e: Event) -> Result<(), String> {
        match e {
            Event::PersistRingSeq(s) => {
                let r = self.recs.get_mut(&n).unwrap();
                if s <= r.persisted_seq {
                    return Err(format!(
                        "node {n} persisted ring seq {s} not above {}",
                        r.persisted_seq
                    ));
                }
                r.persisted_seq = s;
            }
            Event::Deliver {
                origin,
                ring_id,
                seq,
                data,
            } => {
                self.report.delivered += 1;
                self.report.largest = self.report.largest.max(data.len());
                let id = parse_payload(&data)
                    .ok_or_else(|| format!("node {n} delivered a corrupted message"))?;
                if id.0 != origin {
                    return Err(format!("node {n}: message {id:?} attributed to {origin}"));
                }
                let prev = self
                    .msg_at
                    .entry((ring_id, seq))
                    .or_insert_with(|| data.clone());
                if *prev != data {
                    return Err(format!(
                        "ring {ring_id} seq {seq}: different messages delivered"
                    ));
                }
                let rec = self.recs.get_mut(&n).unwrap();
                if !rec.delivered_ids.insert(id) {
                    return Err(format!("node {n} delivered {id:?} twice"));
                }
                let last = rec.last_seq_in_ring.entry(ring_id).or_insert(0);
                if seq <= *last {
                    return Err(format!(
                        "node {n}: ring {ring_id} delivery order went back {last} -> {seq}"
                    ));
                }
                *last = seq;
                let cur = rec.current_ring;
                if cur != Some(ring_id) {
                    return Err(format!(
                        "node {n} delivered a message of ring {ring_id} while in {cur:?}"
                    ));
                }
                rec.by_ring.entry(ring_id).or_default().push(seq);
                if !rec.in_transitional && self.safe_ids.contains(&id) {
                    self.safe_msgs.insert((ring_id, seq));
                    for (&m, other) in &self.recs {
                        if other
                            .left_rings
                            .get(&ring_id)
                            .is_some_and(|set| !set.contains(&seq))
                        {
                            return Err(format!("safe message {ring_id}/{seq} delivered at {n}, but {m} left that ring without it"));
                        }
                    }
                }
                let rec = self.recs.get_mut(&n).unwrap();
                if !rec.in_transitional {
                    rec.regular_by_ring.entry(ring_id).or_default().push(seq);
                    // Prefix consistency of regular deliveries within a ring.
                    let mine = rec.regular_by_ring[&ring_id].clone();
                    for (&m, other) in &self.recs {
                        if m == n {
                            continue;
                        }
                        if let Some(theirs) = other.regular_by_ring.get(&ring_id) {
                            let k = mine.len().min(theirs.len());
                            if mine[..k] != theirs[..k] {
                                return Err(format!("ring {ring_id}: nodes {n} and {m} delivered different sequences"));
                            }
                        }
                    }
                }
            }
            Event::Transitional {
                ring_id,
                members,
                left,
            } => {
                let rec = self.recs.get_mut(&n).unwrap();
                if !members.contains(&n) {
                    return Err(format!("node {n} not in its transitional configuration"));
                }
                if members.iter().any(|m| left.contains(m)) {
                    return Err("transitional and left overlap".into());
                }
                let _ = ring_id;
                rec.in_transitional = true;
            }
            Event::Regular {
                ring_id,
                members,
                joined,
                left: _,
            } => {
                self.report.views += 1;
                if !members.contains(&n) || members.first() != Some(&ring_id.rep) {
                    return Err(format!("node {n}: bad view {ring_id} {members:?}"));
                }
                if members.windows(2).any(|w| w[0] >= w[1]) {
                    return Err("view not sorted".into());
                }
                if let Some(prev) = self.views.insert(ring_id, members.clone()) {
                    if prev != members {
                        return Err(format!(
                            "ring {ring_id}: views disagree {prev:?} vs {members:?}"
                        ));
                    }
                }
                let rec = self.recs.get_mut(&n).unwrap();
                if ring_id.seq <= rec.last_installed_seq {
                    return Err(format!(
                        "node {n} installed ring seq {} after {}",
                        ring_id.seq, rec.last_installed_seq
                    ));
                }
                rec.last_installed_seq = ring_id.seq;
                let trans: Vec<NodeId> = members
                    .iter()
                    .copied()
                    .filter(|m| !joined.contains(m))
                    .collect();
                if let Some(old) = rec.current_ring {
                    // Failure atomicity: same old ring, same new ring => same messages of the old ring.
                    let set: BTreeSet<u64> = rec
                        .by_ring
                        .get(&old)
                        .map(|v| v.iter().copied().collect())
                        .unwrap_or_default();
                    for &(r, sq) in self.safe_msgs.range((old, 0)..=(old, u64::MAX)) {
                        if !set.contains(&sq) {
                            return Err(format!("node {n} left {r} without safe message {sq} that another member delivered"));
                        }
                    }
                    rec.left_rings.insert(old, set.clone());
                    match self.transitions.get(&(old, ring_id)) {
                        Some((t2, s2, m)) => {
                            if *t2 != trans {
                                return Err(format!("{old}->{ring_id}: nodes {n} and {m} disagree on the transitional set"));
                            }
                            if *s2 != set {
                                let d: Vec<_> = s2.symmetric_difference(&set).collect();
                                return Err(format!("{old}->{ring_id}: nodes {n} and {m} delivered different old-ring sets (trans {trans:?}, differ at {d:?}, {n} has {} {m} has {})", set.len(), s2.len()));
                            }
                        }
                        None => {
                            self.transitions
                                .insert((old, ring_id), (trans.clone(), set, n));
                        }
                    }
                    // A node restarted since never appears in the transitional set.
                    for &t in &trans {
                        let Some(view) = self.views.get(&old) else {
                            continue;
                        };
                        if !view.contains(&t) {
                            return Err(format!(
                                "{t} in transitional set of {ring_id} but not in {old}"
                            ));
                        }
                    }
                }
                let rec = self.recs.get_mut(&n).unwrap();
                rec.current_ring = Some(ring_id);
                rec.in_transitional = false;
                // Free memory of finished rings.
                rec.by_ring.retain(|r, _| *r == ring_id);
            }
            Event::Quorum(q) => {
                if q.quorate != (q.total_votes >= q.quorum) {
                    return Err(format!(
                        "node {n}: quorate flag inconsistent with votes {q:?}"
                    ));
                }
                let rec = self.recs.get_mut(&n).unwrap();
                rec.quorate = q.quorate;
                let members: Vec<NodeId> = q.members.iter().map(|m| m.0).collect();
                if Some(members.len())
                    != rec
                        .current_ring
                        .and_then(|r| self.views.get(&r))
                        .map(|v| v.len())
                {
                    return Err(format!("node {n}: quorum members differ from its view"));
                }
                // Two quorate nodes never sit in disjoint views.
                let my_view = members;
                for (&m, other) in &self.recs {
                    if m == n || !other.quorate || self.cores.get(&m).is_none_or(|c| c.is_none()) {
                        continue;
                    }
                    if let Some(v) = other.current_ring.and_then(|r| self.views.get(&r)) {
                        if q.quorate && !v.iter().any(|x| my_view.contains(x)) {
                            return Err(format!(
                                "disjoint quorate views at {n} {my_view:?} and {m} {v:?}"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn check_liveness(&mut self) -> Result<(), String> {
        let rings: BTreeSet<RingId> = self.cores.values().flatten().map(|c| c.ring_id()).collect();
        for (n, c) in self.cores.iter() {
            let c = c
                .as_ref()
                .ok_or_else(|| format!("node {n} not running at the end"))?;
            if c.state() != State::Operational || c.members() != self.nodes.as_slice() {
                let all: Vec<String> = self
                    .cores
                    .values()
                    .flatten()
                    .map(|c| c.debug_summary())
                    .collect();
                return Err(format!(
                    "liveness: node {n} not in the full ring after the final heal:\n{}",
                    all.join("\n")
                ));
            }
            if c.pending() != 0 {
                return Err(format!(
                    "liveness: node {n} still has {} unsent messages",
                    c.pending()
                ));
            }
        }
        if rings.len() != 1 {
            return Err(format!("liveness: several rings at the end: {rings:?}"));
        }
        for (n, rec) in &self.recs {
            for id in &rec.submitted {
                if !rec.delivered_ids.contains(id) {
                    return Err(format!("node {n} never delivered its own message {id:?}"));
                }
            }
        }
        Ok(())
    }
}

/// Packet fuzzing: feeds `inputs` random, structured and mutated datagrams (from nodelist
/// and foreign senders) to one core of a 3-node nodelist, with timers and submissions in
/// between. Returns the number of datagrams fed; any panic is a bug.
pub fn fuzz_core(seed: u64, inputs: u64) -> u64 {
    use crate::wire::{CommitEntry, CommitToken, Join, Mcast, McastBody, Message, Token};
    let mut rng = Rng(seed);
    let nodes = [1, 2, 3];
    let base = Instant::now();
    let mut now = base;
    let mut cfg = TotemConfig::from_token(Duration::from_millis(300), 4);
    cfg.fragment_size = 64;
    let mut core = Totem::new(TotemParams::new(1, nodes.to_vec(), cfg), now);
    let mut senders: Vec<Envelope> = (0..5)
        .map(|i| Envelope::new(i, &[0, 1, 2, 3, 4], 1, None, ""))
        .collect();
    let small = |r: &mut Rng| r.below(5) as NodeId;
    let seqv = |r: &mut Rng| {
        if r.below(10) == 0 {
            r.next_u64()
        } else {
            r.below(40)
        }
    };
    let mut fed = 0;
    while fed < inputs {
        let ring_id = if rng.below(3) == 0 {
            core.ring_id()
        } else {
            RingId {
                rep: small(&mut rng),
                seq: seqv(&mut rng),
            }
        };
        let ids = |r: &mut Rng| {
            let mut v: Vec<NodeId> = (0..r.below(5)).map(|_| r.below(5) as NodeId).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let msg = match rng.below(6) {
            0 => Message::Token(Token {
                ring_id,
                token_seq: seqv(&mut rng),
                seq: 40,
                aru: seqv(&mut rng).min(40),
                aru_addr: small(&mut rng),
                fcc: rng.below(60) as u32,
                retrans_flg: rng.below(2) == 0,
                install_seq: if rng.below(2) == 0 {
                    Some(seqv(&mut rng))
                } else {
                    None
                },
                rtr: (0..rng.below(4)).map(|_| seqv(&mut rng)).collect(),
            }),
            1 => {
                let cnt = 1 + rng.below(3) as u32;
                let body = McastBody::App {
                    msg_id: rng.below(4),
                    frag_idx: rng.below(cnt as u64) as u32,
                    frag_cnt: cnt,
                    safe: rng.below(2) == 0,
                    data: vec![7; rng.below(100) as usize],
                };
                let m = Mcast {
                    ring_id,
                    seq: 1 + seqv(&mut rng).min(1 << 40),
                    origin: small(&mut rng),
                    body,
                };
                if rng.below(3) == 0 {
                    Message::Mcast(Mcast {
                        ring_id: core.ring_id(),
                        seq: 1 + rng.below(30),
                        origin: small(&mut rng),
                        body: McastBody::Recovered(Box::new(m)),
                    })
                } else {
                    Message::Mcast(m)
                }
            }
            2 => Message::MergeDetect { ring_id },
            3 => Message::Join(Join {
                proc_list: ids(&mut rng),
                fail_list: ids(&mut rng),
                ring_seq: seqv(&mut rng),
                high_ring_seq: seqv(&mut rng),
                loss_ring: if rng.below(2) == 0 {
                    Some(ring_id)
                } else {
                    None
                },
            }),
            4 => {
                let members = ids(&mut rng);
                let members = if members.is_empty() { vec![1] } else { members };
                let entries = members
                    .iter()
                    .map(|_| {
                        (rng.below(3) != 0).then(|| CommitEntry {
                            old_ring: core.ring_id(),
                            aru: seqv(&mut rng),
                            high_delivered: seqv(&mut rng),
                            high_seq: seqv(&mut rng),
                        })
                    })
                    .collect();
                Message::Commit(CommitToken {
                    token_seq: seqv(&mut rng),
                    ring_id,
                    rotation: 1 + rng.below(2) as u8,
                    members,
                    entries,
                })
            }
            _ => Message::TokenHoldCancel { ring_id },
        };
        let sender = rng.below(5) as usize;
        let mut bytes = senders[sender].seal(&msg.encode());
        match rng.below(10) {
            0..=2 => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(bytes.len() as u64) as usize;
                    bytes[i] = rng.next_u64() as u8;
                }
            }
            3 => bytes.truncate(rng.below(bytes.len() as u64) as usize),
            4 => bytes.extend((0..rng.below(16)).map(|_| rng.next_u64() as u8)),
            5 => bytes = (0..rng.below(80)).map(|_| rng.next_u64() as u8).collect(),
            _ => {}
        }
        now += Duration::from_micros(rng.below(20_000));
        core.handle_datagram(now, &bytes);
        fed += 1;
        if rng.below(20) == 0 {
            let _ = core.submit(now, vec![1; rng.below(200) as usize]);
        }
        if let Some(d) = core.poll_timeout() {
            if d <= now {
                core.handle_timeout(now);
            }
        }
        while core.poll_transmit().is_some() {}
        while core.poll_event().is_some() {}
    }
    fed
}

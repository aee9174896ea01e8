//! votequorum: quorum maths as a function of the installed view.
//!
//! Follows Corosync's `votequorum(5)`: `quorum = expected / 2 + 1` where `expected` is the
//! configured expected votes (default: sum of nodelist votes), raised to the votes present
//! if those ever exceed it; `two_node` (quorum 1 while at most two nodes are members; implies
//! `wait_for_all`), `wait_for_all` (not quorate until all expected votes were seen at once;
//! re-armed whenever the node is inquorate), `last_man_standing` (after the window, expected
//! votes shrink to the votes present) and `auto_tie_breaker` (an exact half keeps quorum if it
//! holds the tie-breaker node). No NODEINFO exchange: every node has the same static nodelist,
//! so every member of a view computes the same result. Time is passed in; the only timer is the
//! last-man-standing window, exposed through [`Votequorum::poll_timeout`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::NodeId;

/// Which node breaks a tie under `auto_tie_breaker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TieBreaker {
    /// The lowest node id of the last quorate membership.
    Lowest,
    /// The highest node id of the last quorate membership.
    Highest,
    /// The first listed node present.
    List(Vec<NodeId>),
}

/// votequorum settings (the `quorum` section plus per-node `quorum_votes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumConfig {
    /// Votes per nodelist node.
    pub votes: BTreeMap<NodeId, u32>,
    /// `expected_votes` override.
    pub expected_votes: Option<u32>,
    /// `two_node`.
    pub two_node: bool,
    /// `wait_for_all` (None = default: on iff two_node).
    pub wait_for_all: Option<bool>,
    /// `last_man_standing`.
    pub last_man_standing: bool,
    /// `last_man_standing_window`.
    pub last_man_standing_window: Duration,
    /// `auto_tie_breaker`.
    pub auto_tie_breaker: bool,
    /// `auto_tie_breaker_node`.
    pub tie_breaker: TieBreaker,
}

impl QuorumConfig {
    /// Defaults for a nodelist where every node has one vote.
    pub fn simple(nodes: &[NodeId]) -> Self {
        QuorumConfig {
            votes: nodes.iter().map(|&n| (n, 1)).collect(),
            expected_votes: None,
            two_node: false,
            wait_for_all: None,
            last_man_standing: false,
            last_man_standing_window: Duration::from_millis(10_000),
            auto_tie_breaker: false,
            tie_breaker: TieBreaker::Lowest,
        }
    }
}

/// What `corosync-quorumtool -s` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumStatus {
    /// Quorate flag.
    pub quorate: bool,
    /// This node's expected votes.
    pub expected_votes: u32,
    /// Highest expected votes among members.
    pub highest_expected: u32,
    /// Votes of current members.
    pub total_votes: u32,
    /// Votes needed.
    pub quorum: u32,
    /// Flag words as quorumtool prints them (`2Node`, `Quorate`, `WaitForAll`, ...).
    pub flags: Vec<&'static str>,
    /// Members with their votes, ascending id.
    pub members: Vec<(NodeId, u32)>,
}

/// votequorum state of one node.
#[derive(Debug, Clone)]
pub struct Votequorum {
    cfg: QuorumConfig,
    two_node: bool,
    wfa: bool,
    lms: bool,
    atb: bool,
    expected: u32,
    wfa_waiting: bool,
    members: Vec<NodeId>,
    last_quorate_members: Vec<NodeId>,
    lms_deadline: Option<Instant>,
    status: QuorumStatus,
}

impl Votequorum {
    /// Starts with no members (inquorate).
    pub fn new(cfg: QuorumConfig) -> Self {
        let total: u32 = cfg.votes.values().sum();
        let expected = cfg.expected_votes.unwrap_or(total).max(1);
        // two_node is disabled when auto_tie_breaker is set, and only meaningful with 2 nodes.
        let two_node = cfg.two_node && !cfg.auto_tie_breaker;
        let wfa = cfg.wait_for_all.unwrap_or(two_node);
        let lms = cfg.last_man_standing && cfg.votes.values().all(|&v| v == 1);
        let atb = cfg.auto_tie_breaker;
        let mut q = Votequorum {
            cfg,
            two_node,
            wfa,
            lms,
            atb,
            expected,
            wfa_waiting: wfa,
            members: Vec::new(),
            last_quorate_members: Vec::new(),
            lms_deadline: None,
            status: QuorumStatus {
                quorate: false,
                expected_votes: expected,
                highest_expected: expected,
                total_votes: 0,
                quorum: expected / 2 + 1,
                flags: Vec::new(),
                members: Vec::new(),
            },
        };
        q.recompute();
        q
    }

    /// Current status.
    pub fn status(&self) -> &QuorumStatus {
        &self.status
    }

    fn votes_of(&self, members: &[NodeId]) -> u32 {
        members
            .iter()
            .map(|n| self.cfg.votes.get(n).copied().unwrap_or(1))
            .sum()
    }

    /// A new regular configuration was installed.
    pub fn handle_view(&mut self, now: Instant, members: &[NodeId]) -> &QuorumStatus {
        let prev = std::mem::replace(&mut self.members, members.to_vec());
        let lost = prev.iter().filter(|n| !members.contains(n)).count();
        let was_quorate = self.status.quorate;
        self.recompute_with_lost(lost, &prev);
        if self.lms && lost > 0 && was_quorate && self.status.quorate {
            self.lms_deadline = Some(now + self.cfg.last_man_standing_window);
        }
        if !self.status.quorate {
            self.lms_deadline = None;
        }
        &self.status
    }

    /// Earliest time [`Votequorum::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.lms_deadline
    }

    /// Fires the last-man-standing window; returns the new status if it changed.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<QuorumStatus> {
        match self.lms_deadline {
            Some(d) if d <= now => {
                self.lms_deadline = None;
                if self.status.quorate {
                    let v = self.votes_of(&self.members.clone());
                    if v < self.expected {
                        self.expected = v.max(1);
                        self.recompute();
                        return Some(self.status.clone());
                    }
                }
                None
            }
            _ => None,
        }
    }

    fn recompute(&mut self) {
        let prev = self.members.clone();
        self.recompute_with_lost(0, &prev);
    }

    fn recompute_with_lost(&mut self, lost: usize, prev: &[NodeId]) {
        let members = self.members.clone();
        let v = self.votes_of(&members);
        if v > self.expected {
            self.expected = v;
        }
        let e = self.expected;
        let mut quorum = e / 2 + 1;
        if self.two_node && members.len() <= 2 && self.cfg.votes.len() == 2 {
            quorum = 1;
        }
        let mut quorate = v >= quorum && !members.is_empty();
        if !quorate && self.atb && e.is_multiple_of(2) && v == e / 2 && (lost as u32) < quorum {
            let holds = match &self.cfg.tie_breaker {
                TieBreaker::Lowest => {
                    let reference = if self.last_quorate_members.is_empty() {
                        self.cfg.votes.keys().copied().collect::<Vec<_>>()
                    } else {
                        self.last_quorate_members.clone()
                    };
                    reference.iter().min().is_some_and(|n| members.contains(n))
                }
                TieBreaker::Highest => {
                    let reference = if self.last_quorate_members.is_empty() {
                        self.cfg.votes.keys().copied().collect::<Vec<_>>()
                    } else {
                        self.last_quorate_members.clone()
                    };
                    reference.iter().max().is_some_and(|n| members.contains(n))
                }
                TieBreaker::List(list) => {
                    let mut r = false;
                    for n in list {
                        if members.contains(n) {
                            r = true;
                            break;
                        }
                        if prev.contains(n) {
                            break;
                        }
                    }
                    r
                }
            };
            quorate = holds;
        }
        if self.wfa_waiting {
            if v >= e {
                self.wfa_waiting = false;
            } else {
                quorate = false;
            }
        }
        if self.wfa && !quorate {
            self.wfa_waiting = true;
        }
        if quorate {
            self.last_quorate_members = members.clone();
        }
        let mut flags = Vec::new();
        if self.two_node {
            flags.push("2Node");
        }
        if quorate {
            flags.push("Quorate");
        }
        if self.wfa {
            flags.push("WaitForAll");
        }
        if self.lms {
            flags.push("LastManStanding");
        }
        if self.atb {
            flags.push("AutoTieBreaker");
        }
        self.status = QuorumStatus {
            quorate,
            expected_votes: e,
            highest_expected: e,
            total_votes: v,
            quorum,
            flags,
            members: members
                .iter()
                .map(|&n| (n, self.cfg.votes.get(&n).copied().unwrap_or(1)))
                .collect(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(cfg: QuorumConfig, views: &[&[NodeId]]) -> Vec<(bool, u32)> {
        let mut v = Votequorum::new(cfg);
        let now = Instant::now();
        views
            .iter()
            .map(|m| {
                let s = v.handle_view(now, m);
                (s.quorate, s.quorum)
            })
            .collect()
    }

    // Reference: votequorum(5), plain majority.
    #[test]
    fn majority() {
        let c = QuorumConfig::simple(&[1, 2, 3]);
        assert_eq!(
            q(c, &[&[1], &[1, 2], &[1, 2, 3], &[1]]),
            vec![(false, 2), (true, 2), (true, 2), (false, 2)]
        );
        let c = QuorumConfig::simple(&[1, 2, 3, 4, 5]);
        assert_eq!(q(c.clone(), &[&[1, 2]]), vec![(false, 3)]);
        assert_eq!(q(c, &[&[3, 4, 5]]), vec![(true, 3)]);
    }

    // Reference: votequorum(5) two_node: "requires that both nodes are up at start
    // (wait_for_all), then one node alone stays quorate".
    #[test]
    fn two_node_wait_for_all() {
        let mut c = QuorumConfig::simple(&[1, 2]);
        c.two_node = true;
        assert_eq!(
            q(c.clone(), &[&[1], &[1, 2], &[1], &[1, 2]]),
            vec![(false, 1), (true, 1), (true, 1), (true, 1)]
        );
        let mut v = Votequorum::new(c);
        let s = v.handle_view(Instant::now(), &[1]).clone();
        assert_eq!(s.flags, vec!["2Node", "WaitForAll"]);
    }

    #[test]
    fn wait_for_all_three() {
        let mut c = QuorumConfig::simple(&[1, 2, 3]);
        c.wait_for_all = Some(true);
        assert_eq!(
            q(c, &[&[1, 2], &[1, 2, 3], &[1, 2]]),
            vec![(false, 2), (true, 2), (true, 2)]
        );
    }

    #[test]
    fn last_man_standing() {
        let mut c = QuorumConfig::simple(&[1, 2, 3, 4, 5, 6, 7, 8]);
        c.last_man_standing = true;
        let mut v = Votequorum::new(c);
        let t0 = Instant::now();
        assert!(v.handle_view(t0, &[1, 2, 3, 4, 5, 6, 7, 8]).quorate);
        assert!(v.handle_view(t0, &[1, 2, 3, 4, 5]).quorate);
        let d = v.poll_timeout().unwrap();
        let s = v.handle_timeout(d).unwrap();
        assert_eq!((s.expected_votes, s.quorum), (5, 3));
        assert!(v.handle_view(d, &[1, 2, 3]).quorate);
    }

    #[test]
    fn auto_tie_breaker() {
        let mut c = QuorumConfig::simple(&[1, 2, 3, 4]);
        c.auto_tie_breaker = true;
        assert_eq!(
            q(c.clone(), &[&[1, 2, 3, 4], &[1, 2]]),
            vec![(true, 3), (true, 3)]
        );
        assert_eq!(q(c, &[&[1, 2, 3, 4], &[3, 4]]), vec![(true, 3), (false, 3)]);
    }
}

//! Shared vocabulary of the stages: node and resource indices, roles, and the
//! unpacked facts every later stage reads.

use std::collections::BTreeMap;
use std::fmt;

use crate::score::Score;

/// Index into [`crate::unpack::Unpacked::nodes`].
pub type NodeId = usize;
/// Index into [`crate::unpack::Unpacked::rscs`].
pub type RscId = usize;

/// Resource role, in Pacemaker's ladder order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Role {
    #[default]
    Unknown,
    Stopped,
    Started,
    Unpromoted,
    Promoted,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s.to_ascii_lowercase().as_str() {
            "stopped" => Role::Stopped,
            "started" => Role::Started,
            "slave" | "unpromoted" => Role::Unpromoted,
            "master" | "promoted" => Role::Promoted,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Role::Unknown => "Unknown",
            Role::Stopped => "Stopped",
            Role::Started => "Started",
            Role::Unpromoted => "Unpromoted",
            Role::Promoted => "Promoted",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `no-quorum-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoQuorumPolicy {
    #[default]
    Stop,
    Freeze,
    Ignore,
    Demote,
    Suicide,
}

/// What to do when an operation fails (`on-fail`), in increasing severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum OnFail {
    #[default]
    Ignore,
    Demote,
    Restart,
    Migrate,
    Block,
    Stop,
    Standby,
    Fence,
}

impl OnFail {
    pub fn parse(s: &str) -> Option<OnFail> {
        Some(match s.to_ascii_lowercase().as_str() {
            "ignore" => OnFail::Ignore,
            "demote" => OnFail::Demote,
            "restart" => OnFail::Restart,
            "migrate" => OnFail::Migrate,
            "block" => OnFail::Block,
            "stop" => OnFail::Stop,
            "standby" => OnFail::Standby,
            "fence" => OnFail::Fence,
            "restart-container" => OnFail::Restart,
            _ => return None,
        })
    }
}

/// A reason attached to a score or decision, kept as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreReason {
    pub source: String,
    pub score: Score,
}

/// Per-node allowed-node table.
pub type Table = BTreeMap<NodeId, Score>;

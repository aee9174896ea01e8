//! `membership`: a Totem-like token ring over UDP unicast with votequorum — what Corosync's
//! totem and votequorum do, as a sans-IO protocol core plus a thin tokio driver.
//!
//! # How data enters and leaves
//!
//! The core, [`totem::Totem`], owns no sockets, reads no clock and draws no random numbers.
//! Input: received datagrams (`handle_datagram(now, bytes)`), expired timers
//! (`handle_timeout(now)`) and application messages (`submit(now, bytes)`). Output: datagrams
//! to send (`poll_transmit`), the next deadline (`poll_timeout`) and events (`poll_event`):
//! messages delivered in agreed order, transitional and regular configurations (extended
//! virtual synchrony), quorum changes, and ring sequence numbers to persist.
//!
//! [`driver`] runs a core over a real UDP socket with tokio; the deterministic simulator in
//! `tests/` runs many cores over a virtual network and clock.
//!
//! # Layout
//!
//! - [`totem`]: the ring protocol state machine (token, GATHER/COMMIT/RECOVERY, delivery).
//! - [`wire`]: message encoding; [`crypto`]: the authenticated, encrypted packet envelope.
//! - [`quorum`]: votequorum maths.
//! - [`config`]: the `corosync.conf` parser.
//! - [`driver`]: the tokio shell.
#![deny(missing_docs)]

pub mod config;
pub mod crypto;
pub mod driver;
pub mod quorum;
pub mod sim;
pub mod totem;
pub mod wire;

/// A node id (Corosync's `nodeid`, 1..=u32::MAX).
pub type NodeId = u32;

/// A ring's identity: its representative and sequence number (Corosync prints `rep.seq` in hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RingId {
    /// Lowest node id of the ring.
    pub rep: NodeId,
    /// Ring sequence number (grows by 4 per new ring, as in Corosync).
    pub seq: u64,
}

impl std::fmt::Display for RingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:x}.{:x}", self.rep, self.seq)
    }
}

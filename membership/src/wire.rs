//! Wire format of the ring protocol messages (the plaintext inside the
//! crypto envelope, see [`crate::crypto`]).
//!
//! Every integer is big-endian. Decoding never panics: any malformed,
//! truncated or oversized input yields [`DecodeError`], and the core counts
//! and drops it. Message and field names follow Corosync's totemsrp.c
//! (ORF token, mcast, memb_join, memb_commit_token, memb_merge_detect,
//! token_hold_cancel) so the two can be read side by side.

use crate::{NodeId, RingId};

/// Upper bound on the node-id lists we accept in a packet (membership size).
pub const MAX_NODES: usize = 512;
/// Upper bound on retransmission-request entries carried by a token.
pub const MAX_RTR: usize = 64;
/// Upper bound on one mcast payload (a fragment of an application message).
pub const MAX_FRAGMENT: usize = 65_000;

/// Why a datagram could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the message did.
    #[error("truncated message")]
    Truncated,
    /// Unknown message type byte.
    #[error("unknown message type {0}")]
    UnknownType(u8),
    /// A length field exceeded its protocol limit.
    #[error("field {0} too long")]
    TooLong(&'static str),
    /// Bytes were left over after the message.
    #[error("trailing bytes")]
    Trailing,
    /// A field held a value that cannot occur.
    #[error("invalid field {0}")]
    Invalid(&'static str),
}

/// The ORF (ordering, reliability, flow control) token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Ring this token belongs to.
    pub ring_id: RingId,
    /// The token's own counter; a copy with a counter already seen is a retransmission.
    pub token_seq: u64,
    /// Highest message sequence number assigned in this ring.
    pub seq: u64,
    /// Ring-wide "all received up to", lowered and raised as the token circulates.
    pub aru: u64,
    /// Node that last lowered `aru` (0 when `aru == seq`).
    pub aru_addr: NodeId,
    /// Messages sent during the last rotation (flow control).
    pub fcc: u32,
    /// RECOVERY: some member still has old-ring messages to re-send.
    pub retrans_flg: bool,
    /// RECOVERY: sequence number up to which recovery messages occupy the ring (set by the rep).
    pub install_seq: Option<u64>,
    /// Retransmission requests (sequence numbers of this ring).
    pub rtr: Vec<u64>,
}

/// Payload carried by an mcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McastBody {
    /// One fragment of an application message.
    App {
        /// Per-originator message counter.
        msg_id: u64,
        /// Index of this fragment.
        frag_idx: u32,
        /// Number of fragments of the message.
        frag_cnt: u32,
        /// Safe order: deliver only once every member of the ring has the message.
        safe: bool,
        /// Fragment bytes.
        data: Vec<u8>,
    },
    /// An old-ring message re-sent during RECOVERY (Corosync's "encapsulated").
    Recovered(Box<Mcast>),
}

/// A regular (ordered) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mcast {
    /// Ring the sequence number belongs to.
    pub ring_id: RingId,
    /// Position in the ring's total order.
    pub seq: u64,
    /// Node that originated it.
    pub origin: NodeId,
    /// Contents.
    pub body: McastBody,
}

/// A join message (GATHER phase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    /// Nodes the sender believes alive (sorted).
    pub proc_list: Vec<NodeId>,
    /// Nodes the sender has excluded (sorted).
    pub fail_list: Vec<NodeId>,
    /// Sequence number of the sender's installed ring.
    pub ring_seq: u64,
    /// Highest ring sequence number the sender has seen or committed.
    pub high_ring_seq: u64,
    /// Set when the sender entered GATHER because the token of this ring was lost.
    pub loss_ring: Option<RingId>,
}

/// Per-member record filled in during the commit token's first rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitEntry {
    /// Ring the member comes from.
    pub old_ring: RingId,
    /// Its all-received-up-to in that ring.
    pub aru: u64,
    /// Highest sequence number it delivered in that ring.
    pub high_delivered: u64,
    /// Highest sequence number it received in that ring.
    pub high_seq: u64,
}

/// The commit token that installs a new ring (rotates twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitToken {
    /// Counter for duplicate detection.
    pub token_seq: u64,
    /// The ring being formed.
    pub ring_id: RingId,
    /// 1 on the first rotation (filling entries), 2 on the second.
    pub rotation: u8,
    /// Members, ascending.
    pub members: Vec<NodeId>,
    /// One entry per member, in member order.
    pub entries: Vec<Option<CommitEntry>>,
}

/// Every message of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// ORF token.
    Token(Token),
    /// Regular message.
    Mcast(Mcast),
    /// Idle representative announcing its ring so separated rings find each other.
    MergeDetect {
        /// The sender's ring.
        ring_id: RingId,
    },
    /// Join.
    Join(Join),
    /// Commit token.
    Commit(CommitToken),
    /// Asks the representative to release a held token.
    TokenHoldCancel {
        /// The sender's ring.
        ring_id: RingId,
    },
}

struct W(Vec<u8>);
impl W {
    fn u8(&mut self, v: u8) {
        self.0.push(v)
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes())
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes())
    }
    fn ring(&mut self, r: RingId) {
        self.u32(r.rep);
        self.u64(r.seq);
    }
    fn ids(&mut self, v: &[NodeId]) {
        self.u32(v.len() as u32);
        for &x in v {
            self.u32(x)
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b)
    }
}

struct R<'a>(&'a [u8]);
impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.0.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::Invalid("bool")),
        }
    }
    fn ring(&mut self) -> Result<RingId, DecodeError> {
        Ok(RingId {
            rep: self.u32()?,
            seq: self.u64()?,
        })
    }
    fn len(&mut self, max: usize, what: &'static str) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(DecodeError::TooLong(what));
        }
        Ok(n)
    }
    fn ids(&mut self) -> Result<Vec<NodeId>, DecodeError> {
        let n = self.len(MAX_NODES, "node list")?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.u32()?);
        }
        Ok(v)
    }
    fn sorted_ids(&mut self) -> Result<Vec<NodeId>, DecodeError> {
        let v = self.ids()?;
        if v.windows(2).any(|w| w[0] >= w[1]) {
            return Err(DecodeError::Invalid("node list order"));
        }
        Ok(v)
    }
    fn bytes(&mut self, max: usize) -> Result<Vec<u8>, DecodeError> {
        let n = self.len(max, "payload")?;
        Ok(self.take(n)?.to_vec())
    }
}

const T_TOKEN: u8 = 0;
const T_MCAST: u8 = 1;
const T_MERGE: u8 = 2;
const T_JOIN: u8 = 3;
const T_COMMIT: u8 = 4;
const T_HOLD_CANCEL: u8 = 5;

fn put_mcast(w: &mut W, m: &Mcast) {
    w.ring(m.ring_id);
    w.u64(m.seq);
    w.u32(m.origin);
    match &m.body {
        McastBody::App {
            msg_id,
            frag_idx,
            frag_cnt,
            safe,
            data,
        } => {
            w.u8(0);
            w.u64(*msg_id);
            w.u32(*frag_idx);
            w.u32(*frag_cnt);
            w.u8(*safe as u8);
            w.bytes(data);
        }
        McastBody::Recovered(inner) => {
            w.u8(1);
            put_mcast(w, inner);
        }
    }
}

fn get_mcast(r: &mut R<'_>, nested: bool) -> Result<Mcast, DecodeError> {
    let ring_id = r.ring()?;
    let seq = r.u64()?;
    let origin = r.u32()?;
    let body = match r.u8()? {
        0 => {
            let msg_id = r.u64()?;
            let frag_idx = r.u32()?;
            let frag_cnt = r.u32()?;
            if frag_cnt == 0 || frag_idx >= frag_cnt {
                return Err(DecodeError::Invalid("fragment index"));
            }
            let safe = r.bool()?;
            let data = r.bytes(MAX_FRAGMENT)?;
            McastBody::App {
                msg_id,
                frag_idx,
                frag_cnt,
                safe,
                data,
            }
        }
        1 if !nested => McastBody::Recovered(Box::new(get_mcast(r, true)?)),
        _ => return Err(DecodeError::Invalid("mcast body")),
    };
    if seq == 0 {
        return Err(DecodeError::Invalid("seq"));
    }
    Ok(Mcast {
        ring_id,
        seq,
        origin,
        body,
    })
}

impl Message {
    /// Serialises the message.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = W(Vec::with_capacity(64));
        match self {
            Message::Token(t) => {
                w.u8(T_TOKEN);
                w.ring(t.ring_id);
                w.u64(t.token_seq);
                w.u64(t.seq);
                w.u64(t.aru);
                w.u32(t.aru_addr);
                w.u32(t.fcc);
                w.u8(t.retrans_flg as u8);
                match t.install_seq {
                    None => w.u8(0),
                    Some(s) => {
                        w.u8(1);
                        w.u64(s)
                    }
                }
                w.u32(t.rtr.len() as u32);
                for &s in &t.rtr {
                    w.u64(s)
                }
            }
            Message::Mcast(m) => {
                w.u8(T_MCAST);
                put_mcast(&mut w, m);
            }
            Message::MergeDetect { ring_id } => {
                w.u8(T_MERGE);
                w.ring(*ring_id);
            }
            Message::Join(j) => {
                w.u8(T_JOIN);
                w.ids(&j.proc_list);
                w.ids(&j.fail_list);
                w.u64(j.ring_seq);
                w.u64(j.high_ring_seq);
                match j.loss_ring {
                    None => w.u8(0),
                    Some(r) => {
                        w.u8(1);
                        w.ring(r)
                    }
                }
            }
            Message::Commit(c) => {
                w.u8(T_COMMIT);
                w.u64(c.token_seq);
                w.ring(c.ring_id);
                w.u8(c.rotation);
                w.ids(&c.members);
                for e in &c.entries {
                    match e {
                        None => w.u8(0),
                        Some(e) => {
                            w.u8(1);
                            w.ring(e.old_ring);
                            w.u64(e.aru);
                            w.u64(e.high_delivered);
                            w.u64(e.high_seq);
                        }
                    }
                }
            }
            Message::TokenHoldCancel { ring_id } => {
                w.u8(T_HOLD_CANCEL);
                w.ring(*ring_id);
            }
        }
        w.0
    }

    /// Parses a message; never panics on any input.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let mut r = R(bytes);
        let msg = match r.u8()? {
            T_TOKEN => {
                let ring_id = r.ring()?;
                let token_seq = r.u64()?;
                let seq = r.u64()?;
                let aru = r.u64()?;
                let aru_addr = r.u32()?;
                let fcc = r.u32()?;
                let retrans_flg = r.bool()?;
                let install_seq = if r.bool()? { Some(r.u64()?) } else { None };
                let n = r.len(MAX_RTR, "rtr list")?;
                let mut rtr = Vec::with_capacity(n);
                for _ in 0..n {
                    rtr.push(r.u64()?);
                }
                if aru > seq {
                    return Err(DecodeError::Invalid("aru above seq"));
                }
                Message::Token(Token {
                    ring_id,
                    token_seq,
                    seq,
                    aru,
                    aru_addr,
                    fcc,
                    retrans_flg,
                    install_seq,
                    rtr,
                })
            }
            T_MCAST => Message::Mcast(get_mcast(&mut r, false)?),
            T_MERGE => Message::MergeDetect { ring_id: r.ring()? },
            T_JOIN => {
                let proc_list = r.sorted_ids()?;
                let fail_list = r.sorted_ids()?;
                let ring_seq = r.u64()?;
                let high_ring_seq = r.u64()?;
                let loss_ring = if r.bool()? { Some(r.ring()?) } else { None };
                Message::Join(Join {
                    proc_list,
                    fail_list,
                    ring_seq,
                    high_ring_seq,
                    loss_ring,
                })
            }
            T_COMMIT => {
                let token_seq = r.u64()?;
                let ring_id = r.ring()?;
                let rotation = r.u8()?;
                if !(1..=2).contains(&rotation) {
                    return Err(DecodeError::Invalid("rotation"));
                }
                let members = r.sorted_ids()?;
                if members.is_empty() {
                    return Err(DecodeError::Invalid("empty ring"));
                }
                let mut entries = Vec::with_capacity(members.len());
                for _ in 0..members.len() {
                    entries.push(if r.bool()? {
                        Some(CommitEntry {
                            old_ring: r.ring()?,
                            aru: r.u64()?,
                            high_delivered: r.u64()?,
                            high_seq: r.u64()?,
                        })
                    } else {
                        None
                    });
                }
                Message::Commit(CommitToken {
                    token_seq,
                    ring_id,
                    rotation,
                    members,
                    entries,
                })
            }
            T_HOLD_CANCEL => Message::TokenHoldCancel { ring_id: r.ring()? },
            t => return Err(DecodeError::UnknownType(t)),
        };
        if !r.0.is_empty() {
            return Err(DecodeError::Trailing);
        }
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_all_types() {
        let ring_id = RingId { rep: 1, seq: 8 };
        let inner = Mcast {
            ring_id,
            seq: 3,
            origin: 2,
            body: McastBody::App {
                msg_id: 9,
                frag_idx: 0,
                frag_cnt: 1,
                safe: true,
                data: b"hi".to_vec(),
            },
        };
        let msgs = vec![
            Message::Token(Token {
                ring_id,
                token_seq: 5,
                seq: 10,
                aru: 7,
                aru_addr: 2,
                fcc: 3,
                retrans_flg: true,
                install_seq: Some(4),
                rtr: vec![8, 9],
            }),
            Message::Mcast(inner.clone()),
            Message::Mcast(Mcast {
                ring_id: RingId { rep: 1, seq: 12 },
                seq: 1,
                origin: 1,
                body: McastBody::Recovered(Box::new(inner)),
            }),
            Message::MergeDetect { ring_id },
            Message::Join(Join {
                proc_list: vec![1, 2, 3],
                fail_list: vec![3],
                ring_seq: 8,
                high_ring_seq: 12,
                loss_ring: Some(ring_id),
            }),
            Message::Commit(CommitToken {
                token_seq: 1,
                ring_id,
                rotation: 1,
                members: vec![1, 2],
                entries: vec![
                    Some(CommitEntry {
                        old_ring: ring_id,
                        aru: 1,
                        high_delivered: 1,
                        high_seq: 2,
                    }),
                    None,
                ],
            }),
            Message::TokenHoldCancel { ring_id },
        ];
        for m in msgs {
            let b = m.encode();
            assert_eq!(Message::decode(&b).unwrap(), m);
            for cut in 0..b.len() {
                assert!(Message::decode(&b[..cut]).is_err());
            }
        }
    }
}

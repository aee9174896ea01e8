//! Packet envelope: authentication, encryption and replay protection.
//!
//! Every datagram is `[magic u16][version u8][flags u8][sender u32][boot_epoch u32][counter u64]`
//! followed by the message (see [`crate::wire`]); with a key the message is sealed with an AEAD
//! (ChaCha20-Poly1305, or AES-256-GCM when `crypto_cipher` names AES) and the 20-byte header is
//! the associated data. The nonce is `boot_epoch ‖ counter`; each sender has its own key,
//! derived with HKDF-SHA256 from the authkey (salt = cluster name, info = `"tandem totem v1"` ‖
//! sender id), so nonces never repeat across nodes. `boot_epoch` is persisted by the driver and
//! incremented at every start. Receivers keep each sender's highest epoch and a 1024-packet
//! sliding window and drop older epochs and duplicates.
//!
//! Deviation from Corosync: Corosync 3 refuses crypto on udp/udpu and, with knet, uses the raw
//! authkey bytes as AES-CBC + HMAC keys with no replay protection. We derive per-sender AEAD keys
//! and authenticate on udpu as well.

use std::collections::BTreeMap;

use ring::aead::{self, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;

use crate::NodeId;

/// Envelope header length in bytes.
pub const HEADER_LEN: usize = 20;
const MAGIC: u16 = 0x7A4D;
const VERSION: u8 = 1;
const FLAG_SEALED: u8 = 1;
const WINDOW: u64 = 1024;

/// Errors loading key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file could not be read.
    #[error("cannot read key file {path}")]
    Io {
        /// Path of the key file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The key has a length Corosync would refuse.
    #[error("authkey is {0} bytes; it must be 128..=4096 bytes (corosync-keygen writes 256)")]
    BadLength(usize),
    /// A Heartbeat `authkeys` file without a usable `auth N` / `N method secret` pair.
    #[error("authkeys: {0}")]
    Authkeys(String),
}

/// AEAD algorithm used for packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    /// ChaCha20-Poly1305 (default).
    ChaCha20Poly1305,
    /// AES-256-GCM (chosen when the configuration names an AES cipher).
    Aes256Gcm,
}

/// Validates an authkey as `corosync-keygen` writes it (raw bytes, 128..=4096 long).
pub fn authkey_from_bytes(bytes: &[u8]) -> Result<Vec<u8>, KeyError> {
    if !(128..=4096).contains(&bytes.len()) {
        return Err(KeyError::BadLength(bytes.len()));
    }
    Ok(bytes.to_vec())
}

/// Reads a Heartbeat `authkeys` file (`auth 1` then `1 sha1 SECRET`) and returns the secret
/// of the selected key as key material (hashed through HKDF like any authkey).
pub fn authkey_from_heartbeat(text: &str) -> Result<Vec<u8>, KeyError> {
    let mut selected: Option<String> = None;
    let mut keys = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut it = line.split_whitespace();
        let first = it.next().unwrap_or_default();
        if first == "auth" {
            selected = it.next().map(str::to_string);
        } else {
            let method = it.next().unwrap_or_default();
            let secret: Vec<&str> = it.collect();
            if method == "crc" {
                keys.insert(first.to_string(), Vec::new());
            } else if !secret.is_empty() {
                keys.insert(first.to_string(), secret.join(" ").into_bytes());
            }
        }
    }
    let sel = selected.ok_or_else(|| KeyError::Authkeys("no `auth N` line".into()))?;
    let key = keys.get(&sel).ok_or_else(|| {
        KeyError::Authkeys(format!("key {sel} selected by `auth` is not defined"))
    })?;
    if key.is_empty() {
        return Err(KeyError::Authkeys(
            "crc provides no authentication; use sha1 or md5 with a secret".into(),
        ));
    }
    Ok(key.clone())
}

/// Why an incoming packet was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Shorter than the header, or bad magic/version.
    Malformed,
    /// Sender id not in the nodelist.
    UnknownSender,
    /// AEAD open failed (wrong key, tampered, or plaintext packet when a key is configured).
    Auth,
    /// Older boot epoch or counter already seen.
    Replay,
}

#[derive(Debug, Default, Clone)]
struct ReplayWindow {
    epoch: u32,
    top: u64,
    bits: [u64; (WINDOW / 64) as usize],
    seen_any: bool,
}

impl ReplayWindow {
    fn check_and_set(&mut self, epoch: u32, ctr: u64) -> bool {
        if !self.seen_any || epoch > self.epoch {
            *self = ReplayWindow {
                epoch,
                top: ctr,
                bits: Default::default(),
                seen_any: true,
            };
            self.set(ctr);
            return true;
        }
        if epoch < self.epoch {
            return false;
        }
        if ctr > self.top {
            let shift = ctr - self.top;
            if shift >= WINDOW {
                self.bits = Default::default();
            } else {
                for c in self.top + 1..=ctr {
                    self.clear(c);
                }
            }
            self.top = ctr;
            self.set(ctr);
            true
        } else if self.top - ctr >= WINDOW || self.get(ctr) {
            false
        } else {
            self.set(ctr);
            true
        }
    }
    fn idx(c: u64) -> (usize, u64) {
        let i = c % WINDOW;
        ((i / 64) as usize, 1u64 << (i % 64))
    }
    fn set(&mut self, c: u64) {
        let (w, b) = Self::idx(c);
        self.bits[w] |= b;
    }
    fn clear(&mut self, c: u64) {
        let (w, b) = Self::idx(c);
        self.bits[w] &= !b;
    }
    fn get(&self, c: u64) -> bool {
        let (w, b) = Self::idx(c);
        self.bits[w] & b != 0
    }
}

/// Seals outgoing and opens incoming packets for one node.
pub struct Envelope {
    me: NodeId,
    epoch: u32,
    counter: u64,
    keys: Option<BTreeMap<NodeId, LessSafeKey>>,
    nodes: Vec<NodeId>,
    windows: BTreeMap<NodeId, ReplayWindow>,
}

struct OkmLen(usize);
impl hkdf::KeyType for OkmLen {
    fn len(&self) -> usize {
        self.0
    }
}

fn derive(
    alg: &'static aead::Algorithm,
    authkey: &[u8],
    cluster: &str,
    sender: NodeId,
) -> LessSafeKey {
    let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, cluster.as_bytes());
    let prk = salt.extract(authkey);
    let id = sender.to_be_bytes();
    let info: [&[u8]; 2] = [b"tandem totem v1", &id];
    let okm = prk
        .expand(&info, OkmLen(alg.key_len()))
        .expect("HKDF output length is valid for the AEAD key");
    let mut key = vec![0u8; alg.key_len()];
    okm.fill(&mut key).expect("HKDF fill with matching length");
    LessSafeKey::new(UnboundKey::new(alg, &key).expect("key length matches algorithm"))
}

impl Envelope {
    /// Creates the envelope for node `me`. `authkey = None` sends plaintext (crypto_cipher none).
    pub fn new(
        me: NodeId,
        nodes: &[NodeId],
        boot_epoch: u32,
        authkey: Option<(&[u8], Cipher)>,
        cluster_name: &str,
    ) -> Self {
        let keys = authkey.map(|(k, c)| {
            let alg = match c {
                Cipher::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
                Cipher::Aes256Gcm => &aead::AES_256_GCM,
            };
            nodes
                .iter()
                .map(|&n| (n, derive(alg, k, cluster_name, n)))
                .collect()
        });
        Envelope {
            me,
            epoch: boot_epoch,
            counter: 0,
            keys,
            nodes: nodes.to_vec(),
            windows: BTreeMap::new(),
        }
    }

    /// Wraps a plaintext message into a datagram.
    pub fn seal(&mut self, plaintext: &[u8]) -> Vec<u8> {
        self.counter += 1;
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + 16);
        out.extend_from_slice(&MAGIC.to_be_bytes());
        out.push(VERSION);
        out.push(if self.keys.is_some() { FLAG_SEALED } else { 0 });
        out.extend_from_slice(&self.me.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.counter.to_be_bytes());
        match &self.keys {
            None => out.extend_from_slice(plaintext),
            Some(keys) => {
                let key = &keys[&self.me];
                let aad = aead::Aad::from(<[u8; HEADER_LEN]>::try_from(&out[..]).unwrap());
                let mut body = plaintext.to_vec();
                key.seal_in_place_append_tag(nonce(self.epoch, self.counter), aad, &mut body)
                    .expect("sealing cannot fail for in-range lengths");
                out.extend_from_slice(&body);
            }
        }
        out
    }

    /// Checks and unwraps a datagram; returns the sender and the plaintext message bytes.
    pub fn open(&mut self, datagram: &[u8]) -> Result<(NodeId, Vec<u8>), OpenError> {
        if datagram.len() < HEADER_LEN {
            return Err(OpenError::Malformed);
        }
        let h = &datagram[..HEADER_LEN];
        if u16::from_be_bytes([h[0], h[1]]) != MAGIC || h[2] != VERSION {
            return Err(OpenError::Malformed);
        }
        let flags = h[3];
        let sender = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        let epoch = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
        let mut c = [0u8; 8];
        c.copy_from_slice(&h[12..20]);
        let counter = u64::from_be_bytes(c);
        if !self.nodes.contains(&sender) {
            return Err(OpenError::UnknownSender);
        }
        match &self.keys {
            None => {
                if flags & FLAG_SEALED != 0 {
                    return Err(OpenError::Auth);
                }
                Ok((sender, datagram[HEADER_LEN..].to_vec()))
            }
            Some(keys) => {
                if flags & FLAG_SEALED == 0 {
                    return Err(OpenError::Auth);
                }
                let key = &keys[&sender];
                let aad = aead::Aad::from(<[u8; HEADER_LEN]>::try_from(h).unwrap());
                let mut body = datagram[HEADER_LEN..].to_vec();
                let plain_len = key
                    .open_in_place(nonce(epoch, counter), aad, &mut body)
                    .map_err(|_| OpenError::Auth)?
                    .len();
                body.truncate(plain_len);
                if !self
                    .windows
                    .entry(sender)
                    .or_default()
                    .check_and_set(epoch, counter)
                {
                    return Err(OpenError::Replay);
                }
                Ok((sender, body))
            }
        }
    }
}

fn nonce(epoch: u32, counter: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(&epoch.to_be_bytes());
    n[4..].copy_from_slice(&counter.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Envelope, Envelope) {
        let key = vec![7u8; 256];
        let a = Envelope::new(1, &[1, 2], 1, Some((&key, Cipher::ChaCha20Poly1305)), "c");
        let b = Envelope::new(2, &[1, 2], 1, Some((&key, Cipher::Aes256Gcm)), "c");
        (a, b)
    }

    #[test]
    fn seal_open_replay_tamper() {
        let key = vec![7u8; 256];
        let mut a = Envelope::new(1, &[1, 2], 1, Some((&key, Cipher::ChaCha20Poly1305)), "c");
        let mut b = Envelope::new(2, &[1, 2], 1, Some((&key, Cipher::ChaCha20Poly1305)), "c");
        let p = a.seal(b"hello");
        assert_eq!(b.open(&p).unwrap(), (1, b"hello".to_vec()));
        assert_eq!(b.open(&p), Err(OpenError::Replay));
        let mut t = a.seal(b"x");
        let last = t.len() - 1;
        t[last] ^= 1;
        assert_eq!(b.open(&t), Err(OpenError::Auth));
        // Different cluster name: different keys.
        let mut c = Envelope::new(
            2,
            &[1, 2],
            1,
            Some((&key, Cipher::ChaCha20Poly1305)),
            "other",
        );
        assert_eq!(c.open(&a.seal(b"y")), Err(OpenError::Auth));
        // Unknown sender.
        let mut z = Envelope::new(9, &[9], 1, Some((&key, Cipher::ChaCha20Poly1305)), "c");
        assert_eq!(b.open(&z.seal(b"q")), Err(OpenError::UnknownSender));
        // Plaintext packet refused when a key is configured.
        let mut plain = Envelope::new(1, &[1, 2], 1, None, "c");
        assert_eq!(b.open(&plain.seal(b"q")), Err(OpenError::Auth));
        // Old epoch after restart rejected, new epoch accepted.
        let mut a2 = Envelope::new(1, &[1, 2], 2, Some((&key, Cipher::ChaCha20Poly1305)), "c");
        assert!(b.open(&a2.seal(b"r")).is_ok());
        assert_eq!(b.open(&a.seal(b"s")), Err(OpenError::Replay));
    }

    #[test]
    fn replay_window_out_of_order() {
        let mut w = ReplayWindow::default();
        assert!(w.check_and_set(1, 10));
        assert!(w.check_and_set(1, 8));
        assert!(!w.check_and_set(1, 8));
        assert!(w.check_and_set(1, 2000));
        assert!(!w.check_and_set(1, 10));
        assert!(w.check_and_set(1, 1999));
    }

    #[test]
    fn cipher_mismatch_fails_auth() {
        let (mut a, mut b) = pair();
        assert_eq!(b.open(&a.seal(b"z")), Err(OpenError::Auth));
    }

    #[test]
    fn heartbeat_authkeys() {
        let k = authkey_from_heartbeat("auth 1\n1 sha1 s3cret\n").unwrap();
        assert_eq!(k, b"s3cret");
        assert!(authkey_from_heartbeat("auth 2\n1 sha1 x\n").is_err());
        assert!(authkey_from_heartbeat("auth 1\n1 crc\n").is_err());
        assert!(authkey_from_bytes(&[0; 10]).is_err());
        assert!(authkey_from_bytes(&[0; 256]).is_ok());
    }
}

//! The on-disk encoding of one stored CIB: its key and its checksummed value.
//!
//! Key: the version as three big-endian `u64`s (admin_epoch, epoch,
//! num_updates), so the engine's byte order is Pacemaker's version order.
//!
//! Value:
//!
//! | bytes   | field                                             |
//! |---------|---------------------------------------------------|
//! | 0       | format, [`FORMAT`]                                |
//! | 1..25   | the version again, encoded as the key            |
//! | 25..33  | length of the XML in bytes, big-endian `u64`      |
//! | 33..37  | CRC-32 (IEEE) of bytes 0..33 followed by the XML  |
//! | 37..    | the XML, UTF-8                                    |
//!
//! The version is repeated so that a value found under the wrong key is
//! caught; the length catches truncation with a message that says so; the
//! checksum catches everything else. The engine has its own checksums, but
//! those guard its log, not what a bug or a disk does to a value later.

use std::fmt;

use crate::version::Version;

use super::{StoreError, StoredCib};

/// The format byte this code writes and reads.
pub(super) const FORMAT: u8 = 1;
/// Length of an encoded key.
pub(super) const KEY_LEN: usize = 24;
const LEN_AT: usize = 1 + KEY_LEN;
const CRC_AT: usize = LEN_AT + 8;
const HEADER_LEN: usize = CRC_AT + 4;

/// What is wrong with a record that failed its integrity check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Corruption {
    /// The key is not a version (wrong length).
    BadKey {
        /// The raw key.
        key: Vec<u8>,
    },
    /// The value is shorter than the fixed header.
    Truncated {
        /// How many bytes the value has.
        len: usize,
    },
    /// The format byte is one this code does not know.
    UnknownFormat {
        /// The byte found.
        format: u8,
    },
    /// The version inside the value differs from the key it is stored under.
    VersionMismatch {
        /// The version written inside the value.
        recorded: Version,
    },
    /// The XML is not as long as the header says.
    LengthMismatch {
        /// Length according to the header.
        declared: u64,
        /// Bytes actually present.
        actual: usize,
    },
    /// The checksum over the header and XML does not match.
    ChecksumMismatch {
        /// The checksum stored in the record.
        stored: u32,
        /// The checksum of the bytes found.
        computed: u32,
    },
    /// The checksum matches but the text is not UTF-8 (written corrupt).
    NotUtf8,
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corruption::BadKey { key } => {
                write!(f, "key is {} bytes, expected {KEY_LEN}: 0x", key.len())?;
                key.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            Corruption::Truncated { len } => write!(
                f,
                "record is {len} bytes, shorter than its {HEADER_LEN}-byte header"
            ),
            Corruption::UnknownFormat { format } => {
                write!(
                    f,
                    "unknown record format {format} (this build reads {FORMAT})"
                )
            }
            Corruption::VersionMismatch { recorded } => {
                write!(f, "record says it is version {recorded}")
            }
            Corruption::LengthMismatch { declared, actual } => write!(
                f,
                "header declares {declared} bytes of XML but {actual} are present"
            ),
            Corruption::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            Corruption::NotUtf8 => f.write_str("XML is not valid UTF-8"),
        }
    }
}

/// The key a version is stored under.
pub(super) fn encode_key(v: Version) -> [u8; KEY_LEN] {
    let mut key = [0; KEY_LEN];
    key[..8].copy_from_slice(&v.admin_epoch.to_be_bytes());
    key[8..16].copy_from_slice(&v.epoch.to_be_bytes());
    key[16..].copy_from_slice(&v.num_updates.to_be_bytes());
    key
}

/// The version a key stands for, or why it stands for none.
pub(super) fn decode_key(key: &[u8]) -> Result<Version, StoreError> {
    let bad = || StoreError::Corrupt {
        version: None,
        problem: Corruption::BadKey { key: key.to_vec() },
    };
    let key: &[u8; KEY_LEN] = key.try_into().map_err(|_| bad())?;
    Ok(Version::new(
        be_u64(&key[..8]),
        be_u64(&key[8..16]),
        be_u64(&key[16..]),
    ))
}

/// The value stored for `version` with text `xml`.
pub(super) fn encode_value(version: Version, xml: &str) -> Vec<u8> {
    let mut value = Vec::with_capacity(HEADER_LEN + xml.len());
    value.push(FORMAT);
    value.extend_from_slice(&encode_key(version));
    value.extend_from_slice(&(xml.len() as u64).to_be_bytes());
    let crc = Crc32::new().update(&value).update(xml.as_bytes()).finish();
    value.extend_from_slice(&crc.to_be_bytes());
    value.extend_from_slice(xml.as_bytes());
    value
}

/// Decodes and checks the record stored under `key`.
pub(super) fn decode(key: &[u8], value: &[u8]) -> Result<StoredCib, StoreError> {
    let version = decode_key(key)?;
    let corrupt = |problem| StoreError::Corrupt {
        version: Some(version),
        problem,
    };
    if value.len() < HEADER_LEN {
        return Err(corrupt(Corruption::Truncated { len: value.len() }));
    }
    if value[0] != FORMAT {
        return Err(corrupt(Corruption::UnknownFormat { format: value[0] }));
    }
    let recorded = decode_key(&value[1..LEN_AT]).expect("a slice of KEY_LEN bytes");
    if recorded != version {
        return Err(corrupt(Corruption::VersionMismatch { recorded }));
    }
    let declared = be_u64(&value[LEN_AT..CRC_AT]);
    let xml = &value[HEADER_LEN..];
    if declared != xml.len() as u64 {
        return Err(corrupt(Corruption::LengthMismatch {
            declared,
            actual: xml.len(),
        }));
    }
    let stored = u32::from_be_bytes(value[CRC_AT..HEADER_LEN].try_into().expect("4 bytes"));
    let computed = Crc32::new().update(&value[..CRC_AT]).update(xml).finish();
    if stored != computed {
        return Err(corrupt(Corruption::ChecksumMismatch { stored, computed }));
    }
    let xml = std::str::from_utf8(xml).map_err(|_| corrupt(Corruption::NotUtf8))?;
    Ok(StoredCib {
        version,
        xml: xml.to_owned(),
    })
}

fn be_u64(bytes: &[u8]) -> u64 {
    u64::from_be_bytes(bytes.try_into().expect("8 bytes"))
}

/// CRC-32 with the IEEE polynomial (reflected 0xEDB88320), as in zlib and
/// Ethernet. Table driven; the table is built at compile time. Written here
/// rather than pulled in as a crate because it is twenty lines.
#[derive(Clone, Copy)]
pub(super) struct Crc32(u32);

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

impl Crc32 {
    pub(super) fn new() -> Self {
        Crc32(0xFFFF_FFFF)
    }

    pub(super) fn update(mut self, bytes: &[u8]) -> Self {
        for &b in bytes {
            self.0 = CRC_TABLE[((self.0 ^ u32::from(b)) & 0xFF) as usize] ^ (self.0 >> 8);
        }
        self
    }

    pub(super) fn finish(self) -> u32 {
        !self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The check value of CRC-32/ISO-HDLC for the ASCII digits 1..9.
        assert_eq!(Crc32::new().update(b"123456789").finish(), 0xCBF4_3926);
        assert_eq!(Crc32::new().update(b"").finish(), 0);
        let split = Crc32::new().update(b"1234").update(b"56789").finish();
        assert_eq!(split, 0xCBF4_3926);
    }

    #[test]
    fn key_byte_order_is_version_order() {
        let versions = [
            Version::new(0, 0, 0),
            Version::new(0, 0, 1),
            Version::new(0, 0, 256),
            Version::new(0, 1, 0),
            Version::new(0, 1, u64::MAX),
            Version::new(0, 2, 0),
            Version::new(1, 0, 0),
            Version::new(u64::MAX, 0, 0),
        ];
        for pair in versions.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(encode_key(pair[0]) < encode_key(pair[1]), "{pair:?}");
        }
        for v in versions {
            assert_eq!(decode_key(&encode_key(v)).unwrap(), v);
        }
    }

    #[test]
    fn value_round_trips() {
        let v = Version::new(2, 7, 1);
        let xml = "<cib epoch=\"7\">é</cib>";
        let got = decode(&encode_key(v), &encode_value(v, xml)).unwrap();
        assert_eq!(
            got,
            StoredCib {
                version: v,
                xml: xml.to_owned()
            }
        );
    }

    fn problem(key: &[u8], value: &[u8]) -> Corruption {
        match decode(key, value) {
            Err(StoreError::Corrupt { problem, .. }) => problem,
            other => panic!("expected a corrupt record, got {other:?}"),
        }
    }

    #[test]
    fn each_kind_of_damage_is_named() {
        let v = Version::new(0, 3, 4);
        let key = encode_key(v);
        let good = encode_value(v, "<cib/>");

        assert_eq!(
            problem(&key[..5], &good),
            Corruption::BadKey {
                key: key[..5].to_vec()
            }
        );
        assert_eq!(
            problem(&key, &good[..10]),
            Corruption::Truncated { len: 10 }
        );

        let mut bad = good.clone();
        bad[0] = 9;
        assert_eq!(problem(&key, &bad), Corruption::UnknownFormat { format: 9 });

        let other = encode_value(Version::new(0, 3, 5), "<cib/>");
        assert_eq!(
            problem(&key, &other),
            Corruption::VersionMismatch {
                recorded: Version::new(0, 3, 5)
            }
        );

        let chopped = &good[..good.len() - 1];
        assert_eq!(
            problem(&key, chopped),
            Corruption::LengthMismatch {
                declared: 6,
                actual: 5
            }
        );

        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 0x01;
        assert!(matches!(
            problem(&key, &flipped),
            Corruption::ChecksumMismatch { stored, computed } if stored != computed
        ));

        // Invalid UTF-8 with a checksum that matches it: written corrupt.
        let mut raw = good[..HEADER_LEN].to_vec();
        raw.truncate(CRC_AT);
        raw[LEN_AT..CRC_AT].copy_from_slice(&2u64.to_be_bytes());
        let crc = Crc32::new().update(&raw).update(&[0xC3, 0x28]).finish();
        raw.extend_from_slice(&crc.to_be_bytes());
        raw.extend_from_slice(&[0xC3, 0x28]);
        assert_eq!(problem(&key, &raw), Corruption::NotUtf8);
    }
}

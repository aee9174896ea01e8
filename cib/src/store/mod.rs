//! The persistent CIB store: the current CIB plus the last N versions.
//!
//! # What it is
//!
//! Every node keeps its replica of the CIB on disk, so that a restarted node
//! comes back with the copy it had instead of an empty one. This module is
//! that disk copy. It knows nothing about the CIB's meaning: it stores opaque
//! XML text under the CIB's [`Version`] and gives it back unchanged.
//!
//! # How data enters and leaves
//!
//! - In: [`CibStore::replace`]`(version, xml)`. One call is one atomic step:
//!   the new record is written, every record older than the newest
//!   `history_len` is pruned, and every record *newer* than `version` is
//!   dropped (the caller rolled back; see below). Either all of that is on
//!   disk or none of it. `replace` returns `Ok` only after the data is
//!   durable; that return is the "acknowledged" point. If the process is
//!   killed while `replace` runs, reopening finds either the previous state
//!   or the new one, whole; once it has returned, always the new one.
//! - Out: [`CibStore::current`] (the newest record), [`CibStore::get`] (one
//!   version) and [`CibStore::history`] (newest first, at most `history_len`).
//!   Each record carries a checksum over its version and text; a record that
//!   fails it is reported as [`StoreError::Corrupt`] naming the version and
//!   the problem, and is never returned as if it were good.
//!
//! Records are keyed by version, so history is ordered by Pacemaker's
//! (admin_epoch, epoch, num_updates) ordering, not by write time. The store
//! does not refuse an older version: ordering is the caller's decision (an
//! administrator may force an old configuration back). Replacing with an
//! older version makes it current and drops the records above it, so that
//! [`CibStore::current`] is always the newest record and always the first
//! entry of [`CibStore::history`].
//!
//! # Why a trait
//!
//! The on-disk engine is `sled` ([`SledStore`]), which is no longer maintained
//! upstream. Callers use `dyn CibStore`, so the engine can be swapped (for
//! example for `redb`) without touching them. [`MemoryStore`] implements the
//! same contract in memory for tests of the code above it, as raft-rs does
//! with `Storage` and `MemStorage`.
//!
//! # Example
//!
//! ```
//! use std::num::NonZeroUsize;
//! use cib::store::{CibStore, SledStore};
//! use cib::version::Version;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let keep = NonZeroUsize::new(3).unwrap();
//! let mut store: Box<dyn CibStore> = Box::new(SledStore::open(dir.path(), keep)?);
//! let v1 = Version::new(0, 1, 0);
//! store.replace(v1, "<cib epoch=\"1\"/>")?;
//! store.replace(v1.bump_num_updates(), "<cib epoch=\"1\" num_updates=\"1\"/>")?;
//! assert_eq!(store.current()?.unwrap().version, Version::new(0, 1, 1));
//! assert_eq!(store.history()?.len(), 2);
//! # Ok(()) }
//! ```

use std::fmt;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use crate::version::Version;

mod memory;
mod record;
mod sled_store;

pub use memory::MemoryStore;
pub use record::Corruption;
pub use sled_store::SledStore;

/// How many versions a store keeps unless told otherwise.
pub const DEFAULT_HISTORY_LEN: NonZeroUsize = match NonZeroUsize::new(20) {
    Some(n) => n,
    None => unreachable!(),
};

/// One stored copy of the CIB: its version and its XML text, as given to
/// [`CibStore::replace`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCib {
    /// The version the record is stored under.
    pub version: Version,
    /// The CIB document, byte for byte as it was stored.
    pub xml: String,
}

/// Where the CIB is persisted. Object safe: callers hold a `Box<dyn CibStore>`.
///
/// Implementations keep records keyed by [`Version`] and at most
/// `history_len` of them (a number fixed when the store is opened, at least 1).
pub trait CibStore: Send {
    /// The newest record, or `None` if nothing was ever stored.
    fn current(&self) -> Result<Option<StoredCib>, StoreError>;

    /// Atomically makes `xml` the current CIB under `version`.
    ///
    /// In the same atomic step it overwrites a record of the same version,
    /// drops records newer than `version` (a rollback chosen by the caller),
    /// and prunes records beyond the newest `history_len`. Returns only once
    /// the change is durable: after `Ok`, a crash cannot lose it.
    fn replace(&mut self, version: Version, xml: &str) -> Result<(), StoreError>;

    /// The kept records, newest first, at most `history_len` of them. The
    /// first one, if any, is [`CibStore::current`].
    fn history(&self) -> Result<Vec<StoredCib>, StoreError>;

    /// The record stored under `version`, if it is still kept.
    fn get(&self, version: Version) -> Result<Option<StoredCib>, StoreError>;
}

/// Something went wrong reading or writing the CIB store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be opened (missing permissions, held by another
    /// process, unreadable engine files).
    #[error("cannot open the CIB store at {}", path.display())]
    Open {
        /// The directory that was to be opened.
        path: PathBuf,
        /// What the engine reported.
        #[source]
        source: sled::Error,
    },
    /// The engine failed during an operation on an open store.
    #[error("the CIB store failed while {op}")]
    Engine {
        /// What the store was doing: "reading", "writing", "flushing", ...
        op: &'static str,
        /// What the engine reported.
        #[source]
        source: sled::Error,
    },
    /// A stored record does not pass its integrity check. Its content is not
    /// returned: it cannot be trusted.
    #[error("corrupt CIB record {}: {problem}", RecordName(*.version))]
    Corrupt {
        /// The version the record is stored under, if its key is readable.
        version: Option<Version>,
        /// What is wrong with it.
        problem: Corruption,
    },
}

/// Displays a record's version, or says that its key was unreadable.
struct RecordName(Option<Version>);

impl fmt::Display for RecordName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "for version {v}"),
            None => f.write_str("with an unreadable key"),
        }
    }
}

#[cfg(test)]
mod tests;

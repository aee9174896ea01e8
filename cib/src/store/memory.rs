//! [`MemoryStore`]: the [`CibStore`] contract without a disk, for tests.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use crate::version::Version;

use super::{CibStore, StoreError, StoredCib};

/// A [`CibStore`] held in memory. Same semantics as [`super::SledStore`]
/// (ordering, rollback, pruning), none of the durability: for tests of the
/// code above the store.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    records: BTreeMap<Version, String>,
    history_len: NonZeroUsize,
}

impl MemoryStore {
    /// An empty store that keeps at most `history_len` versions.
    pub fn new(history_len: NonZeroUsize) -> Self {
        MemoryStore {
            records: BTreeMap::new(),
            history_len,
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(super::DEFAULT_HISTORY_LEN)
    }
}

impl CibStore for MemoryStore {
    fn current(&self) -> Result<Option<StoredCib>, StoreError> {
        Ok(self
            .records
            .last_key_value()
            .map(|(&version, xml)| StoredCib {
                version,
                xml: xml.clone(),
            }))
    }

    fn replace(&mut self, version: Version, xml: &str) -> Result<(), StoreError> {
        // Drop the records above `version` (a rollback), then the oldest.
        let _newer = self.records.split_off(&version);
        self.records.insert(version, xml.to_owned());
        while self.records.len() > self.history_len.get() {
            self.records.pop_first();
        }
        Ok(())
    }

    fn history(&self) -> Result<Vec<StoredCib>, StoreError> {
        Ok(self
            .records
            .iter()
            .rev()
            .map(|(&version, xml)| StoredCib {
                version,
                xml: xml.clone(),
            })
            .collect())
    }

    fn get(&self, version: Version) -> Result<Option<StoredCib>, StoreError> {
        Ok(self.records.get(&version).map(|xml| StoredCib {
            version,
            xml: xml.clone(),
        }))
    }
}

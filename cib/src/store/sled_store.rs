//! [`SledStore`]: the [`CibStore`] on disk, on sled 0.34.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use crate::version::Version;

use super::record::{self, encode_key, encode_value};
use super::{CibStore, StoreError, StoredCib};

/// The sled tree that holds the records, one per kept version.
const TREE: &str = "cib-versions";

/// A [`CibStore`] in a sled database directory.
///
/// Each [`CibStore::replace`] is one sled batch (the new record, the pruned
/// and rolled-back records' removals), which sled recovers all-or-nothing
/// after a crash, followed by a flush (fsync) before returning. A sled
/// database is locked by the process that opened it; a second open of the
/// same directory fails with [`StoreError::Open`] until the first is dropped
/// (or its process dies).
#[derive(Debug)]
pub struct SledStore {
    path: PathBuf,
    db: sled::Db,
    tree: sled::Tree,
    history_len: NonZeroUsize,
}

impl SledStore {
    /// Opens (creating if needed) the store in directory `path`, keeping at
    /// most `history_len` versions. Opening never writes: records beyond
    /// `history_len` left by an earlier run are hidden from
    /// [`CibStore::history`] and pruned by the next `replace`.
    pub fn open(path: impl AsRef<Path>, history_len: NonZeroUsize) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        let open = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let db = sled::Config::new().path(&path).open().map_err(open)?;
        let tree = db.open_tree(TREE).map_err(open)?;
        Ok(SledStore {
            path,
            db,
            tree,
            history_len,
        })
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    #[cfg(test)]
    pub(super) fn raw_tree(&self) -> &sled::Tree {
        &self.tree
    }
}

fn engine(op: &'static str) -> impl FnOnce(sled::Error) -> StoreError {
    move |source| StoreError::Engine { op, source }
}

impl CibStore for SledStore {
    fn current(&self) -> Result<Option<StoredCib>, StoreError> {
        match self
            .tree
            .last()
            .map_err(engine("reading the current CIB"))?
        {
            Some((key, value)) => record::decode(&key, &value).map(Some),
            None => Ok(None),
        }
    }

    fn replace(&mut self, version: Version, xml: &str) -> Result<(), StoreError> {
        let key = encode_key(version);
        let mut batch = sled::Batch::default();
        // Newer records: the caller rolled back past them.
        for old in self.tree.range(key..).keys() {
            let old = old.map_err(engine("listing records to replace"))?;
            if old.as_ref() != key.as_slice() {
                batch.remove(old);
            }
        }
        // Older records beyond the history length; `version` takes one slot.
        let older = self.tree.range(..key).keys().rev();
        for old in older.skip(self.history_len.get() - 1) {
            batch.remove(old.map_err(engine("listing records to prune"))?);
        }
        batch.insert(key.as_slice(), encode_value(version, xml));
        self.tree
            .apply_batch(batch)
            .map_err(engine("writing the new CIB"))?;
        // The batch is atomic; the flush makes it durable. Only now may the
        // caller treat the version as acknowledged.
        self.db.flush().map_err(engine("flushing the new CIB"))?;
        Ok(())
    }

    fn history(&self) -> Result<Vec<StoredCib>, StoreError> {
        self.tree
            .iter()
            .rev()
            .take(self.history_len.get())
            .map(|kv| {
                let (key, value) = kv.map_err(engine("reading the history"))?;
                record::decode(&key, &value)
            })
            .collect()
    }

    fn get(&self, version: Version) -> Result<Option<StoredCib>, StoreError> {
        let key = encode_key(version);
        match self
            .tree
            .get(key)
            .map_err(engine("reading a CIB version"))?
        {
            Some(value) => record::decode(&key, &value).map(Some),
            None => Ok(None),
        }
    }
}

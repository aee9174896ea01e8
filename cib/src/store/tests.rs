//! Contract tests run against every [`CibStore`], plus the sled store's own:
//! reopening and integrity checks.

use std::num::NonZeroUsize;

use super::record::{encode_key, encode_value};
use super::*;

fn keep(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

fn xml_for(v: Version) -> String {
    format!(
        "<cib admin_epoch=\"{}\" epoch=\"{}\" num_updates=\"{}\"/>",
        v.admin_epoch, v.epoch, v.num_updates
    )
}

fn versions(store: &dyn CibStore) -> Vec<Version> {
    store.history().unwrap().iter().map(|c| c.version).collect()
}

/// Runs `check` on a fresh store of each implementation, keeping `n` versions.
fn each_store(n: usize, check: impl Fn(&mut dyn CibStore)) {
    check(&mut MemoryStore::new(keep(n)));
    let dir = tempfile::tempdir().unwrap();
    check(&mut SledStore::open(dir.path(), keep(n)).unwrap());
}

#[test]
fn empty_store_has_no_cib() {
    each_store(3, |store| {
        assert_eq!(store.current().unwrap(), None);
        assert_eq!(store.history().unwrap(), vec![]);
        assert_eq!(store.get(Version::new(0, 1, 0)).unwrap(), None);
    });
}

#[test]
fn replace_makes_the_cib_current() {
    each_store(3, |store| {
        let v = Version::new(0, 5, 2);
        store.replace(v, &xml_for(v)).unwrap();
        let expected = StoredCib {
            version: v,
            xml: xml_for(v),
        };
        assert_eq!(store.current().unwrap(), Some(expected.clone()));
        assert_eq!(store.get(v).unwrap(), Some(expected.clone()));
        assert_eq!(store.history().unwrap(), vec![expected]);
    });
}

#[test]
fn history_is_newest_first_and_pruned_to_its_length() {
    each_store(3, |store| {
        let mut v = Version::new(0, 1, 0);
        let mut written = vec![];
        for i in 0..7 {
            v = if i % 2 == 0 {
                v.bump_num_updates()
            } else {
                v.bump_epoch()
            };
            store.replace(v, &xml_for(v)).unwrap();
            written.push(v);
        }
        let expected: Vec<Version> = written.iter().rev().take(3).copied().collect();
        assert_eq!(versions(store), expected);
        for c in store.history().unwrap() {
            assert_eq!(c.xml, xml_for(c.version));
        }
        assert_eq!(store.current().unwrap().unwrap().version, written[6]);
        // Pruned versions are gone, kept ones are there.
        assert_eq!(store.get(written[3]).unwrap(), None);
        assert!(store.get(written[4]).unwrap().is_some());
    });
}

#[test]
fn history_of_one_keeps_only_the_current_cib() {
    each_store(1, |store| {
        for n in 0..4 {
            let v = Version::new(0, 1, n);
            store.replace(v, &xml_for(v)).unwrap();
            assert_eq!(versions(store), vec![v]);
        }
    });
}

#[test]
fn history_is_ordered_by_version_not_by_write_order() {
    each_store(4, |store| {
        // Admin_epoch dominates epoch: 1.0.0 is newer than 0.9.9.
        let (a, b) = (Version::new(0, 9, 9), Version::new(1, 0, 0));
        store.replace(a, "a").unwrap();
        store.replace(b, "b").unwrap();
        assert_eq!(versions(store), vec![b, a]);
    });
}

#[test]
fn replacing_the_same_version_overwrites_it() {
    each_store(3, |store| {
        let v = Version::new(0, 2, 0);
        store.replace(v, "<cib first/>").unwrap();
        store.replace(v, "<cib second/>").unwrap();
        assert_eq!(store.current().unwrap().unwrap().xml, "<cib second/>");
        assert_eq!(store.history().unwrap().len(), 1);
    });
}

#[test]
fn replacing_with_an_older_version_rolls_back() {
    each_store(5, |store| {
        for n in 1..=4 {
            let v = Version::new(0, n, 0);
            store.replace(v, &xml_for(v)).unwrap();
        }
        let back = Version::new(0, 2, 5);
        store.replace(back, &xml_for(back)).unwrap();
        assert_eq!(store.current().unwrap().unwrap().version, back);
        assert_eq!(
            versions(store),
            vec![back, Version::new(0, 2, 0), Version::new(0, 1, 0)]
        );
        assert_eq!(store.get(Version::new(0, 4, 0)).unwrap(), None);
    });
}

#[test]
fn stores_text_byte_for_byte() {
    each_store(2, |store| {
        let xml = "<cib>\n  <!-- ünïcode, \"quotes\", &amp; \t tabs -->\r\n</cib>\n";
        let big = "x".repeat(3 << 20);
        store.replace(Version::new(0, 1, 0), xml).unwrap();
        store.replace(Version::new(0, 1, 1), "").unwrap();
        store.replace(Version::new(0, 1, 2), &big).unwrap();
        assert_eq!(store.get(Version::new(0, 1, 1)).unwrap().unwrap().xml, "");
        assert_eq!(store.current().unwrap().unwrap().xml, big);
        store.replace(Version::new(0, 1, 3), xml).unwrap();
        assert_eq!(store.current().unwrap().unwrap().xml, xml);
    });
}

#[test]
fn store_is_object_safe_and_sendable() {
    let stores: Vec<Box<dyn CibStore>> = vec![Box::new(MemoryStore::default())];
    std::thread::spawn(move || drop(stores)).join().unwrap();
}

#[test]
fn sled_store_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let written: Vec<Version> = (0..6).map(|n| Version::new(0, 3, n)).collect();
    {
        let mut store = SledStore::open(dir.path(), keep(4)).unwrap();
        for &v in &written {
            store.replace(v, &xml_for(v)).unwrap();
        }
    }
    let mut store = SledStore::open(dir.path(), keep(4)).unwrap();
    let current = store.current().unwrap().unwrap();
    assert_eq!(current.version, written[5]);
    assert_eq!(current.xml, xml_for(written[5]));
    let expected: Vec<Version> = written.iter().rev().take(4).copied().collect();
    assert_eq!(versions(&store), expected);
    // And it can still be written.
    let next = written[5].bump_epoch();
    store.replace(next, &xml_for(next)).unwrap();
    assert_eq!(store.current().unwrap().unwrap().version, next);
}

#[test]
fn sled_store_reopened_with_shorter_history_prunes_on_next_replace() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = SledStore::open(dir.path(), keep(5)).unwrap();
        for n in 0..5 {
            store.replace(Version::new(0, 1, n), "x").unwrap();
        }
    }
    let mut store = SledStore::open(dir.path(), keep(2)).unwrap();
    assert_eq!(
        versions(&store),
        vec![Version::new(0, 1, 4), Version::new(0, 1, 3)]
    );
    // Hidden but not yet pruned: opening does not write.
    assert!(store.get(Version::new(0, 1, 0)).unwrap().is_some());
    store.replace(Version::new(0, 1, 5), "x").unwrap();
    assert_eq!(store.raw_tree().len(), 2);
    assert_eq!(store.get(Version::new(0, 1, 0)).unwrap(), None);
}

#[test]
fn sled_store_is_locked_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let _first = SledStore::open(dir.path(), keep(2)).unwrap();
    let err = SledStore::open(dir.path(), keep(2)).unwrap_err();
    assert!(matches!(&err, StoreError::Open { path, .. } if path == dir.path()));
    assert!(err.to_string().starts_with("cannot open the CIB store at "));
    assert!(std::error::Error::source(&err).is_some());
}

/// Stores a valid record for `v`, then overwrites its raw value with `damage`
/// applied to it, and returns the store reopened.
fn damaged(dir: &std::path::Path, v: Version, damage: impl Fn(&mut Vec<u8>)) -> SledStore {
    {
        let mut store = SledStore::open(dir, keep(3)).unwrap();
        store.replace(v, &xml_for(v)).unwrap();
        let mut value = encode_value(v, &xml_for(v));
        damage(&mut value);
        store.raw_tree().insert(encode_key(v), value).unwrap();
        store.raw_tree().flush().unwrap();
    }
    SledStore::open(dir, keep(3)).unwrap()
}

fn corruption_of(
    result: Result<impl std::fmt::Debug, StoreError>,
) -> (Option<Version>, Corruption) {
    match result {
        Err(StoreError::Corrupt { version, problem }) => (version, problem),
        other => panic!("expected StoreError::Corrupt, got {other:?}"),
    }
}

#[test]
fn sled_store_reports_a_flipped_byte_and_never_returns_it() {
    let dir = tempfile::tempdir().unwrap();
    let v = Version::new(0, 8, 1);
    let store = damaged(dir.path(), v, |value| {
        let last = value.len() - 2;
        value[last] ^= 0x20;
    });
    for result in [store.current(), store.get(v)] {
        let (version, problem) = corruption_of(result);
        assert_eq!(version, Some(v));
        assert!(
            matches!(problem, Corruption::ChecksumMismatch { .. }),
            "{problem:?}"
        );
    }
    let (version, _) = corruption_of(store.history());
    assert_eq!(version, Some(v));
    let message = store.current().unwrap_err().to_string();
    assert!(
        message.starts_with("corrupt CIB record for version 0.8.1: checksum mismatch (stored 0x"),
        "{message}"
    );
}

#[test]
fn sled_store_reports_a_truncated_record() {
    let dir = tempfile::tempdir().unwrap();
    let v = Version::new(0, 8, 2);
    let store = damaged(dir.path(), v, |value| value.truncate(value.len() - 3));
    let len = xml_for(v).len() as u64;
    let (_, problem) = corruption_of(store.current());
    assert_eq!(
        problem,
        Corruption::LengthMismatch {
            declared: len,
            actual: len as usize - 3
        }
    );
    assert_eq!(
        store.current().unwrap_err().to_string(),
        format!(
            "corrupt CIB record for version 0.8.2: header declares {len} bytes of XML but {} are present",
            len - 3
        )
    );
}

#[test]
fn sled_store_reports_a_record_under_the_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let v = Version::new(0, 8, 3);
    let store = damaged(dir.path(), v, |value| {
        *value = encode_value(Version::new(0, 8, 4), "<cib/>");
    });
    let (version, problem) = corruption_of(store.current());
    assert_eq!(version, Some(v));
    assert_eq!(
        problem,
        Corruption::VersionMismatch {
            recorded: Version::new(0, 8, 4)
        }
    );
}

#[test]
fn sled_store_reports_a_key_that_is_not_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), keep(3)).unwrap();
    store
        .raw_tree()
        .insert([0xFF, 0x01], b"junk".to_vec())
        .unwrap();
    let (version, problem) = corruption_of(store.current());
    assert_eq!(version, None);
    assert_eq!(
        problem,
        Corruption::BadKey {
            key: vec![0xFF, 0x01]
        }
    );
    assert_eq!(
        store.current().unwrap_err().to_string(),
        "corrupt CIB record with an unreadable key: key is 2 bytes, expected 24: 0xff01"
    );
}

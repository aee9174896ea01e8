//! Kill -9 test of the sled CIB store.
//!
//! The test re-runs its own binary as a writer child (selected by the
//! `TANDEM_STORE_CRASH_CHILD` environment variable): the child opens the
//! store, continues from its current version, and replaces the CIB with one
//! version after another, printing `ACK <version>` once each `replace` has
//! returned. The parent kills the child with SIGKILL at seeded random
//! moments, some during start-up (sled recovery after the previous kill),
//! most in the middle of the write loop, and after each kill reopens the
//! store and checks that:
//!
//! - the current version is the last acknowledged one, or the one after it
//!   (written but killed before its ACK was printed), never older;
//! - its XML is exactly what the writer wrote for that version;
//! - history is the unbroken run of the writer's versions ending at the
//!   current one, `KEEP` long (or all of them, if fewer were written), each
//!   record intact.
//!
//! Set `TANDEM_STORE_CRASH_SEED` to replay a run; the seed is in every
//! failure message.
//!
//! What this does not cover: a SIGKILL leaves the kernel's page cache alone,
//! so this checks the all-or-nothing batch and that the ACK comes after the
//! flush (sled buffers writes inside the process; without the flush in
//! `replace`, this test fails in its first round), not fsync against power
//! loss.

use std::io::{BufRead, BufReader, Write};
use std::num::NonZeroUsize;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use cib::store::{CibStore, SledStore};
use cib::version::Version;

const CHILD_ENV: &str = "TANDEM_STORE_CRASH_CHILD";
const SEED_ENV: &str = "TANDEM_STORE_CRASH_SEED";
const DEFAULT_SEED: u64 = 0x7a4d_3e11_c1b0_2026;
const ROUNDS: usize = 30;
const KEEP: usize = 5;
/// The writer's first version.
const FIRST: Version = Version::new(0, 1, 0);
/// A child that outlives this is stuck; it is killed and the test fails.
const CHILD_DEADLINE: Duration = Duration::from_secs(20);

/// The writer's sequence: three status updates, then a configuration change.
fn next(v: Version) -> Version {
    if v.num_updates < 3 {
        v.bump_num_updates()
    } else {
        v.bump_epoch()
    }
}

fn mix(v: Version) -> u64 {
    let mut x = v.admin_epoch ^ v.epoch.rotate_left(21) ^ v.num_updates.rotate_left(42);
    x = (x ^ (x >> 31)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

/// The CIB the writer stores for `v`: deterministic, 0.2 to 50 KiB, so a
/// reader can tell whether it is intact and writes take varied time.
fn xml_for(v: Version) -> String {
    let (e, n) = (v.epoch, v.num_updates);
    let mut xml = format!(
        "<cib admin_epoch=\"{}\" epoch=\"{e}\" num_updates=\"{n}\" validate-with=\"pacemaker-3.9\">\
         <configuration><crm_config/><nodes/><resources>",
        v.admin_epoch
    );
    for i in 0..mix(v) % 256 {
        xml.push_str(&format!(
            "<primitive id=\"r{e}_{n}_{i}\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\">\
             <instance_attributes id=\"r{e}_{n}_{i}-ia\"><nvpair id=\"r{e}_{n}_{i}-s\" \
             name=\"state\" value=\"/run/{:016x}\"/></instance_attributes></primitive>",
            mix(v).wrapping_add(i)
        ));
    }
    xml.push_str("</resources><constraints/></configuration><status/></cib>");
    xml
}

fn parse_version(s: &str) -> Option<Version> {
    let mut parts = s.split('.').map(str::parse::<u64>);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(a)), Some(Ok(e)), Some(Ok(n)), None) => Some(Version::new(a, e, n)),
        _ => None,
    }
}

/// The child: write versions until killed.
fn run_writer(dir: &Path) -> ! {
    let fail = |what: &str, err: &dyn std::fmt::Display| -> ! {
        eprintln!("writer: {what}: {err}");
        std::process::exit(2)
    };
    let keep = NonZeroUsize::new(KEEP).unwrap();
    let mut store = SledStore::open(dir, keep).unwrap_or_else(|e| fail("open", &e));
    let current = store.current().unwrap_or_else(|e| fail("current", &e));
    let mut v = current.map_or(FIRST, |c| next(c.version));
    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    while started.elapsed() < CHILD_DEADLINE {
        store
            .replace(v, &xml_for(v))
            .unwrap_or_else(|e| fail("replace", &e));
        writeln!(out, "ACK {v}")
            .and_then(|()| out.flush())
            .unwrap_or_else(|e| fail("stdout", &e));
        v = next(v);
    }
    fail("deadline", &"still running, the parent never killed it")
}

/// splitmix64: a seeded generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Owns the spawned writer; kills exactly that PID and reaps it on drop, so
/// a failing assertion never leaves it running.
struct Writer(Option<Child>);

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Spawns the writer and kills it after `delay`, counted from its first ACK
/// if `after_first_ack`, else from the spawn. Returns the versions it
/// acknowledged, in order.
fn crash_round(dir: &Path, delay: Duration, after_first_ack: bool, ctx: &str) -> Vec<Version> {
    let exe = std::env::current_exe().unwrap();
    let child = Command::new(exe)
        .args([
            "--exact",
            "kill_9_keeps_the_last_acknowledged_cib",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut writer = Writer(Some(child));
    let child = writer.0.as_mut().unwrap();

    // Only complete lines count: a line cut by the kill was never printed.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        while stdout.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(v) = line.strip_suffix('\n').and_then(|l| l.strip_prefix("ACK ")) {
                let v = parse_version(v).unwrap_or_else(|| panic!("bad ACK line {line:?}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
            line.clear();
        }
    });

    let mut acks = Vec::new();
    if after_first_ack {
        match rx.recv_timeout(CHILD_DEADLINE) {
            Ok(v) => acks.push(v),
            Err(e) => panic!(
                "{ctx}: writer never acknowledged a version ({e}); its stderr: {}",
                stop_and_read_stderr(child)
            ),
        }
    }
    thread::sleep(delay);
    if let Some(status) = child.try_wait().unwrap() {
        panic!(
            "{ctx}: writer exited on its own ({status}) before the kill; its stderr: {}",
            stop_and_read_stderr(child)
        );
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{ctx}: writer status {status}");
    writer.0 = None;
    reader.join().unwrap();
    acks.extend(rx.try_iter());
    acks
}

/// For failure messages: kills the writer if it still runs, and returns
/// what it wrote to stderr.
fn stop_and_read_stderr(child: &mut Child) -> String {
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    if let Some(stderr) = child.stderr.as_mut() {
        let _ = std::io::Read::read_to_string(stderr, &mut err);
    }
    err
}

fn show(v: Option<Version>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

/// Reopens the store and checks it against what was acknowledged. Returns
/// the current version.
fn check_store(
    dir: &Path,
    acked: Option<Version>,
    before: Option<Version>,
    ctx: &str,
) -> Option<Version> {
    let store = SledStore::open(dir, NonZeroUsize::new(KEEP).unwrap())
        .unwrap_or_else(|e| panic!("{ctx}: reopen failed: {e:#?}"));
    let current = store
        .current()
        .unwrap_or_else(|e| panic!("{ctx}: current(): {e}"));
    // The newest version that must be there: the last ACK, or what the
    // store held before this round if nothing was acknowledged in it.
    let floor = acked.max(before);
    let Some(current) = current else {
        assert_eq!(
            floor,
            None,
            "{ctx}: store is empty after {} was acknowledged",
            show(floor)
        );
        return None;
    };
    let allowed = match floor {
        Some(f) => [f, next(f)],
        None => [FIRST, FIRST],
    };
    assert!(
        allowed.contains(&current.version),
        "{ctx}: current is {} but the last acknowledged version is {}",
        current.version,
        show(floor)
    );
    assert!(
        current.xml == xml_for(current.version),
        "{ctx}: XML of current version {} is not what was written",
        current.version
    );
    assert_eq!(
        store.get(current.version).unwrap().as_ref(),
        Some(&current),
        "{ctx}"
    );

    let history = store
        .history()
        .unwrap_or_else(|e| panic!("{ctx}: history(): {e}"));
    let mut written = 1;
    let mut v = FIRST;
    while v != current.version {
        v = next(v);
        written += 1;
    }
    assert_eq!(history.len(), written.min(KEEP), "{ctx}: history length");
    assert_eq!(history[0], current, "{ctx}: history starts at current");
    for pair in history.windows(2) {
        assert_eq!(
            next(pair[1].version),
            pair[0].version,
            "{ctx}: history skips from {} to {}",
            pair[1].version,
            pair[0].version
        );
    }
    for record in &history {
        assert!(
            record.xml == xml_for(record.version),
            "{ctx}: XML of history version {} is not what was written",
            record.version
        );
    }
    Some(current.version)
}

#[test]
fn kill_9_keeps_the_last_acknowledged_cib() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        run_writer(Path::new(&dir));
    }

    let seed = std::env::var(SEED_ENV)
        .ok()
        .map(|s| s.parse().expect("TANDEM_STORE_CRASH_SEED is a u64"))
        .unwrap_or(DEFAULT_SEED);
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();

    let mut acked: Option<Version> = None;
    let mut current: Option<Version> = None;
    let mut total_acks = 0;
    let mut rounds_with_acks = 0;
    let mut unacknowledged_but_kept = 0;
    for round in 0..ROUNDS {
        // One round in four kills during start-up, i.e. possibly during
        // sled's recovery from the previous kill; the others mid-write.
        let after_first_ack = rng.below(4) != 0;
        let delay = Duration::from_micros(if after_first_ack {
            rng.below(150_000)
        } else {
            rng.below(30_000)
        });
        let ctx = format!(
            "seed {seed} ({SEED_ENV}), round {round}, kill {delay:?} after {}",
            if after_first_ack {
                "the first ACK"
            } else {
                "spawn"
            }
        );
        let acks = crash_round(dir.path(), delay, after_first_ack, &ctx);
        for pair in acks.windows(2) {
            assert_eq!(next(pair[0]), pair[1], "{ctx}: ACKs out of sequence");
        }
        if let (Some(first), Some(before)) = (acks.first(), current) {
            assert!(
                *first > before,
                "{ctx}: writer restarted at {first}, below {before}"
            );
        }
        if !acks.is_empty() {
            rounds_with_acks += 1;
            total_acks += acks.len();
        }
        acked = acked.max(acks.last().copied());
        let before = current;
        current = check_store(dir.path(), acked, before, &ctx);
        // Killed after `replace` made a version durable, before its ACK.
        if current != acked.max(before) {
            unacknowledged_but_kept += 1;
        }
        eprintln!("{ctx}: {} ACKs, current {}", acks.len(), show(current));
    }

    // After all that the store still takes writes.
    let mut store = SledStore::open(dir.path(), NonZeroUsize::new(KEEP).unwrap()).unwrap();
    let last = next(current.expect("versions were acknowledged"));
    store.replace(last, &xml_for(last)).unwrap();
    assert_eq!(store.current().unwrap().unwrap().version, last);

    assert!(
        rounds_with_acks >= ROUNDS / 2,
        "seed {seed}: only {rounds_with_acks} of {ROUNDS} rounds acknowledged anything"
    );
    eprintln!(
        "seed {seed}: {ROUNDS} kill rounds, {rounds_with_acks} with ACKs, {total_acks} ACKs, \
         {unacknowledged_but_kept} kills between a durable write and its ACK, {:?}",
        started.elapsed()
    );
}

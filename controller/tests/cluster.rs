//! Real tandemd processes on 127.0.0.x: ring formation, the diagnostics tools, SIGKILL
//! failover, a 2|3 partition and its heal, and two_node + wait_for_all.

use std::path::Path;
use std::time::Duration;

use controller::testcluster::Cluster;

mod common;
use common::tool;

const BIN: &str = env!("CARGO_BIN_EXE_tandemd");
const SEC: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(20);

/// A UDP port per test and process, so parallel test runs do not collide.
fn port(offset: u16) -> u16 {
    20_000 + (std::process::id() % 4000) as u16 * 8 + offset
}

fn all_in_ring(c: &Cluster, ids: &[u32], members: &[u32], timeout: Duration) {
    for &i in ids {
        let ok = c.wait_for(i, timeout, POLL, |s| {
            Cluster::members(s) == members && s.state == "Operational"
        });
        assert!(
            ok.is_some(),
            "node {i} never saw {members:?}: {:?}\n{}",
            c.status(i),
            c.log(i)
        );
    }
}

#[test]
fn three_nodes_form_a_ring_and_survive_sigkill() {
    let mut c = Cluster::new(Path::new(BIN), 3, port(0), 300, "", &[]).unwrap();
    c.start_all().unwrap();
    all_in_ring(&c, &[1, 2, 3], &[1, 2, 3], 10 * SEC);

    let cfg = tool("tandem-cfgtool", &c.nodes[0].socket);
    assert!(
        cfg.starts_with("Local node ID 1, transport udpu\n"),
        "{cfg}"
    );
    assert!(
        cfg.contains("\t\tnodeid:          1:\tlocalhost\n"),
        "{cfg}"
    );
    assert!(
        cfg.contains("\t\tnodeid:          3:\tconnected\n"),
        "{cfg}"
    );
    let q = tool("tandem-quorumtool", &c.nodes[1].socket);
    assert!(q.contains("Nodes:            3\n"), "{q}");
    assert!(q.contains("Quorate:          Yes\n"), "{q}");
    assert!(q.contains("Quorum:           2  \n"), "{q}");
    assert!(q.contains("         2          1 node2 (local)\n"), "{q}");

    c.kill(3);
    for i in [1, 2] {
        let t = c.wait_for(i, 5 * SEC, Duration::from_millis(5), |s| {
            Cluster::members(s) == [1, 2]
        });
        let t = t.unwrap_or_else(|| panic!("node {i} kept node 3: {}", c.log(i)));
        // token + consensus + slack for a loaded CI machine.
        assert!(
            t < Duration::from_millis(300 + 360 + 1000),
            "detection took {t:?}"
        );
        let s = c.status(i).unwrap();
        assert!(s.quorate, "survivors must stay quorate: {s:?}");
    }
    let q = tool("tandem-quorumtool", &c.nodes[0].socket);
    assert!(
        q.contains("Nodes:            2\n") && q.contains("Quorate:          Yes\n"),
        "{q}"
    );

    // The killed node restarts with the same id and rejoins.
    c.start(3).unwrap();
    all_in_ring(&c, &[1, 2, 3], &[1, 2, 3], 10 * SEC);
}

#[test]
fn five_nodes_split_two_three_then_heal() {
    let mut c = Cluster::new(Path::new(BIN), 5, port(1), 300, "", &[]).unwrap();
    c.start_all().unwrap();
    all_in_ring(&c, &[1, 2, 3, 4, 5], &[1, 2, 3, 4, 5], 10 * SEC);
    for i in [1, 2] {
        c.block(i, &[3, 4, 5]).unwrap();
    }
    for i in [3, 4, 5] {
        c.block(i, &[1, 2]).unwrap();
    }
    all_in_ring(&c, &[3, 4, 5], &[3, 4, 5], 10 * SEC);
    all_in_ring(&c, &[1, 2], &[1, 2], 10 * SEC);
    for i in [3, 4, 5] {
        assert!(c.status(i).unwrap().quorate, "3 side must be quorate");
    }
    for i in [1, 2] {
        let s = c.status(i).unwrap();
        assert!(!s.quorate, "2 side must not be quorate: {s:?}");
    }
    let q = tool("tandem-quorumtool", &c.nodes[0].socket);
    assert!(q.contains("Quorum:           3 Activity blocked\n"), "{q}");
    for i in 1..=5 {
        c.block(i, &[]).unwrap();
    }
    all_in_ring(&c, &[1, 2, 3, 4, 5], &[1, 2, 3, 4, 5], 15 * SEC);
    for i in 1..=5 {
        assert!(c.status(i).unwrap().quorate);
    }
}

// Reference: votequorum(5), two_node: "requires that both nodes are up at start
// (wait_for_all); afterwards one node alone keeps quorum".
#[test]
fn two_node_wait_for_all() {
    let mut c = Cluster::new(Path::new(BIN), 2, port(2), 300, "    two_node: 1\n", &[]).unwrap();
    c.start(1).unwrap();
    c.wait_for(1, 5 * SEC, POLL, |s| s.state == "Operational")
        .unwrap();
    std::thread::sleep(SEC);
    let s = c.status(1).unwrap();
    assert!(!s.quorate, "a lone two_node member waits for all: {s:?}");
    assert_eq!(s.flags, ["2Node", "WaitForAll"]);
    let q = tool("tandem-quorumtool", &c.nodes[0].socket);
    assert!(q.contains("Quorum:           1 Activity blocked\n"), "{q}");
    assert!(q.contains("Flags:            2Node WaitForAll \n"), "{q}");
    c.start(2).unwrap();
    all_in_ring(&c, &[1, 2], &[1, 2], 10 * SEC);
    assert!(c.status(1).unwrap().quorate && c.status(2).unwrap().quorate);
    c.kill(2);
    c.wait_for(1, 5 * SEC, POLL, |s| Cluster::members(s) == [1])
        .unwrap();
    let s = c.status(1).unwrap();
    assert!(
        s.quorate,
        "after seeing both, the survivor keeps quorum: {s:?}"
    );
}

/// Packets sealed with a key derived from a corosync-keygen style authkey (and, for a
/// second cluster, from a Heartbeat `authkeys` file) still form a ring; a node without the
/// key cannot join it.
#[test]
fn encrypted_ring_and_key_mismatch() {
    let extra = "    crypto_cipher: aes256\n    crypto_hash: sha256\n    keyfile: @DIR@/authkey\n";
    let mut c = Cluster::with_totem(Path::new(BIN), 3, port(3), 300, extra, "", &[]).unwrap();
    let key: Vec<u8> = (0..256u32).map(|i| (i * 37 + 11) as u8).collect();
    std::fs::write(c.dir().join("authkey"), &key).unwrap();
    c.start(1).unwrap();
    c.start(2).unwrap();
    all_in_ring(&c, &[1, 2], &[1, 2], 10 * SEC);
    // Node 3 comes up with a different key: its packets fail authentication.
    std::fs::write(c.dir().join("authkey"), vec![1u8; 256]).unwrap();
    c.start(3).unwrap();
    c.wait_for(3, 5 * SEC, POLL, |s| s.state == "Operational")
        .unwrap();
    std::thread::sleep(2 * SEC);
    assert_eq!(Cluster::members(&c.status(1).unwrap()), [1, 2]);
    assert_eq!(Cluster::members(&c.status(3).unwrap()), [3]);
    // Restart it with the right key: it joins.
    c.kill(3);
    std::fs::write(c.dir().join("authkey"), &key).unwrap();
    c.start(3).unwrap();
    all_in_ring(&c, &[1, 2, 3], &[1, 2, 3], 10 * SEC);

    let mut h = Cluster::with_totem(
        Path::new(BIN),
        2,
        port(4),
        300,
        "    secauth: on\n    keyfile: @DIR@/authkeys\n",
        "",
        &[],
    )
    .unwrap();
    std::fs::write(
        h.dir().join("authkeys"),
        "auth 1\n1 sha1 Heartbeat-Secret\n",
    )
    .unwrap();
    h.start_all().unwrap();
    all_in_ring(&h, &[1, 2], &[1, 2], 10 * SEC);
}

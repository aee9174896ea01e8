//! Five real tandemd processes, each in its own network namespace, wired by veth pairs to
//! a Linux bridge in a sixth "switch" namespace (10.213.0.0/24, which exists only inside
//! those namespaces). A 2|3 partition is made by moving the switch ports of nodes 1 and 2
//! to a second bridge, and healed by moving them back; then one daemon is SIGKILLed.
//!
//! Needs root and `ip` (Debian package iproute2). Every daemon is killed by its own pid
//! and every namespace deleted when the test ends, even when it fails.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use controller::ipc::{self, StatusReply};
use tandem_tests::sys::{must, require, Netns};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_tandemd");
const N: u32 = 5;
const TOKEN_MS: u64 = 300;
const SEC: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(20);

fn addr(id: u32) -> String {
    format!("10.213.0.{id}")
}

/// Everything the test creates. Dropping it kills the daemons we started (by pid), then
/// deletes the namespaces (field order), then the temp dir.
struct Fixture {
    /// Running daemons, index i is node i + 1.
    children: Vec<Option<Child>>,
    /// Namespaces: index 0 is the switch, index i is node i.
    ns: Vec<Netns>,
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for c in self.children.iter_mut() {
            if let Some(mut c) = c.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

impl Fixture {
    fn new() -> Fixture {
        require("ip", "iproute2");
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("corosync.conf");
        let mut f = Fixture {
            children: (0..N).map(|_| None).collect(),
            ns: Vec::new(),
            dir,
            conf,
        };
        f.ns.push(Netns::new("tdsw"));
        for _ in 1..=N {
            f.ns.push(Netns::new("tdn"));
        }
        let sw = &f.ns[0];
        sw.exec("link add br0 type bridge");
        sw.exec("link add br1 type bridge");
        sw.exec("link set br0 up");
        sw.exec("link set br1 up");
        for i in 1..=N {
            let node = &f.ns[i as usize];
            node.veth("eth0", &format!("p{i}"), &format!("{}/24", addr(i)));
            node.exec(&format!("link set p{i} netns {}", sw.name));
            sw.exec(&format!("link set p{i} master br0"));
            sw.exec(&format!("link set p{i} up"));
        }

        let mut c = format!(
            "totem {{\n    version: 2\n    cluster_name: netns\n    transport: udpu\n    token: {TOKEN_MS}\n    token_coefficient: 0\n    interface {{\n        ringnumber: 0\n        mcastport: 5405\n    }}\n}}\nnodelist {{\n"
        );
        for i in 1..=N {
            c += &format!(
                "    node {{\n        ring0_addr: {}\n        name: node{i}\n        nodeid: {i}\n    }}\n",
                addr(i)
            );
        }
        c += "}\nquorum {\n    provider: corosync_votequorum\n}\n";
        std::fs::write(&f.conf, c).unwrap();
        f
    }

    fn socket(&self, id: u32) -> PathBuf {
        self.dir.path().join(format!("node{id}.sock"))
    }

    /// Starts node `id` inside its namespace (stderr goes to `node<id>.log`).
    fn start(&mut self, id: u32) {
        let log = std::fs::File::create(self.dir.path().join(format!("node{id}.log"))).unwrap();
        // `ip netns exec` execs the command, so the child's pid is tandemd's own.
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns[id as usize].name, BIN])
            .arg("--config")
            .arg(&self.conf)
            .arg("--node")
            .arg(id.to_string())
            .arg("--socket")
            .arg(self.socket(id))
            .arg("--state-dir")
            .arg(self.dir.path().join(format!("state{id}")))
            .env("TANDEM_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children[id as usize - 1] = Some(child);
    }

    /// SIGKILLs node `id` (by pid) and reaps it.
    fn kill(&mut self, id: u32) {
        let mut c = self.children[id as usize - 1].take().expect("running");
        c.kill().unwrap();
        c.wait().unwrap();
    }

    fn status(&self, id: u32) -> Option<StatusReply> {
        ipc::query_status(&self.socket(id)).ok()
    }

    fn log(&self, id: u32) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("node{id}.log"))).unwrap_or_default()
    }

    /// Moves the switch ports of `ids` to bridge `br`.
    fn attach(&self, ids: &[u32], br: &str) {
        for i in ids {
            self.ns[0].exec(&format!("link set p{i} master {br}"));
        }
    }

    /// Waits until every node in `ids` is Operational with exactly `members` in its view
    /// and the given quorate flag; returns the time the slowest took.
    fn converge(&self, ids: &[u32], members: &[u32], quorate: bool, timeout: Duration) -> Duration {
        let t0 = Instant::now();
        for &i in ids {
            loop {
                let s = self.status(i);
                if s.as_ref().is_some_and(|s| {
                    view(s) == members && s.state == "Operational" && s.quorate == quorate
                }) {
                    break;
                }
                assert!(
                    t0.elapsed() < timeout,
                    "node {i} never saw {members:?} with quorate={quorate} within {timeout:?}: \
                     {s:?}\n--- node{i}.log ---\n{}",
                    self.log(i)
                );
                std::thread::sleep(POLL);
            }
        }
        t0.elapsed()
    }

    fn tool(&self, name: &str, id: u32) -> String {
        common::tool(name, &self.socket(id))
    }
}

fn view(s: &StatusReply) -> Vec<u32> {
    s.nodes.iter().filter(|n| n.member).map(|n| n.id).collect()
}

#[test]
fn five_namespaces_split_two_three_heal_and_sigkill() {
    let t_all = Instant::now();
    let mut f = Fixture::new();

    // 10.213.0.0/24 exists only inside our namespaces: not in the host's, so the daemons
    // can only reach each other through the switch namespace.
    let host = must("ip -4 addr show");
    assert!(
        !host.contains("10.213.0."),
        "host already uses 10.213.0.0/24:\n{host}"
    );

    for i in 1..=N {
        f.start(i);
    }
    let all = [1, 2, 3, 4, 5];
    f.converge(&all, &all, true, 10 * SEC);
    for i in 1..=N {
        let s = f.status(i).unwrap();
        assert_eq!(s.addr, addr(i), "{s:?}");
        assert_eq!(s.ring, f.status(1).unwrap().ring, "one ring: {s:?}");
    }
    let cfg = f.tool("tandem-cfgtool", 1);
    assert!(cfg.contains("\taddr\t= 10.213.0.1\n"), "{cfg}");
    for i in 2..=N {
        assert!(
            cfg.contains(&format!("\t\tnodeid: {i:>10}:\tconnected\n")),
            "{cfg}"
        );
    }
    let q = f.tool("tandem-quorumtool", 4);
    assert!(q.contains("Nodes:            5\n"), "{q}");
    assert!(q.contains("Quorate:          Yes\n"), "{q}");

    // Partition 2|3: nodes 1 and 2 move to their own bridge.
    f.attach(&[1, 2], "br1");
    f.converge(&[3, 4, 5], &[3, 4, 5], true, 10 * SEC);
    f.converge(&[1, 2], &[1, 2], false, 10 * SEC);
    let q = f.tool("tandem-quorumtool", 1);
    assert!(q.contains("Quorate:          No\n"), "{q}");
    assert!(q.contains("Quorum:           3 Activity blocked\n"), "{q}");
    let q = f.tool("tandem-quorumtool", 3);
    assert!(
        q.contains("Nodes:            3\n") && q.contains("Quorate:          Yes\n"),
        "{q}"
    );

    // Heal: one ring of five again, within a few seconds.
    f.attach(&[1, 2], "br0");
    let t = f.converge(&all, &all, true, 8 * SEC);
    eprintln!("healed in {t:?}");
    let ring = f.status(1).unwrap().ring;
    for i in 2..=N {
        assert_eq!(f.status(i).unwrap().ring, ring, "one ring after heal");
    }

    // SIGKILL one daemon: the other four form a new quorate view.
    f.kill(5);
    let t = f.converge(&[1, 2, 3, 4], &[1, 2, 3, 4], true, 5 * SEC);
    eprintln!("four survivors converged in {t:?}");
    let s = f.status(1).unwrap();
    assert_ne!(s.ring, ring, "a new ring after the kill: {s:?}");
    let q = f.tool("tandem-quorumtool", 2);
    assert!(
        q.contains("Nodes:            4\n") && q.contains("Quorate:          Yes\n"),
        "{q}"
    );
    eprintln!("total {:?}", t_all.elapsed());
}

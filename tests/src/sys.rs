//! System fixtures for tests that run as root: shell helpers, and drop
//! guards for network namespaces and loop devices, so every test cleans up
//! after itself even when it fails.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A name unique to this test process and call (short enough for an
/// interface or namespace name).
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id() % 100000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Runs `sh -c cmd`, returning success and stdout followed by stderr.
pub fn sh(cmd: &str) -> (bool, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("run sh");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Like [`sh`], but panics with the command and its output on failure.
pub fn must(cmd: &str) -> String {
    let (ok, out) = sh(cmd);
    assert!(ok, "command failed: {cmd}\n{out}");
    out
}

/// Fails with a clear message when a required tool is missing.
pub fn require(tool: &str, package: &str) {
    let (ok, _) = sh(&format!("command -v {tool}"));
    assert!(
        ok,
        "'{tool}' is missing: install the Debian package '{package}'"
    );
}

/// A network namespace with `lo` up, deleted on drop.
pub struct Netns {
    /// The namespace's name.
    pub name: String,
}

impl Netns {
    /// Creates a namespace with a unique name starting with `prefix`.
    pub fn new(prefix: &str) -> Netns {
        require("ip", "iproute2");
        let name = unique(prefix);
        must(&format!("ip netns add {name}"));
        // The guard exists before anything else can fail, so the namespace
        // is deleted even then.
        let ns = Netns { name };
        ns.exec("link set lo up");
        ns
    }

    /// Runs `ip -n NAME cmd`.
    pub fn exec(&self, cmd: &str) -> String {
        must(&format!("ip -n {} {cmd}", self.name))
    }

    /// Adds a veth pair inside the namespace: `a` (with `cidr`) and its
    /// peer `b`, both up.
    pub fn veth(&self, a: &str, b: &str, cidr: &str) {
        self.exec(&format!("link add {a} type veth peer name {b}"));
        self.exec(&format!("addr add {cidr} dev {a}"));
        self.exec(&format!("link set {a} up"));
        self.exec(&format!("link set {b} up"));
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = sh(&format!("ip netns del {}", self.name));
    }
}

/// A loop device over a sparse file formatted as ext4; every mount of it is
/// unmounted and the device detached on drop.
pub struct LoopDev {
    /// The device path, e.g. `/dev/loop3`.
    pub dev: String,
    _dir: tempfile::TempDir,
}

impl LoopDev {
    /// A fresh ext4 filesystem of `mb` MiB on a loop device.
    pub fn ext4(mb: u32) -> LoopDev {
        require("losetup", "mount");
        require("mkfs.ext4", "e2fsprogs");
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("fs.img");
        must(&format!("truncate -s {mb}M {}", img.display()));
        let dev = must(&format!("losetup -f --show {}", img.display()))
            .trim()
            .to_string();
        let guard = LoopDev { dev, _dir: dir };
        must(&format!("mkfs.ext4 -q -F {}", guard.dev));
        guard
    }
}

impl Drop for LoopDev {
    fn drop(&mut self) {
        for _ in 0..5 {
            let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
            let targets: Vec<String> = mounts
                .lines()
                .filter(|l| l.split_whitespace().next() == Some(self.dev.as_str()))
                .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
                .collect();
            if targets.is_empty() {
                break;
            }
            for t in targets {
                let _ = sh(&format!("umount -l '{t}'"));
            }
        }
        let _ = sh(&format!("losetup -d {}", self.dev));
    }
}

//! Shared helpers: temporary OCF roots, fixture agents, and drop guards for
//! network namespaces and loop devices.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use lrm::{AgentDirs, EnvSettings, Lrm, LrmConfig};

/// A name unique to this test process and call.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id() % 100000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Writes an executable script.
pub fn script(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A temporary agent tree: `ocf/resource.d/test/*`, `init.d`, `ha.d`.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn dirs(&self) -> AgentDirs {
        AgentDirs {
            ocf_root: self.path().join("ocf"),
            lsb_dir: self.path().join("init.d"),
            heartbeat_dir: self.path().join("ha.d"),
            stonith_dir: self.path().join("sbin"),
        }
    }
    pub fn ocf(&self, name: &str, body: &str) {
        script(&self.path().join("ocf/resource.d/test").join(name), body);
    }
    pub fn lrm(
        &self,
        max_concurrent: usize,
    ) -> (Lrm, tokio::sync::mpsc::UnboundedReceiver<lrm::LrmEvent>) {
        Lrm::new(LrmConfig {
            env: EnvSettings {
                dirs: self.dirs(),
                attr_dir: Some(self.path().join("attrd")),
                ..EnvSettings::default()
            },
            max_concurrent,
            ..LrmConfig::default()
        })
    }
}

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

/// A network namespace, deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new() -> Netns {
        require("ip", "iproute2");
        let name = unique("tlrm");
        must(&format!("ip netns add {name}"));
        must(&format!("ip -n {name} link set lo up"));
        Netns { name }
    }
    /// Adds a dummy-free veth pair inside the namespace: `a` (with `cidr`)
    /// and its peer `b`, both up.
    pub fn veth(&self, a: &str, b: &str, cidr: &str) {
        must(&format!(
            "ip -n {n} link add {a} type veth peer name {b}",
            n = self.name
        ));
        must(&format!("ip -n {n} addr add {cidr} dev {a}", n = self.name));
        must(&format!("ip -n {n} link set {a} up", n = self.name));
        must(&format!("ip -n {n} link set {b} up", n = self.name));
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
    pub dev: String,
    _dir: tempfile::TempDir,
}

impl LoopDev {
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

/// Path of the tandem-lrm binary built for these tests.
pub fn lrm_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tandem-lrm"))
}

//! Helpers and drop guards (MariaDB datadirs; namespaces and loop devices
//! come from `tandem_tests::sys`).

pub use tandem_tests::sys::{must, require, sh, LoopDev, Netns};

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Our agents installed (by `tandem-agent install`) in a temporary OCF root
/// readable by `nobody` (ocf-tester runs meta-data as nobody).
pub struct Installed {
    pub dir: tempfile::TempDir,
}

impl Installed {
    pub fn new() -> Installed {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_tandem-agent"))
            .arg("install")
            .arg("--ocf-root")
            .arg(dir.path().join("ocf"))
            .output()
            .unwrap();
        assert!(out.status.success(), "install failed: {out:?}");
        Installed { dir }
    }
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("ocf")
    }
    pub fn agent(&self, name: &str) -> PathBuf {
        self.root().join("resource.d/tandem").join(name)
    }
    /// A private scratch directory (0755) inside the install dir.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }
}

/// Runs ocf-tester; returns (passed, output). Prints the last lines.
pub fn ocf_tester(
    agent: &Path,
    name: &str,
    params: &[(&str, String)],
    netns: Option<&str>,
    env: &[(&str, String)],
) -> (bool, String) {
    require("ocf-tester", "resource-agents");
    require("xmllint", "libxml2-utils");
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, "ocf-tester"]);
            c
        }
        None => Command::new("ocf-tester"),
    };
    cmd.arg("-n").arg(name);
    for (k, v) in params {
        cmd.arg("-o").arg(format!("{k}={v}"));
    }
    cmd.arg(agent);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let t0 = Instant::now();
    let out = cmd.output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let tail: Vec<&str> = text.lines().rev().take(2).collect();
    eprintln!(
        "ocf-tester {} ({} ms): {}",
        agent.display(),
        t0.elapsed().as_millis(),
        tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
    );
    (
        out.status.success() && text.contains("passed all tests"),
        text,
    )
}

/// Runs one action of an installed agent with OCF parameters; returns
/// (rc, stderr, duration).
pub fn run_agent(
    agent: &Path,
    action: &str,
    params: &[(&str, String)],
    env: &[(&str, String)],
    netns: Option<&str>,
) -> (i32, String, Duration) {
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).arg(agent);
            c
        }
        None => Command::new(agent),
    };
    cmd.arg(action)
        .env("OCF_ROOT", "/usr/lib/ocf")
        .env("OCF_RESOURCE_INSTANCE", "t1");
    for (k, v) in params {
        cmd.env(format!("OCF_RESKEY_{k}"), v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let t0 = Instant::now();
    let out = cmd.output().unwrap();
    let took = t0.elapsed();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    )
}

/// Times start, monitor and stop of an agent (for the report).
pub fn time_ops(label: &str, agent: &Path, params: &[(&str, String)], netns: Option<&str>) {
    let mut line = format!("timing {label}:");
    for action in ["start", "monitor", "stop"] {
        let (rc, err, took) = run_agent(agent, action, params, &[], netns);
        assert_eq!(rc, 0, "{label} {action}: {err}");
        line.push_str(&format!(" {action}={}ms", took.as_millis()));
    }
    eprintln!("{line}");
}

/// A throw-away MariaDB: datadir, socket, pid file and option file (no
/// networking) in a temp dir. Drop kills the server by its pid file.
pub struct Mariadb {
    pub dir: tempfile::TempDir,
}

impl Mariadb {
    pub fn new() -> Mariadb {
        require("mariadb-install-db", "mariadb-server");
        require("mariadbd", "mariadb-server");
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let m = Mariadb { dir };
        // A private tmpdir: concurrent servers and bootstraps sharing /tmp
        // remove each other's temporary tables.
        std::fs::create_dir(m.path("tmp")).unwrap();
        std::fs::write(
            m.path("my.cnf"),
            format!(
                "[mysqld]\nskip-networking\ninnodb_buffer_pool_size=8M\nperformance_schema=OFF\ntmpdir={}\n",
                m.path("tmp").display()
            ),
        )
        .unwrap();
        let cmd = format!(
            "TMPDIR={tmp} mariadb-install-db --no-defaults --datadir={} --tmpdir={tmp} --user=root --auth-root-authentication-method=socket --skip-test-db >{} 2>&1",
            m.path("data").display(),
            m.path("install.log").display(),
            tmp = m.path("tmp").display()
        );
        let (ok, _) = sh(&cmd);
        assert!(
            ok,
            "{cmd} failed:\n{}",
            std::fs::read_to_string(m.path("install.log")).unwrap_or_default()
        );
        m
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("binary", "/usr/sbin/mariadbd".into()),
            ("config", self.path("my.cnf").display().to_string()),
            ("datadir", self.path("data").display().to_string()),
            ("socket", self.path("my.sock").display().to_string()),
            ("pid", self.path("my.pid").display().to_string()),
            ("user", "root".into()),
            ("log", self.path("error.log").display().to_string()),
        ]
    }
}

impl Drop for Mariadb {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(self.path("my.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
        {
            if pid > 1 {
                let _ = nix_kill(pid);
            }
        }
    }
}

fn nix_kill(pid: i32) -> std::io::Result<()> {
    let st = Command::new("kill")
        .arg("-KILL")
        .arg(pid.to_string())
        .status()?;
    let _ = st;
    Ok(())
}

/// Kills and reaps a child process on drop (so failed tests leave nothing).
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

//! A cluster of real `tandemd` processes on 127.0.0.x for integration tests and the
//! failover benchmark. Every process is started by us and killed (by its own pid) when the
//! [`Cluster`] is dropped, even when a test fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ipc::{self, StatusReply};

/// One node of the cluster.
pub struct NodeProc {
    /// Node id (also the last octet of its 127.0.0.x address).
    pub id: u32,
    /// Running process, if any.
    pub child: Option<Child>,
    /// Its Unix socket.
    pub socket: PathBuf,
    state: PathBuf,
}

/// A set of tandemd processes sharing one generated corosync.conf.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    conf: PathBuf,
    extra_args: Vec<String>,
    /// Nodes, index i has id i + 1.
    pub nodes: Vec<NodeProc>,
}

impl Cluster {
    /// Writes a config for `n` nodes (127.0.0.1..n, UDP `port`, token `token_ms`,
    /// coefficient 0) with `quorum_extra` lines added to the quorum section. Starts nothing.
    pub fn new(
        bin: &Path,
        n: u32,
        port: u16,
        token_ms: u64,
        quorum_extra: &str,
        extra_args: &[&str],
    ) -> std::io::Result<Self> {
        Self::with_totem(bin, n, port, token_ms, "", quorum_extra, extra_args)
    }

    /// Like [`Cluster::new`], with `totem_extra` lines added to the totem section; the
    /// string `@DIR@` in them is replaced by the cluster's directory.
    pub fn with_totem(
        bin: &Path,
        n: u32,
        port: u16,
        token_ms: u64,
        totem_extra: &str,
        quorum_extra: &str,
        extra_args: &[&str],
    ) -> std::io::Result<Self> {
        let dir = tempfile::tempdir()?;
        let totem_extra = totem_extra.replace("@DIR@", &dir.path().display().to_string());
        let mut c = format!(
            "totem {{\n    version: 2\n    cluster_name: test\n    transport: udpu\n    token: {token_ms}\n    token_coefficient: 0\n{totem_extra}    interface {{\n        ringnumber: 0\n        mcastport: {port}\n    }}\n}}\nnodelist {{\n"
        );
        for i in 1..=n {
            c += &format!(
                "    node {{\n        ring0_addr: 127.0.0.{i}\n        name: node{i}\n        nodeid: {i}\n    }}\n"
            );
        }
        c += &format!("}}\nquorum {{\n    provider: corosync_votequorum\n{quorum_extra}}}\n");
        let conf = dir.path().join("corosync.conf");
        std::fs::write(&conf, c)?;
        let nodes = (1..=n)
            .map(|i| NodeProc {
                id: i,
                child: None,
                socket: dir.path().join(format!("node{i}.sock")),
                state: dir.path().join(format!("state{i}")),
            })
            .collect();
        Ok(Cluster {
            bin: bin.to_path_buf(),
            conf,
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            nodes,
            dir,
        })
    }

    /// Directory holding config, sockets, state and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts node `id` (stderr goes to `node<id>.log`).
    pub fn start(&mut self, id: u32) -> std::io::Result<()> {
        let log = std::fs::File::create(self.dir.path().join(format!("node{id}.log")))?;
        let n = &mut self.nodes[id as usize - 1];
        let _ = std::fs::remove_file(&n.socket);
        let child = Command::new(&self.bin)
            .arg("--config")
            .arg(&self.conf)
            .arg("--node")
            .arg(id.to_string())
            .arg("--socket")
            .arg(&n.socket)
            .arg("--state-dir")
            .arg(&n.state)
            .args(&self.extra_args)
            .env("TANDEM_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        n.child = Some(child);
        Ok(())
    }

    /// Starts every node.
    pub fn start_all(&mut self) -> std::io::Result<()> {
        for i in 1..=self.nodes.len() as u32 {
            self.start(i)?;
        }
        Ok(())
    }

    /// SIGKILLs node `id` and reaps it.
    pub fn kill(&mut self, id: u32) {
        if let Some(mut c) = self.nodes[id as usize - 1].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Status of node `id`, if it answers.
    pub fn status(&self, id: u32) -> Option<StatusReply> {
        ipc::query_status(&self.nodes[id as usize - 1].socket).ok()
    }

    /// Makes node `id` drop traffic to and from `peers` (empty: heal).
    pub fn block(&self, id: u32, peers: &[u32]) -> Result<(), ipc::IpcError> {
        let ids: Vec<String> = peers.iter().map(|p| p.to_string()).collect();
        let line = format!("block {}", ids.join(" "));
        ipc::request(&self.nodes[id as usize - 1].socket, line.trim()).map(|_| ())
    }

    /// Polls node `id` every `every` until `pred` holds; returns the elapsed time.
    pub fn wait_for(
        &self,
        id: u32,
        timeout: Duration,
        every: Duration,
        pred: impl Fn(&StatusReply) -> bool,
    ) -> Option<Duration> {
        let t0 = Instant::now();
        while t0.elapsed() < timeout {
            if self.status(id).is_some_and(|s| pred(&s)) {
                return Some(t0.elapsed());
            }
            std::thread::sleep(every);
        }
        None
    }

    /// Members of node `id`'s current view.
    pub fn members(s: &StatusReply) -> Vec<u32> {
        s.nodes.iter().filter(|n| n.member).map(|n| n.id).collect()
    }

    /// Log of node `id` (for failure messages).
    pub fn log(&self, id: u32) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("node{id}.log"))).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            if let Some(mut c) = n.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

//! The daemon's Unix-socket protocol: the client writes one request line (`status`), the
//! daemon answers with tab-separated `key value...` lines and closes the connection.
//! Plain text on purpose: it can be read with `socat` when debugging.

use std::io::{Read, Write};
use std::path::Path;

/// One nodelist node as the daemon sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    /// Node id.
    pub id: u32,
    /// quorum_votes.
    pub votes: u32,
    /// Name (nodelist `name`, else the address).
    pub name: String,
    /// ring0 address.
    pub addr: String,
    /// `localhost`, `connected` or `disconnected`.
    pub link: String,
    /// In the current view.
    pub member: bool,
    /// Times the node joined a view we installed.
    pub join_count: u32,
    /// `joined`, `left`, or empty if never seen.
    pub status: String,
}

/// The answer to `status`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusReply {
    /// Local node id.
    pub node_id: u32,
    /// Transport name.
    pub transport: String,
    /// Local ring0 address.
    pub addr: String,
    /// Ring id (rep, seq).
    pub ring: (u32, u64),
    /// Protocol state.
    pub state: String,
    /// Quorate flag.
    pub quorate: bool,
    /// Expected votes.
    pub expected: u32,
    /// Highest expected.
    pub highest: u32,
    /// Total votes.
    pub total: u32,
    /// Quorum.
    pub quorum: u32,
    /// votequorum flags.
    pub flags: Vec<String>,
    /// Every nodelist node.
    pub nodes: Vec<NodeRow>,
}

/// Errors talking to the daemon.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IpcError {
    /// Connecting, writing or reading failed.
    #[error("cannot talk to tandemd at {path}")]
    Io {
        /// Socket path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The answer could not be parsed.
    #[error("malformed reply from tandemd: {0}")]
    Malformed(String),
}

impl StatusReply {
    /// Serialises the reply.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        s += &format!("node_id\t{}\n", self.node_id);
        s += &format!("transport\t{}\n", self.transport);
        s += &format!("addr\t{}\n", self.addr);
        s += &format!("ring\t{}\t{}\n", self.ring.0, self.ring.1);
        s += &format!("state\t{}\n", self.state);
        s += &format!("quorate\t{}\n", self.quorate as u8);
        s += &format!(
            "votes\t{}\t{}\t{}\t{}\n",
            self.expected, self.highest, self.total, self.quorum
        );
        s += &format!("flags\t{}\n", self.flags.join(" "));
        for n in &self.nodes {
            s += &format!(
                "node\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                n.id, n.votes, n.name, n.addr, n.link, n.member as u8, n.join_count, n.status
            );
        }
        s
    }

    /// Parses a reply.
    pub fn decode(text: &str) -> Result<Self, IpcError> {
        let bad = |l: &str| IpcError::Malformed(l.to_string());
        let mut r = StatusReply::default();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let num = |i: usize| -> Result<u64, IpcError> {
                f.get(i)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad(line))
            };
            match f[0] {
                "node_id" => r.node_id = num(1)? as u32,
                "transport" => r.transport = f.get(1).unwrap_or(&"").to_string(),
                "addr" => r.addr = f.get(1).unwrap_or(&"").to_string(),
                "ring" => r.ring = (num(1)? as u32, num(2)?),
                "state" => r.state = f.get(1).unwrap_or(&"").to_string(),
                "quorate" => r.quorate = num(1)? == 1,
                "votes" => {
                    r.expected = num(1)? as u32;
                    r.highest = num(2)? as u32;
                    r.total = num(3)? as u32;
                    r.quorum = num(4)? as u32;
                }
                "flags" => {
                    r.flags = f
                        .get(1)
                        .unwrap_or(&"")
                        .split_whitespace()
                        .map(str::to_string)
                        .collect()
                }
                "node" => {
                    if f.len() < 9 {
                        return Err(bad(line));
                    }
                    r.nodes.push(NodeRow {
                        id: num(1)? as u32,
                        votes: num(2)? as u32,
                        name: f[3].to_string(),
                        addr: f[4].to_string(),
                        link: f[5].to_string(),
                        member: f[6] == "1",
                        join_count: num(7)? as u32,
                        status: f[8].to_string(),
                    })
                }
                "" => {}
                _ => return Err(bad(line)),
            }
        }
        Ok(r)
    }
}

/// Sends `status` to the daemon (blocking; the tools are synchronous).
pub fn query_status(path: &Path) -> Result<StatusReply, IpcError> {
    StatusReply::decode(&request(path, "status")?)
}

/// Sends one request line and returns the raw answer.
pub fn request(path: &Path, line: &str) -> Result<String, IpcError> {
    let io = |source| IpcError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut s = std::os::unix::net::UnixStream::connect(path).map_err(io)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .map_err(io)?;
    s.write_all(format!("{line}\n").as_bytes()).map_err(io)?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(io)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let r = StatusReply {
            node_id: 2,
            transport: "udpu".into(),
            addr: "127.0.0.2".into(),
            ring: (1, 12),
            state: "Operational".into(),
            quorate: true,
            expected: 3,
            highest: 3,
            total: 2,
            quorum: 2,
            flags: vec!["Quorate".into()],
            nodes: vec![NodeRow {
                id: 1,
                votes: 1,
                name: "node1".into(),
                addr: "127.0.0.1".into(),
                link: "connected".into(),
                member: true,
                join_count: 1,
                status: "joined".into(),
            }],
        };
        assert_eq!(StatusReply::decode(&r.encode()).unwrap(), r);
    }
}

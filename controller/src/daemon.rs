//! `tandemd`: configuration, local-node selection, the membership driver and the Unix
//! socket, wired together. `run` takes the shutdown future from its caller (mini-redis
//! style), so tests and the binary choose the trigger.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use membership::config::{CorosyncConf, Node};
use membership::crypto::{authkey_from_bytes, authkey_from_heartbeat, Cipher, Envelope};
use membership::driver::{self, DriverConfig};
use membership::totem::{Event, PeerStatus, Totem, TotemParams};
use membership::NodeId;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UdpSocket, UnixListener};

use crate::ipc::{NodeRow, StatusReply};

/// Daemon options (the `tandemd` command line).
#[derive(Debug, Clone)]
pub struct Options {
    /// corosync.conf path.
    pub config: PathBuf,
    /// Local node by name, address or id.
    pub node: Option<String>,
    /// Unix socket path.
    pub socket: PathBuf,
    /// Where ring ids and boot epochs are kept.
    pub state_dir: PathBuf,
    /// Disable the fast failure path (pure Corosync timing: token + consensus).
    pub corosync_timing: bool,
}

#[derive(Debug, Default, Clone)]
struct MemberInfo {
    join_count: u32,
    status: String,
}

/// Picks the local node: `--node`, else the nodelist name equal to the hostname, else the
/// first address we can bind.
fn local_node<'a>(
    conf: &'a CorosyncConf,
    want: Option<&str>,
    port: u16,
) -> anyhow::Result<&'a Node> {
    if let Some(w) = want {
        return conf
            .find_node(w)
            .with_context(|| format!("--node {w}: no such name, address or id in the nodelist"));
    }
    if let Ok(h) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let h = h.trim().to_string();
        if let Some(n) = conf
            .nodes
            .iter()
            .find(|n| n.name.as_deref() == Some(h.as_str()))
        {
            return Ok(n);
        }
    }
    for n in &conf.nodes {
        if let Ok(ip) = n.ring0_addr.parse::<IpAddr>() {
            if std::net::UdpSocket::bind(SocketAddr::new(ip, port)).is_ok() {
                return Ok(n);
            }
        }
    }
    bail!("no nodelist entry matches this host; use --node NAME|ID")
}

fn resolve(addr: &str, port: u16) -> anyhow::Result<SocketAddr> {
    (addr, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {addr}"))?
        .next()
        .with_context(|| format!("{addr} has no address"))
}

fn load_key(conf: &CorosyncConf) -> anyhow::Result<Vec<u8>> {
    let path = conf
        .totem
        .keyfile
        .clone()
        .unwrap_or_else(|| "/etc/tandem/authkey".into());
    let bytes = std::fs::read(&path).with_context(|| format!("reading authkey {path}"))?;
    // A Heartbeat `authkeys` file is text starting with `auth N`.
    let text = String::from_utf8_lossy(&bytes);
    if text.lines().any(|l| l.trim_start().starts_with("auth ")) {
        return Ok(authkey_from_heartbeat(&text)?);
    }
    Ok(authkey_from_bytes(&bytes)?)
}

/// Runs the daemon until `shutdown` completes.
pub async fn run(
    opts: Options,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let conf = CorosyncConf::load(&opts.config)?;
    for w in &conf.warnings {
        tracing::warn!("{}: {}", opts.config.display(), w);
    }
    if conf.nodes.is_empty() {
        bail!(
            "{}: no nodes (nodelist or interface.member)",
            opts.config.display()
        );
    }
    let port = conf.port();
    let me = local_node(&conf, opts.node.as_deref(), port)?.clone();
    let mut peers = BTreeMap::new();
    for n in &conf.nodes {
        peers.insert(n.nodeid, resolve(&n.ring0_addr, port)?);
    }
    let ids: Vec<NodeId> = conf.nodes.iter().map(|n| n.nodeid).collect();
    let persisted = driver::load_persisted(&opts.state_dir, me.nodeid)?;
    let key = if conf.crypto_enabled() {
        Some(load_key(&conf)?)
    } else {
        None
    };
    let cipher = if conf.totem.crypto_cipher.starts_with("aes") {
        Cipher::Aes256Gcm
    } else {
        Cipher::ChaCha20Poly1305
    };
    let envelope = Envelope::new(
        me.nodeid,
        &ids,
        persisted.epoch,
        key.as_deref().map(|k| (k, cipher)),
        &conf.totem.cluster_name,
    );
    let mut tc = conf.totem_config();
    if opts.corosync_timing {
        tc.fail_window = None;
    }
    tracing::info!(node = me.nodeid, token = ?tc.token, consensus = ?tc.consensus, fail_window = ?tc.fail_window, "starting");
    let socket = UdpSocket::bind(peers[&me.nodeid])
        .await
        .with_context(|| format!("binding {}", peers[&me.nodeid]))?;
    let core = Totem::new(
        TotemParams {
            me: me.nodeid,
            nodes: ids.clone(),
            config: tc,
            quorum: conf.quorum_config(),
            envelope,
            persisted_ring_seq: persisted.ring_seq,
        },
        std::time::Instant::now(),
    );
    let (mut handle, st_tx, ev_tx, sub_rx) = driver::channels(&core);

    if let Some(dir) = opts.socket.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _ = std::fs::remove_file(&opts.socket);
    let listener = UnixListener::bind(&opts.socket)
        .with_context(|| format!("binding {}", opts.socket.display()))?;
    std::fs::set_permissions(&opts.socket, std::fs::Permissions::from_mode(0o600))?;

    // Membership table fed by events. A std Mutex: it is never held across an await.
    let table: Arc<Mutex<BTreeMap<NodeId, MemberInfo>>> = Arc::default();
    let t2 = table.clone();
    let mut events =
        std::mem::replace(&mut handle.events, tokio::sync::mpsc::unbounded_channel().1);
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if let Event::Regular {
                ring_id,
                members,
                joined,
                left,
            } = &ev
            {
                tracing::info!(ring = %ring_id, ?members, ?joined, ?left, "new membership");
                let mut t = t2.lock().unwrap();
                for j in joined {
                    let e = t.entry(*j).or_default();
                    e.join_count += 1;
                    e.status = "joined".into();
                }
                for l in left {
                    t.entry(*l).or_default().status = "left".into();
                }
            }
            if let Event::Quorum(q) = &ev {
                tracing::info!(
                    quorate = q.quorate,
                    total = q.total_votes,
                    quorum = q.quorum,
                    "quorum"
                );
            }
        }
    });

    let blocked: Arc<Mutex<std::collections::BTreeSet<NodeId>>> = Arc::default();
    let dcfg = DriverConfig {
        socket,
        peers,
        state_dir: Some(opts.state_dir.clone()),
        blocked: blocked.clone(),
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let drv = tokio::spawn(driver::run(core, dcfg, st_tx, ev_tx, sub_rx, async {
        let _ = stop_rx.await;
    }));

    let my_uid = nix::unistd::geteuid().as_raw();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => {
                let Ok((mut stream, _)) = a else { continue };
                // Root only (or the daemon's own user, for unprivileged test clusters).
                match stream.peer_cred() {
                    Ok(c) if c.uid() == 0 || c.uid() == my_uid => {}
                    _ => continue,
                }
                let st = handle.status.borrow().clone();
                let tbl = table.lock().unwrap().clone();
                let conf = conf.clone();
                let me_addr = me.ring0_addr.clone();
                let blocked = blocked.clone();
                tokio::spawn(async move {
                    let (rd, mut wr) = stream.split();
                    let mut line = String::new();
                    let read = tokio::time::timeout(Duration::from_secs(5), BufReader::new(rd).read_line(&mut line)).await;
                    if !matches!(read, Ok(Ok(_))) {
                        return;
                    }
                    let reply = match line.trim() {
                        "status" => {
                            let nodes = conf.nodes.iter().map(|n| {
                                let link = match st.peers.iter().find(|p| p.0 == n.nodeid).map(|p| p.1) {
                                    Some(PeerStatus::Localhost) => "localhost",
                                    Some(PeerStatus::Connected) => "connected",
                                    _ => "disconnected",
                                };
                                let info = tbl.get(&n.nodeid).cloned().unwrap_or_default();
                                NodeRow {
                                    id: n.nodeid,
                                    votes: n.quorum_votes,
                                    name: n.display_name().to_string(),
                                    addr: n.ring0_addr.clone(),
                                    link: link.into(),
                                    member: st.members.contains(&n.nodeid),
                                    join_count: info.join_count,
                                    status: info.status,
                                }
                            }).collect();
                            StatusReply {
                                node_id: st.node_id,
                                transport: "udpu".into(),
                                addr: me_addr,
                                ring: (st.ring_id.rep, st.ring_id.seq),
                                state: format!("{:?}", st.state),
                                quorate: st.quorum.quorate,
                                expected: st.quorum.expected_votes,
                                highest: st.quorum.highest_expected,
                                total: st.quorum.total_votes,
                                quorum: st.quorum.quorum,
                                flags: st.quorum.flags.iter().map(|f| f.to_string()).collect(),
                                nodes,
                            }.encode()
                        }
                        // Test hook: `block ID...` drops traffic to and from those nodes
                        // (a partition without network namespaces); `block` alone heals.
                        req if req == "block" || req.starts_with("block ") => {
                            let ids: Vec<NodeId> = req.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
                            let mut b = blocked.lock().unwrap();
                            b.clear();
                            b.extend(ids);
                            "ok\n".to_string()
                        }
                        other => format!("error\tunknown request {other}\n"),
                    };
                    let _ = wr.write_all(reply.as_bytes()).await;
                });
            }
        }
    }
    let _ = stop_tx.send(());
    let _ = drv.await;
    let _ = std::fs::remove_file(&opts.socket);
    Ok(())
}

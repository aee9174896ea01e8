//! `corosync.conf` parser: the Corosync 3 form (`nodelist`, knet/udpu) and the older 1.x/2.x
//! form (`interface { member { memberaddr } }`, `secauth`, `service { }`, `logger_subsys`).
//!
//! Parsing is split from meaning: [`parse_tree`] turns text into sections and `key: value`
//! pairs with line:column positions; [`CorosyncConf::from_tree`] interprets them, validates
//! (naming the line, column and key) and records unknown keys as [`Warning`]s rather than
//! ignoring them silently. Node ids missing from the nodelist are derived from the IPv4
//! address in network byte order, as Corosync 3 does (192.168.99.100 → 3232260964);
//! [`legacy_nodeid_from_ipv4`] gives the little-endian value Corosync ≤ 2.3.0 produced.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::quorum::{QuorumConfig, TieBreaker};
use crate::totem::TotemConfig;
use crate::NodeId;

/// A position in the file (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line.
    pub line: usize,
    /// Column.
    pub col: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A configuration error, located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {msg}")]
pub struct ConfigError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub msg: String,
}

/// Reading or parsing a configuration file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is invalid.
    #[error("{path}:{source}")]
    Invalid {
        /// File.
        path: String,
        /// Cause.
        #[source]
        source: ConfigError,
    },
}

/// A non-fatal remark (unknown key, deprecated form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub pos: Pos,
    /// What.
    pub msg: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: warning: {}", self.pos, self.msg)
    }
}

/// One `name { ... }` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// Section name (empty for the top level).
    pub name: String,
    /// Position of the name.
    pub pos: Pos,
    /// `key: value` pairs in order.
    pub values: Vec<(String, String, Pos)>,
    /// Nested sections in order.
    pub sections: Vec<Section>,
}

fn strip_quotes(v: &str) -> &str {
    let quotes: &[char] = &['"', '\'', '“', '”', '″', '‘', '’'];
    v.trim().trim_matches(quotes).trim()
}

/// Parses the syntax of a corosync.conf file into a tree.
pub fn parse_tree(text: &str) -> Result<Section, ConfigError> {
    let mut stack = vec![Section::default()];
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let indent = raw.len() - raw.trim_start().len();
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let col = raw[..indent].chars().count() + 1;
        let pos = Pos { line: line_no, col };
        if line == "}" {
            if stack.len() == 1 {
                return Err(ConfigError {
                    pos,
                    msg: "unexpected `}` (no section is open)".into(),
                });
            }
            let s = stack.pop().unwrap();
            stack.last_mut().unwrap().sections.push(s);
        } else if let Some(name) = line.strip_suffix('{') {
            let name = name.trim();
            if name.is_empty() || name.contains(':') {
                return Err(ConfigError {
                    pos,
                    msg: format!("invalid section name `{name}`"),
                });
            }
            stack.push(Section {
                name: name.to_string(),
                pos,
                ..Default::default()
            });
        } else if let Some((k, v)) = line.split_once(':') {
            let k = k.trim();
            if k.is_empty() || k.contains(char::is_whitespace) {
                return Err(ConfigError {
                    pos,
                    msg: format!("invalid key `{k}`"),
                });
            }
            let vcol = col + line.find(':').unwrap() + 1 + (v.len() - v.trim_start().len());
            stack.last_mut().unwrap().values.push((
                k.to_string(),
                strip_quotes(v).to_string(),
                Pos {
                    line: line_no,
                    col: vcol,
                },
            ));
        } else {
            return Err(ConfigError {
                pos,
                msg: format!("expected `key: value`, `name {{` or `}}`, found `{line}`"),
            });
        }
    }
    if stack.len() > 1 {
        let s = stack.last().unwrap();
        return Err(ConfigError {
            pos: s.pos,
            msg: format!("section `{}` is not closed", s.name),
        });
    }
    Ok(stack.pop().unwrap())
}

/// `totem.interface` (old style).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interface {
    /// `ringnumber` / `linknumber`.
    pub ringnumber: u32,
    /// `bindnetaddr`.
    pub bindnetaddr: Option<String>,
    /// `mcastport`.
    pub mcastport: Option<u16>,
    /// `ttl`.
    pub ttl: Option<u32>,
    /// `member { memberaddr }` entries.
    pub members: Vec<String>,
}

/// The `totem` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotemSection {
    /// `version`.
    pub version: u32,
    /// `cluster_name`.
    pub cluster_name: String,
    /// `transport` (udpu, udp, knet); Tandem always runs udpu-style unicast.
    pub transport: String,
    /// `token` in ms (unscaled).
    pub token: u64,
    /// `token_coefficient` in ms.
    pub token_coefficient: u64,
    /// `consensus` in ms, if set.
    pub consensus: Option<u64>,
    /// `join` in ms.
    pub join: u64,
    /// `token_retransmits_before_loss_const`.
    pub token_retransmits_before_loss_const: u32,
    /// `max_messages`.
    pub max_messages: u32,
    /// `window_size`.
    pub window_size: u32,
    /// `crypto_cipher`.
    pub crypto_cipher: String,
    /// `crypto_hash`.
    pub crypto_hash: String,
    /// Legacy `secauth`.
    pub secauth: bool,
    /// `keyfile`.
    pub keyfile: Option<String>,
    /// `clear_node_high_bit`.
    pub clear_node_high_bit: bool,
    /// `interface` sections.
    pub interfaces: Vec<Interface>,
}

impl Default for TotemSection {
    fn default() -> Self {
        TotemSection {
            version: 2,
            cluster_name: String::new(),
            transport: "knet".into(),
            token: 3000,
            token_coefficient: 650,
            consensus: None,
            join: 50,
            token_retransmits_before_loss_const: 4,
            max_messages: 17,
            window_size: 50,
            crypto_cipher: "none".into(),
            crypto_hash: "none".into(),
            secauth: false,
            keyfile: None,
            clear_node_high_bit: false,
            interfaces: Vec::new(),
        }
    }
}

/// One nodelist node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `nodeid` (explicit or derived from the IPv4 address).
    pub nodeid: NodeId,
    /// Whether `nodeid` was derived.
    pub nodeid_generated: bool,
    /// `ring0_addr`.
    pub ring0_addr: String,
    /// `name`.
    pub name: Option<String>,
    /// `quorum_votes`.
    pub quorum_votes: u32,
}

impl Node {
    /// Name as the tools print it: `name`, else the address.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.ring0_addr)
    }
}

/// The `quorum` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuorumSection {
    /// `provider`.
    pub provider: Option<String>,
    /// `expected_votes`.
    pub expected_votes: Option<u32>,
    /// `two_node`.
    pub two_node: bool,
    /// `wait_for_all`.
    pub wait_for_all: Option<bool>,
    /// `last_man_standing`.
    pub last_man_standing: bool,
    /// `last_man_standing_window` ms.
    pub last_man_standing_window: Option<u64>,
    /// `auto_tie_breaker`.
    pub auto_tie_breaker: bool,
    /// `auto_tie_breaker_node`.
    pub auto_tie_breaker_node: Option<String>,
}

/// The `logging` section (kept as given; the daemon maps what it understands).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoggingSection {
    /// `key: value` pairs.
    pub values: Vec<(String, String)>,
    /// `logger_subsys` sections as key/value lists.
    pub subsys: Vec<Vec<(String, String)>>,
}

/// A legacy `service { name ver }` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceSection {
    /// `name`.
    pub name: String,
    /// `ver`.
    pub ver: Option<String>,
}

/// A whole, validated corosync.conf.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorosyncConf {
    /// totem.
    pub totem: TotemSection,
    /// nodelist (or the members of the old interface form).
    pub nodes: Vec<Node>,
    /// quorum.
    pub quorum: QuorumSection,
    /// logging.
    pub logging: LoggingSection,
    /// service sections.
    pub services: Vec<ServiceSection>,
    /// Non-fatal remarks.
    pub warnings: Vec<Warning>,
}

/// Node id Corosync 3 derives from an IPv4 address (network byte order).
pub fn nodeid_from_ipv4(a: Ipv4Addr) -> NodeId {
    u32::from_be_bytes(a.octets())
}

/// Node id Corosync ≤ 2.3.0 derived on little-endian hosts.
pub fn legacy_nodeid_from_ipv4(a: Ipv4Addr) -> NodeId {
    u32::from_le_bytes(a.octets())
}

fn err(pos: Pos, msg: impl Into<String>) -> ConfigError {
    ConfigError {
        pos,
        msg: msg.into(),
    }
}

fn num<T: std::str::FromStr>(k: &str, v: &str, pos: Pos) -> Result<T, ConfigError> {
    v.parse()
        .map_err(|_| err(pos, format!("`{k}`: `{v}` is not a valid number")))
}

fn boolean(k: &str, v: &str, pos: Pos) -> Result<bool, ConfigError> {
    match v {
        "1" | "on" | "yes" | "true" => Ok(true),
        "0" | "off" | "no" | "false" => Ok(false),
        _ => Err(err(
            pos,
            format!("`{k}`: expected on/off, yes/no or 1/0, found `{v}`"),
        )),
    }
}

impl CorosyncConf {
    /// Reads and parses a file.
    pub fn load(path: &std::path::Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|source| LoadError::Invalid {
            path: path.display().to_string(),
            source,
        })
    }

    /// Parses and validates text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        Self::from_tree(&parse_tree(text)?)
    }

    /// Interprets a parsed tree.
    pub fn from_tree(root: &Section) -> Result<Self, ConfigError> {
        let mut c = CorosyncConf::default();
        let mut w = Vec::new();
        for (k, _, pos) in &root.values {
            w.push(Warning {
                pos: *pos,
                msg: format!("unknown top-level key `{k}` ignored"),
            });
        }
        let mut node_sections = Vec::new();
        for s in &root.sections {
            match s.name.as_str() {
                "totem" => c.totem = totem(s, &mut w)?,
                "nodelist" => {
                    for n in &s.sections {
                        if n.name == "node" {
                            node_sections.push(n);
                        } else {
                            w.push(Warning {
                                pos: n.pos,
                                msg: format!("unknown section `nodelist.{}` ignored", n.name),
                            });
                        }
                    }
                    for (k, _, pos) in &s.values {
                        w.push(Warning {
                            pos: *pos,
                            msg: format!("unknown key `nodelist.{k}` ignored"),
                        });
                    }
                }
                "quorum" => c.quorum = quorum(s, &mut w)?,
                "logging" => {
                    c.logging.values = s
                        .values
                        .iter()
                        .map(|(k, v, _)| (k.clone(), v.clone()))
                        .collect();
                    for sub in &s.sections {
                        if sub.name == "logger_subsys" {
                            c.logging.subsys.push(
                                sub.values
                                    .iter()
                                    .map(|(k, v, _)| (k.clone(), v.clone()))
                                    .collect(),
                            );
                        } else {
                            w.push(Warning {
                                pos: sub.pos,
                                msg: format!("unknown section `logging.{}` ignored", sub.name),
                            });
                        }
                    }
                }
                "service" => {
                    let mut svc = ServiceSection::default();
                    for (k, v, pos) in &s.values {
                        match k.as_str() {
                            "name" => svc.name = v.clone(),
                            "ver" => svc.ver = Some(v.clone()),
                            _ => w.push(Warning {
                                pos: *pos,
                                msg: format!("unknown key `service.{k}` ignored"),
                            }),
                        }
                    }
                    if svc.name == "pacemaker" {
                        w.push(Warning {
                            pos: s.pos,
                            msg: "`service { name: pacemaker }` is obsolete: tandemd runs the cluster manager itself".into(),
                        });
                    }
                    c.services.push(svc);
                }
                "amf" | "aisexec" | "resources" | "system" | "nozzle" | "qb" => {
                    w.push(Warning {
                        pos: s.pos,
                        msg: format!("section `{}` is not used by Tandem", s.name),
                    });
                }
                other => w.push(Warning {
                    pos: s.pos,
                    msg: format!("unknown section `{other}` ignored"),
                }),
            }
        }
        // Nodes.
        let mut nodes = Vec::new();
        for n in node_sections {
            nodes.push(node(n, &c.totem, &mut w)?);
        }
        if nodes.is_empty() {
            // Old form: totem.interface.member.memberaddr.
            for i in &c.totem.interfaces {
                for m in &i.members {
                    let ip: Ipv4Addr = m.parse().map_err(|_| {
                        err(
                            Pos::default(),
                            format!("memberaddr `{m}`: only IPv4 addresses can derive a nodeid"),
                        )
                    })?;
                    let mut id = nodeid_from_ipv4(ip);
                    if c.totem.clear_node_high_bit {
                        id &= 0x7FFF_FFFF;
                    }
                    nodes.push(Node {
                        nodeid: id,
                        nodeid_generated: true,
                        ring0_addr: m.clone(),
                        name: None,
                        quorum_votes: 1,
                    });
                }
            }
            if !nodes.is_empty() {
                w.push(Warning {
                    pos: Pos::default(),
                    msg: "totem.interface.member is deprecated; use a nodelist".into(),
                });
            }
        } else if c.totem.interfaces.iter().any(|i| !i.members.is_empty()) {
            w.push(Warning {
                pos: Pos::default(),
                msg: "totem.interface.member ignored because a nodelist is present".into(),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for n in &nodes {
            if !seen.insert(n.nodeid) {
                return Err(err(
                    Pos::default(),
                    format!("duplicate nodeid {} (node {})", n.nodeid, n.display_name()),
                ));
            }
        }
        c.nodes = nodes;
        c.warnings = w;
        Ok(c)
    }

    /// Effective timeouts (token scaled by `token_coefficient` for ≥ 3 nodes, consensus
    /// defaulting to 1.2 × the scaled token), as Corosync derives them.
    pub fn totem_config(&self) -> TotemConfig {
        let t = &self.totem;
        let mut token = t.token;
        if self.nodes.len() >= 3 {
            token += (self.nodes.len() as u64 - 2) * t.token_coefficient;
        }
        let mut tc = TotemConfig::from_token(
            Duration::from_millis(token),
            t.token_retransmits_before_loss_const,
        );
        tc.join = Duration::from_millis(t.join);
        tc.consensus = Duration::from_millis(t.consensus.unwrap_or(token * 12 / 10).max(t.join));
        tc.max_messages = t.max_messages;
        tc.window_size = t.window_size;
        tc
    }

    /// votequorum settings.
    pub fn quorum_config(&self) -> QuorumConfig {
        let q = &self.quorum;
        let tb = match q.auto_tie_breaker_node.as_deref() {
            None | Some("lowest") => TieBreaker::Lowest,
            Some("highest") => TieBreaker::Highest,
            Some(list) => TieBreaker::List(
                list.split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect(),
            ),
        };
        QuorumConfig {
            votes: self
                .nodes
                .iter()
                .map(|n| (n.nodeid, n.quorum_votes))
                .collect(),
            expected_votes: q.expected_votes,
            two_node: q.two_node,
            wait_for_all: q.wait_for_all,
            last_man_standing: q.last_man_standing,
            last_man_standing_window: Duration::from_millis(
                q.last_man_standing_window.unwrap_or(10_000),
            ),
            auto_tie_breaker: q.auto_tie_breaker,
            tie_breaker: tb,
        }
    }

    /// Whether packets are to be authenticated (any cipher/hash, or legacy `secauth: on`).
    pub fn crypto_enabled(&self) -> bool {
        self.totem.secauth || self.totem.crypto_cipher != "none" || self.totem.crypto_hash != "none"
    }

    /// UDP port (`mcastport` of interface 0; default 5405).
    pub fn port(&self) -> u16 {
        self.totem
            .interfaces
            .iter()
            .find(|i| i.ringnumber == 0)
            .and_then(|i| i.mcastport)
            .unwrap_or(5405)
    }

    /// Finds a node by name or decimal id.
    pub fn find_node(&self, key: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| {
            n.name.as_deref() == Some(key)
                || n.ring0_addr == key
                || key.parse::<NodeId>().ok() == Some(n.nodeid)
        })
    }
}

fn totem(s: &Section, w: &mut Vec<Warning>) -> Result<TotemSection, ConfigError> {
    let mut t = TotemSection::default();
    for (k, v, pos) in &s.values {
        let pos = *pos;
        match k.as_str() {
            "version" => {
                t.version = num(k, v, pos)?;
                if t.version != 2 {
                    return Err(err(pos, format!("totem.version must be 2, found {v}")));
                }
            }
            "cluster_name" => t.cluster_name = v.clone(),
            "transport" => {
                if !["udpu", "udp", "knet", "iba"].contains(&v.as_str()) {
                    return Err(err(
                        pos,
                        format!("unknown transport `{v}` (udpu, udp or knet)"),
                    ));
                }
                if v != "udpu" {
                    w.push(Warning {
                        pos,
                        msg: format!("transport `{v}`: Tandem always uses UDP unicast to the nodelist (udpu)"),
                    });
                }
                t.transport = v.clone();
            }
            "token" => t.token = num(k, v, pos)?,
            "token_coefficient" => t.token_coefficient = num(k, v, pos)?,
            "consensus" => t.consensus = Some(num(k, v, pos)?),
            "join" => t.join = num(k, v, pos)?,
            "token_retransmits_before_loss_const" => {
                t.token_retransmits_before_loss_const = num(k, v, pos)?
            }
            "max_messages" => t.max_messages = num(k, v, pos)?,
            "window_size" => t.window_size = num(k, v, pos)?,
            "crypto_cipher" => {
                if !["none", "aes256", "aes192", "aes128"].contains(&v.as_str()) {
                    return Err(err(
                        pos,
                        format!("crypto_cipher `{v}`: expected none, aes128, aes192 or aes256"),
                    ));
                }
                t.crypto_cipher = v.clone()
            }
            "crypto_hash" => {
                if !["none", "md5", "sha1", "sha256", "sha384", "sha512"].contains(&v.as_str()) {
                    return Err(err(
                        pos,
                        format!(
                            "crypto_hash `{v}`: expected none, md5, sha1, sha256, sha384 or sha512"
                        ),
                    ));
                }
                t.crypto_hash = v.clone()
            }
            "secauth" => t.secauth = boolean(k, v, pos)?,
            "keyfile" => t.keyfile = Some(v.clone()),
            "clear_node_high_bit" => t.clear_node_high_bit = boolean(k, v, pos)?,
            "crypto_model"
            | "ip_version"
            | "rrp_mode"
            | "link_mode"
            | "netmtu"
            | "threads"
            | "send_join"
            | "merge"
            | "downcheck"
            | "fail_recv_const"
            | "seqno_unchanged_const"
            | "heartbeat_failures_allowed"
            | "max_network_delay"
            | "miss_count_const"
            | "knet_pmtud_interval"
            | "knet_compression_model"
            | "token_warning"
            | "hold"
            | "token_retransmit"
            | "config_version"
            | "nodeid"
            | "vsftype" => w.push(Warning {
                pos,
                msg: format!("totem.{k} is accepted but has no effect in Tandem"),
            }),
            _ => w.push(Warning {
                pos,
                msg: format!("unknown key `totem.{k}` ignored"),
            }),
        }
    }
    if t.consensus.is_some_and(|c| c < t.join) {
        return Err(err(s.pos, "totem.consensus must be at least totem.join"));
    }
    if t.token < 30 {
        return Err(err(s.pos, "totem.token must be at least 30 ms"));
    }
    for sub in &s.sections {
        if sub.name != "interface" {
            w.push(Warning {
                pos: sub.pos,
                msg: format!("unknown section `totem.{}` ignored", sub.name),
            });
            continue;
        }
        let mut i = Interface::default();
        for (k, v, pos) in &sub.values {
            let pos = *pos;
            match k.as_str() {
                "ringnumber" | "linknumber" => i.ringnumber = num(k, v, pos)?,
                "bindnetaddr" => i.bindnetaddr = Some(v.clone()),
                "mcastport" => i.mcastport = Some(num(k, v, pos)?),
                "ttl" => i.ttl = Some(num(k, v, pos)?),
                "mcastaddr"
                | "broadcast"
                | "knet_transport"
                | "knet_link_priority"
                | "knet_ping_interval"
                | "knet_ping_timeout"
                | "knet_ping_precision"
                | "knet_pong_count" => w.push(Warning {
                    pos,
                    msg: format!("totem.interface.{k} has no effect with unicast"),
                }),
                _ => w.push(Warning {
                    pos,
                    msg: format!("unknown key `totem.interface.{k}` ignored"),
                }),
            }
        }
        for m in &sub.sections {
            if m.name != "member" {
                w.push(Warning {
                    pos: m.pos,
                    msg: format!("unknown section `totem.interface.{}` ignored", m.name),
                });
                continue;
            }
            for (k, v, pos) in &m.values {
                if k == "memberaddr" {
                    i.members.push(v.clone());
                } else {
                    w.push(Warning {
                        pos: *pos,
                        msg: format!("unknown key `member.{k}` ignored"),
                    });
                }
            }
        }
        t.interfaces.push(i);
    }
    Ok(t)
}

fn node(s: &Section, t: &TotemSection, w: &mut Vec<Warning>) -> Result<Node, ConfigError> {
    let mut addr = None;
    let mut id = None;
    let mut name = None;
    let mut votes = 1;
    for (k, v, pos) in &s.values {
        let pos = *pos;
        match k.as_str() {
            "ring0_addr" => addr = Some(v.clone()),
            "nodeid" => {
                let n: NodeId = num(k, v, pos)?;
                if n == 0 {
                    return Err(err(pos, "nodeid 0 is reserved"));
                }
                id = Some(n)
            }
            "name" => name = Some(v.clone()),
            "quorum_votes" => votes = num(k, v, pos)?,
            k if k.starts_with("ring") && k.ends_with("_addr") => w.push(Warning {
                pos,
                msg: format!("node.{k}: only one link (ring0) is supported"),
            }),
            _ => w.push(Warning {
                pos,
                msg: format!("unknown key `node.{k}` ignored"),
            }),
        }
    }
    let addr = addr.ok_or_else(|| err(s.pos, "node without ring0_addr"))?;
    let (nodeid, generated) = match id {
        Some(i) => (i, false),
        None => match addr.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => {
                let mut i = nodeid_from_ipv4(a);
                if t.clear_node_high_bit {
                    i &= 0x7FFF_FFFF;
                }
                (i, true)
            }
            _ => {
                return Err(err(
                    s.pos,
                    format!("node {addr}: nodeid is required unless ring0_addr is an IPv4 address"),
                ))
            }
        },
    };
    Ok(Node {
        nodeid,
        nodeid_generated: generated,
        ring0_addr: addr,
        name,
        quorum_votes: votes,
    })
}

fn quorum(s: &Section, w: &mut Vec<Warning>) -> Result<QuorumSection, ConfigError> {
    let mut q = QuorumSection::default();
    for (k, v, pos) in &s.values {
        let pos = *pos;
        match k.as_str() {
            "provider" => {
                if v != "corosync_votequorum" {
                    return Err(err(
                        pos,
                        format!("quorum.provider `{v}`: only corosync_votequorum is supported"),
                    ));
                }
                q.provider = Some(v.clone())
            }
            "expected_votes" => q.expected_votes = Some(num(k, v, pos)?),
            "two_node" => q.two_node = boolean(k, v, pos)?,
            "wait_for_all" => q.wait_for_all = Some(boolean(k, v, pos)?),
            "last_man_standing" => q.last_man_standing = boolean(k, v, pos)?,
            "last_man_standing_window" => q.last_man_standing_window = Some(num(k, v, pos)?),
            "auto_tie_breaker" => q.auto_tie_breaker = boolean(k, v, pos)?,
            "auto_tie_breaker_node" => q.auto_tie_breaker_node = Some(v.clone()),
            _ => w.push(Warning {
                pos,
                msg: format!("unknown key `quorum.{k}` ignored"),
            }),
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODERN: &str = "totem {\n    version: 2\n    cluster_name: alpha\n    transport: knet\n    token: 1000\n    token_coefficient: 0\n    crypto_cipher: none\n    crypto_hash: none\n}\n\nnodelist {\n    node {\n        ring0_addr: 10.9.0.1\n        name: node1\n        nodeid: 1\n    }\n    node {\n        ring0_addr: 10.9.0.2\n        name: node2\n        nodeid: 2\n    }\n    node {\n        ring0_addr: 10.9.0.3\n        name: node3\n        nodeid: 3\n    }\n}\n\nquorum {\n    provider: corosync_votequorum\n}\n\nlogging {\n    fileline: off\n    to_stderr: no\n    to_logfile: yes\n    logfile: /var/log/tandem.log\n    to_syslog: no\n    timestamp: hires\n    debug: off\n}\n";

    const OLD: &str = "totem {\nversion: 2\nsecauth: off\ninterface {\nmember {\nmemberaddr: 192.168.99.100\n}\nmember {\nmemberaddr: 192.168.99.101\n}\nringnumber: 0\nbindnetaddr: 192.168.99.0\nmcastport: 5405\nttl: 1\n}\ntransport: udpu\n}\nservice {\nname: pacemaker\nver: 1\n}\nlogging {\nfileline: off\nto_logfile: yes\nto_syslog: yes\ndebug: on\nlogfile: /var/log/ha.log\ndebug: off\ntimestamp: on\nlogger_subsys {\nsubsys: QUORUM\ndebug: off\n}\n}\n";

    #[test]
    fn modern_file() {
        let c = CorosyncConf::parse(MODERN).unwrap();
        assert_eq!(c.totem.cluster_name, "alpha");
        assert_eq!(c.nodes.len(), 3);
        assert_eq!(c.nodes[1].name.as_deref(), Some("node2"));
        let tc = c.totem_config();
        assert_eq!(tc.token, Duration::from_millis(1000));
        assert_eq!(tc.consensus, Duration::from_millis(1200));
        assert!(!c.crypto_enabled());
        assert_eq!(c.port(), 5405);
    }

    #[test]
    fn old_style_seed_003() {
        let c = CorosyncConf::parse(OLD).unwrap();
        assert_eq!(c.nodes.len(), 2);
        assert_eq!(c.nodes[0].nodeid, 3232260964);
        assert_eq!(c.nodes[1].nodeid, 3232260965);
        assert_eq!(
            legacy_nodeid_from_ipv4("192.168.99.100".parse().unwrap()),
            1684252864
        );
        assert_eq!(
            legacy_nodeid_from_ipv4("192.168.99.101".parse().unwrap()),
            1701030080
        );
        assert_eq!(c.services[0].name, "pacemaker");
        assert_eq!(c.logging.subsys.len(), 1);
        assert!(c.warnings.iter().any(|w| w.msg.contains("deprecated")));
        // Stock 2-node defaults: token 3000, consensus 3600.
        assert_eq!(c.totem_config().consensus, Duration::from_millis(3600));
    }

    #[test]
    fn scaled_token_and_errors() {
        let three = MODERN.replace("token: 1000\n    token_coefficient: 0\n", "");
        let c = CorosyncConf::parse(&three).unwrap();
        assert_eq!(c.totem_config().token, Duration::from_millis(3650));
        assert_eq!(c.totem_config().consensus, Duration::from_millis(4380));
        let e = CorosyncConf::parse("totem {\n  token: abc\n}\n").unwrap_err();
        assert_eq!((e.pos.line, e.pos.col), (2, 10));
        let e = CorosyncConf::parse("totem {\n  version: 2\n").unwrap_err();
        assert_eq!(e.pos.line, 1);
        let e = CorosyncConf::parse("nodelist {\n node {\n  ring0_addr: 10.0.0.1\n }\n node {\n  ring0_addr: 10.0.0.1\n }\n}\n").unwrap_err();
        assert!(e.msg.contains("duplicate nodeid"));
        let c = CorosyncConf::parse("totem {\n  bogus: 1\n}\n").unwrap();
        assert_eq!(c.warnings[0].pos, Pos { line: 2, col: 10 });
        assert!(c.warnings[0].msg.contains("totem.bogus"));
        let c = CorosyncConf::parse("totem {\n cluster_name: ”x”\n}\n").unwrap();
        assert_eq!(c.totem.cluster_name, "x");
    }
}

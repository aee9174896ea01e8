//! `ocf:tandem:IPaddr2`: a floating IPv4 address.
//!
//! start adds the address with `ip addr add` (iproute2) and announces it with
//! gratuitous ARPs sent from Rust ([`crate::garp`]): the first one before
//! start returns, the rest (`arp_count`, every `arp_interval` ms) from a
//! detached child unless `arp_bg=false`. stop removes the address and
//! succeeds when it is already gone. monitor checks the address is really
//! configured on the interface (via `getifaddrs`), not a state file.

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use crate::garp::{self, ArpMode};
use crate::ocf::{log, param, ActionSpec, AgentError, AgentResult, Ctx, MetaData, ParamType, Rc};
use crate::Agent;

/// The IPaddr2 agent.
pub struct IPaddr2;

/// One IPv4 address configured on the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddr {
    /// Device name (label suffix removed).
    pub dev: String,
    /// The name `getifaddrs` reports (`eth0` or the label `eth0:vip`).
    pub label: String,
    /// Address.
    pub ip: Ipv4Addr,
    /// Prefix length.
    pub prefix: u8,
}

/// Every IPv4 address on the system.
pub fn v4_addrs() -> Vec<IfAddr> {
    let mut out = Vec::new();
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return out;
    };
    for a in addrs {
        let Some(sin) = a.address.as_ref().and_then(|s| s.as_sockaddr_in()) else {
            continue;
        };
        let prefix = a
            .netmask
            .as_ref()
            .and_then(|s| s.as_sockaddr_in())
            .map(|m| u32::from(m.ip()).count_ones() as u8)
            .unwrap_or(32);
        let dev = a.interface_name.split(':').next().unwrap_or("").to_string();
        out.push(IfAddr {
            dev,
            label: a.interface_name.clone(),
            ip: sin.ip(),
            prefix,
        });
    }
    out
}

fn same_net(a: Ipv4Addr, b: Ipv4Addr, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let mask = u32::MAX << (32 - u32::from(prefix.min(32)));
    (u32::from(a) & mask) == (u32::from(b) & mask)
}

/// Parsed and checked parameters.
#[derive(Debug, Clone)]
pub struct Conf {
    ip: Ipv4Addr,
    prefix: Option<u8>,
    nic: Option<String>,
    broadcast: Option<String>,
    label: Option<String>,
    arp_count: u64,
    arp_interval: Duration,
    arp_mode: ArpMode,
    arp_bg: bool,
}

fn parse_prefix(v: &str) -> Option<u8> {
    if let Ok(n) = v.parse::<u8>() {
        return (n <= 32).then_some(n);
    }
    // Dotted netmask: contiguous ones only.
    let m: Ipv4Addr = v.parse().ok()?;
    let bits = u32::from(m);
    (bits.leading_ones() == bits.count_ones()).then_some(bits.count_ones() as u8)
}

fn conf(ctx: &Ctx) -> AgentResult<Conf> {
    let ip_s = ctx.param("ip").ok_or_else(|| {
        AgentError::Configured("IP address (the ip parameter) is mandatory".into())
    })?;
    let ip: Ipv4Addr = ip_s
        .trim()
        .parse()
        .map_err(|_| AgentError::Configured(format!("IP address [{ip_s}] not valid")))?;
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() {
        return Err(AgentError::Configured(format!(
            "IP address [{ip}] cannot be assigned to an interface"
        )));
    }
    let prefix = match ctx.param("cidr_netmask") {
        None => None,
        Some(v) => Some(parse_prefix(v.trim()).ok_or_else(|| {
            AgentError::Configured(format!(
                "cidr_netmask={v} is invalid: use a prefix length 0-32 or a dotted netmask"
            ))
        })?),
    };
    let nic = ctx.param("nic").map(str::to_string);
    if let Some(n) = &nic {
        if n.contains(':') {
            return Err(AgentError::Configured(format!(
                "nic={n}: use the iflabel parameter for labels, not nic"
            )));
        }
        if garp::link(n).is_err() && !v4_addrs().iter().any(|a| &a.dev == n) {
            return Err(AgentError::Configured(format!(
                "Unknown interface [{n}] (nic parameter)"
            )));
        }
    }
    let broadcast = match ctx.param("broadcast") {
        None => None,
        Some(b) if b == "+" || b == "-" => Some(b.to_string()),
        Some(b) => {
            let _: Ipv4Addr = b.parse().map_err(|_| {
                AgentError::Configured(format!("broadcast={b} is not an IPv4 address, '+' or '-'"))
            })?;
            Some(b.to_string())
        }
    };
    let label = ctx.param("iflabel").map(str::to_string);
    if let (Some(l), n) = (&label, &nic) {
        let full = l.len() + 1 + n.as_deref().map_or(0, str::len);
        if l.contains(':') || l.contains(' ') || full > 15 {
            return Err(AgentError::Configured(format!(
                "iflabel={l} is invalid: no ':' or spaces, and nic:label at most 15 characters"
            )));
        }
    }
    let arp_mode = match ctx.param_or("arp_mode", "request") {
        "request" => ArpMode::Request,
        "reply" => ArpMode::Reply,
        other => {
            return Err(AgentError::Configured(format!(
                "arp_mode={other} is invalid: use request or reply"
            )))
        }
    };
    Ok(Conf {
        ip,
        prefix,
        nic,
        broadcast,
        label,
        arp_count: ctx.int("arp_count", 5, 0..=100)?,
        arp_interval: Duration::from_millis(ctx.int("arp_interval", 200, 1..=10_000)?),
        arp_mode,
        arp_bg: ctx.flag("arp_bg", true)?,
    })
}

/// Picks the interface and prefix for the address: the configured ones, or
/// those of the interface whose network contains it (longest prefix wins).
fn resolve(c: &Conf, addrs: &[IfAddr]) -> AgentResult<(String, u8)> {
    let mut best: Option<&IfAddr> = None;
    for a in addrs {
        if a.ip == c.ip || a.dev == "lo" && !c.ip.is_loopback() {
            continue;
        }
        if c.nic.as_ref().is_some_and(|n| n != &a.dev) {
            continue;
        }
        let p = c.prefix.unwrap_or(a.prefix);
        if same_net(a.ip, c.ip, a.prefix.min(p)) && best.is_none_or(|b| a.prefix > b.prefix) {
            best = Some(a);
        }
    }
    match (&c.nic, best) {
        (Some(n), b) => Ok((n.clone(), c.prefix.or(b.map(|b| b.prefix)).unwrap_or(32))),
        (None, Some(b)) => Ok((b.dev.clone(), c.prefix.unwrap_or(b.prefix))),
        (None, None) => Err(AgentError::Configured(format!(
            "Unable to find nic or netmask for {}: no interface has an address in its network; set nic and cidr_netmask",
            c.ip
        ))),
    }
}

fn find(c: &Conf) -> Option<IfAddr> {
    v4_addrs().into_iter().find(|a| a.ip == c.ip)
}

fn ip_cmd(args: &[String]) -> AgentResult<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| AgentError::Installed(format!("cannot run ip (iproute2): {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(AgentError::Generic(format!(
            "ip {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn announce(c: &Conf, dev: &str) {
    if c.arp_count == 0 {
        return;
    }
    let ann = match garp::link(dev).and_then(garp::Announcer::open) {
        Ok(a) => a,
        Err(e) => {
            log(
                "WARNING",
                &format!("cannot send gratuitous ARP on {dev}: {e}"),
            );
            return;
        }
    };
    if let Err(e) = ann.send(c.ip, c.arp_mode) {
        log("WARNING", &format!("gratuitous ARP on {dev} failed: {e}"));
    }
    let rest = c.arp_count - 1;
    if rest == 0 {
        return;
    }
    let repeat = |ann: &garp::Announcer| {
        for _ in 0..rest {
            std::thread::sleep(c.arp_interval);
            // Never announce an address we no longer hold.
            if find(c).is_none() {
                return;
            }
            let _ = ann.send(c.ip, c.arp_mode);
        }
    };
    if !c.arp_bg {
        repeat(&ann);
        return;
    }
    // SAFETY: the agent is single-threaded; the child only sleeps, calls
    // getifaddrs and sendto, then _exit()s.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            // Leave the executor's process group and pipes, so the start
            // operation is complete when the parent exits.
            let _ = nix::unistd::setsid();
            if let Ok(null) = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")
            {
                use std::os::fd::AsRawFd;
                for fd in 0..3 {
                    // SAFETY: dup2 onto the standard descriptors.
                    unsafe { libc::dup2(null.as_raw_fd(), fd) };
                }
            }
            repeat(&ann);
            // SAFETY: terminate the forked child without running destructors.
            unsafe { libc::_exit(0) };
        }
        Ok(nix::unistd::ForkResult::Parent { .. }) => {}
        Err(e) => {
            log(
                "WARNING",
                &format!("cannot fork ARP sender ({e}); sending in foreground"),
            );
            repeat(&ann);
        }
    }
}

impl IPaddr2 {
    fn monitor(c: &Conf) -> AgentResult<Rc> {
        match find(c) {
            None => Ok(Rc::NotRunning),
            Some(a) => match &c.nic {
                Some(n) if n != &a.dev => Err(AgentError::Generic(format!(
                    "{} is configured on {} instead of {n}",
                    c.ip, a.dev
                ))),
                _ => Ok(Rc::Success),
            },
        }
    }

    fn start(c: &Conf) -> AgentResult<Rc> {
        if Self::monitor(c)? == Rc::Success {
            return Ok(Rc::Success);
        }
        let (dev, prefix) = resolve(c, &v4_addrs())?;
        let mut args: Vec<String> = vec![
            "-4".into(),
            "addr".into(),
            "add".into(),
            format!("{}/{prefix}", c.ip),
            "dev".into(),
            dev.clone(),
        ];
        let brd =
            c.broadcast
                .clone()
                .unwrap_or_else(|| if prefix < 31 { "+".into() } else { "-".into() });
        if brd != "-" {
            args.push("brd".into());
            args.push(brd);
        }
        if let Some(l) = &c.label {
            args.push("label".into());
            args.push(format!("{dev}:{l}"));
        }
        ip_cmd(&args)?;
        log("INFO", &format!("added {}/{prefix} to {dev}", c.ip));
        announce(c, &dev);
        Ok(Rc::Success)
    }

    fn stop(c: &Conf) -> AgentResult<Rc> {
        let Some(a) = find(c) else {
            return Ok(Rc::Success);
        };
        ip_cmd(&[
            "-4".into(),
            "addr".into(),
            "del".into(),
            format!("{}/{}", a.ip, a.prefix),
            "dev".into(),
            a.dev.clone(),
        ])?;
        log("INFO", &format!("removed {} from {}", c.ip, a.dev));
        Ok(Rc::Success)
    }
}

impl Agent for IPaddr2 {
    fn metadata(&self) -> MetaData {
        use ParamType::*;
        MetaData {
            name: "IPaddr2",
            short: "Manages a floating IPv4 address",
            long: "Adds an IPv4 address to a network interface on start and removes it on stop, \
using iproute2. After adding the address it announces it with gratuitous ARP packets sent \
directly on the interface, so that neighbours switch to this node within milliseconds. \
monitor checks that the address is really configured on the interface."
                .into(),
            params: vec![
                param("ip", String, "IPv4 address", "The IPv4 address to manage, in dotted quad notation, e.g. 192.168.1.10.")
                    .required()
                    .unique(),
                param("cidr_netmask", String, "Network prefix length",
                    "The prefix length of the address (e.g. 24) or a dotted netmask (255.255.255.0). \
If unset, the prefix of the interface address whose network contains ip is used, else 32."),
                param("nic", String, "Network interface",
                    "The interface to add the address to. If unset, the interface that already has an \
address in the same network as ip is chosen (longest prefix wins)."),
                param("broadcast", String, "Broadcast address",
                    "Broadcast address to set with the address: an IPv4 address, '+' to derive it from \
the prefix, or '-' for none. Default: '+' for prefixes shorter than 31, else none."),
                param("iflabel", String, "Interface label",
                    "Optional label; the address is added with label NIC:LABEL (at most 15 characters \
in total), which makes it show up as an alias in ifconfig."),
                param("arp_count", Integer, "Number of gratuitous ARPs",
                    "How many gratuitous ARP packets to send after adding the address (0 to 100). \
The first is sent before start returns.").default("5"),
                param("arp_interval", Integer, "Milliseconds between gratuitous ARPs",
                    "Delay between two gratuitous ARP packets, in milliseconds (1 to 10000).").default("200"),
                param("arp_mode", String, "ARP announcement type",
                    "'request' sends RFC 5227 ARP announcements (requests with sender = target = ip); \
'reply' sends unsolicited ARP replies.").default("request"),
                param("arp_bg", Boolean, "Send the remaining ARPs in the background",
                    "If true, all gratuitous ARPs after the first are sent by a detached process, so \
start returns at once. If false, start waits until all are sent.").default("true"),
            ],
            actions: vec![
                ActionSpec::new("start", "20s"),
                ActionSpec::new("stop", "20s"),
                ActionSpec::monitor("20s", "10s", 0, None),
                ActionSpec::new("meta-data", "5s"),
                ActionSpec::new("validate-all", "20s"),
            ],
        }
    }

    fn validate(&self, ctx: &Ctx) -> AgentResult<()> {
        let c = conf(ctx)?;
        let out = Command::new("ip").arg("-V").output();
        if !matches!(out, Ok(o) if o.status.success()) {
            return Err(AgentError::Installed(
                "the ip command (iproute2) is not installed".into(),
            ));
        }
        if find(&c).is_none() {
            resolve(&c, &v4_addrs())?;
        }
        Ok(())
    }

    fn action(&self, action: &str, ctx: &Ctx) -> Option<AgentResult<Rc>> {
        let f = match action {
            "start" => Self::start,
            "stop" => Self::stop,
            "monitor" => Self::monitor,
            _ => return None,
        };
        Some(conf(ctx).and_then(|c| f(&c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(dev: &str, ip: &str, prefix: u8) -> IfAddr {
        IfAddr {
            dev: dev.into(),
            label: dev.into(),
            ip: ip.parse().unwrap(),
            prefix,
        }
    }

    fn conf_of(kv: &[(&str, &str)]) -> AgentResult<Conf> {
        conf(&Ctx::from_vars(
            kv.iter()
                .map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())),
        ))
    }

    #[test]
    fn nic_autodetection_prefers_longest_prefix() {
        let addrs = [
            addr("lo", "127.0.0.1", 8),
            addr("eth0", "10.0.0.1", 8),
            addr("eth1", "10.1.2.1", 24),
        ];
        let c = conf_of(&[("ip", "10.1.2.50")]).unwrap();
        assert_eq!(resolve(&c, &addrs).unwrap(), ("eth1".into(), 24));
        let c = conf_of(&[("ip", "10.9.9.9"), ("cidr_netmask", "16")]).unwrap();
        assert_eq!(resolve(&c, &addrs).unwrap(), ("eth0".into(), 16));
        let c = conf_of(&[("ip", "192.0.2.1")]).unwrap();
        assert!(matches!(
            resolve(&c, &addrs),
            Err(AgentError::Configured(_))
        ));
    }

    #[test]
    fn validation_messages() {
        let e = conf_of(&[]).unwrap_err();
        assert_eq!(e.to_string(), "IP address (the ip parameter) is mandatory");
        assert_eq!(e.rc(), Rc::ErrConfigured);
        assert!(conf_of(&[("ip", "not.an.ip")]).is_err());
        assert!(conf_of(&[("ip", "10.0.0.1"), ("cidr_netmask", "33")]).is_err());
        assert!(conf_of(&[("ip", "10.0.0.1"), ("cidr_netmask", "255.0.255.0")]).is_err());
        assert_eq!(
            conf_of(&[("ip", "10.0.0.1"), ("cidr_netmask", "255.255.0.0")])
                .unwrap()
                .prefix,
            Some(16)
        );
        assert!(conf_of(&[("ip", "10.0.0.1"), ("arp_mode", "shout")]).is_err());
        assert!(conf_of(&[("ip", "10.0.0.1"), ("arp_count", "x")]).is_err());
    }
}

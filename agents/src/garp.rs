//! Gratuitous ARP, sent from Rust on a raw `AF_PACKET` socket.
//!
//! After an address moves, neighbours still map it to the old node's MAC.
//! A gratuitous ARP (RFC 5227 §3 "ARP announcement": sender and target
//! protocol address both the moved IP, broadcast) makes them update their
//! caches at once. Linux accepts it for an existing entry even within
//! `locktime`, because it recognises the packet as gratuitous.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A network interface, as needed to send link-layer frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Interface name.
    pub name: String,
    /// Kernel interface index.
    pub index: u32,
    /// Hardware address.
    pub mac: [u8; 6],
}

/// Looks an interface up by name (through `getifaddrs`, no `/sys` needed).
pub fn link(name: &str) -> io::Result<Link> {
    let addrs = nix::ifaddrs::getifaddrs().map_err(io::Error::from)?;
    for a in addrs {
        if a.interface_name != name {
            continue;
        }
        if let Some(l) = a.address.as_ref().and_then(|s| s.as_link_addr()) {
            if let Some(mac) = l.addr() {
                return Ok(Link {
                    name: name.to_string(),
                    index: l.ifindex() as u32,
                    mac,
                });
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!("no link-layer address for interface {name}"),
    ))
}

/// Which ARP operation to announce with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArpMode {
    /// ARP request with sender = target = the address (RFC 5227 announcement).
    Request,
    /// Unsolicited ARP reply.
    Reply,
}

const ETH_P_ARP: u16 = 0x0806;

/// Builds a broadcast gratuitous ARP frame (60 bytes, padded).
pub fn frame(mac: [u8; 6], ip: Ipv4Addr, mode: ArpMode) -> [u8; 60] {
    let mut f = [0u8; 60];
    f[0..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ETH_P_ARP.to_be_bytes());
    f[14..16].copy_from_slice(&1u16.to_be_bytes()); // Ethernet
    f[16..18].copy_from_slice(&0x0800u16.to_be_bytes()); // IPv4
    f[18] = 6;
    f[19] = 4;
    let op: u16 = match mode {
        ArpMode::Request => 1,
        ArpMode::Reply => 2,
    };
    f[20..22].copy_from_slice(&op.to_be_bytes());
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&ip.octets());
    match mode {
        ArpMode::Request => f[32..38].copy_from_slice(&[0; 6]),
        ArpMode::Reply => f[32..38].copy_from_slice(&mac),
    }
    f[38..42].copy_from_slice(&ip.octets());
    f
}

/// An open raw socket for sending gratuitous ARPs on one link.
pub struct Announcer {
    fd: OwnedFd,
    link: Link,
}

impl Announcer {
    /// Opens the socket (needs `CAP_NET_RAW`).
    pub fn open(link: Link) -> io::Result<Announcer> {
        // SAFETY: plain socket(2) call; the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                i32::from(ETH_P_ARP.to_be()),
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(Announcer { fd, link })
    }

    /// Sends one gratuitous ARP for `ip`.
    pub fn send(&self, ip: Ipv4Addr, mode: ArpMode) -> io::Result<()> {
        let f = frame(self.link.mac, ip, mode);
        // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = ETH_P_ARP.to_be();
        sll.sll_ifindex = self.link.index as i32;
        sll.sll_halen = 6;
        sll.sll_addr[..6].copy_from_slice(&[0xff; 6]);
        // SAFETY: the buffer and address are valid for the lengths given.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                f.as_ptr().cast(),
                f.len(),
                0,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcement_layout() {
        let mac = [2, 0, 0, 0, 0, 9];
        let f = frame(mac, Ipv4Addr::new(10, 1, 2, 3), ArpMode::Request);
        assert_eq!(&f[0..6], &[0xff; 6]);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(&f[20..22], &[0, 1]);
        assert_eq!(&f[22..28], &mac);
        assert_eq!(&f[28..32], &[10, 1, 2, 3]);
        assert_eq!(&f[38..42], &[10, 1, 2, 3]);
        let r = frame(mac, Ipv4Addr::new(10, 1, 2, 3), ArpMode::Reply);
        assert_eq!(&r[20..22], &[0, 2]);
        assert_eq!(&r[32..38], &mac);
    }
}

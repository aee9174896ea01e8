//! Integration tests of Tandem's agents, installed into a temporary OCF root
//! with `tandem-agent install`: Debian's real `ocf-tester` against each
//! agent with real parameters (IPaddr2 in a network namespace, Filesystem on
//! an ext4 loop device, mysql on a throw-away MariaDB datadir), behaviour
//! tests, the agents driven through our LRM, and gratuitous-ARP timing.
//! Run as root (CI does).

mod behaviour;
mod garp;
mod ocf_tester;
mod support;

//! Gratuitous ARP: a neighbour's ARP cache follows the address to our MAC
//! within 100 ms of IPaddr2's start (RFC 5227 §3 announcements).

use std::time::{Duration, Instant};

use crate::support::{must, run_agent, sh, Installed, Netns};

fn mac_of(ns: &Netns, dev: &str) -> String {
    let out = must(&format!("ip -n {} -o link show {dev}", ns.name));
    let i = out.find("link/ether ").expect("ether address") + "link/ether ".len();
    out[i..i + 17].to_string()
}

#[test]
fn neighbour_cache_points_at_new_mac_within_100ms() {
    let inst = Installed::new();
    let node = Netns::new("tag");
    let client = Netns::new("tag");
    must(&format!(
        "ip -n {} link add nd0 type veth peer name cl0 netns {}",
        node.name, client.name
    ));
    node.exec("addr add 10.212.5.1/24 dev nd0");
    node.exec("link set nd0 up");
    client.exec("addr add 10.212.5.2/24 dev cl0");
    client.exec("link set cl0 up");
    let vip = "10.212.5.80";
    let old_mac = "02:00:00:aa:bb:cc";
    // The client believes the address still lives at the old owner's MAC.
    client.exec(&format!(
        "neigh replace {vip} lladdr {old_mac} dev cl0 nud reachable"
    ));
    let new_mac = mac_of(&node, "nd0");
    let neigh = || sh(&format!("ip -n {} neigh show {vip} dev cl0", client.name)).1;
    assert!(neigh().contains(old_mac), "{}", neigh());

    let agent = inst.agent("IPaddr2");
    let params = [
        ("ip", vip.to_string()),
        ("cidr_netmask", "24".into()),
        ("arp_count", "3".into()),
    ];
    let t0 = Instant::now();
    let node_name = node.name.clone();
    let starter =
        std::thread::spawn(move || run_agent(&agent, "start", &params, &[], Some(&node_name)));
    let mut switched = None;
    while t0.elapsed() < Duration::from_secs(2) {
        if neigh().contains(&new_mac) {
            switched = Some(t0.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let (rc, err, start_took) = starter.join().unwrap();
    assert_eq!(rc, 0, "{err}");
    let switched = switched.unwrap_or_else(|| panic!("neighbour never switched: {}", neigh()));
    eprintln!(
        "gratuitous ARP: neighbour switched to {new_mac} {} ms after start began (start took {} ms)",
        switched.as_millis(),
        start_took.as_millis()
    );
    assert!(
        switched <= Duration::from_millis(100),
        "switched after {switched:?}"
    );
}

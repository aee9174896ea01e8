//! Debian's real `ocf-tester` against each installed agent, with real
//! parameters. Each test also times start/monitor/stop for the report.

use crate::support::{must, ocf_tester, time_ops, Installed, LoopDev, Mariadb, Netns};

#[test]
fn dummy_passes_ocf_tester() {
    let inst = Installed::new();
    let state = inst.scratch("state").join("d1.state").display().to_string();
    let params = [("state", state)];
    let (ok, out) = ocf_tester(&inst.agent("Dummy"), "d1", &params, None, &[]);
    assert!(ok, "{out}");
    time_ops("Dummy", &inst.agent("Dummy"), &params, None);
}

#[test]
fn stateful_passes_ocf_tester() {
    let inst = Installed::new();
    let state = inst.scratch("state").join("s1.state").display().to_string();
    let attrs = inst.scratch("attrd");
    let env = [("TANDEM_ATTR_DIR", attrs.display().to_string())];
    let (ok, out) = ocf_tester(
        &inst.agent("Stateful"),
        "s1",
        &[("state", state.clone())],
        None,
        &env,
    );
    assert!(ok, "{out}");
    assert!(!out.contains("does not support the promote"), "{out}");
    // ocf-tester ends with stop: the promotion score must be gone.
    assert!(!attrs.join("master-s1").exists());
    time_ops(
        "Stateful",
        &inst.agent("Stateful"),
        &[("state", state)],
        None,
    );
}

#[test]
fn ipaddr2_passes_ocf_tester_in_netns() {
    let inst = Installed::new();
    let ns = Netns::new("tag");
    ns.exec("link add tg0 type veth peer name tg1");
    ns.exec("addr add 10.211.3.1/24 dev tg0");
    ns.exec("link set tg0 up");
    ns.exec("link set tg1 up");
    let params = [
        ("ip", "10.211.3.77".to_string()),
        ("cidr_netmask", "24".into()),
    ];
    let (ok, out) = ocf_tester(&inst.agent("IPaddr2"), "vip", &params, Some(&ns.name), &[]);
    assert!(ok, "{out}");
    // nic auto-detection: no nic given, the address lands on tg0.
    time_ops("IPaddr2", &inst.agent("IPaddr2"), &params, Some(&ns.name));
    let addrs = must(&format!("ip -n {} -o -4 addr show", ns.name));
    assert!(
        !addrs.contains("10.211.3.77"),
        "stop left the address: {addrs}"
    );
}

#[test]
fn filesystem_passes_ocf_tester_on_loop_device() {
    crate::support::require("modprobe", "kmod");
    let inst = Installed::new();
    let lo = LoopDev::ext4(32);
    let mnt = inst.scratch("mnt").display().to_string();
    let params = [
        ("device", lo.dev.clone()),
        ("directory", mnt.clone()),
        ("fstype", "ext4".into()),
    ];
    let (ok, out) = ocf_tester(&inst.agent("Filesystem"), "fs1", &params, None, &[]);
    assert!(ok, "{out}");
    time_ops("Filesystem", &inst.agent("Filesystem"), &params, None);
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    assert!(!mounts.contains(&mnt), "left mounted");
}

#[test]
fn mysql_passes_ocf_tester_with_throwaway_mariadb() {
    let inst = Installed::new();
    let db = Mariadb::new();
    let params = db.params();
    let (ok, out) = ocf_tester(&inst.agent("mysql"), "db1", &params, None, &[]);
    assert!(
        ok,
        "{out}\nerror log:\n{}",
        std::fs::read_to_string(db.path("error.log")).unwrap_or_default()
    );
    time_ops("mysql", &inst.agent("mysql"), &params, None);
    assert!(!db.path("my.pid").exists(), "stop left the pid file");
}

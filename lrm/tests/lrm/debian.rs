//! Debian's own agents (`resource-agents`, `pacemaker`), unmodified, through
//! the LRM: start → monitor → stop (+ promote/demote), with the results
//! Pacemaker's executor would record. Needs the Debian packages
//! `resource-agents`, `pacemaker` (for ocf:pacemaker:Stateful), `iproute2`,
//! `e2fsprogs`.

use std::time::Duration;

use lrm::{Action, AgentDirs, EnvSettings, Lrm, LrmConfig, OcfRc, OpRequest};

use crate::support::{lrm_bin, must, require, sh, LoopDev, Netns};

fn debian_agent(spec: &str, package: &str) -> lrm::AgentSpec {
    let a: lrm::AgentSpec = spec.parse().unwrap();
    assert!(
        a.path(&AgentDirs::default()).exists(),
        "{spec} is missing: install the Debian package '{package}'"
    );
    a
}

struct Step {
    action: Action,
    interval_ms: u64,
    check_level: Option<u32>,
    expect: OcfRc,
}

fn step(action: Action, interval_ms: u64, expect: OcfRc) -> Step {
    Step {
        action,
        interval_ms,
        check_level: None,
        expect,
    }
}

async fn lifecycle(lrm: &Lrm, base: &OpRequest, steps: &[Step]) {
    for s in steps {
        let mut req = base.clone();
        req.action = s.action.clone();
        req.interval = Duration::from_millis(s.interval_ms);
        req.check_level = s.check_level;
        let rec = lrm.exec(req).await;
        eprintln!(
            "{} {} (interval {} ms): {} in {} ms",
            base.agent,
            s.action,
            s.interval_ms,
            rec.result.summary(),
            rec.result.exec_time.as_millis()
        );
        assert!(
            rec.result.is(s.expect),
            "{} {}: expected {}, got {}\nstderr: {}",
            base.agent,
            s.action,
            s.expect,
            rec.result.summary(),
            rec.result.stderr.text()
        );
    }
}

fn lrm_in(dir: &std::path::Path) -> Lrm {
    let shims = dir.join("shims");
    lrm::attrd::install_shims(&shims, &lrm_bin()).unwrap();
    Lrm::new(LrmConfig {
        env: EnvSettings {
            shim_dir: Some(shims),
            attr_dir: Some(dir.join("attrd")),
            ..EnvSettings::default()
        },
        ..LrmConfig::default()
    })
    .0
}

#[tokio::test]
async fn debian_dummy_lifecycle() {
    let agent = debian_agent("ocf:heartbeat:Dummy", "resource-agents");
    let d = tempfile::tempdir().unwrap();
    let lrm = lrm_in(d.path());
    let base = OpRequest::new("d1", agent, Action::Start)
        .param("state", d.path().join("d1.state").display().to_string());
    use OcfRc::*;
    lifecycle(
        &lrm,
        &base,
        &[
            step(Action::ValidateAll, 0, Success),
            step(Action::Monitor, 0, NotRunning),
            step(Action::Start, 0, Success),
            step(Action::Monitor, 10000, Success),
            step(Action::Start, 0, Success),
            step(Action::Reload, 0, Success),
            step(Action::Stop, 0, Success),
            step(Action::Monitor, 10000, NotRunning),
            step(Action::Stop, 0, Success),
            step(Action::Promote, 0, ErrUnimplemented),
        ],
    )
    .await;
    let hist = lrm.history("d1");
    let probe = hist
        .iter()
        .find(|r| r.key.action == Action::Monitor && r.key.interval.is_zero())
        .unwrap();
    assert!(probe.result.is(NotRunning));
    let md = lrm.metadata(&base.agent).await.unwrap();
    assert!(md.contains("<resource-agent name=\"Dummy\""));
}

#[tokio::test]
async fn debian_stateful_promotion_through_attribute_interface() {
    let agent = debian_agent("ocf:pacemaker:Stateful", "pacemaker-resource-agents");
    let d = tempfile::tempdir().unwrap();
    let lrm = lrm_in(d.path());
    let attrs = lrm.attributes().unwrap().unwrap();
    let base = OpRequest::new("s1", agent, Action::Start)
        .param("state", d.path().join("s1.state").display().to_string())
        .meta("promotable", "true");
    use OcfRc::*;
    let score = || attrs.get("master-s1").unwrap();
    lifecycle(
        &lrm,
        &base,
        &[
            step(Action::Monitor, 0, NotRunning),
            step(Action::Start, 0, Success),
        ],
    )
    .await;
    assert_eq!(score().as_deref(), Some("5"));
    // A pre-promote notification reaches the agent with Pacemaker's lists.
    let envfile = d.path().join("env.txt");
    let mut notify = base.clone().param("envfile", envfile.display().to_string());
    notify.action = Action::Notify;
    let mut n = lrm::Notify {
        kind: "pre".into(),
        operation: "promote".into(),
        ..Default::default()
    };
    n.lists.insert("promote_resource".into(), vec!["s1".into()]);
    n.apply(&mut notify);
    assert!(lrm.exec(notify).await.result.is(Success));
    let env = std::fs::read_to_string(&envfile).unwrap();
    assert!(
        env.contains("OCF_RESKEY_CRM_meta_notify_type=pre\n"),
        "{env}"
    );
    assert!(
        env.contains("OCF_RESKEY_CRM_meta_notify_promote_resource=s1\n"),
        "{env}"
    );
    assert!(
        env.contains("OCF_RESKEY_CRM_meta_notify_stop_resource= \n"),
        "{env}"
    );
    lifecycle(
        &lrm,
        &base,
        &[
            step(Action::Monitor, 11000, Success),
            step(Action::Promote, 0, Success),
        ],
    )
    .await;
    assert_eq!(score().as_deref(), Some("10"));
    lifecycle(
        &lrm,
        &base,
        &[
            step(Action::Monitor, 10000, RunningPromoted),
            step(Action::Demote, 0, Success),
        ],
    )
    .await;
    assert_eq!(score().as_deref(), Some("5"));
    lifecycle(
        &lrm,
        &base,
        &[
            step(Action::Monitor, 11000, Success),
            step(Action::Stop, 0, Success),
            step(Action::Monitor, 0, NotRunning),
        ],
    )
    .await;
    assert_eq!(score(), None, "stop must delete the promotion score");
}

#[tokio::test]
async fn debian_filesystem_on_loop_device() {
    let agent = debian_agent("ocf:heartbeat:Filesystem", "resource-agents");
    require("modprobe", "kmod");
    let lo = LoopDev::ext4(32);
    let d = tempfile::tempdir().unwrap();
    let mnt = d.path().join("mnt");
    let lrm = lrm_in(d.path());
    let base = OpRequest::new("fs1", agent, Action::Start)
        .param("device", &lo.dev)
        .param("directory", mnt.display().to_string())
        .param("fstype", "ext4")
        .timeout(Duration::from_secs(60));
    use OcfRc::*;
    let deep = Step {
        action: Action::Monitor,
        interval_ms: 20000,
        check_level: Some(20),
        expect: Success,
    };
    lifecycle(
        &lrm,
        &base,
        &[
            step(Action::ValidateAll, 0, Success),
            step(Action::Monitor, 0, NotRunning),
            step(Action::Start, 0, Success),
            step(Action::Monitor, 20000, Success),
            deep,
            step(Action::Stop, 0, Success),
            step(Action::Monitor, 0, NotRunning),
        ],
    )
    .await;
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    assert!(!mounts.contains(&mnt.display().to_string()));
}

/// IPaddr2 inside a namespace: the LRM runs there through `tandem-lrm`
/// under `ip netns exec`, as it would on a node.
#[test]
fn debian_ipaddr2_in_netns() {
    let _ = debian_agent("ocf:heartbeat:IPaddr2", "resource-agents");
    require("ip", "iproute2");
    let ns = Netns::new("tlrm");
    ns.veth("ha0", "ha1", "10.213.7.1/24");
    let d = tempfile::tempdir().unwrap();
    let exec = |action: &str, extra: &[&str]| {
        let mut cmd = format!(
            "ip netns exec {} {} exec ocf:heartbeat:IPaddr2 {action} ip=10.213.7.50 cidr_netmask=24 --rsc vip --attr-dir {}",
            ns.name,
            lrm_bin().display(),
            d.path().join("attrd").display()
        );
        for e in extra {
            cmd.push(' ');
            cmd.push_str(e);
        }
        let t0 = std::time::Instant::now();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        eprintln!(
            "IPaddr2 {action}: {} in {} ms",
            text.trim(),
            t0.elapsed().as_millis()
        );
        (out.status.code().unwrap_or(-1), text)
    };
    assert_eq!(exec("validate-all", &[]).0, 0);
    assert_eq!(exec("monitor", &[]).0, 7);
    assert_eq!(exec("start", &[]).0, 0);
    let addrs = must(&format!("ip -n {} -o -4 addr show dev ha0", ns.name));
    assert!(addrs.contains("10.213.7.50/24"), "{addrs}");
    assert_eq!(
        exec("monitor", &["--interval", "10s", "--changes", "1"]).0,
        0
    );
    assert_eq!(exec("stop", &[]).0, 0);
    assert_eq!(exec("monitor", &[]).0, 7);
    let (_, addrs) = sh(&format!("ip -n {} -o -4 addr show dev ha0", ns.name));
    assert!(!addrs.contains("10.213.7.50"), "{addrs}");
}

/// Debian agents' meta-data parses into what crm-shell and the controller
/// need: required/unique/reloadable parameters and advised timeouts.
#[tokio::test]
async fn debian_metadata_is_parsed() {
    let ip = debian_agent("ocf:heartbeat:IPaddr2", "resource-agents");
    let st = debian_agent("ocf:pacemaker:Stateful", "pacemaker-resource-agents");
    let d = tempfile::tempdir().unwrap();
    let lrm = lrm_in(d.path());
    let md = lrm.agent_metadata(&ip).await.unwrap();
    assert_eq!(md.name, "IPaddr2");
    let p = md.parameter("ip").unwrap();
    assert!(p.required && p.unique, "{p:?}");
    assert!(!md.parameter("cidr_netmask").unwrap().required);
    assert!(md.action("start").unwrap().timeout.is_some());
    assert!(md.action("monitor").unwrap().interval.is_some());
    let md = lrm.agent_metadata(&st).await.unwrap();
    assert!(md.parameter("envfile").unwrap().reloadable);
    assert!(md.action("reload-agent").is_some());
    let roles: Vec<_> = md.actions.iter().filter_map(|a| a.role.clone()).collect();
    assert!(roles.contains(&"Promoted".to_string()), "{roles:?}");
}

//! Agent behaviour beyond ocf-tester: validate-all messages, Filesystem
//! safety, mysql's connecting monitor and TERM→KILL stop, and our agents
//! driven through Tandem's LRM (promotion scores via the attribute store).

use std::process::Command;
use std::time::{Duration, Instant};

use lrm::{Action, AgentDirs, EnvSettings, Lrm, LrmConfig, OcfRc, OpRequest};

use crate::support::{run_agent, Installed, LoopDev, Mariadb};

fn p(k: &'static str, v: &str) -> (&'static str, String) {
    (k, v.to_string())
}

#[test]
fn validate_all_catches_missing_and_bad_parameters() {
    let inst = Installed::new();
    type Case = (&'static str, Vec<(&'static str, String)>, i32, &'static str);
    let cases: &[Case] = &[
        (
            "IPaddr2",
            vec![],
            6,
            "IP address (the ip parameter) is mandatory",
        ),
        (
            "IPaddr2",
            vec![p("ip", "not.an.ip")],
            6,
            "IP address [not.an.ip] not valid",
        ),
        (
            "IPaddr2",
            vec![p("ip", "10.0.0.9"), p("cidr_netmask", "40")],
            6,
            "cidr_netmask=40 is invalid",
        ),
        (
            "IPaddr2",
            vec![p("ip", "10.0.0.9"), p("nic", "nosuchnic0")],
            6,
            "Unknown interface [nosuchnic0]",
        ),
        (
            "IPaddr2",
            vec![p("ip", "10.0.0.9"), p("arp_count", "many")],
            6,
            "arp_count=many must be an integer",
        ),
        ("Filesystem", vec![], 6, "Please set OCF_RESKEY_device"),
        (
            "Filesystem",
            vec![p("device", "/dev/null")],
            6,
            "Please set OCF_RESKEY_directory",
        ),
        (
            "Filesystem",
            vec![
                p("device", "/dev/nonexistent-disk"),
                p("directory", "/mnt/x"),
            ],
            5,
            "Couldn't find device [/dev/nonexistent-disk]",
        ),
        (
            "Filesystem",
            vec![
                p("device", "/dev/null"),
                p("directory", "/mnt/x"),
                p("fstype", "nosuchfs"),
            ],
            5,
            "filesystem type nosuchfs is not supported",
        ),
        (
            "mysql",
            vec![p("binary", "/nonexistent/mysqld")],
            5,
            "server binary /nonexistent/mysqld not found",
        ),
        (
            "mysql",
            vec![p("binary", "/bin/true"), p("datadir", "relative")],
            6,
            "datadir=relative must be an absolute path",
        ),
        (
            "mysql",
            vec![p("binary", "/bin/true"), p("config", "/nonexistent.cnf")],
            5,
            "configuration file /nonexistent.cnf is missing",
        ),
        (
            "Dummy",
            vec![p("state", "relative/path")],
            6,
            "state=relative/path must be an absolute path",
        ),
        (
            "Stateful",
            vec![p("state", "/tmp/x.state"), p("promoted_score", "-3")],
            6,
            "promoted_score=-3",
        ),
    ];
    for (agent, params, rc, msg) in cases {
        let (got, err, _) = run_agent(&inst.agent(agent), "validate-all", params, &[], None);
        assert_eq!(got, *rc, "{agent} {params:?}: {err}");
        assert!(
            err.contains(&format!("ocf-exit-reason:{msg}")),
            "{agent} {params:?}: {err}"
        );
    }
    // Probes never fail just because the resource is absent.
    let (rc, err, _) = run_agent(
        &inst.agent("Filesystem"),
        "monitor",
        &[
            p("device", "/dev/nonexistent-disk"),
            p("directory", "/mnt/nonexistent"),
        ],
        &[("OCF_RESKEY_CRM_meta_interval", "0".into())],
        None,
    );
    assert_eq!(rc, 7, "{err}");
    let (rc, _, _) = run_agent(&inst.agent("Dummy"), "frobnicate", &[], &[], None);
    assert_eq!(rc, 3);
}

#[test]
fn filesystem_refuses_double_mount_and_kills_holders() {
    crate::support::require("modprobe", "kmod");
    let inst = Installed::new();
    let lo = LoopDev::ext4(32);
    let fs = inst.agent("Filesystem");
    let mnt1 = inst.scratch("m1").display().to_string();
    let mnt2 = inst.scratch("m2").display().to_string();
    let base = vec![
        p("device", &lo.dev),
        p("directory", &mnt1),
        p("fstype", "ext4"),
        p("options", "noatime,nodev"),
    ];
    let (rc, err, _) = run_agent(&fs, "start", &base, &[], None);
    assert_eq!(rc, 0, "{err}");
    let line = std::fs::read_to_string("/proc/mounts")
        .unwrap()
        .lines()
        .find(|l| l.contains(&mnt1))
        .map(str::to_string)
        .expect("mounted");
    assert!(
        line.contains("noatime") && line.contains("nodev"),
        "options not applied: {line}"
    );
    // The same device elsewhere is refused.
    let other = vec![
        p("device", &lo.dev),
        p("directory", &mnt2),
        p("fstype", "ext4"),
    ];
    let (rc, err, _) = run_agent(&fs, "start", &other, &[], None);
    assert_eq!(rc, 1, "{err}");
    assert!(err.contains(&format!("already mounted on {mnt1}")), "{err}");
    // Deep monitors: read from the device, then write a status file.
    for level in ["10", "20"] {
        let (rc, err, _) = run_agent(
            &fs,
            "monitor",
            &base,
            &[("OCF_CHECK_LEVEL", level.into())],
            None,
        );
        assert_eq!(rc, 0, "level {level}: {err}");
    }
    assert!(std::path::Path::new(&mnt1)
        .join(".Filesystem_status/t1")
        .exists());

    // force_unmount=false: a busy mount makes stop fail (within its timeout).
    let mut holder = crate::support::ChildGuard(
        Command::new("sleep")
            .arg("1000")
            .current_dir(&mnt1)
            .spawn()
            .unwrap(),
    );
    let mut keep = base.clone();
    keep.push(p("force_unmount", "false"));
    let (rc, err, took) = run_agent(
        &fs,
        "stop",
        &keep,
        &[("OCF_RESKEY_CRM_meta_timeout", "3000".into())],
        None,
    );
    assert_eq!(rc, 1, "{err}");
    assert!(err.contains("still busy"), "{err}");
    assert!(
        took < Duration::from_secs(3),
        "stop overran its timeout: {took:?}"
    );
    // Default force_unmount=true: the holder is killed and stop succeeds.
    let (rc, err, _) = run_agent(&fs, "stop", &base, &[], None);
    assert_eq!(rc, 0, "{err}");
    let status = holder.0.wait().unwrap();
    assert!(!status.success(), "holder was not killed");
    let (rc, _, _) = run_agent(&fs, "monitor", &base, &[], None);
    assert_eq!(rc, 7);
}

#[test]
fn mysql_monitor_connects_and_stop_escalates_to_kill() {
    let inst = Installed::new();
    let db = Mariadb::new();
    let my = inst.agent("mysql");
    let params = db.params();
    let (rc, err, took) = run_agent(&my, "start", &params, &[], None);
    assert_eq!(rc, 0, "{err}");
    eprintln!("mysql start: {} ms", took.as_millis());
    // Depth 10 logs in and runs a query (root through the socket).
    let deep = [("OCF_CHECK_LEVEL", "10".to_string())];
    let (rc, err, took) = run_agent(&my, "monitor", &params, &deep, None);
    assert_eq!(rc, 0, "{err}");
    eprintln!("mysql monitor depth 10: {} ms", took.as_millis());
    let mut wrong = params.clone();
    wrong.push(p("test_user", "nosuchuser"));
    let (rc, err, _) = run_agent(&my, "monitor", &wrong, &deep, None);
    assert_eq!(rc, 1, "{err}");
    assert!(err.contains("SELECT 1 as nosuchuser failed"), "{err}");
    let pid: i32 = std::fs::read_to_string(db.path("my.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // A frozen server still has a live pid, but does not answer: monitor
    // must notice.
    let pid_s = pid.to_string();
    assert!(Command::new("kill")
        .args(["-STOP", &pid_s])
        .status()
        .unwrap()
        .success());
    let short = [("OCF_RESKEY_CRM_meta_timeout", "2000".to_string())];
    let (rc, err, _) = run_agent(&my, "monitor", &params, &short, None);
    assert_eq!(rc, 1, "{err}");
    assert!(err.contains("does not answer"), "{err}");
    // A stopped process ignores SIGTERM until continued: stop must
    // escalate to SIGKILL inside its 3 s timeout.
    let t = [("OCF_RESKEY_CRM_meta_timeout", "3000".to_string())];
    let t0 = Instant::now();
    let (rc, err, _) = run_agent(&my, "stop", &params, &t, None);
    let took = t0.elapsed();
    assert_eq!(rc, 0, "{err}");
    assert!(err.contains("sending SIGKILL"), "{err}");
    assert!(took < Duration::from_secs(3), "stop took {took:?}");
    let (rc, _, _) = run_agent(&my, "monitor", &params, &[], None);
    assert_eq!(rc, 7);
}

fn lrm_for(inst: &Installed) -> Lrm {
    Lrm::new(LrmConfig {
        env: EnvSettings {
            dirs: AgentDirs {
                ocf_root: inst.root(),
                ..AgentDirs::default()
            },
            attr_dir: Some(inst.scratch("attrd")),
            ..EnvSettings::default()
        },
        ..LrmConfig::default()
    })
    .0
}

#[tokio::test]
async fn stateful_promotion_scores_through_the_lrm() {
    let inst = Installed::new();
    let lrm = lrm_for(&inst);
    let attrs = lrm.attributes().unwrap().unwrap();
    let state = inst.scratch("st").join("s.state").display().to_string();
    let agent: lrm::AgentSpec = "ocf:tandem:Stateful".parse().unwrap();
    let op = |a: Action, interval_ms: u64| {
        OpRequest::new("ms1", agent.clone(), a)
            .param("state", state.clone())
            .interval(Duration::from_millis(interval_ms))
    };
    let score = || attrs.get("master-ms1").unwrap();
    assert!(lrm
        .exec(op(Action::Monitor, 0))
        .await
        .result
        .is(OcfRc::NotRunning));
    assert!(lrm
        .exec(op(Action::Start, 0))
        .await
        .result
        .is(OcfRc::Success));
    assert_eq!(score().as_deref(), Some("5"));
    assert!(lrm
        .exec(op(Action::Monitor, 11000))
        .await
        .result
        .is(OcfRc::Success));
    assert!(lrm
        .exec(op(Action::Promote, 0))
        .await
        .result
        .is(OcfRc::Success));
    assert_eq!(score().as_deref(), Some("10"));
    assert!(lrm
        .exec(op(Action::Monitor, 10000))
        .await
        .result
        .is(OcfRc::RunningPromoted));
    assert!(lrm
        .exec(op(Action::Promote, 0))
        .await
        .result
        .is(OcfRc::Success));
    // A probe after the score was lost (node restart) publishes it again.
    attrs.delete("master-ms1").unwrap();
    let probe = lrm.exec(op(Action::Monitor, 0)).await;
    assert!(probe.result.is(OcfRc::RunningPromoted));
    assert_eq!(score().as_deref(), Some("10"));
    let demote = lrm.exec(op(Action::Demote, 0)).await;
    assert!(demote.result.is(OcfRc::Success));
    assert_eq!(score().as_deref(), Some("5"));
    assert!(lrm
        .exec(op(Action::Stop, 0))
        .await
        .result
        .is(OcfRc::Success));
    assert_eq!(score(), None);
    let md = lrm.metadata(&agent).await.unwrap();
    assert!(md.contains("role=\"Promoted\""));
    // The LRM lists our provider's agents.
    let listed = lrm.config().env.dirs.list("ocf", Some("tandem")).unwrap();
    assert_eq!(
        listed,
        vec!["Dummy", "Filesystem", "IPaddr2", "Stateful", "mysql"]
    );
}

/// Every agent's meta-data validates against resource-agents' DTD and
/// RelaxNG schema, and documents every parameter.
#[test]
fn metadata_is_valid_and_complete() {
    crate::support::require("xmllint", "libxml2-utils");
    let schemas = std::path::Path::new("/usr/share/resource-agents");
    assert!(
        schemas.join("metadata.rng").exists(),
        "/usr/share/resource-agents/metadata.rng is missing: install the Debian package 'resource-agents'"
    );
    let inst = Installed::new();
    for name in agents::AGENTS {
        let (rc, _, _) = run_agent(&inst.agent(name), "meta-data", &[], &[], None);
        assert_eq!(rc, 0);
        let out = Command::new(inst.agent(name))
            .arg("meta-data")
            .env_clear()
            .output()
            .unwrap();
        let xml = String::from_utf8(out.stdout).unwrap();
        for args in [
            vec!["--noout", "--valid", "-"],
            vec!["--noout", "--relaxng", "metadata.rng", "-"],
        ] {
            let mut child = Command::new("xmllint")
                .args(&args)
                .current_dir(schemas)
                .stdin(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(xml.as_bytes())
                .unwrap();
            let res = child.wait_with_output().unwrap();
            assert!(
                res.status.success(),
                "{name} {args:?}: {}",
                String::from_utf8_lossy(&res.stderr)
            );
        }
        let md = agents::agent(name).unwrap().metadata();
        for p in &md.params {
            assert!(
                !p.short.is_empty() && p.long.len() > 20,
                "{name}: parameter {} is undocumented",
                p.name
            );
        }
        assert!(xml.contains(&format!("<resource-agent name=\"{name}\"")));
    }
}

#[test]
fn ipaddr2_parameters_idempotence_and_real_monitor() {
    let inst = Installed::new();
    let ns = crate::support::Netns::new("tag");
    ns.exec("link add ip0 type veth peer name ip1");
    ns.exec("link add ip2 type veth peer name ip3");
    ns.exec("addr add 10.214.1.1/24 dev ip0");
    for d in ["ip0", "ip1", "ip2", "ip3"] {
        ns.exec(&format!("link set {d} up"));
    }
    let agent = inst.agent("IPaddr2");
    let params = vec![
        p("ip", "10.214.1.60"),
        p("cidr_netmask", "255.255.255.0"),
        p("nic", "ip0"),
        p("broadcast", "10.214.1.254"),
        p("iflabel", "vip"),
        p("arp_count", "1"),
    ];
    let run = |action: &str, params: &[(&'static str, String)]| {
        let (rc, err, _) = run_agent(&agent, action, params, &[], Some(&ns.name));
        (rc, err)
    };
    assert_eq!(run("start", &params).0, 0);
    let shown = ns.exec("-o -4 addr show dev ip0");
    assert!(shown.contains("10.214.1.60/24 brd 10.214.1.254"), "{shown}");
    assert!(shown.contains("ip0:vip"), "{shown}");
    assert_eq!(run("start", &params).0, 0, "second start must succeed");
    assert_eq!(run("monitor", &params).0, 0);
    // monitor looks at the system, not at a state file.
    ns.exec("addr del 10.214.1.60/24 dev ip0");
    assert_eq!(run("monitor", &params).0, 7);
    // The address on another interface than configured is a failure.
    ns.exec("addr add 10.214.1.60/24 dev ip2");
    let (rc, err) = run("monitor", &params);
    assert_eq!(rc, 1, "{err}");
    assert!(err.contains("configured on ip2 instead of ip0"), "{err}");
    assert_eq!(run("stop", &params).0, 0);
    assert_eq!(run("stop", &params).0, 0, "second stop must succeed");
    assert_eq!(run("monitor", &params).0, 7);
    // Auto-detection cannot work for an address in no local network.
    let (rc, err) = run("start", &[p("ip", "192.0.2.99")]);
    assert_eq!(rc, 6, "{err}");
    assert!(err.contains("Unable to find nic"), "{err}");
}

//! Tiny fixture agents exercising the executor (STYLE.md §7).

use std::time::{Duration, Instant};

use lrm::{Action, ExecStatus, LrmEvent, OcfRc, OpRequest};

use crate::support::Tree;

fn agent(name: &str) -> lrm::AgentSpec {
    format!("ocf:test:{name}").parse().unwrap()
}

fn pid_state(pid: i32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.rfind(')')?;
    stat[close + 1..]
        .split_whitespace()
        .next()
        .map(str::to_string)
}

/// A hanging agent that forks a grandchild ignoring SIGTERM is killed with
/// its whole process group within timeout + 200 ms, and recorded as timed out.
#[tokio::test]
async fn hanging_agent_and_grandchild_are_killed_within_timeout() {
    let t = Tree::new();
    let pidfile = t.path().join("grandchild.pid");
    t.ocf(
        "Hang",
        r#"#!/bin/sh
# child subshell forks a grandchild that ignores SIGTERM, then everyone hangs
echo $$ > "$OCF_RESKEY_pidfile.agent"
( sh -c 'trap "" TERM; echo $$ > "$OCF_RESKEY_pidfile"; while :; do sleep 1; done' & wait ) &
sleep 1000
"#,
    );
    let (lrm, _ev) = t.lrm(4);
    let timeout = Duration::from_millis(600);
    let req = OpRequest::new("hang1", agent("Hang"), Action::Start)
        .param("pidfile", pidfile.display().to_string())
        .timeout(timeout);
    let t0 = Instant::now();
    let rec = lrm.exec(req).await;
    let wall = t0.elapsed();
    eprintln!(
        "hanging agent: exec_time={:?} wall={:?}",
        rec.result.exec_time, wall
    );
    assert_eq!(rec.result.status, ExecStatus::Timeout);
    assert_eq!(rec.result.rc, None, "a timeout is not an agent rc");
    assert!(rec.result.exec_time >= timeout);
    assert!(
        wall <= timeout + Duration::from_millis(200),
        "killed after {wall:?}, limit {:?}",
        timeout + Duration::from_millis(200)
    );
    let gpid: i32 = std::fs::read_to_string(&pidfile)
        .expect("grandchild wrote its pid")
        .trim()
        .parse()
        .unwrap();
    match pid_state(gpid) {
        None => {}
        Some(s) => assert_eq!(s, "Z", "grandchild {gpid} still alive in state {s}"),
    }
    // The agent's pid is its process group id: no live member may remain.
    let agent_pid: i32 = std::fs::read_to_string(format!("{}.agent", pidfile.display()))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        !lrm::runner::group_alive(agent_pid),
        "process group {agent_pid} survived"
    );
    let hist = lrm.history("hang1");
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].result.status, ExecStatus::Timeout);
}

#[tokio::test]
async fn exit_codes_and_reasons_are_kept_apart() {
    let t = Tree::new();
    t.ocf("Seven", "#!/bin/sh\nexit 7\n");
    t.ocf(
        "Reason",
        "#!/bin/sh\necho 'ocf-exit-reason:first' >&2\necho 'ocf-exit-reason:disk on fire' >&2\nexit 1\n",
    );
    t.ocf("Sig", "#!/bin/sh\nkill -KILL $$\n");
    let (lrm, _ev) = t.lrm(4);
    let r = lrm
        .exec(OpRequest::new("a", agent("Seven"), Action::Monitor))
        .await;
    assert!(r.result.is(OcfRc::NotRunning));
    assert_eq!(r.result.summary(), "not running (7)");
    let r = lrm
        .exec(OpRequest::new("b", agent("Reason"), Action::Start))
        .await;
    assert!(r.result.is(OcfRc::ErrGeneric));
    assert_eq!(r.result.reason.as_deref(), Some("disk on fire"));
    let r = lrm
        .exec(OpRequest::new("c", agent("Sig"), Action::Start))
        .await;
    assert_eq!(r.result.status, ExecStatus::Error);
    assert_eq!(r.result.rc, None);
    let r = lrm
        .exec(OpRequest::new("d", agent("Missing"), Action::Start))
        .await;
    assert_eq!(r.result.status, ExecStatus::NotInstalled);
}

#[tokio::test]
async fn environment_follows_the_ocf_api() {
    let t = Tree::new();
    let dump = t.path().join("env.txt");
    t.ocf(
        "Env",
        &format!("#!/bin/sh\nenv > '{}'\nexit 0\n", dump.display()),
    );
    let (lrm, _ev) = t.lrm(4);
    let mut req = OpRequest::new("e1", agent("Env"), Action::Monitor)
        .param("ip", "192.0.2.1")
        .meta("clone-node-max", "1")
        .interval(Duration::from_secs(10))
        .timeout(Duration::from_secs(30));
    req.check_level = Some(20);
    assert!(lrm.exec(req).await.result.is(OcfRc::Success));
    let env = std::fs::read_to_string(&dump).unwrap();
    for line in [
        format!("OCF_ROOT={}", t.path().join("ocf").display()),
        "OCF_RESOURCE_INSTANCE=e1".into(),
        "OCF_RESOURCE_TYPE=Env".into(),
        "OCF_RESOURCE_PROVIDER=test".into(),
        "OCF_RA_VERSION_MAJOR=1".into(),
        "OCF_RA_VERSION_MINOR=1".into(),
        "OCF_RESKEY_ip=192.0.2.1".into(),
        "OCF_RESKEY_CRM_meta_clone_node_max=1".into(),
        "OCF_RESKEY_CRM_meta_interval=10000".into(),
        "OCF_RESKEY_CRM_meta_timeout=30000".into(),
        "OCF_RESKEY_CRM_meta_name=monitor".into(),
        "OCF_CHECK_LEVEL=20".into(),
        "OCF_EXIT_REASON_PREFIX=ocf-exit-reason:".into(),
    ] {
        assert!(env.lines().any(|l| l == line), "missing {line} in\n{env}");
    }
    assert!(!env.contains("CARGO"), "the LRM's own environment leaked");
}

#[tokio::test]
async fn output_is_bounded_and_keeps_the_tail() {
    let t = Tree::new();
    t.ocf(
        "Chatty",
        "#!/bin/sh\nhead -c 300000 /dev/zero | tr '\\0' x\nhead -c 300000 /dev/zero | tr '\\0' y >&2\necho >&2\necho 'ocf-exit-reason:at the end' >&2\nexit 6\n",
    );
    let (lrm, _ev) = t.lrm(4);
    let r = lrm
        .exec(OpRequest::new("c", agent("Chatty"), Action::Start))
        .await;
    assert!(r.result.is(OcfRc::ErrConfigured));
    assert_eq!(r.result.stdout.bytes.len(), 64 * 1024);
    assert_eq!(r.result.stdout.dropped, 300000 - 64 * 1024);
    assert_eq!(r.result.reason.as_deref(), Some("at the end"));
}

/// A recurring monitor reports its first result, then only changes; cancel
/// reports "Cancelled", which is not a failure.
#[tokio::test]
async fn recurring_monitor_reports_only_changes() {
    let t = Tree::new();
    let rcfile = t.path().join("rc");
    let runs = t.path().join("runs");
    std::fs::write(&rcfile, "0").unwrap();
    t.ocf(
        "Flip",
        &format!(
            "#!/bin/sh\necho run >> '{}'\nexit $(cat '{}')\n",
            runs.display(),
            rcfile.display()
        ),
    );
    let (lrm, mut ev) = t.lrm(4);
    let interval = Duration::from_millis(100);
    let req = OpRequest::new("f1", agent("Flip"), Action::Monitor).interval(interval);
    lrm.start_recurring(req.clone()).unwrap();
    assert!(
        lrm.start_recurring(req).is_err(),
        "duplicate recurring op accepted"
    );
    async fn next(ev: &mut tokio::sync::mpsc::UnboundedReceiver<LrmEvent>) -> lrm::OpRecord {
        match tokio::time::timeout(Duration::from_secs(5), ev.recv()).await {
            Ok(Some(LrmEvent::OpResult(r))) => r,
            other => panic!("no event: {other:?}"),
        }
    }
    let first = next(&mut ev).await;
    assert!(first.result.is(OcfRc::Success));
    // Several unchanged runs must not produce events.
    tokio::time::sleep(Duration::from_millis(550)).await;
    assert!(ev.try_recv().is_err(), "unchanged result was reported");
    let n_runs = std::fs::read_to_string(&runs).unwrap().lines().count();
    assert!(
        n_runs >= 4,
        "only {n_runs} runs in 550 ms at 100 ms interval"
    );
    std::fs::write(&rcfile, "7").unwrap();
    let changed = next(&mut ev).await;
    assert!(changed.result.is(OcfRc::NotRunning));
    assert!(changed.last_rc_change > first.last_rc_change);
    let cancelled = lrm.cancel("f1", Action::Monitor, interval).await.unwrap();
    assert_eq!(cancelled.result.status, ExecStatus::Cancelled);
    let ev_cancel = next(&mut ev).await;
    assert_eq!(ev_cancel.result.status, ExecStatus::Cancelled);
    let after = std::fs::read_to_string(&runs).unwrap().lines().count();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        std::fs::read_to_string(&runs).unwrap().lines().count(),
        after
    );
    assert!(lrm.active_recurring().is_empty());
}

/// Operations on one resource are serialised; the node limit queues others.
#[tokio::test]
async fn per_resource_serialisation_and_node_limit() {
    let t = Tree::new();
    t.ocf("Slow", "#!/bin/sh\nsleep 0.3\nexit 0\n");
    let (lrm, _ev) = t.lrm(1);
    let a = OpRequest::new("r1", agent("Slow"), Action::Start);
    let b = OpRequest::new("r2", agent("Slow"), Action::Start);
    let t0 = Instant::now();
    let (ra, rb) = tokio::join!(lrm.exec(a), lrm.exec(b));
    assert!(ra.result.is(OcfRc::Success) && rb.result.is(OcfRc::Success));
    assert!(
        t0.elapsed() >= Duration::from_millis(600),
        "limit 1 ran two ops at once"
    );
    let max_q = ra.queue_time.max(rb.queue_time);
    assert!(max_q >= Duration::from_millis(250), "queue time {max_q:?}");

    let (lrm, _ev) = t.lrm(8);
    let a = OpRequest::new("same", agent("Slow"), Action::Start);
    let b = OpRequest::new("same", agent("Slow"), Action::Monitor);
    let c = OpRequest::new("other", agent("Slow"), Action::Start);
    let t0 = Instant::now();
    let (ra, rb, rc) = tokio::join!(lrm.exec(a), lrm.exec(b), lrm.exec(c));
    assert!(
        t0.elapsed() >= Duration::from_millis(600),
        "same resource ran in parallel"
    );
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "different resources were serialised"
    );
    assert!(ra.call_id != rb.call_id && rb.call_id != rc.call_id);
    assert_eq!(lrm.history("same").len(), 2);
}

#[tokio::test]
async fn lsb_and_heartbeat_classes() {
    let t = Tree::new();
    let pidf = t.path().join("svc.pid");
    crate::support::script(
        &t.path().join("init.d/tsvc"),
        &format!(
            r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          tsvc
# Required-Start:    $network
# Required-Stop:     $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: test service
# Description:       A test LSB service for the LRM tests.
### END INIT INFO
P='{p}'
running() {{ [ -f "$P" ] && kill -0 "$(cat "$P")" 2>/dev/null; }}
case "$1" in
  start) running && exit 0; setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > "$P"; exit 0;;
  stop) running && kill "$(cat "$P")"; rm -f "$P"; exit 0;;
  status) running && exit 0; [ -f "$P" ] && exit 1; exit 3;;
  *) exit 3;;
esac
"#,
            p = pidf.display()
        ),
    );
    let (lrm, _ev) = t.lrm(4);
    let lsb: lrm::AgentSpec = "lsb:tsvc".parse().unwrap();
    let run = |a: Action| lrm.exec(OpRequest::new("svc", lsb.clone(), a));
    assert!(run(Action::Monitor).await.result.is(OcfRc::NotRunning));
    assert!(run(Action::Start).await.result.is(OcfRc::Success));
    assert!(run(Action::Monitor).await.result.is(OcfRc::Success));
    assert!(run(Action::Start).await.result.is(OcfRc::Success));
    assert!(run(Action::Stop).await.result.is(OcfRc::Success));
    assert!(run(Action::Monitor).await.result.is(OcfRc::NotRunning));
    assert!(run(Action::Stop).await.result.is(OcfRc::Success));
    let md = lrm.metadata(&lsb).await.unwrap();
    assert!(
        md.contains("<shortdesc lang=\"en\">test service</shortdesc>"),
        "{md}"
    );
    assert!(md.contains("<Provides>tsvc</Provides>"));
    assert_eq!(
        run(Action::Promote).await.result.status,
        ExecStatus::NotSupported
    );

    let flag = t.path().join("hb.flag");
    crate::support::script(
        &t.path().join("ha.d/hbres"),
        &format!(
            "#!/bin/sh\nF='{}'\necho \"$1 $2\" > \"$F.args\"\ncase \"$3\" in start) touch \"$F\";; stop) rm -f \"$F\";; status) [ -f \"$F\" ] && echo running || echo stopped; exit 0;; esac\n",
            flag.display()
        ),
    );
    let hb: lrm::AgentSpec = "heartbeat:hbres".parse().unwrap();
    let run = |a: Action| {
        lrm.exec(
            OpRequest::new("hb", hb.clone(), a)
                .param("1", "10.0.0.1/24")
                .param("2", "eth0"),
        )
    };
    assert!(run(Action::Monitor).await.result.is(OcfRc::NotRunning));
    assert!(run(Action::Start).await.result.is(OcfRc::Success));
    assert!(run(Action::Monitor).await.result.is(OcfRc::Success));
    assert_eq!(
        std::fs::read_to_string(t.path().join("hb.flag.args"))
            .unwrap()
            .trim(),
        "10.0.0.1/24 eth0"
    );
    assert!(run(Action::Stop).await.result.is(OcfRc::Success));
    assert!(run(Action::Monitor).await.result.is(OcfRc::NotRunning));
}

#[tokio::test]
async fn stonith_agent_reads_stdin() {
    let t = Tree::new();
    let got = t.path().join("stdin.txt");
    crate::support::script(
        &t.path().join("sbin/fence_test"),
        &format!("#!/bin/sh\ncat > '{}'\nexit 0\n", got.display()),
    );
    let (lrm, _ev) = t.lrm(4);
    let st: lrm::AgentSpec = "stonith:fence_test".parse().unwrap();
    let r = lrm
        .exec(OpRequest::new("st", st.clone(), Action::Start).param("ip", "127.0.0.1"))
        .await;
    assert!(r.result.is(OcfRc::Success), "{}", r.result.summary());
    assert_eq!(
        std::fs::read_to_string(&got).unwrap(),
        "action=monitor\nip=127.0.0.1\n"
    );
    assert_eq!(
        t.dirs().list("stonith", None).unwrap(),
        vec!["fence_test".to_string()]
    );
}

#[tokio::test]
async fn meta_data_is_cached() {
    let t = Tree::new();
    let count = t.path().join("count");
    t.ocf(
        "Md",
        &format!(
            "#!/bin/sh\necho x >> '{}'\n[ \"$1\" = meta-data ] && echo '<resource-agent name=\"Md\"/>' && exit 0\nexit 3\n",
            count.display()
        ),
    );
    let (lrm, _ev) = t.lrm(2);
    let a = agent("Md");
    let first = lrm.metadata(&a).await.unwrap();
    let second = lrm.metadata(&a).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(std::fs::read_to_string(&count).unwrap().lines().count(), 1);
    let missing = lrm.metadata(&agent("Nope")).await;
    assert!(missing.is_err());
}

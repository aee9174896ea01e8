//! The `tandem-lrm` command line.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{lrm_bin, Tree};

fn run(t: &Tree, args: &[&str]) -> (i32, String, Duration) {
    let t0 = Instant::now();
    let out = Command::new(lrm_bin())
        .arg("--ocf-root")
        .arg(t.path().join("ocf"))
        .args(args)
        .output()
        .unwrap();
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), s, t0.elapsed())
}

#[test]
fn exec_exits_with_the_agent_rc_or_198() {
    let t = Tree::new();
    t.ocf(
        "Seven",
        "#!/bin/sh\necho 'ocf-exit-reason:nothing here' >&2\nexit 7\n",
    );
    t.ocf("Hang", "#!/bin/sh\nsleep 100\n");
    t.ocf("Params", "#!/bin/sh\n[ \"$OCF_RESKEY_a\" = 'x y' ] && [ \"$OCF_RESKEY_CRM_meta_timeout\" = 5000 ] && exit 0\nexit 1\n");
    let (code, out, _) = run(&t, &["exec", "ocf:test:Seven", "monitor"]);
    assert_eq!(code, 7, "{out}");
    assert!(out.contains("returned: 'not running' (7)"), "{out}");
    assert!(out.contains("reason: nothing here"), "{out}");
    let (code, out, took) = run(
        &t,
        &["exec", "ocf:test:Hang", "start", "--timeout", "300ms"],
    );
    assert_eq!(code, 198, "{out}");
    assert!(out.contains("timed out"), "{out}");
    assert!(took < Duration::from_secs(3));
    let (code, out, _) = run(
        &t,
        &[
            "exec",
            "ocf:test:Params",
            "start",
            "a=x y",
            "--timeout",
            "5s",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(&t, &["exec", "ocf:test:Nope", "start"]);
    assert_eq!(code, 5, "{out}");
    let (code, out, _) = run(&t, &["exec", "bogus:thing", "start"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown class"), "{out}");
}

#[test]
fn list_and_meta_data() {
    let t = Tree::new();
    t.ocf("Md", "#!/bin/sh\n[ \"$1\" = meta-data ] && echo '<resource-agent name=\"Md\"/>' && exit 0\nexit 3\n");
    let (code, out, _) = run(&t, &["list"]);
    assert_eq!(code, 0);
    assert_eq!(out, "heartbeat\nlsb\nocf\nstonith\n");
    let (_, out, _) = run(&t, &["list", "ocf:test"]);
    assert_eq!(out, "Md\n");
    let (code, out, _) = run(&t, &["meta-data", "ocf:test:Md"]);
    assert_eq!(code, 0);
    assert_eq!(out, "<resource-agent name=\"Md\"/>\n");
}

#[test]
fn recurring_monitor_from_the_cli_prints_changes() {
    let t = Tree::new();
    let flag = t.path().join("flag");
    t.ocf(
        "Flag",
        &format!(
            "#!/bin/sh\n[ -f '{0}' ] && exit 0\ntouch '{0}'\nexit 7\n",
            flag.display()
        ),
    );
    let (code, out, _) = run(
        &t,
        &[
            "exec",
            "ocf:test:Flag",
            "monitor",
            "--interval",
            "100ms",
            "--changes",
            "2",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("Operation")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains("'not running' (7)") && lines[1].contains("'ok' (0)"),
        "{out}"
    );
}

/// Debian's Stateful publishes its promotion score through the shim the
/// command installs for the duration of the call.
#[test]
fn cli_runs_promotable_agent_with_attribute_shim() {
    let stateful = std::path::Path::new("/usr/lib/ocf/resource.d/pacemaker/Stateful");
    assert!(
        stateful.exists(),
        "{} is missing: install the Debian package 'pacemaker-resource-agents'",
        stateful.display()
    );
    let d = tempfile::tempdir().unwrap();
    let attrs = d.path().join("attrd");
    let state = format!("state={}", d.path().join("s.state").display());
    let exec = |action: &str| {
        let out = Command::new(lrm_bin())
            .args([
                "exec",
                "ocf:pacemaker:Stateful",
                action,
                &state,
                "--rsc",
                "cli1",
                "--attr-dir",
            ])
            .arg(&attrs)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(exec("start").0, 0);
    assert_eq!(
        std::fs::read_to_string(attrs.join("master-cli1")).unwrap(),
        "5"
    );
    assert_eq!(exec("promote").0, 0);
    assert_eq!(
        std::fs::read_to_string(attrs.join("master-cli1")).unwrap(),
        "10"
    );
    let (code, out) = exec("monitor");
    assert_eq!(code, 8, "{out}");
    assert!(out.contains("'promoted' (8)"), "{out}");
    assert_eq!(exec("demote").0, 0);
    assert_eq!(exec("stop").0, 0);
    assert!(!attrs.join("master-cli1").exists());
}

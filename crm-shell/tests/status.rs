//! `crm status` on the six cluster states of `../shared/reference/crm-status`
//! (read at run time) prints what crmsh's `crm status` (`crm_mon -1 -r`)
//! printed, line for line; only the "Last updated" line (the time of the
//! run) is left out of the comparison.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn crm_status_matches_crm_mon() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/crm-status");
    assert!(
        dir.join("README.md").is_file(),
        "the crm-status reference is missing: expected {} (the workspace's sibling `shared` directory)",
        dir.display()
    );
    let states = [
        "s1-configured-nodes-offline",
        "s2-nodes-online",
        "s3-promoted-and-running",
        "s4-node2-standby",
        "s5-mysql-monitor-failure",
        "s6-node1-down",
    ];
    for s in states {
        let out = Command::new(env!("CARGO_BIN_EXE_crm"))
            .arg("status")
            .env("CIB_file", dir.join(format!("{s}.cib.xml")))
            .output()
            .expect("run crm");
        assert!(
            out.status.success(),
            "{s}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let keep = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| !l.contains("Last updated:"))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect()
        };
        let got = keep(&String::from_utf8_lossy(&out.stdout));
        let want = keep(&std::fs::read_to_string(dir.join(format!("{s}.crm-status.txt"))).unwrap());
        assert_eq!(got, want, "crm status differs for {s}");
    }
}

/// A CIB queried from a real three-node cluster (`../shared/reference-output`):
/// `crm configure show`, `show xml` and `crm status` print what crmsh and
/// crm_mon printed there (the live-only pacemakerd line aside).
#[test]
fn live_cluster_cib_show_and_status() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference-output");
    assert!(
        dir.join("cibadmin-query.xml").is_file(),
        "missing {}",
        dir.display()
    );
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_crm"))
            .args(args)
            .env("CIB_file", dir.join("cibadmin-query.xml"))
            .output()
            .expect("run crm");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert_eq!(run(&["configure", "show"]), read("crm-configure-show.txt"));
    assert_eq!(
        run(&["configure", "show", "xml"]),
        read("crm-configure-show-xml.txt")
    );
    let keep = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.contains("Last updated:") && !l.starts_with("Status of pacemakerd"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(keep(&run(&["status"])), keep(&read("crm-status.txt")));
}

/// `crm node standby node2` on state s3, then `crm simulate`: the policy
/// engine's Transition Summary is the one crm_simulate printed for s4.
#[test]
fn standby_then_simulate_matches_crm_simulate() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/crm-status");
    let t = tempfile::tempdir().unwrap();
    let cib = t.path().join("cib.xml");
    std::fs::copy(dir.join("s3-promoted-and-running.cib.xml"), &cib).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_crm"))
            .args(args)
            .env("CIB_file", &cib)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["node", "standby", "node2"]);
    let got = run(&["simulate"]);
    let sim = std::fs::read_to_string(dir.join("s4-node2-standby.simulate.txt")).unwrap();
    let want: Vec<&str> = sim
        .lines()
        .skip_while(|l| !l.starts_with("Transition Summary:"))
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(want.len() > 1, "no summary in the reference");
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
}

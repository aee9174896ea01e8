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

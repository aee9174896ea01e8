//! Conformance gate: runs `tandem-simulate` over the visible Pacemaker
//! scheduler corpus (`../shared/conformance/scheduler`, read at run time)
//! through the corpus's own runner (once, with `--graph`), prints the pass
//! counts, and fails if they drop below the ratchet floors below (which may
//! only go up). The two summary counts use the Transition Summary criterion
//! alone (the runner's `ts_ok`, as a run without `--graph` would judge); the
//! graph count needs both the summary and the transition graph to match.
//! Each of issue 4's feature families must pass 85% of its non-empty cases,
//! and the four large synthetic CIBs (`large/`, `-R`) must all pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Cases with a non-empty expected Transition Summary that must pass.
const FLOOR_NON_EMPTY: usize = 533;
/// Cases with an empty expected Transition Summary that must pass.
const FLOOR_EMPTY: usize = 102;
/// Cases whose Transition Summary and transition graph (`-G`) both match.
const FLOOR_GRAPH: usize = 602;

/// Issue 4's families: each must pass at least 85% of its non-empty cases.
const REQUIRED_FAMILIES: [&str; 19] = [
    "primitive_only",
    "group",
    "clone",
    "promotable",
    "location",
    "colocation",
    "order",
    "stickiness",
    "failures",
    "on_fail",
    "standby",
    "node_offline",
    "no_quorum",
    "stonith",
    "fencing",
    "target_role",
    "notify",
    "resource_sets",
    "rules",
];
/// Share of a required family's non-empty cases that must pass, in percent.
const FAMILY_FLOOR_PERCENT: usize = 85;
/// Large synthetic CIBs (`large/`, run as `-R`) that must pass.
const FLOOR_LARGE: usize = 4;

/// Runs the corpus runner on `dir` with `args`, writing its results to a
/// fresh `json` file in the test's temp dir (a result left by an earlier run
/// must not stand in for this one). Exit 0: all passed, 1: some failed; 2 is
/// the runner's own error.
fn run_corpus(dir: &Path, args: &[&str], json: &str) -> (std::process::Output, PathBuf) {
    let out_json = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(json);
    let _ = std::fs::remove_file(&out_json);
    let run = Command::new("python3")
        .arg(corpus().join("run.py"))
        .arg(dir)
        .args(["--sim", env!("CARGO_BIN_EXE_tandem-simulate")])
        .args(args)
        .arg("--json")
        .arg(&out_json)
        .env("LC_ALL", "C")
        .output()
        .expect("python3 must be installed to run the conformance runner");
    assert!(
        matches!(run.status.code(), Some(0 | 1)) && out_json.is_file(),
        "the conformance runner failed ({}): {}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    (run, out_json)
}

/// Prints from the runner's result file with a python `script` (this crate
/// has no JSON parser) that gets the file as `sys.argv[1]`.
fn read_results(script: &str, out_json: &Path) -> String {
    let listing = Command::new("python3")
        .args(["-c", script])
        .arg(out_json)
        .output()
        .expect("python3");
    assert!(
        listing.status.success(),
        "reading the runner's results failed: {}",
        String::from_utf8_lossy(&listing.stderr)
    );
    String::from_utf8_lossy(&listing.stdout).into_owned()
}

fn corpus() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/scheduler");
    assert!(
        p.join("run.py").is_file(),
        "scheduler conformance corpus not found at {} (expected the workspace's sibling ../shared)",
        p.display()
    );
    p
}

#[test]
fn transition_summary_conformance() {
    let dir = corpus();
    let (_, out_json) = run_corpus(&dir, &["--jobs", "2", "--graph"], "policy-conformance.json");
    // name -> (summary ok, both ok). Summary ok: `ts_ok` and no failure
    // other than the graph's (a crash or timeout fails both).
    let listing = read_results(
        "import json,sys\n\
         g=('graph','no expected graph','no graph written')\n\
         for c in json.load(open(sys.argv[1])):\n\
         \x20ts=bool(c.get('ts_ok')) and all(w.startswith(g) for w in c['why'] if w!='Transition Summary differs')\n\
         \x20print(c['name'], int(ts), int(bool(c['ok'])))",
        &out_json,
    );
    let results: BTreeMap<String, (bool, bool)> = listing
        .lines()
        .filter_map(|l| {
            let mut it = l.rsplitn(3, ' ');
            let both = it.next()? == "1";
            let ts = it.next()? == "1";
            Some((it.next()?.to_string(), (ts, both)))
        })
        .collect();
    let graph_ok = results.values().filter(|(_, both)| *both).count();
    // index.csv: name,split,features,args,nodes,primitives,ts_lines,...
    let index = std::fs::read_to_string(dir.join("index.csv")).expect("index.csv");
    let mut non_empty = (0usize, 0usize);
    let mut empty = (0usize, 0usize);
    let mut families: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.splitn(9, ',').collect();
        if cols.len() < 8 {
            continue;
        }
        let name = cols[0];
        let ts_lines: usize = cols[6].parse().unwrap_or(0);
        let ok = results.get(name).is_some_and(|r| r.0);
        if ts_lines == 0 {
            empty.1 += 1;
            empty.0 += ok as usize;
        } else {
            non_empty.1 += 1;
            non_empty.0 += ok as usize;
            for f in cols[2].split(';') {
                let e = families.entry(f.to_string()).or_default();
                e.1 += 1;
                e.0 += ok as usize;
            }
        }
    }
    println!("Transition Summary criterion (visible corpus):");
    println!(
        "  non-empty-summary cases passed: {} / {}",
        non_empty.0, non_empty.1
    );
    println!(
        "  empty-summary cases passed:     {} / {}",
        empty.0, empty.1
    );
    println!(
        "  summary + graph cases passed:   {} / {}",
        graph_ok,
        results.len()
    );
    println!("  per family (non-empty cases):");
    for (f, (p, n)) in &families {
        println!(
            "    {f:<20} {p:>4} / {n:<4} {:>5.1}%",
            100.0 * *p as f64 / (*n).max(1) as f64
        );
    }
    assert!(
        non_empty.0 >= FLOOR_NON_EMPTY,
        "non-empty-summary passes fell to {} (floor {})",
        non_empty.0,
        FLOOR_NON_EMPTY
    );
    assert!(
        empty.0 >= FLOOR_EMPTY,
        "empty-summary passes fell to {} (floor {})",
        empty.0,
        FLOOR_EMPTY
    );
    assert!(
        graph_ok >= FLOOR_GRAPH,
        "summary+graph passes fell to {} (floor {})",
        graph_ok,
        FLOOR_GRAPH
    );
    let short: Vec<String> = REQUIRED_FAMILIES
        .iter()
        .filter_map(|f| {
            let (p, n) = families.get(*f).copied().unwrap_or((0, 0));
            (p * 100 < n * FAMILY_FLOOR_PERCENT).then(|| format!("{f} {p}/{n}"))
        })
        .collect();
    assert!(
        short.is_empty(),
        "families below {FAMILY_FLOOR_PERCENT}%: {}",
        short.join(", ")
    );
}

#[test]
fn large_cib_conformance() {
    let (run, out_json) = run_corpus(&corpus().join("large"), &[], "policy-large.json");
    let listing = read_results(
        "import json,sys\n\
         for c in json.load(open(sys.argv[1])): print(c['name'], int(bool(c['ok'])))",
        &out_json,
    );
    let passed: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.strip_suffix(" 1"))
        .collect();
    println!("large CIBs passed: {} ({})", passed.len(), passed.join(" "));
    assert!(
        passed.len() >= FLOOR_LARGE,
        "large CIB passes fell to {} (floor {FLOOR_LARGE}): {}",
        passed.len(),
        String::from_utf8_lossy(&run.stdout)
    );
}

//! The crm-syntax corpus (`../shared/reference/crm-syntax`, read at run
//! time, never copied): every case is fed to the built `crm` by the
//! corpus's own runner, `run.py --crm`, exactly as the real crmsh was fed;
//! the resulting `<configuration>` and `configure show` are compared with
//! the recorded ones. The floors below are a ratchet: they are what the code
//! achieved when it was committed, and may only go up.

use std::path::PathBuf;
use std::process::Command;

/// Cases whose `<configuration>` must match (of the visible, non-skipped ones).
const XML_FLOOR: usize = 58;
/// Cases whose `configure show` must match.
const SHOW_FLOOR: usize = 58;

fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/crm-syntax");
    assert!(
        dir.join("run.py").is_file(),
        "the crm-syntax corpus is missing: expected {} (the workspace's sibling `shared` directory)",
        dir.display()
    );
    dir
}

fn tmp_cib(corpus: &std::path::Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let cib = dir.path().join("cib.xml");
    std::fs::copy(corpus.join("empty-cib.xml"), &cib).expect("copy empty CIB");
    (dir, cib)
}

fn crm(cib: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(args)
        .env("CIB_file", cib)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run crm");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for crm");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn corpus_xml_and_show() {
    let dir = corpus();
    let out = Command::new("python3")
        .arg(dir.join("run.py"))
        .arg("--crm")
        .arg(env!("CARGO_BIN_EXE_crm"))
        .arg("--show")
        .arg("-v")
        .arg(&dir)
        .output()
        .expect("python3 must be installed to run the corpus runner");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut total = 0;
    let (mut xml_ok, mut show_ok) = (0, 0);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("ok   ") {
            let _ = rest;
            total += 1;
            xml_ok += 1;
            show_ok += 1;
        } else if let Some(rest) = line.strip_prefix("FAIL ") {
            total += 1;
            let why = rest.split_once(": ").map(|x| x.1).unwrap_or("");
            let broken =
                why.contains("timeout") || why.contains("cannot run") || why.contains("unreadable");
            if !why.contains("xml differs") && !broken {
                xml_ok += 1;
            }
            if !why.contains("show differs") && !broken {
                show_ok += 1;
            }
        }
    }
    println!("{text}");
    println!("crm-syntax corpus: XML identical in {xml_ok}/{total} cases, show identical in {show_ok}/{total}");
    assert!(
        total > 0,
        "the runner ran no case:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        xml_ok >= XML_FLOOR,
        "XML matches fell to {xml_ok} (floor {XML_FLOOR})"
    );
    assert!(
        show_ok >= SHOW_FLOOR,
        "show matches fell to {show_ok} (floor {SHOW_FLOOR})"
    );
}

/// Seed 003 as the blog printed it: every line with a typographic quote or
/// dash is rejected naming line, column and character with a hint, and
/// nothing is committed.
#[test]
fn seed_smart_quotes_rejected_per_line() {
    let dir = corpus();
    let input = std::fs::read_to_string(dir.join("40-seed-smart-quotes.crm")).expect("case 40");
    let (_t, cib) = tmp_cib(&dir);
    let before = std::fs::read_to_string(&cib).unwrap();
    let (rc, _, err) = crm(&cib, &["-F"], &format!("configure\n{input}\ncommit\n"));
    assert_eq!(rc, 1, "{err}");
    for (i, line) in input.lines().enumerate() {
        let Some((col, ch)) = line.chars().enumerate().find(|(_, c)| "“”″’–".contains(*c))
        else {
            continue;
        };
        // stdin line 1 is `configure`
        let want = format!("{}:{}: typographic character '{ch}'", i + 2, col + 1);
        assert!(err.contains(&want), "missing `{want}` in:\n{err}");
    }
    assert!(err.contains("straight double quotes"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&cib).unwrap(),
        before,
        "nothing may be committed"
    );
}

/// The same file through `load update`: rejected as a whole.
#[test]
fn seed_smart_quotes_load_update() {
    let dir = corpus();
    let (_t, cib) = tmp_cib(&dir);
    let before = std::fs::read_to_string(&cib).unwrap();
    let file = dir.join("41-seed-smart-quotes-loadupdate.crm");
    let (rc, _, err) = crm(
        &cib,
        &["-F", "configure", "load", "update", file.to_str().unwrap()],
        "",
    );
    assert_eq!(rc, 1, "{err}");
    assert!(err.contains("2:54: typographic character '”'"), "{err}");
    assert_eq!(std::fs::read_to_string(&cib).unwrap(), before);
}

/// A rejected line stages nothing, the accepted ones stay; commit bumps
/// the epoch once.
#[test]
fn rejected_line_stages_nothing() {
    let dir = corpus();
    let (_t, cib) = tmp_cib(&dir);
    let (rc, _, err) = crm(
        &cib,
        &["-F"],
        "configure\nprimitive d1 Dummy\nprimitive d2 Dummy op monitor interval=10s bad=\"x\nlocation l1 d1 100 node1\ncommit\n",
    );
    assert_eq!(rc, 1);
    assert!(err.contains("3:48: no closing quotation"), "{err}");
    assert!(err.contains("4:"), "{err}");
    let text = std::fs::read_to_string(&cib).unwrap();
    let root = cib::xml::parse(&text).unwrap();
    assert_eq!(root.attr("epoch"), Some("2"));
    assert_eq!(root.attr("num_updates"), Some("0"));
    let res = root
        .child("configuration")
        .unwrap()
        .child("resources")
        .unwrap();
    let ids: Vec<_> = res.elements().filter_map(|e| e.attr("id")).collect();
    assert_eq!(ids, ["d1"]);
}

/// A commit that fails validation changes nothing and names the object.
#[test]
fn failing_commit_changes_nothing() {
    let dir = corpus();
    let (_t, cib) = tmp_cib(&dir);
    let before = std::fs::read_to_string(&cib).unwrap();
    let (rc, _, err) = crm(
        &cib,
        &["-F"],
        "configure\nprimitive d1 Dummy\ncolocation c1 inf: d1 nosuch\ncommit\n",
    );
    assert_eq!(rc, 1);
    assert!(
        err.contains("colocation c1: resource nosuch does not exist"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&cib).unwrap(), before);
}

/// Every valid case (crmsh logged nothing but the no-STONITH complaint,
/// exit 0, not an error case): the CIB `crm` writes passes the cib crate's
/// validation and the real `crm_verify -x` (when installed), ignoring only
/// what an empty test cluster always gets (no STONITH, no quorum, unclean
/// nodes that cannot be fenced).
#[test]
fn valid_cases_pass_validation_and_crm_verify() {
    let dir = corpus();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".crm")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    let have_verify = Command::new("crm_verify").arg("--version").output().is_ok();
    let mut checked = 0;
    for name in names {
        if name.contains("-err-") || name.contains("unchecked") || name.contains("-session") {
            continue;
        }
        let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
        let clean = log.lines().all(|l| {
            !l.starts_with("ERROR")
                || l.contains("unpack_resources")
                || l.contains("crm_verify: Errors")
        }) && log.trim_end().ends_with("exit status: 0");
        if !clean {
            continue;
        }
        let (_t, cib) = tmp_cib(&dir);
        let input = std::fs::read_to_string(dir.join(format!("{name}.crm"))).unwrap();
        let (rc, _, err) = if name.contains("-loadupdate") {
            let f = dir.join(format!("{name}.crm"));
            crm(
                &cib,
                &["-F", "configure", "load", "update", f.to_str().unwrap()],
                "",
            )
        } else {
            crm(&cib, &["-F"], &format!("configure\n{input}\n\ncommit\n"))
        };
        assert_eq!(rc, 0, "{name}: {err}");
        let text = std::fs::read_to_string(&cib).unwrap();
        let model = cib::model::Cib::parse(&text).expect("written CIB parses");
        let errors = cib::validate::errors(&model);
        assert!(errors.is_empty(), "{name}: cib validation: {errors:?}");
        if have_verify {
            let out = Command::new("crm_verify")
                .arg("-V")
                .arg("-x")
                .arg(&cib)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout);
            let bad: Vec<&str> = text
                .lines()
                .filter(|l| {
                    ![
                        "STONITH",
                        "stonith",
                        "shared data",
                        "lack of quorum",
                        "cannot be fenced",
                        "-V may provide",
                        "config not valid",
                        "config may not be valid",
                    ]
                    .iter()
                    .any(|k| l.contains(k))
                })
                .filter(|l| !l.trim().is_empty())
                .collect();
            assert!(bad.is_empty(), "{name}: crm_verify -x: {bad:?}");
        }
        checked += 1;
    }
    println!(
        "validated {checked} valid cases (crm_verify {})",
        if have_verify { "run" } else { "not installed" }
    );
    assert!(checked >= 30, "only {checked} valid cases were checked");
}

/// crmsh 4.4.1's own `test/cibtests`: sessions (configure, commit, then
/// `resource stop/start`) against a shadow CIB; the resulting
/// `<configuration>` must equal crmsh's expected one.
#[test]
fn upstream_cibtests() {
    let dir = corpus().join("upstream-crmsh-4.4.1-tests/cibtests");
    let mut n = 0;
    for case in ["001", "002", "003", "004"] {
        let t = tempfile::tempdir().unwrap();
        let cib = t.path().join("cib.xml");
        std::fs::copy(dir.join("shadow.base"), &cib).unwrap();
        let input = std::fs::read_to_string(dir.join(format!("{case}.input"))).unwrap();
        let (rc, _, err) = crm(&cib, &[], &input);
        assert_eq!(rc, 0, "{case}: {err}");
        let conf = |p: &std::path::Path| {
            let root = cib::xml::parse(&std::fs::read_to_string(p).unwrap()).unwrap();
            root.child("configuration").unwrap().canonical()
        };
        assert_eq!(
            conf(&cib),
            conf(&dir.join(format!("{case}.exp.xml"))),
            "cibtest {case}"
        );
        n += 1;
    }
    assert_eq!(n, 4);
}

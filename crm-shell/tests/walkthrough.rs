//! Runs `docs/crm.md` as a new user would: every ```console block, command
//! by command, in one scratch directory with the built `crm` first on PATH,
//! comparing what each command prints (stdout and stderr merged) with the
//! lines the page shows after it.

use std::path::PathBuf;
use std::process::Command;

struct Step {
    line: usize,
    command: String,
    expected: Vec<String>,
}

fn steps(doc: &str) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut in_block = false;
    for (i, line) in doc.lines().enumerate() {
        if line.starts_with("```") {
            in_block = line == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push(Step {
                line: i + 1,
                command: cmd.to_string(),
                expected: Vec::new(),
            });
        } else if let Some(more) = line.strip_prefix("> ") {
            let s = out.last_mut().expect("a continuation follows a command");
            s.command.push('\n');
            s.command.push_str(more);
        } else if let Some(s) = out.last_mut() {
            s.expected.push(line.to_string());
        }
    }
    out
}

/// Runs every ```console block of `doc` in one scratch directory.
fn run_transcript(name: &str, doc: &str) {
    let steps = steps(doc);
    assert!(!steps.is_empty(), "{name} has no console blocks");
    let dir = tempfile::tempdir().unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_crm"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cib = dir.path().join("cib.xml");
    for s in steps {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>&1\n{}", s.command))
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("CIB_file", &cib)
            .env("HOME", dir.path())
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("run sh");
        let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect();
        let want: Vec<String> = s
            .expected
            .iter()
            .map(|l| l.trim_end().to_string())
            .collect();
        assert_eq!(
            got, want,
            "{name} line {}: `{}` printed something else",
            s.line, s.command
        );
    }
}

#[test]
fn docs_crm_md_walkthrough() {
    let doc_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/crm.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/crm.md");
    assert!(steps(&doc).len() > 10, "the walkthrough has too few steps");
    run_transcript("docs/crm.md", &doc);
}

/// CLI transcripts (`tests/cmd/*.md`): commands, their output and their
/// exit statuses, pinned.
#[test]
fn cli_transcripts() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cmd");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/cmd")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let doc = std::fs::read_to_string(&f).unwrap();
        run_transcript(&f.display().to_string(), &doc);
    }
}

//! `tandem-bench`: compare `tandem-simulate -R` with the real `crm_simulate -R`
//! on the large synthetic CIBs (`../shared/conformance/scheduler/large/`).
//!
//! Usage: `tandem-bench [--corpus DIR] [--crm PATH] [--sim PATH] [--runs N] [NAME...]`
//! (NAME like `large-1000-16`; default: all four). Prints wall time and peak
//! RSS of both schedulers, and the ratios. This is a benchmark binary, not a
//! test: it never fails on timing.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

struct Measure {
    secs: f64,
    max_rss_kb: i64,
    ok: bool,
}

/// Run a command to completion and return wall time and peak RSS (wait4).
fn measure(cmd: &Path, args: &[&str]) -> Result<Measure> {
    let start = Instant::now();
    let child = Command::new(cmd)
        .args(args)
        .env("LC_ALL", "C")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", cmd.display()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r < 0 {
        bail!("wait4 failed for {}", cmd.display());
    }
    let secs = start.elapsed().as_secs_f64();
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Ok(Measure {
        secs,
        max_rss_kb: usage.ru_maxrss,
        ok,
    })
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|c| c.is_file())
    })
}

fn main() -> Result<()> {
    let mut corpus =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/scheduler/large");
    let mut crm = which("crm_simulate").or_else(|| Some(PathBuf::from("/usr/sbin/crm_simulate")));
    let mut sim = std::env::current_exe()?.with_file_name("tandem-simulate");
    let mut runs = 1usize;
    let mut names = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--corpus" => corpus = PathBuf::from(it.next().context("--corpus needs a value")?),
            "--crm" => crm = Some(PathBuf::from(it.next().context("--crm needs a value")?)),
            "--sim" => sim = PathBuf::from(it.next().context("--sim needs a value")?),
            "--runs" => runs = it.next().context("--runs needs a value")?.parse()?,
            "-h" | "--help" => {
                println!(
                    "tandem-bench [--corpus DIR] [--crm PATH] [--sim PATH] [--runs N] [NAME...]"
                );
                return Ok(());
            }
            _ => names.push(a),
        }
    }
    if names.is_empty() {
        names = [
            "large-100-16",
            "large-1000-16",
            "large-1000-32",
            "large-5000-32",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
    }
    let tmp = std::env::temp_dir().join(format!("tandem-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    println!(
        "{:<16} {:>10} {:>10} {:>8} {:>12} {:>12} {:>8}",
        "case", "tandem s", "crm s", "speedup", "tandem RSS", "crm RSS", "RSS 1/x"
    );
    for name in &names {
        let gz = corpus.join("xml").join(format!("{name}.xml.gz"));
        let mut xml = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(&gz).with_context(|| format!("{}", gz.display()))?,
        )
        .read_to_string(&mut xml)?;
        let path = tmp.join(format!("{name}.xml"));
        std::fs::write(&path, xml)?;
        let p = path.to_str().context("non-UTF-8 temp path")?;
        let best = |bin: &Path| -> Result<Measure> {
            let mut best: Option<Measure> = None;
            for _ in 0..runs {
                let m = measure(bin, &["-x", p, "-R"])?;
                if best.as_ref().is_none_or(|b| m.secs < b.secs) {
                    best = Some(m);
                }
            }
            Ok(best.expect("at least one run"))
        };
        let ours = best(&sim)?;
        let theirs = match &crm {
            Some(c) if c.is_file() => Some(best(c)?),
            _ => None,
        };
        match theirs {
            Some(t) => println!(
                "{:<16} {:>10.3} {:>10.3} {:>7.1}x {:>9} MB {:>9} MB {:>7.1}x{}",
                name,
                ours.secs,
                t.secs,
                t.secs / ours.secs.max(1e-9),
                ours.max_rss_kb / 1024,
                t.max_rss_kb / 1024,
                t.max_rss_kb as f64 / ours.max_rss_kb.max(1) as f64,
                if ours.ok && t.ok {
                    ""
                } else {
                    "  (non-zero exit)"
                }
            ),
            None => println!(
                "{:<16} {:>10.3} {:>10} {:>8} {:>9} MB {:>12} {:>8}",
                name,
                ours.secs,
                "-",
                "-",
                ours.max_rss_kb / 1024,
                "-",
                "-"
            ),
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

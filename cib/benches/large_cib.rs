//! Benchmark: parse + validate + serialise the largest scheduler input,
//! against Pacemaker's `crm_verify -x` on the same file in the same run.
//!
//! Run with `cargo bench -p cib --bench large_cib`. Each side runs as its own
//! child process so wall time and peak RSS (from `wait4`) are measured the
//! same way for both. The input is read from `../shared` at run time.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

struct Sample {
    wall: Duration,
    max_rss_kib: i64,
    code: i32,
}

/// Runs a command to completion, measuring wall time and peak RSS.
fn measure(cmd: &mut Command) -> Sample {
    let start = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain old data that wait4 fills in; pid is our own
    // child, and we reap it here instead of through `Child::wait`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4 failed");
    let wall = start.elapsed();
    std::mem::forget(child);
    Sample {
        wall,
        max_rss_kib: usage.ru_maxrss,
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn unzip(src: &Path, dst: &Path) {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(src).expect("open input"))
        .read_to_string(&mut text)
        .expect("gunzip");
    std::fs::write(dst, text).expect("write");
}

fn main() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let input = shared.join("conformance/scheduler/large/xml/large-5000-32.xml.gz");
    if !input.exists() {
        eprintln!(
            "large_cib: {} is missing; the benchmark reads ../shared at run time",
            input.display()
        );
        std::process::exit(1);
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("large-5000-32.xml");
    unzip(&input, &file);
    let size = std::fs::metadata(&file).unwrap().len();
    let ours = env!("CARGO_BIN_EXE_tandem-cib");

    let mut tandem = Vec::new();
    let mut pcmk = Vec::new();
    for _ in 0..RUNS {
        tandem.push(measure(Command::new(ours).arg("pipeline").arg(&file)));
        pcmk.push(measure(
            Command::new("crm_verify")
                .arg("-x")
                .arg(&file)
                .env("LC_ALL", "C"),
        ));
    }
    assert!(
        tandem.iter().all(|s| s.code == 0),
        "tandem-cib pipeline failed"
    );
    let t_wall = median(tandem.iter().map(|s| s.wall).collect());
    let p_wall = median(pcmk.iter().map(|s| s.wall).collect());
    let t_rss = tandem.iter().map(|s| s.max_rss_kib).max().unwrap();
    let p_rss = pcmk.iter().map(|s| s.max_rss_kib).max().unwrap();
    println!(
        "input: large-5000-32.xml ({:.1} MiB), {RUNS} runs each, median wall time, peak RSS",
        size as f64 / 1048576.0
    );
    println!(
        "tandem-cib pipeline (parse+validate+serialise): {:>8.1} ms  {:>7.1} MiB",
        t_wall.as_secs_f64() * 1000.0,
        t_rss as f64 / 1024.0
    );
    println!(
        "crm_verify -x (exit {}):                        {:>8.1} ms  {:>7.1} MiB",
        pcmk[0].code,
        p_wall.as_secs_f64() * 1000.0,
        p_rss as f64 / 1024.0
    );
    println!(
        "ratio: Tandem is {:.1}x faster, using {:.2}x the memory",
        p_wall.as_secs_f64() / t_wall.as_secs_f64(),
        t_rss as f64 / p_rss as f64
    );
}

//! Membership benchmark with real processes on 127.0.0.x.
//!
//! - `failover [--token MS] [--runs N] [--corosync-timing]`: 3 tandemd, SIGKILL one, time
//!   until both survivors show the new view. Printed as ms and as a ratio to the token.
//! - `idle [--token MS] [--secs S]`: 3 tandemd left alone; counts view changes (flapping).
//! - `throughput [--secs S] [--size B]`: 3 in-process drivers over real UDP on 127.0.0.x;
//!   agreed-order messages per second and submit-to-delivery latency.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use controller::testcluster::Cluster;
use membership::driver::{self, DriverConfig};
use membership::totem::{Event, Totem, TotemConfig, TotemParams};

#[derive(Parser)]
#[command(name = "tandem-failover-bench")]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
    /// tandemd binary (default: next to this program).
    #[arg(long, global = true)]
    tandemd: Option<PathBuf>,
    /// First UDP port to use.
    #[arg(long, global = true, default_value_t = 27000)]
    port: u16,
}

#[derive(Subcommand)]
enum Cmd {
    /// Time from SIGKILL of one node to the new view on the survivors.
    Failover {
        #[arg(long, default_value_t = 1000)]
        token: u64,
        #[arg(long, default_value_t = 10)]
        runs: u32,
        /// Corosync timing (no fast failure path).
        #[arg(long)]
        corosync_timing: bool,
    },
    /// Watch an idle cluster for spurious view changes.
    Idle {
        #[arg(long, default_value_t = 300)]
        token: u64,
        #[arg(long, default_value_t = 300)]
        secs: u64,
    },
    /// Agreed-order throughput and latency.
    Throughput {
        #[arg(long, default_value_t = 5)]
        secs: u64,
        #[arg(long, default_value_t = 100)]
        size: usize,
        #[arg(long, default_value_t = 1000)]
        token: u64,
        /// Messages per second per sender (0: as fast as the ring takes them).
        #[arg(long, default_value_t = 0)]
        rate: u64,
    },
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn failover(bin: &Path, port: u16, token: u64, runs: u32, corosync: bool) -> anyhow::Result<()> {
    let extra: &[&str] = if corosync {
        &["--corosync-timing"]
    } else {
        &[]
    };
    let consensus = token * 12 / 10;
    println!(
        "failover: 3 nodes, token {token} ms, consensus {consensus} ms, {} timing, {runs} runs",
        if corosync { "corosync" } else { "fast-path" }
    );
    let mut times = Vec::new();
    for run in 0..runs {
        let mut c = Cluster::new(bin, 3, port + (run as u16 % 50) * 2, token, "", extra)?;
        c.start_all()?;
        for i in 1..=3 {
            c.wait_for(i, Duration::from_secs(20), Duration::from_millis(20), |s| {
                Cluster::members(s) == [1, 2, 3]
            })
            .with_context(|| format!("ring of 3 did not form:\n{}", c.log(i)))?;
        }
        // Settle, then kill at a phase spread over one token period.
        let phase = (run as f64 * 0.618).fract();
        std::thread::sleep(
            Duration::from_millis(1000) + Duration::from_millis(token).mul_f64(phase),
        );
        let victim = 3 - run % 3;
        let survivors: Vec<u32> = (1..=3).filter(|&i| i != victim).collect();
        let t0 = Instant::now();
        c.kill(victim);
        let mut done: BTreeMap<u32, Duration> = BTreeMap::new();
        while done.len() < 2 {
            if t0.elapsed() > Duration::from_secs(30) {
                bail!("survivors never dropped node {victim}");
            }
            for &s in &survivors {
                if !done.contains_key(&s)
                    && c.status(s)
                        .is_some_and(|st| Cluster::members(&st) == survivors && st.quorate)
                {
                    done.insert(s, t0.elapsed());
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let t = done.values().max().unwrap().as_secs_f64() * 1000.0;
        println!(
            "run {run:2}: killed node {victim}, new quorate view on both survivors after {t:7.1} ms ({:.2} x token)",
            t / token as f64
        );
        times.push(t);
    }
    let min = times.iter().cloned().fold(f64::MAX, f64::min);
    let max = times.iter().cloned().fold(0.0, f64::max);
    let med = median(&mut times);
    println!(
        "token {token}: n={runs} min {min:.0} median {med:.0} max {max:.0} ms; median = {:.2} x token; token+200 = {} ms, token+consensus+100 = {} ms",
        med / token as f64,
        token + 200,
        token + consensus + 100
    );
    Ok(())
}

fn idle(bin: &Path, port: u16, token: u64, secs: u64) -> anyhow::Result<()> {
    let mut c = Cluster::new(bin, 3, port, token, "", &[])?;
    c.start_all()?;
    for i in 1..=3 {
        c.wait_for(i, Duration::from_secs(20), Duration::from_millis(20), |s| {
            Cluster::members(s) == [1, 2, 3]
        })
        .context("ring of 3 did not form")?;
    }
    let ring = c.status(1).unwrap().ring;
    println!(
        "idle: 3 nodes, token {token} ms, ring {:x}.{:x}, watching {secs} s",
        ring.0, ring.1
    );
    let t0 = Instant::now();
    let mut changes = 0;
    let mut last: Vec<(u32, u64)> = (1..=3).map(|i| c.status(i).unwrap().ring).collect();
    while t0.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_millis(50));
        for i in 1..=3u32 {
            if let Some(s) = c.status(i) {
                if s.ring != last[i as usize - 1] {
                    changes += 1;
                    println!(
                        "{:8.1} s: node {i} ring {:x}.{:x} members {:?}",
                        t0.elapsed().as_secs_f64(),
                        s.ring.0,
                        s.ring.1,
                        Cluster::members(&s)
                    );
                    last[i as usize - 1] = s.ring;
                }
            }
        }
    }
    println!("idle {secs} s at token {token}: {changes} view changes");
    if changes > 0 {
        bail!("membership flapped");
    }
    Ok(())
}

async fn throughput(
    port: u16,
    secs: u64,
    size: usize,
    token: u64,
    rate: u64,
) -> anyhow::Result<()> {
    let ids = vec![1u32, 2, 3];
    let peers: BTreeMap<u32, SocketAddr> = ids
        .iter()
        .map(|&i| (i, format!("127.0.0.{i}:{port}").parse().unwrap()))
        .collect();
    let base = Instant::now();
    let mut handles = Vec::new();
    for &i in &ids {
        let socket = tokio::net::UdpSocket::bind(peers[&i]).await?;
        let core = Totem::new(
            TotemParams::new(
                i,
                ids.clone(),
                TotemConfig::from_token(Duration::from_millis(token), 4),
            ),
            Instant::now(),
        );
        let (h, st, ev, sub) = driver::channels(&core);
        let cfg = DriverConfig {
            socket,
            peers: peers.clone(),
            state_dir: None,
            blocked: Default::default(),
        };
        tokio::spawn(driver::run(core, cfg, st, ev, sub, std::future::pending()));
        handles.push(h);
    }
    // Wait for the ring of 3.
    for h in &mut handles {
        let t0 = Instant::now();
        while h.status.borrow().members.len() != 3 {
            if t0.elapsed() > Duration::from_secs(20) {
                bail!("ring did not form");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let mut rx = handles.pop().unwrap(); // node 3 receives
    let senders: Vec<_> = handles.iter().map(|h| h.submit.clone()).collect();
    let stop = Instant::now() + Duration::from_secs(secs);
    for (k, s) in senders.into_iter().enumerate() {
        tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < stop {
                let mut p = vec![k as u8; size.max(16)];
                let t = base.elapsed().as_nanos() as u64;
                p[..8].copy_from_slice(&t.to_be_bytes());
                p[8..16].copy_from_slice(&n.to_be_bytes());
                if s.send(p).await.is_err() {
                    break;
                }
                n += 1;
                if rate > 0 {
                    tokio::time::sleep(Duration::from_secs_f64(1.0 / rate as f64)).await;
                }
            }
        });
    }
    let t0 = Instant::now();
    let mut count = 0u64;
    let mut lat = Vec::new();
    while Instant::now() < stop + Duration::from_millis(500) {
        match tokio::time::timeout(Duration::from_millis(100), rx.events.recv()).await {
            Ok(Some(Event::Deliver { data, .. })) if data.len() >= 16 => {
                let sent = u64::from_be_bytes(data[..8].try_into().unwrap());
                let now = base.elapsed().as_nanos() as u64;
                lat.push((now.saturating_sub(sent)) as f64 / 1e6);
                count += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {}
        }
    }
    let el = t0.elapsed().as_secs_f64();
    let med = median(&mut lat);
    let p99 = lat[(lat.len() * 99 / 100).min(lat.len().saturating_sub(1))];
    println!(
        "throughput: 2 senders, {size}-byte messages, delivered at node 3: {count} msgs in {el:.1} s = {:.0} msg/s ({:.2} MB/s); latency median {med:.2} ms, p99 {p99:.2} ms (includes queueing under saturation)",
        count as f64 / el,
        count as f64 * size as f64 / el / 1e6
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let bin = a
        .tandemd
        .clone()
        .unwrap_or_else(|| std::env::current_exe().unwrap().with_file_name("tandemd"));
    match a.cmd {
        Cmd::Failover {
            token,
            runs,
            corosync_timing,
        } => failover(&bin, a.port, token, runs, corosync_timing),
        Cmd::Idle { token, secs } => idle(&bin, a.port, token, secs),
        Cmd::Throughput {
            secs,
            size,
            token,
            rate,
        } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(throughput(a.port, secs, size, token, rate)),
    }
}

//! Long soak of the simulator: `cargo bench -p membership --bench soak -- [--seeds N] [--start S] [--seed S]`.
//! Prints every failing seed so it can be replayed with `--seed`.

use membership::sim::{run, SimConfig};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    if let Some(seed) = get("--seed") {
        let cfg = SimConfig::from_seed(seed);
        println!("{cfg:?}");
        match run(&cfg) {
            Ok(r) => println!("ok: {r:?}"),
            Err(e) => {
                println!("FAIL {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let start = get("--start").unwrap_or(0);
    let n = get("--seeds").unwrap_or(100_000);
    let t0 = std::time::Instant::now();
    let mut failed = Vec::new();
    for seed in start..start + n {
        if let Err(e) = run(&SimConfig::from_seed(seed)) {
            println!("FAIL {e}");
            failed.push(seed);
        }
        if (seed - start + 1) % 1000 == 0 {
            println!(
                "{} seeds, {} failures, {:.0?}",
                seed - start + 1,
                failed.len(),
                t0.elapsed()
            );
        }
    }
    println!(
        "done: {n} seeds from {start}, {} failures {:?}, {:.0?}",
        failed.len(),
        failed,
        t0.elapsed()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}

//! Long packet-fuzz run: `cargo bench -p membership --bench fuzz -- [INPUTS]` (default 1,000,000).

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let t0 = std::time::Instant::now();
    let per = 10_000;
    let mut total = 0;
    let mut seed = 0;
    while total < n {
        total += membership::sim::fuzz_core(seed, per.min(n - total));
        seed += 1;
    }
    println!(
        "fed {total} packets in {seed} cores without a panic ({:.1?})",
        t0.elapsed()
    );
}

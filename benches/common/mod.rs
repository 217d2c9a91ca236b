//! Timing and reporting helpers shared by the benchmarks (plain `std::time`, median of
//! repeated runs; no statistics crate needed for side-by-side ratios).
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Runs `f` until at least `min_iters` runs and `min_time` have passed (at most 10,000 runs)
/// after one warm-up run, and returns the median time of one run.
pub fn median<F: FnMut()>(mut f: F, min_iters: usize, min_time: Duration) -> Duration {
    f();
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < min_iters || (start.elapsed() < min_time && samples.len() < 10_000) {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs the functions in turn, round after round, until at least `min_rounds` rounds and
/// `min_time` have passed (at most 10,000 rounds) after one warm-up round, and returns the
/// median time of one run of each. Interleaving gives every function the same share of
/// whatever else the machine is doing, so that their ratios hold on a busy machine; the order
/// reverses every other round, so that none always runs after the largest (whose freed
/// memory the next one finds returned, or not, to the system).
pub fn interleaved(
    fs: &mut [&mut dyn FnMut()],
    min_rounds: usize,
    min_time: Duration,
) -> Vec<Duration> {
    for f in fs.iter_mut() {
        f();
    }
    let mut samples: Vec<Vec<Duration>> = fs.iter().map(|_| Vec::new()).collect();
    let start = Instant::now();
    let mut rounds = 0;
    while rounds < min_rounds || (start.elapsed() < min_time && rounds < 10_000) {
        let mut order: Vec<usize> = (0..fs.len()).collect();
        if rounds % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let t = Instant::now();
            fs[i]();
            samples[i].push(t.elapsed());
        }
        rounds += 1;
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort();
            s[s.len() / 2]
        })
        .collect()
}

/// Iterations and time budget by input size: small inputs repeat more.
pub fn budget(size: usize) -> (usize, Duration) {
    if size >= 50 << 20 {
        (5, Duration::from_secs(2))
    } else if size >= 5 << 20 {
        (10, Duration::from_secs(1))
    } else {
        (50, Duration::from_millis(700))
    }
}

/// Deterministic text-like content of `size` bytes with CR LF line ends.
pub fn content(size: usize) -> Vec<u8> {
    let line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789 PEC\r\n";
    line.iter().copied().cycle().take(size).collect()
}

/// A file of the test PKI (`tests/fixtures/pki` at the repository's root; the benchmarks of
/// `interop/` include these helpers by path).
pub fn pki(file: &str) -> Vec<u8> {
    let mut root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if !root.join("tests/fixtures/pki").is_dir() {
        root.pop();
    }
    let path = root.join("tests/fixtures/pki").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A human size: 1 KB, 100 KB, 10 MB, 100 MB (decimal, as the issue states them).
pub fn label(size: usize) -> String {
    if size >= 1_000_000 {
        format!("{} MB", size / 1_000_000)
    } else {
        format!("{} KB", size / 1_000)
    }
}

/// Formats a per-run time as both a duration and a rate.
pub fn show(d: Duration, size: usize) -> String {
    let secs = d.as_secs_f64();
    if size >= 1_000_000 {
        format!(
            "{:.2} ms ({:.0} MB/s)",
            secs * 1e3,
            size as f64 / secs / 1e6
        )
    } else {
        format!("{:.1} µs ({:.0}/s)", secs * 1e6, 1.0 / secs)
    }
}

/// OpenSSL's time over ours: above 1 we are faster.
pub fn ratio(openssl: Duration, ours: Duration) -> String {
    format!("{:.2}", openssl.as_secs_f64() / ours.as_secs_f64())
}

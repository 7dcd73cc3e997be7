//! Training throughput, measured on real MNIST batches.
//!
//! `cargo run --release --example bench -- --workload mlp --threads 2 --steps 200`
//!
//! Prints one line per workload:
//! `workload=<name> threads=<n> batch=<b> samples_per_s=<median> peak_rss_mb=<m>`, the median
//! being over windows of steps taken after the warm-up (which includes compilation).

#[path = "common.rs"]
mod common;

use std::time::Instant;

use clap::Parser;
use luminet::data::mnist::{self, Kind};
use luminet::prelude::*;

#[derive(Parser)]
struct Args {
    /// What to train: `mlp` (784-128-10, Adam, batch 64).
    #[arg(long, default_value = "mlp")]
    workload: String,
    /// CPU threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Timed steps, after the warm-up.
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Untimed steps first.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// Folder holding MNIST.
    #[arg(long)]
    data: Option<std::path::PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    luminet::set_threads(args.threads);
    let (spec, batch) = match args.workload.as_str() {
        "mlp" => (
            Sequential::new("mlp", &[1, 28, 28])
                .flatten()
                .dense(128, &[Activation::Relu])
                .dense(10, &[Activation::Softmax])
                .build(),
            64,
        ),
        other => {
            return Err(Error::Config(format!(
                "unknown workload {other:?}; this build benchmarks: mlp"
            )))
        }
    };
    let data = mnist::load(Kind::Mnist, args.data.as_deref())?;
    let mut model = Model::new(spec, 0)?;
    model.compile(Optimizer::adam(1e-3), Loss::CategoricalCrossentropy)?;

    let order = luminet::data::batches(data.train.len(), batch, Some(&mut Rng::new(0)));
    let mut stamps = Vec::with_capacity(args.steps + 1);
    for (i, idx) in order.iter().cycle().take(args.warmup + args.steps).enumerate() {
        if idx.len() != batch {
            continue;
        }
        if i == args.warmup {
            stamps.push(Instant::now());
        }
        let (x, y) = data.train.gather(idx);
        model.train_step(x, y)?;
        if i >= args.warmup {
            stamps.push(Instant::now());
        }
    }
    let window = (args.steps / 10).max(1);
    let mut rates: Vec<f64> = stamps
        .windows(window + 1)
        .step_by(window)
        .map(|w| (window * batch) as f64 / (w[window] - w[0]).as_secs_f64())
        .collect();
    rates.sort_by(f64::total_cmp);
    let median = rates.get(rates.len() / 2).copied().unwrap_or(f64::NAN);
    println!(
        "workload={} threads={} batch={batch} samples_per_s={median:.0} peak_rss_mb={:.0}",
        args.workload,
        args.threads,
        peak_rss_mb()
    );
    Ok(())
}

/// Peak resident memory of this process (VmHWM), in MiB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

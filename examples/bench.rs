//! Training throughput, measured on real MNIST batches.
//!
//! `cargo run --release --example bench -- --workload <mlp|cnn|resnet|latency> --threads 2 --steps 200`
//!
//! Prints one line per workload:
//! `workload=<name> threads=<n> batch=<b> samples_per_s=<median> peak_rss_mb=<m>`, the median
//! being over windows of steps taken after the warm-up (which includes compilation); for
//! `latency`, `batch1_latency_ms=` and `batch256_latency_ms=` instead.

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use clap::Parser;
use luminet::data::mnist::{self, Kind};
use luminet::network;
use luminet::prelude::*;

#[derive(Parser)]
struct Args {
    /// `mlp` (784-128-10, Adam, batch 64), `cnn` (Keras' convnet, batch 128), `resnet` (the
    /// peer benchmark's `w4`, batch 128), or `latency` (convnet inference at batch 1 and 256).
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
    /// Also print the time spent per op kind over the timed steps.
    #[arg(long)]
    profile: bool,
}

network! {
    /// Keras' MNIST convnet (34,826 parameters).
    Cnn: [1, 28, 28] {
        conv2d(32, 3) => relu,
        max_pool2d(2),
        conv2d(64, 3) => relu,
        max_pool2d(2),
        flatten,
        dropout(0.5),
        dense(10) => softmax,
    }
}

network! {
    /// The peer benchmark's small ResNet `w4` (77,610 parameters).
    ResNetW4: [1, 28, 28] {
        stem: conv2d(32, 3, padding = same, bias = false) => batch_norm => relu,
        block1: residual {
            conv2d(32, 3, padding = same, bias = false) => batch_norm => relu,
            conv2d(32, 3, padding = same, bias = false) => batch_norm,
        } => relu,
        block2: residual(shortcut = conv2d(64, 1, stride = 2, bias = false)) {
            conv2d(64, 3, stride = 2, padding = same, bias = false) => batch_norm => relu,
            conv2d(64, 3, padding = same, bias = false) => batch_norm,
        } => relu,
        global_avg_pool,
        out: dense(10) => softmax,
    }
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
        "cnn" => (&Cnn::SPEC, 128),
        "resnet" => (&ResNetW4::SPEC, 128),
        "latency" => return latency(args.threads),
        other => {
            return Err(Error::Config(format!(
                "unknown workload {other:?}; choose mlp, cnn, resnet or latency"
            )))
        }
    };
    if args.profile {
        std::env::set_var("LUMINET_PROFILE", "1");
    }
    let data = mnist::load(Kind::Mnist, args.data.as_deref())?;
    let mut model = Model::new(spec, 0)?;
    model.compile(Optimizer::adam(1e-3), Loss::CategoricalCrossentropy)?;

    let order = luminet::data::batches(data.train.len(), batch, Some(&mut Rng::new(0)));
    let mut stamps = Vec::with_capacity(args.steps + 1);
    for (i, idx) in order
        .iter()
        .cycle()
        .take(args.warmup + args.steps)
        .enumerate()
    {
        if idx.len() != batch {
            continue;
        }
        if i == args.warmup {
            luminet::backend::cpu::profile::reset();
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
    if args.profile {
        for (ms, calls, op) in luminet::backend::cpu::profile::report().iter().take(25) {
            eprintln!("{ms:10.1} ms {calls:6} calls  {op}");
        }
    }
    println!(
        "workload={} threads={} batch={batch} samples_per_s={median:.0} peak_rss_mb={:.0}",
        args.workload,
        args.threads,
        peak_rss_mb()
    );
    Ok(())
}

/// Inference latency of the convnet at batch 1 and 256: the median of repeated `predict`s
/// after a warm-up (which compiles the inference graph).
fn latency(threads: usize) -> Result<()> {
    let mut model = Model::new(&Cnn::SPEC, 0)?;
    let mut rng = Rng::new(1);
    let mut line = format!("workload=latency threads={threads}");
    for (batch, runs) in [(1usize, 300usize), (256, 30)] {
        let x: Vec<f32> = (0..batch * 784).map(|_| rng.unit()).collect();
        for _ in 0..10 {
            model.predict(&x, batch)?;
        }
        let mut ms: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                model
                    .predict(&x, batch)
                    .map(|_| t.elapsed().as_secs_f64() * 1e3)
            })
            .collect::<Result<_>>()?;
        ms.sort_by(f64::total_cmp);
        line.push_str(&format!(" batch{batch}_latency_ms={:.3}", ms[ms.len() / 2]));
    }
    println!("{line} peak_rss_mb={:.0}", peak_rss_mb());
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

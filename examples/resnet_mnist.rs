//! Exercise 4: a residual network on MNIST, with projection shortcuts where the shape changes.
//!
//! `cargo run --release --example resnet_mnist`
//!
//! Three residual blocks after a max-pooled stem: the first two stages run at 14x14 and 7x7,
//! which keeps a CPU epoch to a few minutes. Batch norm uses momentum 0.9 (PyTorch's default)
//! rather than Keras' 0.99, whose moving statistics lag behind weights that Adam moves fast;
//! the learning rate warms up over the first half epoch, then decays along a cosine to zero.

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use luminet::network;
use luminet::prelude::*;
use luminet::train::schedule::{CosineWithWarmup, LrSchedule};

network! {
    /// A three-block ResNet for 28x28 digits.
    pub MnistResNet: [1, 28, 28] {
        stem: conv2d(32, 3, padding = same, bias = false) => batch_norm(momentum = 0.9) => relu,
        max_pool2d(2),
        block1: residual {
            conv2d(32, 3, padding = same, bias = false) => batch_norm(momentum = 0.9) => relu,
            conv2d(32, 3, padding = same, bias = false) => batch_norm(momentum = 0.9),
        } => relu,
        block2: residual(shortcut = conv2d(64, 1, stride = 2, bias = false) => batch_norm(momentum = 0.9)) {
            conv2d(64, 3, stride = 2, padding = same, bias = false) => batch_norm(momentum = 0.9) => relu,
            conv2d(64, 3, padding = same, bias = false) => batch_norm(momentum = 0.9),
        } => relu,
        block3: residual {
            conv2d(64, 3, padding = same, bias = false) => batch_norm(momentum = 0.9) => relu,
            conv2d(64, 3, padding = same, bias = false) => batch_norm(momentum = 0.9),
        } => relu,
        global_avg_pool,
        out: dense(10) => softmax,
    }
}

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    common: common::Common,
}

fn main() -> Result<()> {
    let args = Args::parse();
    args.common.apply();
    let data = args.common.mnist()?;
    println!("{}", MnistResNet::summary());

    let mut model = MnistResNet::model(args.common.seed)?;
    model.compile(Optimizer::adam(2e-3), Loss::CategoricalCrossentropy)?;
    let fit = Fit {
        epochs: args.common.epochs.unwrap_or(6),
        batch_size: args.common.batch_size.unwrap_or(128),
        validation: Validation::Split(0.1),
        ..Fit::default()
    };
    let steps_per_epoch = (data.train.len() * 9 / 10).div_ceil(fit.batch_size) as u64;
    let schedule = CosineWithWarmup {
        peak: 2e-3,
        warmup_steps: steps_per_epoch / 2,
        total_steps: steps_per_epoch * fit.epochs as u64,
        floor: 0.0,
    };
    let start = std::time::Instant::now();
    model.fit_with(&data.train, &fit, &mut [&mut LrSchedule::new(schedule)])?;
    common::report(&mut model, &data.test, start)
}

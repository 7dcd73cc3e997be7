//! Exercise 4: a residual network on MNIST, with projection shortcuts where the shape changes.
//!
//! `cargo run --release --example resnet_mnist`
//!
//! Three residual blocks after a max-pooled stem: the first two stages run at 14x14 and 7x7,
//! which keeps a CPU epoch to a few minutes.

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use luminet::data::mnist::{self, Kind};
use luminet::network;
use luminet::prelude::*;

network! {
    /// A three-block ResNet for 28x28 digits.
    pub MnistResNet: [1, 28, 28] {
        stem: conv2d(32, 3, padding = same, bias = false) => batch_norm => relu,
        max_pool2d(2),
        block1: residual {
            conv2d(32, 3, padding = same, bias = false) => batch_norm => relu,
            conv2d(32, 3, padding = same, bias = false) => batch_norm,
        } => relu,
        block2: residual(shortcut = conv2d(64, 1, stride = 2, bias = false) => batch_norm) {
            conv2d(64, 3, stride = 2, padding = same, bias = false) => batch_norm => relu,
            conv2d(64, 3, padding = same, bias = false) => batch_norm,
        } => relu,
        block3: residual {
            conv2d(64, 3, padding = same, bias = false) => batch_norm => relu,
            conv2d(64, 3, padding = same, bias = false) => batch_norm,
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
    let data = mnist::load(Kind::Mnist, args.common.data.as_deref())?;
    eprintln!("MNIST from {}", data.dir.display());
    println!("{}", MnistResNet::summary());

    let mut model = MnistResNet::model(args.common.seed)?;
    model.compile(Optimizer::adam(1e-3), Loss::CategoricalCrossentropy)?;
    let fit = Fit {
        epochs: args.common.epochs.unwrap_or(6),
        batch_size: args.common.batch_size.unwrap_or(128),
        validation: Validation::Split(0.1),
        ..Fit::default()
    };
    let start = std::time::Instant::now();
    model.fit(&data.train, &fit)?;
    let test = model.evaluate(&data.test, 1000)?;
    println!("trained in {:.0} s", start.elapsed().as_secs_f32());
    println!("test loss: {:.4}", test.loss);
    println!("test accuracy: {:.4}", test.accuracy);
    Ok(())
}

//! Exercise 3: Keras' classic MNIST convnet.
//!
//! `cargo run --release --example cnn_mnist`

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use luminet::network;
use luminet::prelude::*;

network! {
    /// The classic Keras MNIST convnet.
    pub MnistCnn: [1, 28, 28] {
        conv1: conv2d(32, 3) => relu,
        max_pool2d(2),
        conv2: conv2d(64, 3) => relu,
        max_pool2d(2),
        flatten,
        dropout(0.5),
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
    println!("{}", MnistCnn::summary());

    let mut model = MnistCnn::model(args.common.seed)?;
    model.compile(Optimizer::adam(1e-3), Loss::CategoricalCrossentropy)?;
    let fit = Fit {
        epochs: args.common.epochs.unwrap_or(12),
        batch_size: args.common.batch_size.unwrap_or(128),
        validation: Validation::Split(0.1),
        ..Fit::default()
    };
    let start = std::time::Instant::now();
    model.fit(&data.train, &fit)?;
    common::report(&mut model, &data.test, start)
}

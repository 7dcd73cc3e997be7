//! A 784-128-10 perceptron on MNIST: ReLU hidden layer, softmax output, Adam.
//!
//! `cargo run --release --example mlp_mnist -- --epochs 5`

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use luminet::prelude::*;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    common: common::Common,
}

fn main() -> Result<()> {
    let args = Args::parse();
    args.common.apply();
    let data = args.common.mnist()?;

    let spec = Sequential::new("mlp", &[1, 28, 28])
        .flatten()
        .dense(128, &[Activation::Relu])
        .dense(10, &[Activation::Softmax])
        .build();
    let mut model = Model::new(spec, args.common.seed)?;
    model.compile(Optimizer::adam(1e-3), Loss::CategoricalCrossentropy)?;

    let fit = Fit {
        epochs: args.common.epochs.unwrap_or(5),
        batch_size: args.common.batch_size.unwrap_or(64),
        ..Fit::default()
    };
    let start = std::time::Instant::now();
    model.fit(&data.train, &fit)?;
    common::report(&mut model, &data.test, start)
}

//! Exercise 1: a two-layer network learns XOR, with gradients derived by hand and by autodiff.
//!
//! The network is the course's: 2 inputs, 4 ReLU units, 1 sigmoid output, binary
//! cross-entropy, full-batch gradient descent at learning rate 0.1, from the fixed initial
//! weights every peer implementation uses. The hand-derived backward pass is written as graph
//! ops next to the autodiff one; the example checks they agree, then trains.
//!
//! `cargo run --release --example xor`

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use luminet::prelude::*;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    common: common::Common,
    /// Learning rate.
    #[arg(long, default_value_t = 0.1)]
    lr: f32,
}

const X: [f32; 8] = [0., 0., 0., 1., 1., 0., 1., 1.];
const Y: [f32; 4] = [0., 1., 1., 0.];
const W1: [f32; 8] = [0.5, -0.6, 0.3, -0.2, -0.4, 0.7, 0.8, -0.5];
const W2: [f32; 4] = [0.6, 0.5, -0.7, 0.4];

fn main() {
    let args = Args::parse();
    args.common.apply();
    let steps = args.common.epochs.unwrap_or(10_000);

    let mut s = Session::new();
    let x = s.input("x", &[4, 2]);
    let y = s.input("y", &[4, 1]);
    let mut params = [
        (s.input("w1", &[2, 4]), W1.to_vec()),
        (s.input("b1", &[4]), vec![0.0; 4]),
        (s.input("w2", &[4, 1]), W2.to_vec()),
        (s.input("b2", &[1]), vec![0.0]),
    ];
    let [w1, b1, w2, b2] = params.each_ref().map(|p| p.0);

    // Forward: z1 = x W1 + b1, a1 = relu(z1), z2 = a1 W2 + b2, y_hat = sigmoid(z2).
    let z1 = s.dense(x, w1, Some(b1));
    let a1 = s.relu(z1);
    let z2 = s.dense(a1, w2, Some(b2));
    let y_hat = s.sigmoid(z2);
    let loss = s.binary_cross_entropy_with_logits(z2, y);

    // Backward by hand: dz2 = (y_hat - y) / n, then back through W2 and the ReLU.
    let diff = s.sub(y_hat, y);
    let dz2 = s.scale(diff, 1.0 / 4.0);
    let a1t = s.transpose(a1);
    let dw2 = s.matmul(a1t, dz2);
    let db2 = s.sum(dz2, 0);
    let w2t = s.transpose(w2);
    let da1 = s.matmul(dz2, w2t);
    let active = s.positive(z1);
    let dz1 = s.mul(da1, active);
    let xt = s.transpose(x);
    let dw1 = s.matmul(xt, dz1);
    let db1 = s.sum(dz1, 0);
    let hand = [dw1, db1, dw2, db2];

    // Backward by autodiff, appended to the same graph.
    let auto = s.grad(loss, &[w1, b1, w2, b2]);

    let mut outputs: Vec<Var> = [loss, y_hat]
        .into_iter()
        .chain(hand)
        .chain(auto.iter().copied())
        .collect();
    for v in &outputs {
        s.retrieve(*v);
    }
    s.compile(Device::Cpu, &mut outputs);
    let (loss, y_hat) = (outputs[0], outputs[1]);
    let (hand, auto) = (&outputs[2..6], &outputs[6..10]);
    let merged = hand
        .iter()
        .zip(auto)
        .filter(|(h, a)| h.node() == a.node())
        .count();
    println!("{merged} of 4 hand-derived gradients compile to the very nodes autodiff emits");

    let mut reached = None;
    let mut worst = 0.0f32;
    let mut last = (0.0, vec![]);
    for step in 0..steps {
        s.set(x, X.to_vec());
        s.set(y, Y.to_vec());
        for (v, data) in &params {
            s.set(*v, data.clone());
        }
        s.run();
        let l = s.take(loss)[0];
        let pred = s.take(y_hat);
        // `read`, not `take`: a hand gradient and its autodiff twin may share one node.
        let hand: Vec<Vec<f32>> = hand.iter().map(|g| s.read(*g)).collect();
        let auto: Vec<Vec<f32>> = auto.iter().map(|g| s.read(*g)).collect();
        s.clear_outputs();
        for (h, a) in hand.iter().zip(&auto) {
            worst = h
                .iter()
                .zip(a)
                .map(|(h, a)| (h - a).abs())
                .fold(worst, f32::max);
        }
        if step == 0 {
            println!("step 0: loss {l:.6}");
            println!("  hand-derived dW1 {:?}", round(&hand[0]));
            println!("  autodiff     dW1 {:?}", round(&auto[0]));
        }
        if reached.is_none() && l < 0.01 {
            reached = Some(step);
        }
        for ((_, data), g) in params.iter_mut().zip(&hand) {
            data.iter_mut().zip(g).for_each(|(w, g)| *w -= args.lr * g);
        }
        last = (l, pred);
    }

    println!("largest difference between hand-derived and autodiff gradients over {steps} steps: {worst:.2e}");
    match reached {
        Some(step) => println!("loss < 0.01 after {step} steps"),
        None => println!("loss stayed above 0.01 for {steps} steps"),
    }
    println!("final loss: {:.6}", last.0);
    let correct = last
        .1
        .iter()
        .zip(Y)
        .filter(|(p, y)| (**p > 0.5) == (*y > 0.5))
        .count();
    for (i, p) in last.1.iter().enumerate() {
        println!("  {:?} -> {p:.4} (target {})", &X[2 * i..2 * i + 2], Y[i]);
    }
    println!("test accuracy: {:.4}", correct as f32 / 4.0);
}

fn round(v: &[f32]) -> Vec<f32> {
    v.iter().map(|x| (x * 1e5).round() / 1e5).collect()
}

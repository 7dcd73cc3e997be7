//! Gradient checks for activations, the dense layer and the losses; end-to-end training.

use luminet_runtime::check::{check_op, check_op_fixed, check_paths, random, Tolerance};
use luminet_runtime::data::{one_hot, Dataset};
use luminet_runtime::prelude::*;

fn ok(r: std::result::Result<(), String>) {
    if let Err(e) = r {
        panic!("{e}");
    }
}

/// Values at least 0.1 away from the kink at zero, where finite differences straddle it.
fn away_from_zero(shape: &[usize], seed: u64) -> (Vec<usize>, Vec<f32>) {
    let (s, mut d) = random(shape, seed);
    for v in &mut d {
        *v = v.signum() * (v.abs() + 0.1) * 2.0;
    }
    (s, d)
}

#[test]
fn activations() {
    let t = Tolerance::default();
    ok(check_op(&[away_from_zero(&[3, 4], 1)], t, |s, x| {
        s.relu(x[0])
    }));
    ok(check_op(&[away_from_zero(&[3, 4], 2)], t, |s, x| {
        s.leaky_relu(x[0], 0.1)
    }));
    ok(check_op(&[away_from_zero(&[3, 4], 3)], t, |s, x| {
        s.elu(x[0], 1.0)
    }));
    ok(check_op(&[random(&[3, 4], 4)], t, |s, x| s.sigmoid(x[0])));
    ok(check_op(&[random(&[3, 4], 5)], t, |s, x| s.tanh(x[0])));
    ok(check_op(&[random(&[3, 4], 6)], t, |s, x| s.softmax(x[0])));
    ok(check_op(&[random(&[3, 4], 7)], t, |s, x| {
        s.log_softmax(x[0])
    }));
}

#[test]
fn sigmoid_and_tanh_gradients_stay_finite_far_out() {
    let mut s = Session::new();
    let x = s.input("x", &[4]);
    let y = s.sigmoid(x);
    let z = s.tanh(x);
    let yz = s.add(y, z);
    let loss = s.sum_all(yz);
    let g = s.grad(loss, &[x])[0];
    s.retrieve(g);
    s.compile(Device::Cpu, ());
    s.set(x, vec![-200.0, -30.0, 30.0, 200.0]);
    s.run();
    let g = s.take(g);
    assert!(g.iter().all(|v| v.is_finite() && v.abs() < 1e-6), "{g:?}");
}

#[test]
fn dense_layer() {
    let t = Tolerance::default();
    let inputs = [random(&[4, 3], 10), random(&[3, 5], 11), random(&[5], 12)];
    ok(check_op(&inputs, t, |s, x| s.dense(x[0], x[1], Some(x[2]))));
    let seq = [random(&[2, 3, 4], 13), random(&[4, 2], 14)];
    ok(check_op(&seq, t, |s, x| s.dense(x[0], x[1], None)));
}

#[test]
fn losses() {
    let t = Tolerance::default();
    let targets = (vec![4, 3], one_hot(&[0, 2, 1, 2], 3));
    let logits = || random(&[4, 3], 20);
    ok(check_op_fixed(
        &[logits()],
        &[targets.clone()],
        t,
        |s, x, y| s.softmax_cross_entropy(x[0], y[0]),
    ));
    ok(check_op_fixed(
        &[logits()],
        &[targets.clone()],
        t,
        |s, x, y| {
            let p = s.softmax(x[0]);
            s.categorical_cross_entropy(p, y[0])
        },
    ));
    let bin = (
        vec![4, 3],
        vec![1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0],
    );
    ok(check_op_fixed(&[logits()], &[bin.clone()], t, |s, x, y| {
        s.binary_cross_entropy_with_logits(x[0], y[0])
    }));
    ok(check_op_fixed(&[logits()], &[bin.clone()], t, |s, x, y| {
        let p = s.sigmoid(x[0]);
        s.binary_cross_entropy(p, y[0])
    }));
    ok(check_op_fixed(&[logits()], &[bin], t, |s, x, y| {
        s.mean_squared_error(x[0], y[0])
    }));
}

#[test]
fn stable_losses_survive_extreme_logits() {
    let mut s = Session::new();
    let x = s.input("x", &[2, 2]);
    let t = s.input("t", &[2, 2]);
    let a = s.softmax_cross_entropy(x, t);
    let b = s.binary_cross_entropy_with_logits(x, t);
    let l = s.add(a, b);
    let g = s.grad(l, &[x])[0];
    s.retrieve(l);
    s.retrieve(g);
    s.compile(Device::Cpu, ());
    s.set(x, vec![1000.0, -1000.0, -1000.0, 1000.0]);
    s.set(t, vec![1.0, 0.0, 0.0, 1.0]);
    s.run();
    let (l, g) = (s.take(l)[0], s.take(g));
    assert!(l.is_finite() && l.abs() < 1e-3, "loss {l}");
    assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
}

fn xor() -> Dataset {
    Dataset::new(
        vec![0., 0., 0., 1., 1., 0., 1., 1.],
        &[2],
        vec![0., 1., 1., 0.],
        &[1],
    )
    .unwrap()
}

#[test]
fn every_optimizer_learns_xor() {
    let spec = Sequential::new("xor", &[2])
        .dense(8, &[Activation::Tanh])
        .dense(1, &[Activation::Sigmoid])
        .build();
    for opt in [
        Optimizer::adam(0.05),
        Optimizer::sgd(0.5),
        Optimizer::momentum(0.2, 0.9, false),
        Optimizer::momentum(0.2, 0.9, true),
    ] {
        let mut model = Model::new(spec, 1).unwrap();
        model.compile(opt, Loss::BinaryCrossentropy).unwrap();
        let fit = Fit {
            epochs: 500,
            batch_size: 4,
            verbose: false,
            shuffle: false,
            ..Fit::default()
        };
        let h = model.fit(&xor(), &fit).unwrap();
        let last = h.last().unwrap();
        assert!(last.loss < 0.05 && last.accuracy == 1.0, "{opt:?}: {last}");
    }
}

#[test]
fn training_is_reproducible_and_checks_shapes() {
    let spec = Sequential::new("mlp", &[2])
        .dense(4, &[Activation::Relu])
        .dense(1, &[Activation::Sigmoid])
        .build();
    let run = || {
        let mut m = Model::new(spec, 7).unwrap();
        m.compile(Optimizer::adam(0.01), Loss::BinaryCrossentropy)
            .unwrap();
        let fit = Fit {
            epochs: 5,
            batch_size: 3,
            verbose: false,
            ..Fit::default()
        };
        m.fit(&xor(), &fit).unwrap();
        m.params().to_vec()
    };
    assert_eq!(run(), run());

    let mut m = Model::new(spec, 7).unwrap();
    let wrong = Dataset::new(vec![0.0; 6], &[3], vec![0.0; 2], &[1]).unwrap();
    let e = m.fit(&wrong, &Fit::default()).unwrap_err().to_string();
    assert!(
        e.contains("takes inputs of [2], the data has samples of [3]"),
        "{e}"
    );
}

#[test]
fn batch_norm_in_training_and_inference() {
    let t = Tolerance::default();
    let inputs = [
        random(&[4, 3, 2, 2], 30),
        random(&[3], 31),
        random(&[3], 32),
    ];
    ok(check_op(&inputs, t, |s, x| {
        s.batch_norm(x[0], x[1], x[2], None, 1e-3).0
    }));
    let flat = [random(&[5, 3], 33), random(&[3], 34), random(&[3], 35)];
    ok(check_op(&flat, t, |s, x| {
        s.batch_norm(x[0], x[1], x[2], None, 1e-3).0
    }));
    // The batch statistics it returns for the moving averages.
    let (x, scale_shift) = inputs.split_at(1);
    ok(check_op_fixed(x, scale_shift, t, |s, x, f| {
        let (_, mean, var) = s.batch_norm(x[0], f[0], f[1], None, 1e-3);
        s.mul(mean, var)
    }));
    // Large enough for the kernels' threads and recycled buffers.
    let big = [
        random(&[16, 8, 24, 24], 39),
        random(&[8], 40),
        random(&[8], 41),
    ];
    ok(check_paths(&big, |s, x| {
        s.batch_norm(x[0], x[1], x[2], None, 1e-3).0
    }));
    let stats = (vec![3], vec![0.1, -0.2, 0.3]);
    let var = (vec![3], vec![0.5, 1.5, 2.0]);
    let with = [random(&[4, 3], 36), random(&[3], 37), random(&[3], 38)];
    ok(check_op_fixed(&with, &[stats, var], t, |s, x, f| {
        s.batch_norm(x[0], x[1], x[2], Some((f[0], f[1])), 1e-3).0
    }));
}

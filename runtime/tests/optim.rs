//! Optimizer steps against the update rules computed on the host.

use luminet_runtime::prelude::*;

/// A linear model `y = x w + b` on MSE, whose gradient is easy to write down.
fn setup(opt: Optimizer) -> Model {
    let spec = Sequential::new("linear", &[3]).dense(1, &[]).build();
    let mut m = Model::new(spec, 5).unwrap();
    m.compile(opt, Loss::MeanSquaredError).unwrap();
    m
}

const X: [f32; 6] = [0.5, -1.0, 2.0, 1.5, 0.25, -0.5];
const Y: [f32; 2] = [1.0, -2.0];

/// The gradient of the MSE loss with respect to `[w0, w1, w2, b]`.
fn gradient(w: &[f32], b: f32) -> Vec<f32> {
    let mut g = vec![0.0; 4];
    for i in 0..2 {
        let x = &X[3 * i..3 * i + 3];
        let pred: f32 = x.iter().zip(w).map(|(a, b)| a * b).sum::<f32>() + b;
        let d = 2.0 * (pred - Y[i]) / 2.0;
        for j in 0..3 {
            g[j] += d * x[j];
        }
        g[3] += d;
    }
    g
}

fn flat(m: &Model) -> Vec<f32> {
    m.params().iter().flat_map(|p| p.data.clone()).collect()
}

fn assert_close(a: &[f32], b: &[f32]) {
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= 1e-5 + 1e-4 * y.abs(),
            "{a:?} against {b:?}"
        );
    }
}

#[test]
fn adam_matches_keras_update() {
    let (lr, b1, b2, eps) = (0.01f32, 0.9f32, 0.999f32, 1e-7f32);
    let mut model = setup(Optimizer::adam(lr));
    let mut w = flat(&model);
    let (mut m, mut v) = (vec![0.0f32; 4], vec![0.0f32; 4]);
    for t in 1..=3 {
        let g = gradient(&w[..3], w[3]);
        let lr_t = lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
        for i in 0..4 {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            w[i] -= lr_t * m[i] / (v[i].sqrt() + eps);
        }
        model.train_step(X.to_vec(), Y.to_vec()).unwrap();
        assert_close(&flat(&model), &w);
    }
}

#[test]
fn sgd_with_and_without_momentum() {
    for (momentum, nesterov) in [(0.0, false), (0.9, false), (0.9, true)] {
        let lr = 0.05;
        let mut model = setup(Optimizer::momentum(lr, momentum, nesterov));
        let mut w = flat(&model);
        let mut vel = vec![0.0f32; 4];
        for _ in 0..3 {
            let g = gradient(&w[..3], w[3]);
            for i in 0..4 {
                vel[i] = momentum * vel[i] - lr * g[i];
                w[i] += if nesterov {
                    momentum * vel[i] - lr * g[i]
                } else {
                    vel[i]
                };
            }
            model.train_step(X.to_vec(), Y.to_vec()).unwrap();
            assert_close(&flat(&model), &w);
        }
    }
}

#[test]
fn bad_settings_are_errors() {
    let spec = Sequential::new("linear", &[3]).dense(1, &[]).build();
    let mut m = Model::new(spec, 5).unwrap();
    let e = m
        .compile(Optimizer::momentum(0.1, 1.5, false), Loss::MeanSquaredError)
        .unwrap_err();
    assert!(e.to_string().contains("momentum"), "{e}");
    assert!(m
        .compile(Optimizer::adam(f32::NAN), Loss::MeanSquaredError)
        .is_err());
}

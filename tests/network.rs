//! Networks declared with `network!` train end to end: convolution, pooling, batch norm,
//! dropout and residual blocks, with batch norm's moving statistics updated in training.

use luminet::data::Dataset;
use luminet::network;
use luminet::prelude::*;

network! {
    /// A small residual convnet over 1x8x8 images.
    TinyResNet: [1, 8, 8] {
        stem: conv2d(4, 3, padding = same) => batch_norm => relu,
        block: residual(shortcut = conv2d(8, 1, stride = 2)) {
            conv2d(8, 3, stride = 2, padding = same) => batch_norm => relu,
            conv2d(8, 3, padding = same) => batch_norm,
        } => relu,
        avg_pool2d(2),
        max_pool2d(2, stride = 1),
        global_avg_pool,
        dropout(0.2),
        out: dense(2) => softmax,
    }
}

/// Images whose class is whether the bright square is in the top or bottom half.
fn squares(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let top = rng.unit() < 0.5;
        let r0 = if top { rng.below(2) } else { 4 + rng.below(2) };
        let c0 = rng.below(6);
        let mut img = vec![0.0; 64];
        for r in r0..r0 + 2 {
            for c in c0..c0 + 2 {
                img[r * 8 + c] = 1.0;
            }
        }
        x.extend(img);
        y.extend(if top { [1.0, 0.0] } else { [0.0, 1.0] });
    }
    Dataset::new(x, &[1, 8, 8], y, &[2]).unwrap()
}

#[test]
fn a_residual_convnet_learns_and_updates_its_moving_statistics() {
    let mut model = TinyResNet::model(3).unwrap();
    assert_eq!(
        model.params().iter().map(|p| p.data.len()).sum::<usize>(),
        TinyResNet::PARAM_COUNT
    );
    assert_eq!(
        model.buffers().len(),
        6,
        "moving mean and variance of three batch norms"
    );
    model
        .compile(Optimizer::adam(0.01), Loss::CategoricalCrossentropy)
        .unwrap();
    let train = squares(256, 1);
    let fit = Fit {
        epochs: 15,
        batch_size: 32,
        verbose: false,
        ..Fit::default()
    };
    let h = model.fit(&train, &fit).unwrap();
    let test = model.evaluate(&squares(200, 2), 50).unwrap();
    assert!(
        test.accuracy >= 0.9,
        "test accuracy {} after {}",
        test.accuracy,
        h.last().unwrap()
    );
    let mean = &model.buffers()[0];
    assert!(mean.name.ends_with("moving_mean") && mean.data.iter().any(|v| *v != 0.0));
}

network! {
    /// Batch norm whose moving statistics are just the last batch's.
    LastBatchNorm: [2, 4, 4] {
        conv2d(3, 3, padding = same) => batch_norm(momentum = 0.0) => relu,
        flatten,
        dense(4) => batch_norm(momentum = 0.0),
        dense(2) => softmax,
    }
}

/// With momentum 0 and a learning rate of 0, inference on the training batch must see exactly
/// what training saw: the moving statistics are that batch's statistics.
#[test]
fn batch_norm_inference_uses_the_statistics_training_recorded() {
    let mut model = LastBatchNorm::model(1).unwrap();
    model
        .compile(Optimizer::sgd(0.0), Loss::CategoricalCrossentropy)
        .unwrap();
    let mut rng = Rng::new(4);
    let x: Vec<f32> = (0..8 * 32).map(|_| rng.normal() * 3.0 + 1.0).collect();
    let y: Vec<f32> = (0..8)
        .flat_map(|i| if i % 2 == 0 { [1.0, 0.0] } else { [0.0, 1.0] })
        .collect();
    let (train_loss, _) = model.train_step(x.clone(), y.clone()).unwrap();
    let data = Dataset::new(x, &[2, 4, 4], y, &[2]).unwrap();
    let eval = model.evaluate(&data, 8).unwrap();
    assert!(
        (eval.loss - train_loss).abs() < 1e-5,
        "inference {} against training {train_loss}",
        eval.loss
    );
}

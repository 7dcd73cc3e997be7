//! The MLP of `mlp_mnist` learns real MNIST (skipped where `LUMINET_DATA` holds no MNIST).

use luminet::data::mnist::{self, Kind};
use luminet::prelude::*;

#[test]
fn one_epoch_of_the_mlp_passes_94_percent() {
    let Some(root) = std::env::var_os("LUMINET_DATA") else {
        return;
    };
    let dir = std::path::PathBuf::from(root).join("mnist");
    if !dir.exists() {
        return;
    }
    let data = mnist::load(Kind::Mnist, Some(&dir)).unwrap();
    let spec = Sequential::new("mlp", &[1, 28, 28])
        .flatten()
        .dense(128, &[Activation::Relu])
        .dense(10, &[Activation::Softmax])
        .build();
    let mut model = Model::new(spec, 0).unwrap();
    let fit = Fit {
        epochs: 1,
        batch_size: 64,
        verbose: false,
        ..Fit::default()
    };
    let h = model.fit(&data.train, &fit).unwrap();
    assert!(h.last().unwrap().loss < 0.4, "{}", h.last().unwrap());
    let test = model.evaluate(&data.test, 1000).unwrap();
    assert!(test.accuracy >= 0.94, "test accuracy {}", test.accuracy);
}

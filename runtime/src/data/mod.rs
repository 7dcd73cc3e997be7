//! Datasets: in-memory samples, batching with seeded shuffling, and the loaders.

pub mod idx;
pub mod mnist;

use crate::error::{Error, Result};
use crate::rng::Rng;

/// Samples and targets in memory, row-major, one sample after another.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The inputs, `len() * x_shape.product()` values.
    pub x: Vec<f32>,
    /// The shape of one input.
    pub x_shape: Vec<usize>,
    /// The targets, `len() * y_shape.product()` values.
    pub y: Vec<f32>,
    /// The shape of one target (e.g. `[10]` one-hot, `[1]` binary).
    pub y_shape: Vec<usize>,
}

impl Dataset {
    /// A dataset, checking that inputs and targets hold the same number of samples.
    pub fn new(x: Vec<f32>, x_shape: &[usize], y: Vec<f32>, y_shape: &[usize]) -> Result<Self> {
        let (xs, ys) = (
            x_shape.iter().product::<usize>(),
            y_shape.iter().product::<usize>(),
        );
        if xs == 0 || ys == 0 || !x.len().is_multiple_of(xs) || !y.len().is_multiple_of(ys) {
            return Err(Error::Shape(format!(
                "{} input values do not divide into samples of {x_shape:?}, or {} targets into {y_shape:?}",
                x.len(),
                y.len()
            )));
        }
        if x.len() / xs != y.len() / ys {
            return Err(Error::Shape(format!(
                "{} input samples of {x_shape:?} but {} targets of {y_shape:?}",
                x.len() / xs,
                y.len() / ys
            )));
        }
        Ok(Dataset {
            x,
            x_shape: x_shape.to_vec(),
            y,
            y_shape: y_shape.to_vec(),
        })
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.y.len() / self.y_shape.iter().product::<usize>()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn sample_sizes(&self) -> (usize, usize) {
        (self.x_shape.iter().product(), self.y_shape.iter().product())
    }

    /// Inputs and targets of the samples at `indices`, in that order.
    pub fn gather(&self, indices: &[usize]) -> (Vec<f32>, Vec<f32>) {
        let (xs, ys) = self.sample_sizes();
        let mut x = Vec::with_capacity(indices.len() * xs);
        let mut y = Vec::with_capacity(indices.len() * ys);
        for &i in indices {
            x.extend_from_slice(&self.x[i * xs..(i + 1) * xs]);
            y.extend_from_slice(&self.y[i * ys..(i + 1) * ys]);
        }
        (x, y)
    }

    /// Samples `range`, copied.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Dataset {
        let (xs, ys) = self.sample_sizes();
        Dataset {
            x: self.x[range.start * xs..range.end * xs].to_vec(),
            x_shape: self.x_shape.clone(),
            y: self.y[range.start * ys..range.end * ys].to_vec(),
            y_shape: self.y_shape.clone(),
        }
    }

    /// The first `n` samples and the rest, like Keras' `validation_split` (which holds out the
    /// last samples, before any shuffling).
    pub fn split_at(&self, n: usize) -> (Dataset, Dataset) {
        let n = n.min(self.len());
        (self.slice(0..n), self.slice(n..self.len()))
    }

    /// Row `i` of the targets.
    pub fn target(&self, i: usize) -> &[f32] {
        let ys = self.sample_sizes().1;
        &self.y[i * ys..(i + 1) * ys]
    }
}

/// Class labels as one-hot rows.
pub fn one_hot(labels: &[u8], classes: usize) -> Vec<f32> {
    let mut out = vec![0.0; labels.len() * classes];
    for (row, &l) in out.chunks_mut(classes).zip(labels) {
        row[l as usize] = 1.0;
    }
    out
}

/// The sample indices of one epoch, cut into batches; shuffled when `rng` is given. The last
/// batch may be smaller.
pub fn batches(n: usize, batch_size: usize, rng: Option<&mut Rng>) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(rng) = rng {
        rng.shuffle(&mut order);
    }
    order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batching_covers_every_sample_once() {
        let b = batches(10, 4, Some(&mut Rng::new(1)));
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut all: Vec<usize> = b.concat();
        assert_ne!(all, (0..10).collect::<Vec<_>>(), "shuffled");
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(batches(10, 4, Some(&mut Rng::new(1))), b, "seeded");
    }

    #[test]
    fn datasets_check_their_lengths() {
        assert!(Dataset::new(vec![0.0; 6], &[3], vec![0.0; 2], &[1]).is_ok());
        let e = Dataset::new(vec![0.0; 6], &[3], vec![0.0; 3], &[1]).unwrap_err();
        assert!(
            e.to_string()
                .contains("2 input samples of [3] but 3 targets"),
            "{e}"
        );
        assert_eq!(one_hot(&[2, 0], 3), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    }
}

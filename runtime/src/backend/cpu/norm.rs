//! Batch normalization kernels over `[B, C, S]`: two passes over the activations for the
//! statistics and two for the parameter gradients, one each for the normalization and the
//! input gradient. Per-channel sums run in eight `f32` lanes per run and add runs in `f64`.

use rayon::prelude::*;

use super::pool;
use crate::fused::NormGeom;

/// `sum f(a_i, b_i)` over two runs of equal length, in eight lanes so that it vectorizes.
#[inline(always)]
fn sum_pairs(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(&x, &y)| f(x, y))
        .sum();
    for (x, y) in ac.zip(bc) {
        for l in 0..8 {
            lanes[l] += f(x[l], y[l]);
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Per channel: the sum over every sample's run of `f(c, a_run, b_run)`, `a` and `b` laid out
/// as `[B, C, S]`; runs are added in `f64`.
fn channel_sums(
    a: &[f32],
    b: &[f32],
    g: &NormGeom,
    f: impl Fn(usize, &[f32], &[f32]) -> f32 + Sync,
) -> Vec<f64> {
    (0..g.channels)
        .into_par_iter()
        .map(|c| {
            (0..g.batch)
                .map(|n| {
                    let at = (n * g.channels + c) * g.size;
                    f(c, &a[at..at + g.size], &b[at..at + g.size]) as f64
                })
                .sum()
        })
        .collect()
}

/// The sum per channel, in `f64`.
fn sums(x: &[f32], g: &NormGeom) -> Vec<f64> {
    channel_sums(x, x, g, |_, a, _| run_sum(a))
}

kernel! {
    fn run_sum(a: &[f32]) -> f32 {
        sum_pairs(a, a, |v, _| v)
    }
}

kernel! {
    /// `sum (a_i - m)^2`.
    fn squared_deviations(a: &[f32], m: f32) -> f32 {
        sum_pairs(a, a, |v, _| (v - m) * (v - m))
    }
}

kernel! {
    /// `sum g_i ((x_i - m) k)`.
    fn centred_dot(g: &[f32], x: &[f32], m: f32, k: f32) -> f32 {
        sum_pairs(g, x, |gv, x| gv * ((x - m) * k))
    }
}

/// The sum per channel.
pub(crate) fn channel_sum(x: &[f32], g: &NormGeom) -> Vec<f32> {
    sums(x, g).iter().map(|&s| s as f32).collect()
}

/// `[mean; variance]` per channel.
pub(crate) fn moments(x: &[f32], g: &NormGeom) -> Vec<f32> {
    let n = g.count() as f64;
    let mean: Vec<f32> = sums(x, g).iter().map(|s| (s / n) as f32).collect();
    let var = channel_sums(x, x, g, |c, a, _| squared_deviations(a, mean[c]));
    let mut out = mean;
    out.extend(var.iter().map(|s| (s / n) as f32));
    out
}

/// Per channel: the mean, `1 / sqrt(var + epsilon)`.
fn centre_and_scale(stats: &[f32], g: &NormGeom, epsilon: f32) -> (Vec<f32>, Vec<f32>) {
    let (mean, var) = stats.split_at(g.channels);
    let inv = var.iter().map(|v| (v + epsilon).sqrt().recip()).collect();
    (mean.to_vec(), inv)
}

/// Calls `f(c, at, run)` for every `[S]` run of `out` (channel `c`, starting at element `at`),
/// in parallel over samples.
fn per_plane(out: &mut [f32], g: &NormGeom, f: impl Fn(usize, usize, &mut [f32]) + Sync) {
    out.par_chunks_mut(g.channels * g.size)
        .enumerate()
        .for_each(|(b, sample)| {
            for (c, plane) in sample.chunks_mut(g.size).enumerate() {
                f(c, (b * g.channels + c) * g.size, plane);
            }
        });
}

pub(crate) fn normalize(
    x: &[f32],
    stats: &[f32],
    gamma: &[f32],
    beta: &[f32],
    g: &NormGeom,
    epsilon: f32,
) -> Vec<f32> {
    let (mean, inv) = centre_and_scale(stats, g, epsilon);
    let mut y = pool::take(x.len());
    per_plane(&mut y, g, |c, at, plane| {
        let xs = &x[at..at + plane.len()];
        normalize_run(plane, xs, mean[c], inv[c] * gamma[c], beta[c]);
    });
    y
}

/// `[sum(g xhat); sum(g)]` per channel.
pub(crate) fn param_grad(
    dy: &[f32],
    x: &[f32],
    stats: &[f32],
    g: &NormGeom,
    epsilon: f32,
) -> Vec<f32> {
    let (mean, inv) = centre_and_scale(stats, g, epsilon);
    let gx = channel_sums(dy, x, g, |c, gs, xs| centred_dot(gs, xs, mean[c], inv[c]));
    let mut out: Vec<f32> = gx.iter().map(|&s| s as f32).collect();
    out.extend(channel_sum(dy, g));
    out
}

pub(crate) fn input_grad(
    dy: &[f32],
    x: &[f32],
    stats: &[f32],
    gamma: &[f32],
    sums: &[f32],
    g: &NormGeom,
    epsilon: f32,
) -> Vec<f32> {
    let (mean, inv) = centre_and_scale(stats, g, epsilon);
    let (sum_gx, sum_g) = sums.split_at(g.channels);
    let n = g.count() as f32;
    let mut dx = pool::take(x.len());
    per_plane(&mut dx, g, |c, at, plane| {
        let (xs, gs) = (&x[at..at + plane.len()], &dy[at..at + plane.len()]);
        let k = inv[c] * gamma[c] / n;
        let sums = (n, sum_g[c], sum_gx[c]);
        input_grad_run(plane, xs, gs, mean[c], inv[c], k, sums);
    });
    dx
}

kernel! {
    /// `y = (x - m) k + b` over one run.
    fn normalize_run(y: &mut [f32], x: &[f32], m: f32, k: f32, b: f32) {
        y.iter_mut().zip(x).for_each(|(y, x)| *y = (x - m) * k + b);
    }
}

kernel! {
    /// The input gradient over one run of channel statistics `m`, `inv`, scale `k` and sums
    /// `(n, sum g, sum g xhat)`.
    fn input_grad_run(
        d: &mut [f32],
        x: &[f32],
        g: &[f32],
        m: f32,
        inv: f32,
        k: f32,
        sums: (f32, f32, f32),
    ) {
        let (n, sum_g, sum_gx) = sums;
        for ((d, &x), &gv) in d.iter_mut().zip(x).zip(g) {
            let xhat = (x - m) * inv;
            *d = (n * gv - sum_g - xhat * sum_gx) * k;
        }
    }
}

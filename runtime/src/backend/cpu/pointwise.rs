//! One-pass kernels for the elementwise fused ops (the rectifier and the optimizer's updates),
//! each written over its first input.

use rayon::prelude::*;

use crate::fused::Fused;

const GRAIN: usize = 1 << 14;

/// Applies an elementwise fused op to `out` (its first input) and the other inputs `ins`.
pub fn apply(op: Fused, out: &mut [f32], ins: &[&[f32]]) {
    match op {
        Fused::Relu => out.par_chunks_mut(GRAIN).for_each(relu),
        Fused::ReluGrad => zip(out, ins[0], relu_grad),
        Fused::AdamMoment { beta } => zip(out, ins[0], |m, g| moment(m, g, beta)),
        Fused::AdamVariance { beta } => zip(out, ins[0], |v, g| variance(v, g, beta)),
        Fused::AdamStep { epsilon } => {
            let (m, v, lr) = (ins[0], ins[1], ins[2][0]);
            out.par_chunks_mut(GRAIN)
                .zip(m.par_chunks(GRAIN).zip(v.par_chunks(GRAIN)))
                .for_each(|(w, (m, v))| adam_step(w, m, v, lr, epsilon));
        }
        other => unreachable!("{other:?} is not elementwise"),
    }
}

/// Runs `f(out_chunk, other_chunk)` over matching chunks on all threads.
fn zip(out: &mut [f32], other: &[f32], f: impl Fn(&mut [f32], &[f32]) + Sync) {
    out.par_chunks_mut(GRAIN)
        .zip(other.par_chunks(GRAIN))
        .for_each(|(o, x)| f(o, x));
}

kernel! {
    fn relu(x: &mut [f32]) {
        x.iter_mut().for_each(|x| *x *= (0.0 < *x) as u8 as f32);
    }
}

kernel! {
    /// The rectifier's gradient `g`, read from its output `y`.
    fn relu_grad(g: &mut [f32], y: &[f32]) {
        g.iter_mut().zip(y).for_each(|(g, y)| *g *= (0.0 < *y) as u8 as f32);
    }
}

kernel! {
    fn moment(m: &mut [f32], g: &[f32], beta: f32) {
        m.iter_mut().zip(g).for_each(|(m, g)| *m = beta * *m + (1.0 - beta) * g);
    }
}

kernel! {
    fn variance(v: &mut [f32], g: &[f32], beta: f32) {
        v.iter_mut().zip(g).for_each(|(v, g)| *v = beta * *v + (1.0 - beta) * g * g);
    }
}

kernel! {
    fn adam_step(w: &mut [f32], m: &[f32], v: &[f32], lr: f32, epsilon: f32) {
        for ((w, m), v) in w.iter_mut().zip(m).zip(v) {
            *w -= lr * m / (v.sqrt() + epsilon);
        }
    }
}

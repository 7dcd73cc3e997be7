//! One-pass kernels for the elementwise fused ops (the rectifier and the optimizer's updates),
//! each written over its first input.

use rayon::prelude::*;

use crate::fused::Fused;

const GRAIN: usize = 1 << 14;

/// Applies an elementwise fused op to `out` (its first input) and the other inputs `ins`.
pub fn apply(op: Fused, out: &mut [f32], ins: &[&[f32]]) {
    match op {
        Fused::Relu => out.par_chunks_mut(GRAIN).for_each(|o| {
            o.iter_mut().for_each(|x| *x *= (0.0 < *x) as u8 as f32);
        }),
        Fused::ReluGrad => zip(out, ins[0], |g, y| g * (0.0 < y) as u8 as f32),
        Fused::AdamMoment { beta } => zip(out, ins[0], |m, g| beta * m + (1.0 - beta) * g),
        Fused::AdamVariance { beta } => zip(out, ins[0], |v, g| beta * v + (1.0 - beta) * g * g),
        Fused::AdamStep { epsilon } => {
            let (m, v, lr) = (ins[0], ins[1], ins[2][0]);
            let body = |(w, (m, v)): (&mut [f32], (&[f32], &[f32]))| {
                for ((w, m), v) in w.iter_mut().zip(m).zip(v) {
                    *w -= lr * m / (v.sqrt() + epsilon);
                }
            };
            out.par_chunks_mut(GRAIN)
                .zip(m.par_chunks(GRAIN).zip(v.par_chunks(GRAIN)))
                .for_each(body);
        }
        other => unreachable!("{other:?} is not elementwise"),
    }
}

fn zip(out: &mut [f32], other: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) {
    out.par_chunks_mut(GRAIN)
        .zip(other.par_chunks(GRAIN))
        .for_each(|(o, x)| {
            o.iter_mut().zip(x).for_each(|(a, b)| *a = f(*a, *b));
        });
}

//! Convolution by im2col + GEMM, and pooling: the kernels of those fused ops.
//!
//! Work splits over the images of the batch (rayon), each task with its own column buffer and
//! a single-threaded GEMM, which keeps both cores busy even for small channel counts.

use rayon::prelude::*;

use crate::fused::{ConvGeom, PoolGeom};

/// `dst[m, n] (+)= sum_k a[m, k] b[k, n]` with explicit row and column strides.
#[allow(clippy::too_many_arguments)]
fn sgemm(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    (drs, dcs): (isize, isize),
    accumulate: bool,
    a: &[f32],
    (ars, acs): (isize, isize),
    b: &[f32],
    (brs, bcs): (isize, isize),
) {
    let last = |rs: isize, cs: isize, r: usize, c: usize| {
        (r.saturating_sub(1) as isize * rs + c.saturating_sub(1) as isize * cs) as usize
    };
    assert!(last(drs, dcs, m, n) < dst.len().max(1) || m * n == 0);
    assert!(last(ars, acs, m, k) < a.len().max(1) || m * k == 0);
    assert!(last(brs, bcs, k, n) < b.len().max(1) || k * n == 0);
    // SAFETY: the asserts above bound every index gemm reads or writes.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            dcs,
            drs,
            accumulate,
            a.as_ptr(),
            acs,
            ars,
            b.as_ptr(),
            bcs,
            brs,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Unfolds one image `[C, H, W]` into columns `[C KH KW, OH OW]`.
fn im2col(x: &[f32], g: &ConvGeom, col: &mut [f32]) {
    let (oh, ow) = (g.oh(), g.ow());
    let p = oh * ow;
    for c in 0..g.c {
        let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for i in 0..g.kh {
            for j in 0..g.kw {
                let row = &mut col[((c * g.kh + i) * g.kw + j) * p..][..p];
                for oy in 0..oh {
                    let iy = (oy * g.sh + i * g.dh) as isize - g.ph.0 as isize;
                    let out = &mut row[oy * ow..(oy + 1) * ow];
                    if iy < 0 || iy >= g.h as isize {
                        out.fill(0.0);
                        continue;
                    }
                    let src = &plane[iy as usize * g.w..(iy as usize + 1) * g.w];
                    for (ox, o) in out.iter_mut().enumerate() {
                        let ix = (ox * g.sw + j * g.dw) as isize - g.pw.0 as isize;
                        *o = if ix >= 0 && ix < g.w as isize {
                            src[ix as usize]
                        } else {
                            0.0
                        };
                    }
                }
            }
        }
    }
}

/// Folds columns `[C KH KW, OH OW]` back into one image `[C, H, W]`, adding overlaps.
fn col2im(col: &[f32], g: &ConvGeom, x: &mut [f32]) {
    let (oh, ow) = (g.oh(), g.ow());
    let p = oh * ow;
    x.fill(0.0);
    for c in 0..g.c {
        let plane = &mut x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for i in 0..g.kh {
            for j in 0..g.kw {
                let row = &col[((c * g.kh + i) * g.kw + j) * p..][..p];
                for oy in 0..oh {
                    let iy = (oy * g.sh + i * g.dh) as isize - g.ph.0 as isize;
                    if iy < 0 || iy >= g.h as isize {
                        continue;
                    }
                    let dst = &mut plane[iy as usize * g.w..(iy as usize + 1) * g.w];
                    for (ox, v) in row[oy * ow..(oy + 1) * ow].iter().enumerate() {
                        let ix = (ox * g.sw + j * g.dw) as isize - g.pw.0 as isize;
                        if ix >= 0 && ix < g.w as isize {
                            dst[ix as usize] += v;
                        }
                    }
                }
            }
        }
    }
}

fn sizes(g: &ConvGeom) -> (usize, usize, usize) {
    (g.c * g.h * g.w, g.c * g.kh * g.kw, g.oh() * g.ow())
}

pub(crate) fn conv_forward(x: &[f32], w: &[f32], g: &ConvGeom) -> Vec<f32> {
    let (img, ck, p) = sizes(g);
    let mut out = vec![0.0; g.batch * g.f * p];
    out.par_chunks_mut(g.f * p)
        .zip(x.par_chunks(img))
        .for_each_init(
            || vec![0.0; ck * p],
            |col, (o, xb)| {
                im2col(xb, g, col);
                let (p_, ck_) = (p as isize, ck as isize);
                sgemm((g.f, p, ck), o, (p_, 1), false, w, (ck_, 1), col, (p_, 1));
            },
        );
    out
}

pub(crate) fn conv_input_grad(dy: &[f32], w: &[f32], g: &ConvGeom) -> Vec<f32> {
    let (img, ck, p) = sizes(g);
    let mut dx = vec![0.0; g.batch * img];
    dx.par_chunks_mut(img)
        .zip(dy.par_chunks(g.f * p))
        .for_each_init(
            || vec![0.0; ck * p],
            |col, (d, gb)| {
                // columns = W^T g: W is [F, CK], read transposed.
                let (p_, ck_) = (p as isize, ck as isize);
                sgemm((ck, p, g.f), col, (p_, 1), false, w, (1, ck_), gb, (p_, 1));
                col2im(col, g, d);
            },
        );
    dx
}

pub(crate) fn conv_filter_grad(x: &[f32], dy: &[f32], g: &ConvGeom) -> Vec<f32> {
    let (img, ck, p) = sizes(g);
    // Fixed chunks of images, summed in order afterwards: the result does not depend on how
    // rayon schedules the work, so training is reproducible bit for bit.
    const IMAGES: usize = 8;
    let partials: Vec<Vec<f32>> = x
        .par_chunks(img * IMAGES)
        .zip(dy.par_chunks(g.f * p * IMAGES))
        .map(|(xs, gs)| {
            let mut acc = vec![0.0; g.f * ck];
            let mut col = vec![0.0; ck * p];
            for (xb, gb) in xs.chunks(img).zip(gs.chunks(g.f * p)) {
                im2col(xb, g, &mut col);
                // dW += g [F, P] * columns^T [P, CK].
                let (p_, ck_) = (p as isize, ck as isize);
                sgemm(
                    (g.f, ck, p),
                    &mut acc,
                    (ck_, 1),
                    true,
                    gb,
                    (p_, 1),
                    &col,
                    (1, p_),
                );
            }
            acc
        })
        .collect();
    let mut total = vec![0.0; g.f * ck];
    for part in partials {
        total.iter_mut().zip(&part).for_each(|(t, v)| *t += v);
    }
    total
}

pub(crate) fn max_pool(x: &[f32], p: &PoolGeom) -> Vec<f32> {
    let (oh, ow) = (p.oh(), p.ow());
    let mut out = vec![0.0; p.planes * oh * ow];
    out.par_chunks_mut(oh * ow)
        .zip(x.par_chunks(p.h * p.w))
        .for_each(|(o, plane)| {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut best = f32::NEG_INFINITY;
                    for i in 0..p.kh {
                        let row = &plane[(oy * p.sh + i) * p.w + ox * p.sw..][..p.kw];
                        best = row.iter().fold(best, |b, &v| b.max(v));
                    }
                    o[oy * ow + ox] = best;
                }
            }
        });
    out
}

pub(crate) fn max_pool_grad(x: &[f32], dy: &[f32], p: &PoolGeom) -> Vec<f32> {
    let (oh, ow) = (p.oh(), p.ow());
    let mut dx = vec![0.0; p.planes * p.h * p.w];
    dx.par_chunks_mut(p.h * p.w)
        .zip(x.par_chunks(p.h * p.w))
        .zip(dy.par_chunks(oh * ow))
        .for_each(|((d, plane), gp)| {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut best = (f32::NEG_INFINITY, 0);
                    for i in 0..p.kh {
                        for j in 0..p.kw {
                            let at = (oy * p.sh + i) * p.w + ox * p.sw + j;
                            if plane[at] > best.0 {
                                best = (plane[at], at);
                            }
                        }
                    }
                    d[best.1] += gp[oy * ow + ox];
                }
            }
        });
    dx
}

pub(crate) fn avg_pool(x: &[f32], p: &PoolGeom) -> Vec<f32> {
    let (oh, ow) = (p.oh(), p.ow());
    let scale = 1.0 / (p.kh * p.kw) as f32;
    let mut out = vec![0.0; p.planes * oh * ow];
    out.par_chunks_mut(oh * ow)
        .zip(x.par_chunks(p.h * p.w))
        .for_each(|(o, plane)| {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut sum = 0.0;
                    for i in 0..p.kh {
                        sum += plane[(oy * p.sh + i) * p.w + ox * p.sw..][..p.kw]
                            .iter()
                            .sum::<f32>();
                    }
                    o[oy * ow + ox] = sum * scale;
                }
            }
        });
    out
}

pub(crate) fn avg_pool_grad(dy: &[f32], p: &PoolGeom) -> Vec<f32> {
    let (oh, ow) = (p.oh(), p.ow());
    let scale = 1.0 / (p.kh * p.kw) as f32;
    let mut dx = vec![0.0; p.planes * p.h * p.w];
    dx.par_chunks_mut(p.h * p.w)
        .zip(dy.par_chunks(oh * ow))
        .for_each(|(d, gp)| {
            for oy in 0..oh {
                for ox in 0..ow {
                    let v = gp[oy * ow + ox] * scale;
                    for i in 0..p.kh {
                        d[(oy * p.sh + i) * p.w + ox * p.sw..][..p.kw]
                            .iter_mut()
                            .for_each(|x| *x += v);
                    }
                }
            }
        });
    dx
}

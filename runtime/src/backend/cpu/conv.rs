//! Convolution by im2col + GEMM, and pooling: the kernels of those fused ops.
//!
//! Work splits over chunks of the batch (rayon): small images go several to a GEMM, side by
//! side, so that the GEMM has columns enough to run near its peak. Each task unfolds into its
//! thread's column buffer, kept between calls, and runs a single-threaded GEMM, which keeps
//! both cores busy even for small channel counts.

use rayon::prelude::*;

use super::{pool, winograd};
use crate::fused::{ConvGeom, PoolGeom};

/// `dst[m, n] (+)= sum_k a[m, k] b[k, n]` with explicit row and column strides.
#[allow(clippy::too_many_arguments)]
pub(super) fn sgemm(
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

/// The outputs `lo..hi` of an axis whose output `o` reads input `o * stride + offset`, for
/// those that land inside `0..n_in`.
fn span(n_out: usize, stride: usize, offset: isize, n_in: usize) -> (usize, usize) {
    let s = stride as isize;
    let lo = if offset >= 0 {
        0
    } else {
        (-offset + s - 1) / s
    };
    let hi = (n_in as isize - offset + s - 1)
        .div_euclid(s)
        .clamp(0, n_out as isize);
    (lo.min(hi) as usize, hi as usize)
}

/// Where each kernel offset reads the input, worked out once per kernel call.
struct Taps {
    /// The input row that output row `oy` reads at kernel row `i`, at `i * OH + oy` (`None`
    /// in padding).
    rows: Vec<Option<usize>>,
    /// For kernel column `j`: the output columns `lo..hi` that read the input, and the input
    /// column that the first of them reads.
    cols: Vec<(usize, usize, usize)>,
}

impl Taps {
    fn new(g: &ConvGeom) -> Taps {
        let rows = (0..g.kh)
            .flat_map(|i| (0..g.oh()).map(move |oy| (i, oy)))
            .map(|(i, oy)| {
                let iy = (oy * g.sh + i * g.dh) as isize - g.ph.0 as isize;
                (iy >= 0 && iy < g.h as isize).then_some(iy as usize)
            })
            .collect();
        let cols = (0..g.kw)
            .map(|j| {
                let x_off = (j * g.dw) as isize - g.pw.0 as isize;
                let (lo, hi) = span(g.ow(), g.sw, x_off, g.w);
                let ix = (lo as isize * g.sw as isize + x_off).max(0) as usize;
                (lo, hi, ix)
            })
            .collect();
        Taps { rows, cols }
    }
}

/// `dst.copy_from_slice(src[..dst.len()])` for the short rows of a convolution, as fixed-size
/// moves (the last one overlapping the one before): a call to `memcpy` per row of a dozen
/// values costs more than the copy.
#[inline(always)]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    #[inline(always)]
    fn block<const N: usize>(dst: &mut [f32], src: &[f32]) {
        let d: &mut [f32; N] = dst.try_into().expect("a block");
        *d = src.try_into().expect("a block");
    }
    let n = dst.len();
    let src = &src[..n];
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            block::<8>(&mut dst[i..i + 8], &src[i..i + 8]);
            i += 8;
        }
        if i < n {
            block::<8>(&mut dst[n - 8..], &src[n - 8..]);
        }
    } else if n >= 4 {
        block::<4>(&mut dst[..4], &src[..4]);
        block::<4>(&mut dst[n - 4..], &src[n - 4..]);
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

/// `dst += src[..dst.len()]` for short rows, in fixed-size blocks.
#[inline(always)]
fn add_short(dst: &mut [f32], src: &[f32]) {
    let n = dst.len();
    let full = n / 8 * 8;
    let (dh, dt) = dst.split_at_mut(full);
    let (sh, st) = src[..n].split_at(full);
    for (d, s) in dh.chunks_exact_mut(8).zip(sh.chunks_exact(8)) {
        let d: &mut [f32; 8] = d.try_into().expect("a block");
        let s: &[f32; 8] = s.try_into().expect("a block");
        for k in 0..8 {
            d[k] += s[k];
        }
    }
    for (d, s) in dt.iter_mut().zip(st) {
        *d += s;
    }
}

kernel! {
    /// Unfolds one image `[C, H, W]` into columns `[C KH KW, OH OW]`, row `r` of which lands at
    /// `col[r * ld + at..]`: several images fill one matrix side by side.
    fn im2col(x: &[f32], g: &ConvGeom, t: &Taps, col: &mut [f32], ld: usize, at: usize) {
        let (oh, ow) = (g.oh(), g.ow());
        if g.sw == 1 && g.ph == (0, 0) && g.pw == (0, 0) {
            // Every output reads the input: straight row copies, no bounds to work out.
            for c in 0..g.c {
                let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
                for i in 0..g.kh {
                    for j in 0..g.kw {
                        let row = &mut col[((c * g.kh + i) * g.kw + j) * ld + at..][..oh * ow];
                        let src = &plane[i * g.dh * g.w + j * g.dw..];
                        for (oy, out) in row.chunks_exact_mut(ow).enumerate() {
                            copy_short(out, &src[oy * g.sh * g.w..][..ow]);
                        }
                    }
                }
            }
            return;
        }
        for c in 0..g.c {
            let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
            for i in 0..g.kh {
                for (j, &(lo, hi, ix)) in t.cols.iter().enumerate() {
                    let row = &mut col[((c * g.kh + i) * g.kw + j) * ld + at..][..oh * ow];
                    let src_rows = &t.rows[i * oh..(i + 1) * oh];
                    for (out, iy) in row.chunks_exact_mut(ow).zip(src_rows) {
                        let Some(iy) = iy.filter(|_| lo < hi) else {
                            out.fill(0.0);
                            continue;
                        };
                        let src = &plane[iy * g.w + ix..(iy + 1) * g.w];
                        out[..lo].fill(0.0);
                        out[hi..].fill(0.0);
                        if g.sw == 1 {
                            copy_short(&mut out[lo..hi], &src[..hi - lo]);
                        } else {
                            let src = src.iter().step_by(g.sw);
                            out[lo..hi].iter_mut().zip(src).for_each(|(o, v)| *o = *v);
                        }
                    }
                }
            }
        }
    }
}

kernel! {
    /// Folds columns `[C KH KW, OH OW]`, laid out as [`im2col`] writes them, back into one image
    /// `[C, H, W]`, adding overlaps.
    fn col2im(col: &[f32], g: &ConvGeom, t: &Taps, ld: usize, at: usize, x: &mut [f32]) {
        let (oh, ow) = (g.oh(), g.ow());
        x.fill(0.0);
        for c in 0..g.c {
            let plane = &mut x[c * g.h * g.w..(c + 1) * g.h * g.w];
            for i in 0..g.kh {
                for (j, &(lo, hi, ix)) in t.cols.iter().enumerate() {
                    let row = &col[((c * g.kh + i) * g.kw + j) * ld + at..][..oh * ow];
                    let dst_rows = &t.rows[i * oh..(i + 1) * oh];
                    for (src, iy) in row.chunks_exact(ow).zip(dst_rows) {
                        let Some(iy) = iy.filter(|_| lo < hi) else {
                            continue;
                        };
                        let (src, dst) = (&src[lo..hi], &mut plane[iy * g.w + ix..(iy + 1) * g.w]);
                        if g.sw == 1 {
                            add_short(&mut dst[..src.len()], src);
                        } else {
                            let dst = dst.iter_mut().step_by(g.sw);
                            dst.zip(src).for_each(|(d, v)| *d += v);
                        }
                    }
                }
            }
        }
    }
}

thread_local! {
    /// Each thread's column buffer, kept between calls.
    static COLUMNS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's column buffer, sized `len`.
pub(super) fn with_columns<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    COLUMNS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() < len {
            c.resize(len, 0.0);
        }
        f(&mut c[..len])
    })
}

fn sizes(g: &ConvGeom) -> (usize, usize, usize) {
    (g.c * g.h * g.w, g.c * g.kh * g.kw, g.oh() * g.ow())
}

/// Images per GEMM: enough columns side by side for the GEMM to run near its peak. Fixed by
/// the geometry alone, so that results do not depend on the thread count.
fn images_per_gemm(g: &ConvGeom) -> usize {
    (1024 / (g.oh() * g.ow()).max(1)).clamp(1, g.batch.max(1))
}

kernel! {
    /// The `n` images `[F, P]` of a chunk as one matrix `[F, n P]`.
    fn images_to_matrix(images: &[f32], matrix: &mut [f32], f: usize, p: usize) {
        let n = images.len() / (f * p);
        for (k, image) in images.chunks(f * p).enumerate() {
            for (fi, row) in image.chunks(p).enumerate() {
                matrix[fi * n * p + k * p..][..p].copy_from_slice(row);
            }
        }
    }
}

kernel! {
    /// The inverse of [`images_to_matrix`], adding `bias[f]` to row `f` on the way.
    fn matrix_to_images(
        matrix: &[f32],
        images: &mut [f32],
        f: usize,
        p: usize,
        bias: Option<&[f32]>,
    ) {
        let n = images.len() / (f * p);
        for (k, image) in images.chunks_mut(f * p).enumerate() {
            for (fi, row) in image.chunks_mut(p).enumerate() {
                let src = &matrix[fi * n * p + k * p..][..p];
                match bias {
                    Some(b) => row.iter_mut().zip(src).for_each(|(o, v)| *o = v + b[fi]),
                    None => row.copy_from_slice(src),
                }
            }
        }
    }
}

/// How one kernel call unfolds images into columns and folds them back. A padded convolution
/// at unit stride first copies each image into a zero-bordered one, and then runs as the
/// unpadded convolution of that, whose rows copy straight across.
struct Unfold {
    g: ConvGeom,
    /// The taps of the geometry the columns are made in (`bordered`'s, when present).
    taps: Taps,
    /// The unpadded geometry over bordered images, when the convolution is run as one.
    bordered: Option<ConvGeom>,
}

impl Unfold {
    fn new(g: &ConvGeom) -> Unfold {
        let padded = g.ph != (0, 0) || g.pw != (0, 0);
        let bordered = (padded && g.sw == 1).then(|| ConvGeom {
            h: g.h + g.ph.0 + g.ph.1,
            w: g.w + g.pw.0 + g.pw.1,
            ph: (0, 0),
            pw: (0, 0),
            ..*g
        });
        Unfold {
            g: *g,
            taps: Taps::new(bordered.as_ref().unwrap_or(g)),
            bordered,
        }
    }

    /// Scratch space the calls below need.
    fn scratch(&self) -> usize {
        self.bordered.map_or(0, |b| b.c * b.h * b.w)
    }

    /// [`im2col`] of one image.
    fn im2col(&self, x: &[f32], scratch: &mut [f32], col: &mut [f32], ld: usize, at: usize) {
        let Some(b) = &self.bordered else {
            return im2col(x, &self.g, &self.taps, col, ld, at);
        };
        let g = &self.g;
        scratch.fill(0.0);
        for (plane, src) in scratch.chunks_mut(b.h * b.w).zip(x.chunks(g.h * g.w)) {
            let rows = plane[g.ph.0 * b.w..].chunks_mut(b.w);
            for (row, src) in rows.zip(src.chunks(g.w)) {
                copy_short(&mut row[g.pw.0..g.pw.0 + g.w], src);
            }
        }
        im2col(scratch, b, &self.taps, col, ld, at);
    }

    /// [`col2im`] into one image.
    fn col2im(&self, col: &[f32], ld: usize, at: usize, scratch: &mut [f32], x: &mut [f32]) {
        let Some(b) = &self.bordered else {
            return col2im(col, &self.g, &self.taps, ld, at, x);
        };
        let g = &self.g;
        col2im(col, b, &self.taps, ld, at, scratch);
        for (plane, dst) in scratch.chunks(b.h * b.w).zip(x.chunks_mut(g.h * g.w)) {
            let rows = plane[g.ph.0 * b.w..].chunks(b.w);
            for (row, dst) in rows.zip(dst.chunks_mut(g.w)) {
                copy_short(dst, &row[g.pw.0..g.pw.0 + g.w]);
            }
        }
    }
}

pub(crate) fn conv_forward(x: &[f32], w: &[f32], bias: Option<&[f32]>, g: &ConvGeom) -> Vec<f32> {
    if winograd::fits(g) {
        return winograd::forward(x, w, bias, g);
    }
    let (img, ck, p) = sizes(g);
    let n = images_per_gemm(g);
    let u = Unfold::new(g);
    let mut out = pool::take(g.batch * g.f * p);
    out.par_chunks_mut(g.f * p * n)
        .zip(x.par_chunks(img * n))
        .for_each(|(o, xs)| {
            let np = xs.len() / img * p;
            // One image needs no regrouping: the GEMM writes its output directly.
            let y_len = if np == p { 0 } else { g.f * np };
            with_columns(ck * np + y_len + u.scratch(), |buf| {
                let (col, rest) = buf.split_at_mut(ck * np);
                let (y, scratch) = rest.split_at_mut(y_len);
                for (k, xb) in xs.chunks(img).enumerate() {
                    u.im2col(xb, scratch, col, np, k * p);
                }
                // y [F, n P] = W [F, CK] columns [CK, n P].
                let (np_, ck_) = (np as isize, ck as isize);
                let dst = if np == p { &mut *o } else { &mut *y };
                sgemm(
                    (g.f, np, ck),
                    dst,
                    (np_, 1),
                    false,
                    w,
                    (ck_, 1),
                    col,
                    (np_, 1),
                );
                if np == p {
                    if let Some(b) = bias {
                        for (row, b) in o.chunks_mut(p).zip(b) {
                            row.iter_mut().for_each(|v| *v += b);
                        }
                    }
                } else {
                    matrix_to_images(y, o, g.f, p, bias);
                }
            })
        });
    out
}

pub(crate) fn conv_input_grad(dy: &[f32], w: &[f32], g: &ConvGeom) -> Vec<f32> {
    if winograd::fits(g) {
        return winograd::input_grad(dy, w, g);
    }
    let (img, ck, p) = sizes(g);
    let n = images_per_gemm(g);
    let u = Unfold::new(g);
    let mut dx = pool::take(g.batch * img);
    dx.par_chunks_mut(img * n)
        .zip(dy.par_chunks(g.f * p * n))
        .for_each(|(d, gs)| {
            let np = d.len() / img * p;
            let g_len = if np == p { 0 } else { g.f * np };
            with_columns(ck * np + g_len + u.scratch(), |buf| {
                let (col, rest) = buf.split_at_mut(ck * np);
                let (gm, scratch) = rest.split_at_mut(g_len);
                let gm: &[f32] = if np == p {
                    gs
                } else {
                    images_to_matrix(gs, gm, g.f, p);
                    gm
                };
                // columns [CK, n P] = W^T g: W is [F, CK], read transposed.
                let (np_, ck_) = (np as isize, ck as isize);
                sgemm(
                    (ck, np, g.f),
                    col,
                    (np_, 1),
                    false,
                    w,
                    (1, ck_),
                    gm,
                    (np_, 1),
                );
                for (k, db) in d.chunks_mut(img).enumerate() {
                    u.col2im(col, np, k * p, scratch, db);
                }
            })
        });
    dx
}

pub(crate) fn conv_filter_grad(x: &[f32], dy: &[f32], g: &ConvGeom) -> Vec<f32> {
    if winograd::fits(g) {
        return winograd::filter_grad(x, dy, g);
    }
    let (img, ck, p) = sizes(g);
    let n = images_per_gemm(g);
    let u = Unfold::new(g);
    // One partial sum per chunk of images, added in order afterwards: the result does not
    // depend on how rayon schedules the work, so training is reproducible bit for bit.
    let partials: Vec<Vec<f32>> = x
        .par_chunks(img * n)
        .zip(dy.par_chunks(g.f * p * n))
        .map(|(xs, gs)| {
            let np = xs.len() / img * p;
            let g_len = if np == p { 0 } else { g.f * np };
            let mut acc = vec![0.0; g.f * ck];
            with_columns(ck * np + g_len + u.scratch(), |buf| {
                let (col, rest) = buf.split_at_mut(ck * np);
                let (gm, scratch) = rest.split_at_mut(g_len);
                for (k, xb) in xs.chunks(img).enumerate() {
                    u.im2col(xb, scratch, col, np, k * p);
                }
                let gm: &[f32] = if np == p {
                    gs
                } else {
                    images_to_matrix(gs, gm, g.f, p);
                    gm
                };
                // dW^T [CK, F] = columns [CK, n P] g^T [n P, F]: this orientation runs faster
                // than g columns^T (by 40-50% for 32 filters of 3x3x32 over 784 columns).
                let (np_, f_) = (np as isize, g.f as isize);
                sgemm(
                    (ck, g.f, np),
                    &mut acc,
                    (f_, 1),
                    false,
                    col,
                    (np_, 1),
                    gm,
                    (1, np_),
                );
            });
            acc
        })
        .collect();
    // The partial sums are `[CK, F]`; the gradient is `[F, CK]`.
    let mut total = pool::zeroed(g.f * ck);
    for part in partials {
        for (r, row) in part.chunks(g.f).enumerate() {
            for (fi, v) in row.iter().enumerate() {
                total[fi * ck + r] += v;
            }
        }
    }
    total
}

/// Planes per rayon task in the pooling kernels.
const PLANES_PER_TASK: usize = 16;

pub(crate) fn max_pool(x: &[f32], p: &PoolGeom) -> Vec<f32> {
    let (oh, ow) = (p.oh(), p.ow());
    let mut out = pool::take(p.planes * oh * ow);
    let n = PLANES_PER_TASK;
    out.par_chunks_mut(oh * ow * n)
        .zip(x.par_chunks(p.h * p.w * n))
        .for_each(|(os, xs)| {
            for (o, plane) in os.chunks_mut(oh * ow).zip(xs.chunks(p.h * p.w)) {
                max_pool_plane(o, plane, p);
            }
        });
    out
}

kernel! {
    /// Max pooling of one plane.
    fn max_pool_plane(o: &mut [f32], plane: &[f32], p: &PoolGeom) {
        for (oy, orow) in o.chunks_exact_mut(p.ow()).enumerate() {
            let rows = &plane[oy * p.sh * p.w..];
            if (p.kh, p.kw, p.sh, p.sw) == (2, 2, 2, 2) {
                let (r0, r1) = (&rows[..p.w], &rows[p.w..2 * p.w]);
                let pairs = r0.chunks_exact(2).zip(r1.chunks_exact(2));
                for (d, (a, b)) in orow.iter_mut().zip(pairs) {
                    *d = a[0].max(a[1]).max(b[0].max(b[1]));
                }
                continue;
            }
            orow.fill(f32::NEG_INFINITY);
            for i in 0..p.kh {
                let row = &rows[i * p.w..(i + 1) * p.w];
                for (ox, d) in orow.iter_mut().enumerate() {
                    let win = &row[ox * p.sw..ox * p.sw + p.kw];
                    *d = win.iter().fold(*d, |b, &v| b.max(v));
                }
            }
        }
    }
}

/// The gradient of max pooling: each window's gradient goes to every input equal to the
/// window's maximum `y` (as the primitive form has it; only ties see the difference from
/// choosing one).
pub(crate) fn max_pool_grad(x: &[f32], y: &[f32], dy: &[f32], p: &PoolGeom) -> Vec<f32> {
    let (oh, ow) = (p.oh(), p.ow());
    let fast = (p.kh, p.kw, p.sh, p.sw) == (2, 2, 2, 2);
    let mut dx = if fast {
        pool::take(p.planes * p.h * p.w)
    } else {
        pool::zeroed(p.planes * p.h * p.w)
    };
    let (n, plane, out) = (PLANES_PER_TASK, p.h * p.w, oh * ow);
    dx.par_chunks_mut(plane * n)
        .zip(x.par_chunks(plane * n))
        .zip(y.par_chunks(out * n).zip(dy.par_chunks(out * n)))
        .for_each(|((ds, xs), (ys, gs))| {
            let outs = ys.chunks(out).zip(gs.chunks(out));
            for ((d, x), (y, g)) in ds.chunks_mut(plane).zip(xs.chunks(plane)).zip(outs) {
                if fast {
                    max_pool_grad_2x2(d, x, y, g, p);
                    continue;
                }
                for (at, (&m, &g)) in y.iter().zip(g).enumerate() {
                    let (oy, ox) = (at / ow, at % ow);
                    for i in 0..p.kh {
                        let row = (oy * p.sh + i) * p.w + ox * p.sw;
                        let win = d[row..row + p.kw].iter_mut().zip(&x[row..row + p.kw]);
                        win.for_each(|(d, &v)| *d += if v == m { g } else { 0.0 });
                    }
                }
            }
        });
    dx
}

kernel! {
    /// [`max_pool_grad`] for one plane of 2x2 windows at stride 2: each input row is written
    /// once, whole, so the plane needs no zeroing first.
    fn max_pool_grad_2x2(d: &mut [f32], x: &[f32], y: &[f32], g: &[f32], p: &PoolGeom) {
        let ow = p.ow();
        let outs = y.chunks_exact(ow).zip(g.chunks_exact(ow));
        for (r, (y, g)) in outs.enumerate() {
            for k in 0..2 {
                let row = (2 * r + k) * p.w;
                let (drow, xrow) = (&mut d[row..row + p.w], &x[row..row + p.w]);
                drow[2 * ow..].fill(0.0);
                let pairs = drow.chunks_exact_mut(2).zip(xrow.chunks_exact(2));
                for ((d, x), (&m, &g)) in pairs.zip(y.iter().zip(g)) {
                    d[0] = if x[0] == m { g } else { 0.0 };
                    d[1] = if x[1] == m { g } else { 0.0 };
                }
            }
        }
        d[2 * y.len() / ow.max(1) * p.w..].fill(0.0);
    }
}

pub(crate) fn avg_pool(x: &[f32], p: &PoolGeom) -> Vec<f32> {
    let (oh, ow) = (p.oh(), p.ow());
    let scale = 1.0 / (p.kh * p.kw) as f32;
    let mut out = pool::take(p.planes * oh * ow);
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
    let mut dx = pool::zeroed(p.planes * p.h * p.w);
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

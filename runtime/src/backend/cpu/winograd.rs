//! 3x3 convolutions at unit stride by Winograd's minimal filtering, F(2x2, 3x3) (Lavin and
//! Gray, 2015): each 2x2 block of outputs takes 16 products per channel pair instead of 36.
//!
//! A 4x4 input tile `d`, read every 2 pixels, becomes `V = B^T d B`; a filter `w` becomes
//! `U = G w G^T`; the outputs are `Y = A^T (U . V) A`, with `.` elementwise. Summed over input
//! channels, `U . V` is 16 matrix products `M[xi] = U[xi] V[xi]`, one per tile element `xi`,
//! which run on the GEMM. The backward products follow from the same algebra: with
//! `Z = A dY A^T`, the input gradient is `B (U^T Z) B^T`, overlap-added tile by tile, and the
//! filter gradient is `G^T (Z V^T) G`.
//!
//! Work splits over chunks of the batch, as in [`super::conv`]. Inside a chunk the transforms
//! run on eight channels at a time: planes are first laid out channels-last, and the tile
//! matrices are `[16, tiles, channels]`, which the GEMM reads through its strides.

use rayon::prelude::*;

use super::conv::{sgemm, with_columns};
#[cfg(all(test, target_arch = "x86_64"))]
use super::lanes::with_avx;
#[cfg(test)]
use super::lanes::{avx2_fma, Kernel, Plain};
use super::lanes::{Lanes, LANES};
use super::pool::{self, Buffer};
use crate::fused::ConvGeom;

/// Tile elements: a 4x4 tile.
const XI: usize = 16;

/// Columns per GEMM: tiles of several images side by side.
const COLUMNS: usize = 512;

/// Whether a convolution runs here: 3x3 at unit stride and dilation, with channels in
/// multiples of [`LANES`] on both sides.
pub(crate) fn fits(g: &ConvGeom) -> bool {
    (g.kh, g.kw, g.sh, g.sw, g.dh, g.dw) == (3, 3, 1, 1, 1, 1)
        && g.c.is_multiple_of(LANES)
        && g.f.is_multiple_of(LANES)
        && g.c > 0
        && g.f > 0
}

/// How a plane splits into tiles.
struct Tiles {
    /// Tile rows and columns: the output in 2x2 blocks, the last ones cut by the edge.
    th: usize,
    tw: usize,
    /// Width of the zero-bordered input plane the tiles read, `2 tw + 2` (its height is
    /// `2 th + 2`).
    wb: usize,
    oh: usize,
    ow: usize,
}

impl Tiles {
    fn new(g: &ConvGeom) -> Tiles {
        let (oh, ow) = (g.oh(), g.ow());
        let (th, tw) = (oh.div_ceil(2), ow.div_ceil(2));
        Tiles {
            th,
            tw,
            wb: 2 * tw + 2,
            oh,
            ow,
        }
    }

    /// Tiles per image.
    fn count(&self) -> usize {
        self.th * self.tw
    }

    /// Pixels of the bordered plane.
    fn plane(&self) -> usize {
        (2 * self.th + 2) * self.wb
    }

    /// Images per chunk, fixed by the geometry so that results do not depend on the thread
    /// count.
    fn per_chunk(&self, g: &ConvGeom) -> usize {
        (COLUMNS / self.count().max(1)).clamp(1, g.batch.max(1))
    }
}

/// `B^T d` along one axis.
#[inline(always)]
fn bt<L: Lanes>(l: L, d: [L::V; 4]) -> [L::V; 4] {
    [
        l.sub(d[0], d[2]),
        l.add(d[1], d[2]),
        l.sub(d[2], d[1]),
        l.sub(d[1], d[3]),
    ]
}

/// `B v` along one axis, the adjoint of [`bt`].
#[inline(always)]
fn b<L: Lanes>(l: L, v: [L::V; 4]) -> [L::V; 4] {
    [
        v[0],
        l.add(l.sub(v[1], v[2]), v[3]),
        l.sub(l.add(v[1], v[2]), v[0]),
        l.sub(l.zero(), v[3]),
    ]
}

/// `A^T m` along one axis.
#[inline(always)]
fn at<L: Lanes>(l: L, m: [L::V; 4]) -> [L::V; 2] {
    [
        l.add(l.add(m[0], m[1]), m[2]),
        l.sub(l.sub(m[1], m[2]), m[3]),
    ]
}

/// `A y` along one axis, the adjoint of [`at`].
#[inline(always)]
fn a<L: Lanes>(l: L, y: [L::V; 2]) -> [L::V; 4] {
    [
        y[0],
        l.add(y[0], y[1]),
        l.sub(y[0], y[1]),
        l.sub(l.zero(), y[1]),
    ]
}

/// The 4x4 lanes at `src[at + i * row + j * col..]`. (No closures here or below: a closure
/// compiles outside the AVX2 entry, and the intrinsics it calls would not inline.)
#[inline(always)]
fn tile4<L: Lanes>(l: L, src: &[f32], at: usize, row: usize, col: usize) -> [[L::V; 4]; 4] {
    let mut d = [[l.zero(); 4]; 4];
    for (i, d) in d.iter_mut().enumerate() {
        for (j, d) in d.iter_mut().enumerate() {
            *d = l.load(&src[at + i * row + j * col..]);
        }
    }
    d
}

/// Applies the 4-point transform `f` along the rows of `d`, then along its columns; the
/// result is indexed `[column][row]`.
#[inline(always)]
fn both_axes<L: Lanes, F>(l: L, d: [[L::V; 4]; 4], f: F) -> [[L::V; 4]; 4]
where
    F: Fn(L, [L::V; 4]) -> [L::V; 4],
{
    let rows = [f(l, d[0]), f(l, d[1]), f(l, d[2]), f(l, d[3])];
    let mut out = [[l.zero(); 4]; 4];
    for (j, out) in out.iter_mut().enumerate() {
        *out = f(l, [rows[0][j], rows[1][j], rows[2][j], rows[3][j]]);
    }
    out
}

/// `[a, (a + b + c) / 2, (a - b + c) / 2, c]`: one axis of `G w G^T`.
fn g_rows(w: [f32; 3]) -> [f32; 4] {
    [
        w[0],
        0.5 * (w[0] + w[1] + w[2]),
        0.5 * (w[0] - w[1] + w[2]),
        w[2],
    ]
}

/// One axis of `G^T u G`, the adjoint of [`g_rows`].
fn gt_rows(u: [f32; 4]) -> [f32; 3] {
    [
        u[0] + 0.5 * (u[1] + u[2]),
        0.5 * (u[1] - u[2]),
        0.5 * (u[1] + u[2]) + u[3],
    ]
}

/// The filters `[F, C, 3, 3]` as `U = G w G^T`, laid out `[16, F, C]`, in a pooled buffer.
fn filters(w: &[f32], g: &ConvGeom) -> Vec<f32> {
    let fc = g.f * g.c;
    // Every element is written below.
    let mut u = pool::take(XI * fc);
    for (at, k) in w.chunks_exact(9).enumerate() {
        let rows = [0, 1, 2].map(|i| g_rows([k[3 * i], k[3 * i + 1], k[3 * i + 2]]));
        for j in 0..4 {
            let col = g_rows([rows[0][j], rows[1][j], rows[2][j]]);
            for (i, v) in col.iter().enumerate() {
                u[(i * 4 + j) * fc + at] = *v;
            }
        }
    }
    u
}

/// The filter gradient `[F, C, 3, 3]` from `dU` laid out `[16, F, C]`.
fn filter_grad_from(du: &[f32], g: &ConvGeom) -> Vec<f32> {
    let fc = g.f * g.c;
    let mut dw = pool::take(fc * 9);
    for (at, k) in dw.chunks_exact_mut(9).enumerate() {
        let cols = [0, 1, 2, 3].map(|j| gt_rows([0, 1, 2, 3].map(|i| du[(i * 4 + j) * fc + at])));
        for i in 0..3 {
            let row = gt_rows([cols[0][i], cols[1][i], cols[2][i], cols[3][i]]);
            k[3 * i..3 * i + 3].copy_from_slice(&row);
        }
    }
    dw
}

lanes_kernel! {
    /// `V = B^T d B` for every tile of one image `x` `[C, H, W]`: tile `t`'s element `xi`
    /// lands at `v[(xi * ld + t) * C..][..C]`. `plane` is scratch for the image bordered and
    /// laid out channels-last.
    fn input_tiles => InputTiles(
        l,
        x: &'a [f32],
        g: &'a ConvGeom,
        t: &'a Tiles,
        plane: &'a mut [f32],
        v: &'a mut [f32],
        ld: usize,
    ) {
        let c = g.c;
        let (plane, compact) = plane.split_at_mut(t.plane() * c);
        to_channels_last(l, x, c, compact);
        plane.fill(0.0);
        for (iy, row) in compact.chunks_exact(g.w * c).take(g.h).enumerate() {
            let at = ((iy + g.ph.0) * t.wb + g.pw.0) * c;
            plane[at..at + row.len()].copy_from_slice(row);
        }
        for ty in 0..t.th {
            for tx in 0..t.tw {
                let tile = ty * t.tw + tx;
                for cb in (0..c).step_by(LANES) {
                    let d = tile4(l, plane, (2 * ty * t.wb + 2 * tx) * c + cb, t.wb * c, c);
                    // V = B^T d B, indexed [j][i].
                    let d = both_axes(l, d, bt);
                    for (j, col) in d.iter().enumerate() {
                        for (i, lanes) in col.iter().enumerate() {
                            l.store(&mut v[((i * 4 + j) * ld + tile) * c + cb..], *lanes);
                        }
                    }
                }
            }
        }
    }
}

lanes_kernel! {
    /// `Y = A^T M A` plus `bias` for every tile of one image's output `y` `[F, OH, OW]`:
    /// tile `t`'s element `xi` is read at `m[(xi * ld + t) * F..][..F]`. `compact` is
    /// scratch for the output laid out channels-last.
    fn output_tiles => OutputTiles(
        l,
        m: &'a [f32],
        ld: usize,
        g: &'a ConvGeom,
        t: &'a Tiles,
        bias: Option<&'a [f32]>,
        compact: &'a mut [f32],
        y: &'a mut [f32],
    ) {
        let f = g.f;
        for ty in 0..t.th {
            for tx in 0..t.tw {
                let tile = ty * t.tw + tx;
                for fb in (0..f).step_by(LANES) {
                    let d = tile4(l, m, tile * f + fb, 4 * ld * f, ld * f);
                    // Y = A^T M A: rows, then columns, indexed [c][r].
                    let rows = [at(l, d[0]), at(l, d[1]), at(l, d[2]), at(l, d[3])];
                    let cols = [
                        at(l, [rows[0][0], rows[1][0], rows[2][0], rows[3][0]]),
                        at(l, [rows[0][1], rows[1][1], rows[2][1], rows[3][1]]),
                    ];
                    let bias = match bias {
                        Some(b) => l.load(&b[fb..]),
                        None => l.zero(),
                    };
                    for (c, col) in cols.iter().enumerate() {
                        for (r, lanes) in col.iter().enumerate() {
                            let (oy, ox) = (2 * ty + r, 2 * tx + c);
                            if oy < t.oh && ox < t.ow {
                                let at = (oy * t.ow + ox) * f + fb;
                                l.store(&mut compact[at..], l.add(*lanes, bias));
                            }
                        }
                    }
                }
            }
        }
        from_channels_last(l, &compact[..t.oh * t.ow * f], f, y);
    }
}

lanes_kernel! {
    /// `Z = A dY A^T` for every tile of one image's output gradient `dy` `[F, OH, OW]` (zero
    /// past its edges): tile `t`'s element `xi` lands at `z[(xi * ld + t) * F..][..F]`.
    /// `plane` is scratch for the gradient laid out channels-last.
    fn gradient_tiles => GradientTiles(
        l,
        dy: &'a [f32],
        g: &'a ConvGeom,
        t: &'a Tiles,
        plane: &'a mut [f32],
        z: &'a mut [f32],
        ld: usize,
    ) {
        let f = g.f;
        let width = 2 * t.tw;
        let (plane, compact) = plane.split_at_mut(t.plane() * f);
        let plane = &mut plane[..2 * t.th * width * f];
        to_channels_last(l, dy, f, compact);
        plane.fill(0.0);
        for (oy, row) in compact.chunks_exact(t.ow * f).take(t.oh).enumerate() {
            let at = oy * width * f;
            plane[at..at + row.len()].copy_from_slice(row);
        }
        for ty in 0..t.th {
            for tx in 0..t.tw {
                let tile = ty * t.tw + tx;
                for fb in (0..f).step_by(LANES) {
                    let at = (2 * ty * width + 2 * tx) * f + fb;
                    let (row, col) = (width * f, f);
                    let d0 = [l.load(&plane[at..]), l.load(&plane[at + col..])];
                    let d1 = [l.load(&plane[at + row..]), l.load(&plane[at + row + col..])];
                    let rows = [a(l, d0), a(l, d1)];
                    for j in 0..4 {
                        let col = a(l, [rows[0][j], rows[1][j]]);
                        for (i, lanes) in col.iter().enumerate() {
                            l.store(&mut z[((i * 4 + j) * ld + tile) * f + fb..], *lanes);
                        }
                    }
                }
            }
        }
    }
}

lanes_kernel! {
    /// Overlap-adds `B dV B^T` of every tile into one image's input gradient `dx`
    /// `[C, H, W]`: tile `t`'s element `xi` is read at `dv[(xi * ld + t) * C..][..C]`.
    /// `plane` is scratch for the bordered gradient laid out channels-last.
    fn input_grad_tiles => InputGradTiles(
        l,
        dv: &'a [f32],
        ld: usize,
        g: &'a ConvGeom,
        t: &'a Tiles,
        plane: &'a mut [f32],
        dx: &'a mut [f32],
    ) {
        let c = g.c;
        let (plane, compact) = plane.split_at_mut(t.plane() * c);
        plane.fill(0.0);
        for ty in 0..t.th {
            for tx in 0..t.tw {
                let tile = ty * t.tw + tx;
                for cb in (0..c).step_by(LANES) {
                    let d = tile4(l, dv, tile * c + cb, 4 * ld * c, ld * c);
                    // B dV B^T, indexed [j][i].
                    let d = both_axes(l, d, b);
                    for (j, col) in d.iter().enumerate() {
                        for (i, lanes) in col.iter().enumerate() {
                            let at = ((2 * ty + i) * t.wb + 2 * tx + j) * c + cb;
                            let sum = l.add(l.load(&plane[at..]), *lanes);
                            l.store(&mut plane[at..], sum);
                        }
                    }
                }
            }
        }
        for (iy, row) in compact.chunks_exact_mut(g.w * c).take(g.h).enumerate() {
            let at = ((iy + g.ph.0) * t.wb + g.pw.0) * c;
            row.copy_from_slice(&plane[at..at + row.len()]);
        }
        from_channels_last(l, &compact[..g.h * g.w * c], c, dx);
    }
}

/// `src` `[C, P]` as `dst` `[P, C]`, in 8x8 blocks.
#[inline(always)]
fn to_channels_last<L: Lanes>(l: L, src: &[f32], channels: usize, dst: &mut [f32]) {
    let p = src.len() / channels;
    let full = p / LANES * LANES;
    for cb in (0..channels).step_by(LANES) {
        for at in (0..full).step_by(LANES) {
            let mut rows = [l.zero(); LANES];
            for (k, row) in rows.iter_mut().enumerate() {
                *row = l.load(&src[(cb + k) * p + at..]);
            }
            for (k, col) in l.transpose8(rows).iter().enumerate() {
                l.store(&mut dst[(at + k) * channels + cb..], *col);
            }
        }
        for at in full..p {
            for k in 0..LANES {
                dst[at * channels + cb + k] = src[(cb + k) * p + at];
            }
        }
    }
}

/// The inverse of [`to_channels_last`]: `src` `[P, C]` as `dst` `[C, P]`.
#[inline(always)]
fn from_channels_last<L: Lanes>(l: L, src: &[f32], channels: usize, dst: &mut [f32]) {
    let p = dst.len() / channels;
    let full = p / LANES * LANES;
    for cb in (0..channels).step_by(LANES) {
        for at in (0..full).step_by(LANES) {
            let mut rows = [l.zero(); LANES];
            for (k, row) in rows.iter_mut().enumerate() {
                *row = l.load(&src[(at + k) * channels + cb..]);
            }
            for (k, col) in l.transpose8(rows).iter().enumerate() {
                l.store(&mut dst[(cb + k) * p + at..], *col);
            }
        }
        for at in full..p {
            for k in 0..LANES {
                dst[(cb + k) * p + at] = src[at * channels + cb + k];
            }
        }
    }
}

/// Splits `buf` into two tile matrices of a chunk and the plane scratch after them.
fn split(buf: &mut [f32], first: usize, second: usize) -> (&mut [f32], &mut [f32], &mut [f32]) {
    let (a, rest) = buf.split_at_mut(first);
    let (b, scratch) = rest.split_at_mut(second);
    (a, b, scratch)
}

/// Scratch for one plane laid out channels-last.
/// Scratch of the transforms: a bordered plane and a compact image, both channels-last.
fn plane_scratch(g: &ConvGeom, t: &Tiles) -> usize {
    t.plane() * g.c.max(g.f) + (g.h * g.w).max(t.oh * t.ow) * g.c.max(g.f)
}

/// `V` `[16, n T, C]` of a chunk of images `xs`.
fn input_matrix(xs: &[f32], g: &ConvGeom, t: &Tiles, plane: &mut [f32], v: &mut [f32], ld: usize) {
    for (k, image) in xs.chunks(g.c * g.h * g.w).enumerate() {
        input_tiles(image, g, t, plane, &mut v[k * t.count() * g.c..], ld);
    }
}

/// `Z` `[16, n T, F]` of a chunk's output gradients `gs`.
fn gradient_matrix(
    gs: &[f32],
    g: &ConvGeom,
    t: &Tiles,
    plane: &mut [f32],
    z: &mut [f32],
    ld: usize,
) {
    for (k, dy) in gs.chunks(g.f * t.oh * t.ow).enumerate() {
        gradient_tiles(dy, g, t, plane, &mut z[k * t.count() * g.f..], ld);
    }
}

pub(crate) fn forward(x: &[f32], w: &[f32], bias: Option<&[f32]>, g: &ConvGeom) -> Vec<f32> {
    let t = Tiles::new(g);
    let u = Buffer(filters(w, g));
    let (img, out_img) = (g.c * g.h * g.w, g.f * t.oh * t.ow);
    let n = t.per_chunk(g);
    let mut out = pool::take(g.batch * out_img);
    out.par_chunks_mut(out_img * n)
        .zip(x.par_chunks(img * n))
        .for_each(|(o, xs)| {
            let ld = xs.len() / img * t.count();
            let (vc, mc) = (XI * ld * g.c, XI * ld * g.f);
            with_columns(vc + mc + plane_scratch(g, &t), |buf| {
                let (v, m, plane) = split(buf, vc, mc);
                input_matrix(xs, g, &t, plane, v, ld);
                for xi in 0..XI {
                    // M[xi] [F, n T] = U[xi] [F, C] V[xi] [C, n T], both tile matrices
                    // stored tile-major.
                    sgemm(
                        (g.f, ld, g.c),
                        &mut m[xi * ld * g.f..][..ld * g.f],
                        (1, g.f as isize),
                        false,
                        &u.0[xi * g.f * g.c..][..g.f * g.c],
                        (g.c as isize, 1),
                        &v[xi * ld * g.c..][..ld * g.c],
                        (1, g.c as isize),
                    );
                }
                for (k, y) in o.chunks_mut(out_img).enumerate() {
                    output_tiles(&m[k * t.count() * g.f..], ld, g, &t, bias, plane, y);
                }
            })
        });
    out
}

pub(crate) fn input_grad(dy: &[f32], w: &[f32], g: &ConvGeom) -> Vec<f32> {
    let t = Tiles::new(g);
    let u = Buffer(filters(w, g));
    let (img, out_img) = (g.c * g.h * g.w, g.f * t.oh * t.ow);
    let n = t.per_chunk(g);
    let mut dx = pool::take(g.batch * img);
    dx.par_chunks_mut(img * n)
        .zip(dy.par_chunks(out_img * n))
        .for_each(|(d, gs)| {
            let ld = d.len() / img * t.count();
            let (zc, vc) = (XI * ld * g.f, XI * ld * g.c);
            with_columns(zc + vc + plane_scratch(g, &t), |buf| {
                let (z, dv, plane) = split(buf, zc, vc);
                gradient_matrix(gs, g, &t, plane, z, ld);
                for xi in 0..XI {
                    // dV[xi] [C, n T] = U[xi]^T [C, F] Z[xi] [F, n T].
                    sgemm(
                        (g.c, ld, g.f),
                        &mut dv[xi * ld * g.c..][..ld * g.c],
                        (1, g.c as isize),
                        false,
                        &u.0[xi * g.f * g.c..][..g.f * g.c],
                        (1, g.c as isize),
                        &z[xi * ld * g.f..][..ld * g.f],
                        (1, g.f as isize),
                    );
                }
                for (k, dxk) in d.chunks_mut(img).enumerate() {
                    input_grad_tiles(&dv[k * t.count() * g.c..], ld, g, &t, plane, dxk);
                }
            })
        });
    dx
}

pub(crate) fn filter_grad(x: &[f32], dy: &[f32], g: &ConvGeom) -> Vec<f32> {
    let t = Tiles::new(g);
    let (img, out_img) = (g.c * g.h * g.w, g.f * t.oh * t.ow);
    let n = t.per_chunk(g);
    let fc = g.f * g.c;
    // One partial dU per chunk, added in order: reproducible whatever the scheduling.
    let partials: Vec<Vec<f32>> = x
        .par_chunks(img * n)
        .zip(dy.par_chunks(out_img * n))
        .map(|(xs, gs)| {
            let ld = xs.len() / img * t.count();
            let (vc, zc) = (XI * ld * g.c, XI * ld * g.f);
            let mut du = pool::zeroed(XI * fc);
            with_columns(vc + zc + plane_scratch(g, &t), |buf| {
                let (v, z, plane) = split(buf, vc, zc);
                input_matrix(xs, g, &t, plane, v, ld);
                gradient_matrix(gs, g, &t, plane, z, ld);
                for xi in 0..XI {
                    // dU[xi] [F, C] = Z[xi] [F, n T] V[xi]^T [n T, C].
                    sgemm(
                        (g.f, g.c, ld),
                        &mut du[xi * fc..][..fc],
                        (g.c as isize, 1),
                        false,
                        &z[xi * ld * g.f..][..ld * g.f],
                        (1, g.f as isize),
                        &v[xi * ld * g.c..][..ld * g.c],
                        (g.c as isize, 1),
                    );
                }
            });
            du
        })
        .collect();
    let mut total = pool::zeroed(XI * fc);
    for part in partials {
        total.iter_mut().zip(&part).for_each(|(t, p)| *t += p);
        pool::give(part);
    }
    let dw = filter_grad_from(&total, g);
    pool::give(total);
    dw
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every transform gives the same bits on plain and AVX lanes.
    #[test]
    fn plain_and_avx_lanes_agree() {
        let g = ConvGeom {
            batch: 1,
            c: 16,
            h: 7,
            w: 6,
            f: 8,
            kh: 3,
            kw: 3,
            sh: 1,
            sw: 1,
            ph: (1, 0),
            pw: (1, 1),
            dh: 1,
            dw: 1,
        };
        let t = Tiles::new(&g);
        let ld = t.count();
        let mut rng = crate::rng::Rng::new(3);
        let mut random = |n: usize| (0..n).map(|_| rng.normal()).collect::<Vec<f32>>();
        let (x, dy) = (random(g.c * g.h * g.w), random(g.f * t.oh * t.ow));
        let (m, dv, bias) = (random(XI * ld * g.f), random(XI * ld * g.c), random(g.f));
        let mut results: Vec<Vec<Vec<f32>>> = vec![];
        for avx in [false, true].into_iter().filter(|&a| !a || avx2_fma()) {
            let mut plane = vec![0.0; plane_scratch(&g, &t)];
            let mut out = vec![
                vec![0.0; XI * ld * g.c],
                vec![0.0; g.f * t.oh * t.ow],
                vec![0.0; XI * ld * g.f],
                vec![0.0; g.c * g.h * g.w],
            ];
            let [v, y, z, dx] = &mut out[..] else {
                unreachable!()
            };
            macro_rules! go {
                ($k:expr) => {
                    if avx {
                        #[cfg(target_arch = "x86_64")]
                        // SAFETY: `avx2_fma` checked the processor.
                        unsafe {
                            with_avx($k)
                        }
                    } else {
                        $k.run(Plain)
                    }
                };
            }
            let pd = std::marker::PhantomData;
            go!(InputTiles {
                x: &x,
                g: &g,
                t: &t,
                plane: &mut plane,
                v,
                ld,
                _life: pd
            });
            go!(OutputTiles {
                m: &m,
                ld,
                g: &g,
                t: &t,
                bias: Some(&bias),
                compact: &mut plane,
                y,
                _life: pd
            });
            go!(GradientTiles {
                dy: &dy,
                g: &g,
                t: &t,
                plane: &mut plane,
                z,
                ld,
                _life: pd
            });
            go!(InputGradTiles {
                dv: &dv,
                ld,
                g: &g,
                t: &t,
                plane: &mut plane,
                dx,
                _life: pd
            });
            results.push(out);
        }
        for pair in results.windows(2) {
            assert_eq!(pair[0], pair[1]);
        }
        assert!(results[0].iter().all(|r| r.iter().any(|&v| v != 0.0)));
    }
}

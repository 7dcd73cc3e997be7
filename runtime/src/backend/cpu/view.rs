//! Reading a buffer through a luminal view with strides instead of index expressions.
//!
//! luminal interprets a symbolic index expression per element (~100 ns each). A view without
//! symbolic dimensions is just a stride, an offset and a valid range per logical axis, which
//! this module precomputes once per op call.

use luminal::prelude::ShapeTracker;

/// One logical axis of a view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    /// Logical length.
    pub len: usize,
    /// Step in the buffer per logical step (0 for a broadcast axis).
    pub stride: isize,
    /// Logical indices `lo..hi` read the buffer; the others read zero (padding).
    pub lo: usize,
    /// See `lo`.
    pub hi: usize,
    /// Buffer position of logical index 0, in units of `stride` (negative under padding).
    pub shift: isize,
}

/// A resolved view: logical axes in order, outermost first.
#[derive(Debug, Clone, PartialEq)]
pub struct Strided {
    /// The axes.
    pub axes: Vec<Axis>,
}

impl Strided {
    /// Resolves a luminal view whose dimensions are all known.
    pub fn new(view: &ShapeTracker) -> Strided {
        let n = view.dims.len();
        let size = |d: usize| view.dims[d].to_usize().expect("known dimension");
        // Strides of the physical (non-broadcast) dims, row-major in `dims` order.
        let mut stride = vec![0isize; n];
        let mut acc = 1isize;
        for d in (0..n).rev() {
            if !view.fake[d] {
                stride[d] = acc;
                acc *= size(d) as isize;
            }
        }
        let axes = view
            .indexes
            .iter()
            .map(|&d| {
                let len_phys = size(d);
                let get = |e: luminal::shape::symbolic::Expression| e.to_usize().unwrap_or(0);
                let (p0, p1) = (get(view.padding[d].0), get(view.padding[d].1));
                let s0 = get(view.slices[d].0);
                let s1 = view.slices[d].1.to_usize().unwrap_or(usize::MAX);
                let len = (len_phys + p0 + p1).min(s1) - s0;
                // Logical index i reads physical index i + s0 - p0 when that lies in 0..len_phys.
                let shift = s0 as isize - p0 as isize;
                let lo = (-shift).max(0) as usize;
                let hi = ((len_phys as isize - shift).max(0) as usize).min(len);
                Axis {
                    len,
                    stride: stride[d],
                    lo: lo.min(len),
                    hi,
                    shift,
                }
            })
            .collect();
        Strided { axes }
    }

    /// The number of logical elements.
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.len).product()
    }

    /// Whether the view has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every logical index reads the buffer (no padding).
    pub fn is_dense(&self) -> bool {
        self.axes.iter().all(|a| a.lo == 0 && a.hi == a.len)
    }

    /// Whether logical order is buffer order with no gaps.
    pub fn is_identity(&self) -> bool {
        let mut expect = 1isize;
        for a in self.axes.iter().rev() {
            if a.len > 1 && a.stride != expect {
                return false;
            }
            if a.shift != 0 {
                return false;
            }
            expect *= a.len as isize;
        }
        self.is_dense()
    }

    /// The same view with length-1 axes dropped and neighbouring axes merged wherever the
    /// outer one steps over exactly the inner one (a broadcast over both counts), so that its
    /// rows are as long as possible.
    pub fn merged(&self) -> Strided {
        let plain = |a: &Axis| a.lo == 0 && a.hi == a.len && a.shift == 0;
        let mut axes: Vec<Axis> = Vec::with_capacity(self.axes.len());
        for a in &self.axes {
            if a.len == 1 && plain(a) {
                continue;
            }
            match axes.last_mut() {
                Some(o) if plain(o) && plain(a) && o.stride == a.stride * a.len as isize => {
                    o.len *= a.len;
                    o.hi = o.len;
                    o.stride = a.stride;
                }
                _ => axes.push(*a),
            }
        }
        if axes.is_empty() && !self.axes.is_empty() {
            axes.push(Axis {
                len: 1,
                stride: 0,
                lo: 0,
                hi: 1,
                shift: 0,
            });
        }
        Strided { axes }
    }

    /// Buffer offset of logical index 0 on every axis (for dense views).
    pub fn base(&self) -> isize {
        self.axes.iter().map(|a| a.shift * a.stride).sum()
    }
}

/// Copies `data` as `view` reads it into a new contiguous buffer.
pub fn materialize(data: &[f32], view: &ShapeTracker) -> Vec<f32> {
    let v = Strided::new(view);
    let mut out = super::pool::take(v.len());
    gather(data, &v, &mut out);
    out
}

/// Writes the elements of `data` seen through `v`, in logical order, into `out`.
pub fn gather(data: &[f32], v: &Strided, out: &mut [f32]) {
    debug_assert_eq!(out.len(), v.len());
    if v.is_identity() {
        out.copy_from_slice(&data[..out.len()]);
        return;
    }
    for_rows(v, out, |row_base, valid, inner, dst| {
        let Some(base) = row_base else {
            dst.fill(0.0);
            return;
        };
        if !valid {
            for (i, d) in dst.iter_mut().enumerate() {
                *d = if i >= inner.lo && i < inner.hi {
                    data[(base + (i as isize + inner.shift) * inner.stride) as usize]
                } else {
                    0.0
                };
            }
            return;
        }
        let start = base + inner.shift * inner.stride;
        match inner.stride {
            0 => dst.fill(data[start as usize]),
            1 => dst.copy_from_slice(&data[start as usize..start as usize + dst.len()]),
            s => {
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = data[(start + i as isize * s) as usize];
                }
            }
        }
    });
}

/// Output elements per task above which [`for_rows`] splits across threads.
const PAR_GRAIN: usize = 1 << 15;

/// Calls `f` once per innermost row of `v`: the buffer offset of the row (`None` when an outer
/// index falls in padding), whether the whole row is valid, the inner axis, and the output row.
/// Axes that step through the buffer as one are merged first, so rows are as long as the
/// layout allows; large outputs are walked by several threads.
pub fn for_rows(
    v: &Strided,
    out: &mut [f32],
    f: impl Fn(Option<isize>, bool, &Axis, &mut [f32]) + Sync,
) {
    use rayon::prelude::*;
    let v = v.merged();
    let Some((inner, outer)) = v.axes.split_last() else {
        let unit = Axis {
            len: 1,
            stride: 0,
            lo: 0,
            hi: 1,
            shift: 0,
        };
        f(Some(v.base()), true, &unit, out);
        return;
    };
    let row = inner.len.max(1);
    let rows_per_task = (PAR_GRAIN / row).max(1);
    if out.len() < 2 * PAR_GRAIN || rayon::current_num_threads() == 1 {
        return rows_from(outer, inner, 0, out, &f);
    }
    out.par_chunks_mut(rows_per_task * row)
        .enumerate()
        .for_each(|(t, chunk)| rows_from(outer, inner, t * rows_per_task, chunk, &f));
}

/// [`for_rows`] over the rows of `out`, the first of which is row `first` of the view.
fn rows_from(
    outer: &[Axis],
    inner: &Axis,
    first: usize,
    out: &mut [f32],
    f: &impl Fn(Option<isize>, bool, &Axis, &mut [f32]),
) {
    let mut idx = vec![0usize; outer.len()];
    let mut rest = first;
    for (a, i) in outer.iter().zip(idx.iter_mut()).rev() {
        *i = rest % a.len.max(1);
        rest /= a.len.max(1);
    }
    let valid = inner.lo == 0 && inner.hi == inner.len;
    for dst in out.chunks_mut(inner.len.max(1)) {
        let mut base = Some(0isize);
        for (a, &i) in outer.iter().zip(&idx) {
            if i < a.lo || i >= a.hi {
                base = None;
                break;
            }
            base = base.map(|b| b + (i as isize + a.shift) * a.stride);
        }
        f(base, valid, inner, dst);
        for (a, i) in outer.iter().zip(idx.iter_mut()).rev() {
            *i += 1;
            if *i < a.len {
                break;
            }
            *i = 0;
        }
    }
}

//! 2-D convolution and pooling over `[B, C, H, W]`.
//!
//! Each is written in primitives as a sum over the kernel's `KH x KW` offsets: the input
//! window at offset `(i, j)` (a strided slice of the zero-padded input) times that offset's
//! `[C, F]` slice of the weights. The gradients are written the same way, each as its own
//! recorded [`Fused`] op, so that the CPU pipeline runs forward and backward as im2col + GEMM
//! kernels while any luminal backend can still run the primitives.
//!
//! Output size along each axis: `(n + pad_before + pad_after - dilation (k - 1) - 1) / stride + 1`.

use crate::fused::{ConvGeom, Fused, PoolGeom};
use crate::session::{Session, Var};

impl Session {
    /// The input window at kernel offset `(i, j)`: `[B, C, OH, OW]`.
    fn window(&mut self, xp: Var, i: usize, j: usize, g: &ConvGeom) -> Var {
        let rows = self.strided_slice(xp, 2, i * g.dh, g.oh(), g.sh);
        self.strided_slice(rows, 3, j * g.dw, g.ow(), g.sw)
    }

    /// Weights at kernel offset `(i, j)`: `[F, C]`.
    fn tap(&mut self, w: Var, i: usize, j: usize, g: &ConvGeom) -> Var {
        let wi = self.slice(w, 2, i, i + 1);
        let wij = self.slice(wi, 3, j, j + 1);
        self.reshape(wij, &[g.f, g.c])
    }

    /// `[B, K, OH, OW]` as rows `[B * OH * OW, K]`.
    fn rows(&mut self, x: Var) -> Var {
        let s = x.shape();
        let t = self.permute(x, &[0, 2, 3, 1]);
        self.reshape(t, &[s[0] * s[2] * s[3], s[1]])
    }

    /// Rows `[B * OH * OW, K]` back to `[B, K, OH, OW]`.
    fn unrows(&mut self, r: Var, g: &ConvGeom, k: usize) -> Var {
        let t = self.reshape(r, &[g.batch, g.oh(), g.ow(), k]);
        self.permute(t, &[0, 3, 1, 2])
    }

    fn padded(&mut self, x: Var, g: &ConvGeom) -> Var {
        let x = self.pad(x, 2, g.ph.0, g.ph.1);
        self.pad(x, 3, g.pw.0, g.pw.1)
    }

    fn sum_into(&mut self, acc: Option<Var>, part: Var) -> Option<Var> {
        Some(match acc {
            Some(a) => self.add(a, part),
            None => part,
        })
    }

    /// A 2-D convolution without bias.
    ///
    /// # Shapes
    /// `x: [B, C, H, W]`, `w: [F, C, KH, KW]`; result `[B, F, OH, OW]`.
    pub fn conv2d(&mut self, x: Var, w: Var, g: ConvGeom) -> Var {
        self.conv2d_with(x, w, None, g)
    }

    /// A 2-D convolution plus a bias per output channel, added as the kernel writes its output.
    ///
    /// # Shapes
    /// As [`Session::conv2d`], with `b: [F]`.
    pub fn conv2d_bias(&mut self, x: Var, w: Var, b: Var, g: ConvGeom) -> Var {
        self.conv2d_with(x, w, Some(b), g)
    }

    fn conv2d_with(&mut self, x: Var, w: Var, b: Option<Var>, g: ConvGeom) -> Var {
        assert_eq!(x.shape(), g.input(), "conv2d input");
        assert_eq!(w.shape(), g.weight(), "conv2d weights");
        let (op, inputs) = match b {
            Some(b) => {
                assert_eq!(b.shape(), [g.f], "conv2d bias");
                (Fused::Conv2dBias(g), vec![x, w, b])
            }
            None => (Fused::Conv2d(g), vec![x, w]),
        };
        let y = self.fused(op, &inputs, |s| {
            let xp = s.padded(x, &g);
            let mut acc = None;
            for (i, j) in offsets(g.kh, g.kw) {
                let win = s.window(xp, i, j, &g);
                let win = s.rows(win);
                let tap = s.tap(w, i, j, &g);
                let tap = s.transpose(tap);
                let part = s.matmul(win, tap);
                acc = s.sum_into(acc, part);
            }
            let y = s.unrows(acc.expect("a kernel has at least one tap"), &g, g.f);
            match b {
                Some(b) => {
                    let b = s.reshape(b, &[g.f, 1, 1]);
                    s.add(y, b)
                }
                None => y,
            }
        });
        self.set_grad_rule(y, move |s, dy| {
            let mut grads = vec![
                (x, s.conv2d_input_grad(dy, w, g)),
                (w, s.conv2d_filter_grad(x, dy, g)),
            ];
            if let Some(b) = b {
                grads.push((b, s.channel_sum(dy)));
            }
            grads
        });
        y
    }

    /// The gradient of [`Session::conv2d`] with respect to its input.
    pub fn conv2d_input_grad(&mut self, dy: Var, w: Var, g: ConvGeom) -> Var {
        self.fused(Fused::Conv2dInputGrad(g), &[dy, w], |s| {
            let gr = s.rows(dy);
            let (hp, wp) = (g.h + g.ph.0 + g.ph.1, g.w + g.pw.0 + g.pw.1);
            let mut acc = None;
            for (i, j) in offsets(g.kh, g.kw) {
                let tap = s.tap(w, i, j, &g);
                let part = s.matmul(gr, tap);
                let part = s.unrows(part, &g, g.c);
                let part = s.strided_pad(part, 2, i * g.dh, g.sh, hp);
                let part = s.strided_pad(part, 3, j * g.dw, g.sw, wp);
                acc = s.sum_into(acc, part);
            }
            let acc = acc.expect("a kernel has at least one tap");
            let acc = s.slice(acc, 2, g.ph.0, g.ph.0 + g.h);
            s.slice(acc, 3, g.pw.0, g.pw.0 + g.w)
        })
    }

    /// The gradient of [`Session::conv2d`] with respect to its weights.
    pub fn conv2d_filter_grad(&mut self, x: Var, dy: Var, g: ConvGeom) -> Var {
        self.fused(Fused::Conv2dFilterGrad(g), &[x, dy], |s| {
            let xp = s.padded(x, &g);
            let gr = s.rows(dy);
            let mut acc = None;
            for (i, j) in offsets(g.kh, g.kw) {
                let win = s.window(xp, i, j, &g);
                let win = s.rows(win);
                let wt = s.transpose(win);
                let part = s.matmul(wt, gr); // [C, F]
                let part = s.transpose(part);
                let part = s.reshape(part, &[g.f, g.c, 1, 1]);
                let part = s.pad(part, 2, i, g.kh - 1 - i);
                let part = s.pad(part, 3, j, g.kw - 1 - j);
                acc = s.sum_into(acc, part);
            }
            acc.expect("a kernel has at least one tap")
        })
    }

    fn pool_geom(x: Var, k: (usize, usize), stride: (usize, usize)) -> PoolGeom {
        let s = x.shape();
        assert_eq!(s.len(), 4, "pooling takes [B, C, H, W], got {s:?}");
        PoolGeom {
            planes: s[0] * s[1],
            h: s[2],
            w: s[3],
            kh: k.0,
            kw: k.1,
            sh: stride.0,
            sw: stride.1,
        }
    }

    fn pool_window(&mut self, x: Var, i: usize, j: usize, p: &PoolGeom) -> Var {
        let rows = self.strided_slice(x, 2, i, p.oh(), p.sh);
        self.strided_slice(rows, 3, j, p.ow(), p.sw)
    }

    fn pool_unwindow(&mut self, part: Var, i: usize, j: usize, p: &PoolGeom) -> Var {
        let part = self.strided_pad(part, 2, i, p.sh, p.h);
        self.strided_pad(part, 3, j, p.sw, p.w)
    }

    /// The maximum of each `size` window, `stride` apart, without padding.
    ///
    /// # Shapes
    /// `x: [B, C, H, W]`; result `[B, C, (H - KH) / SH + 1, (W - KW) / SW + 1]`.
    pub fn max_pool2d(&mut self, x: Var, size: (usize, usize), stride: (usize, usize)) -> Var {
        let p = Self::pool_geom(x, size, stride);
        let y = self.fused(Fused::MaxPool2d(p), &[x], |s| {
            let mut best: Option<Var> = None;
            for (i, j) in offsets(p.kh, p.kw) {
                let win = s.pool_window(x, i, j, &p);
                best = Some(match best {
                    Some(b) => s.maximum(b, win),
                    None => win,
                });
            }
            best.expect("a window has at least one element")
        });
        self.set_grad_rule(y, move |s, dy| {
            // Every maximum of a window takes the window's gradient.
            let dx = s.fused(Fused::MaxPool2dGrad(p), &[x, y, dy], |s| {
                let mut acc = None;
                for (i, j) in offsets(p.kh, p.kw) {
                    let win = s.pool_window(x, i, j, &p);
                    let hit = s.equal(win, y);
                    let part = s.mul(dy, hit);
                    let part = s.pool_unwindow(part, i, j, &p);
                    acc = s.sum_into(acc, part);
                }
                acc.expect("a window has at least one element")
            });
            vec![(x, dx)]
        });
        y
    }

    /// The mean of each `size` window, `stride` apart, without padding.
    ///
    /// # Shapes
    /// As [`Session::max_pool2d`].
    pub fn avg_pool2d(&mut self, x: Var, size: (usize, usize), stride: (usize, usize)) -> Var {
        let p = Self::pool_geom(x, size, stride);
        let scale = 1.0 / (p.kh * p.kw) as f32;
        let y = self.fused(Fused::AvgPool2d(p), &[x], |s| {
            let mut acc = None;
            for (i, j) in offsets(p.kh, p.kw) {
                let win = s.pool_window(x, i, j, &p);
                acc = s.sum_into(acc, win);
            }
            s.scale(acc.expect("a window has at least one element"), scale)
        });
        self.set_grad_rule(y, move |s, dy| {
            let dx = s.fused(Fused::AvgPool2dGrad(p), &[dy], |s| {
                let mut acc = None;
                for (i, j) in offsets(p.kh, p.kw) {
                    let part = s.pool_unwindow(dy, i, j, &p);
                    acc = s.sum_into(acc, part);
                }
                s.scale(acc.expect("a window has at least one element"), scale)
            });
            vec![(x, dx)]
        });
        y
    }
}

fn offsets(kh: usize, kw: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..kh).flat_map(move |i| (0..kw).map(move |j| (i, j)))
}

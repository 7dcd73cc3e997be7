//! Checking an op against finite differences and against luminal's primitive path.
//!
//! [`check_op`] builds `f` twice. The first graph runs uncompiled, on luminal's own primitive
//! interpreter; the second is compiled with luminet's CPU pipeline. Both must agree on the output
//! and on the gradients autodiff appends; then the compiled gradients must match central finite
//! differences. Every op, layer and loss in luminet is checked this way.

use crate::rng::Rng;
use crate::session::{Session, Var};

/// Tolerances for [`check_op`], suited to `f32`.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Finite-difference step.
    pub eps: f32,
    /// Allowed absolute error.
    pub abs: f32,
    /// Allowed error relative to the larger magnitude.
    pub rel: f32,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            eps: 1e-2,
            abs: 2e-3,
            rel: 2e-2,
        }
    }
}

struct Built {
    sess: Session,
    inputs: Vec<Var>,
    fixed: Vec<Var>,
    projection: Var,
    out: Var,
    loss: Var,
    grads: Vec<Var>,
}

type OpFn<'a> = &'a dyn Fn(&mut Session, &[Var], &[Var]) -> Var;

fn build(shapes: &[Vec<usize>], fixed: &[Vec<usize>], f: OpFn, compiled: bool) -> Built {
    let mut sess = Session::new();
    let mut inputs: Vec<Var> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| sess.input(&format!("x{i}"), s))
        .collect();
    let mut fixed: Vec<Var> = fixed
        .iter()
        .enumerate()
        .map(|(i, s)| sess.input(&format!("fixed{i}"), s))
        .collect();
    let mut out = f(&mut sess, &inputs, &fixed);
    // A random projection makes every output element matter to the scalar loss.
    let mut projection = sess.input("projection", &out.shape());
    let weighted = sess.mul(out, projection);
    let mut loss = sess.sum_all(weighted);
    let mut grads = sess.grad(loss, &inputs);
    out = sess.contiguous(out);
    for v in [out, loss].iter().chain(&grads) {
        sess.retrieve(*v);
    }
    if compiled {
        let remap = (
            &mut inputs,
            &mut fixed,
            &mut projection,
            &mut out,
            &mut loss,
            &mut grads,
        );
        sess.compile(crate::Device::Cpu, remap);
    }
    Built {
        sess,
        inputs,
        fixed,
        projection,
        out,
        loss,
        grads,
    }
}

/// The output, the loss and the gradients of one run.
type Eval = (Vec<f32>, f32, Vec<Vec<f32>>);

impl Built {
    /// Runs once: the output, the loss and the gradients.
    fn eval(&mut self, data: &[Vec<f32>], fixed: &[Vec<f32>], proj: &[f32]) -> Eval {
        for (x, d) in self
            .inputs
            .iter()
            .zip(data)
            .chain(self.fixed.iter().zip(fixed))
        {
            self.sess.set(*x, d.clone());
        }
        self.sess.set(self.projection, proj.to_vec());
        self.sess.run();
        let out = self.sess.take(self.out);
        let loss = self.sess.take(self.loss)[0];
        let grads = self.grads.iter().map(|g| self.sess.take(*g)).collect();
        (out, loss, grads)
    }
}

fn close(a: f32, b: f32, tol: &Tolerance) -> bool {
    (a - b).abs() <= tol.abs + tol.rel * a.abs().max(b.abs())
}

fn compare(what: &str, a: &[f32], b: &[f32], tol: &Tolerance) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("{what}: {} values against {}", a.len(), b.len()));
    }
    match a.iter().zip(b).position(|(x, y)| !close(*x, *y, tol)) {
        Some(i) => Err(format!("{what}: element {i} is {} against {}", a[i], b[i])),
        None => Ok(()),
    }
}

/// Checks `f` on inputs with the given shapes and values (see the module docs).
pub fn check_op(
    inputs: &[(Vec<usize>, Vec<f32>)],
    tol: Tolerance,
    f: impl Fn(&mut Session, &[Var]) -> Var,
) -> Result<(), String> {
    check_op_fixed(inputs, &[], tol, move |s, x, _| f(s, x))
}

/// [`check_op`] with extra inputs `fixed` (such as targets) that are not differentiated.
pub fn check_op_fixed(
    inputs: &[(Vec<usize>, Vec<f32>)],
    fixed: &[(Vec<usize>, Vec<f32>)],
    tol: Tolerance,
    f: impl Fn(&mut Session, &[Var], &[Var]) -> Var,
) -> Result<(), String> {
    let (mut fast, grads_f) = compare_paths(inputs, fixed, &f)?;
    let data: Vec<Vec<f32>> = inputs.iter().map(|(_, d)| d.clone()).collect();
    let fixed: Vec<Vec<f32>> = fixed.iter().map(|(_, d)| d.clone()).collect();
    let proj = projection(fast.out.shape().iter().product());
    for (i, g) in grads_f.iter().enumerate() {
        let mut numeric = vec![0.0; g.len()];
        for (j, n) in numeric.iter_mut().enumerate() {
            let mut shifted = data.clone();
            shifted[i][j] = data[i][j] + tol.eps;
            let up = fast.eval(&shifted, &fixed, &proj).1;
            shifted[i][j] = data[i][j] - tol.eps;
            let down = fast.eval(&shifted, &fixed, &proj).1;
            *n = (up - down) / (2.0 * tol.eps);
        }
        compare(
            &format!("gradient of input {i} against finite differences"),
            g,
            &numeric,
            &tol,
        )?;
    }
    Ok(())
}

/// Checks only that the compiled and primitive paths agree on `f`'s output and gradients: for
/// inputs too large for finite differences, where the kernels' multi-threaded paths take over.
pub fn check_paths(
    inputs: &[(Vec<usize>, Vec<f32>)],
    f: impl Fn(&mut Session, &[Var]) -> Var,
) -> Result<(), String> {
    compare_paths(inputs, &[], &move |s, x, _| f(s, x)).map(|_| ())
}

/// The random projection that weighs the output into the checked loss.
fn projection(n: usize) -> Vec<f32> {
    let mut rng = Rng::new(99);
    (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

/// Runs `f` uncompiled and compiled and compares the two; the compiled graph and its gradients
/// come back for further checks.
fn compare_paths(
    inputs: &[(Vec<usize>, Vec<f32>)],
    fixed: &[(Vec<usize>, Vec<f32>)],
    f: OpFn,
) -> Result<(Built, Vec<Vec<f32>>), String> {
    let shapes: Vec<Vec<usize>> = inputs.iter().map(|(s, _)| s.clone()).collect();
    let data: Vec<Vec<f32>> = inputs.iter().map(|(_, d)| d.clone()).collect();
    let fixed_shapes: Vec<Vec<usize>> = fixed.iter().map(|(s, _)| s.clone()).collect();
    let fixed: Vec<Vec<f32>> = fixed.iter().map(|(_, d)| d.clone()).collect();
    let mut primitive = build(&shapes, &fixed_shapes, f, false);
    let mut fast = build(&shapes, &fixed_shapes, f, true);
    let proj = projection(primitive.out.shape().iter().product());

    let (out_p, loss_p, grads_p) = primitive.eval(&data, &fixed, &proj);
    let (out_f, loss_f, grads_f) = fast.eval(&data, &fixed, &proj);
    let exact = Tolerance {
        abs: 1e-4,
        rel: 1e-4,
        ..Tolerance::default()
    };
    compare("output, compiled against primitive", &out_f, &out_p, &exact)?;
    let what = "loss, compiled against primitive";
    compare(what, &[loss_f], &[loss_p], &exact)?;
    for (i, (gf, gp)) in grads_f.iter().zip(&grads_p).enumerate() {
        let what = format!("gradient of input {i}, compiled against primitive");
        compare(&what, gf, gp, &exact)?;
    }
    Ok((fast, grads_f))
}

/// `n` values from a seeded uniform distribution on `[lo, hi)`.
pub fn uniform(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.uniform(lo, hi)).collect()
}

/// An input of `shape` filled uniformly on `[-1, 1)`.
pub fn random(shape: &[usize], seed: u64) -> (Vec<usize>, Vec<f32>) {
    (
        shape.to_vec(),
        uniform(shape.iter().product(), -1.0, 1.0, seed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_gradient_is_caught() {
        let wrong = check_op(&[random(&[4], 1)], Tolerance::default(), |s, x| {
            let y = s.sin(x[0]);
            let input = x[0];
            s.set_grad_rule(y, move |s, g| vec![(input, s.scale(g, 2.0))]);
            y
        });
        let err = wrong.expect_err("a doubled gradient must fail the check");
        assert!(err.contains("finite differences"), "{err}");
    }
}

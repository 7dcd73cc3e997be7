//! The fully connected layer: `y = x W + b` over the last axis.

use crate::session::{Session, Var};

impl Session {
    /// A dense layer.
    ///
    /// # Shapes
    /// `x: [B, .., in]`, `kernel: [in, units]`, `bias: [units]`; result `[B, .., units]`.
    pub fn dense(&mut self, x: Var, kernel: Var, bias: Option<Var>) -> Var {
        let shape = x.shape();
        let (inner, rows) = (shape[shape.len() - 1], x.len() / shape[shape.len() - 1]);
        let units = kernel.shape()[1];
        let flat = if shape.len() == 2 {
            x
        } else {
            self.reshape(x, &[rows, inner])
        };
        let mut y = self.matmul(flat, kernel);
        if let Some(b) = bias {
            y = self.add(y, b);
        }
        if shape.len() == 2 {
            y
        } else {
            let mut out = shape;
            *out.last_mut().expect("non-empty shape") = units;
            self.reshape(y, &out)
        }
    }
}

//! Reverse-mode differentiation, appended to the same luminal graph.
//!
//! [`Session::grad`] walks the primitives between the parameters and a scalar loss in reverse
//! topological order and emits, for each, the primitives of its local derivative:
//!
//! | op | gradient of each input |
//! |---|---|
//! | `Add` | `g`, `g` |
//! | `Mul` | `g * b`, `g * a` |
//! | `SumReduce(k)` | `g` broadcast along `k` |
//! | `MaxReduce(k)` | `g` broadcast along `k`, where the input equals the maximum |
//! | `Exp2` | `g * y * ln 2` |
//! | `Log2` | `g / (x ln 2)` |
//! | `Sqrt` | `g / (2 y)` |
//! | `Recip` | `-g * y * y` |
//! | `Sin` | `g * cos x` |
//! | `Contiguous`, `Mod` (first input) | `g` |
//! | `LessThan` | none |
//!
//! A gradient reaches each input through the view the op read it with, inverted: broadcast axes
//! are summed, padding is sliced off, a slice is padded back, a permutation is undone. Nodes that
//! carry a rule of their own (stable sigmoid, softmax cross-entropy...) use it instead of their
//! primitives. Because the backward pass is plain graph nodes, it is optimized and compiled with
//! the forward pass and the optimizer step, once.

use std::collections::{HashMap, HashSet};

use luminal::op;
use luminal::prelude::petgraph::{algo::toposort, Direction};
use luminal::prelude::NodeIndex;

use crate::session::{logical_shape, Session, Var};

impl Session {
    /// The gradients of the scalar `loss` with respect to each of `wrt`, as new graph nodes.
    ///
    /// A tensor `loss` does not depend on gets a gradient of zeros.
    pub fn grad(&mut self, loss: Var, wrt: &[Var]) -> Vec<Var> {
        assert_eq!(
            loss.len(),
            1,
            "grad needs a scalar loss, got shape {:?}",
            loss.shape()
        );
        let relevant = self.between(wrt, loss);
        let order = toposort(&self.graph.graph, None).expect("luminal graphs are acyclic");

        let mut grads: HashMap<NodeIndex, Var> = HashMap::new();
        let seed = self.full(1.0, &loss.shape());
        self.accumulate(&mut grads, &relevant, loss, seed);

        for node in order.into_iter().rev() {
            let Some(&g) = grads.get(&node) else { continue };
            if !relevant.contains(&node) {
                continue;
            }
            for (input, gi) in self.local_grads(node, g, &relevant) {
                self.accumulate(&mut grads, &relevant, input, gi);
            }
        }

        wrt.iter()
            .map(|w| match grads.get(&w.node) {
                Some(&g) => g,
                None => self.full(0.0, self.node_shape(w.node).to_vec().as_slice()),
            })
            .collect()
    }

    /// Nodes on some path from one of `from` to `to`.
    fn between(&self, from: &[Var], to: Var) -> HashSet<NodeIndex> {
        let walk = |starts: Vec<NodeIndex>, dir: Direction| {
            let mut seen: HashSet<NodeIndex> = starts.iter().copied().collect();
            let mut stack = starts;
            while let Some(n) = stack.pop() {
                for m in self.graph.graph.neighbors_directed(n, dir) {
                    if seen.insert(m) {
                        stack.push(m);
                    }
                }
            }
            seen
        };
        let down = walk(from.iter().map(|v| v.node).collect(), Direction::Outgoing);
        let up = walk(vec![to.node], Direction::Incoming);
        down.intersection(&up).copied().collect()
    }

    /// Adds `g`, the gradient of `x` as its reader saw it, to the gradient of `x`'s node.
    fn accumulate(
        &mut self,
        grads: &mut HashMap<NodeIndex, Var>,
        relevant: &HashSet<NodeIndex>,
        x: Var,
        g: Var,
    ) {
        if !relevant.contains(&x.node) {
            return;
        }
        debug_assert_eq!(x.shape(), g.shape(), "gradient shape of node {:?}", x.node);
        let g = self.unview(x, g);
        let total = match grads.get(&x.node) {
            Some(&prev) => self.add(prev, g),
            None => g,
        };
        grads.insert(x.node, total);
    }

    /// Routes `g`, shaped like the view `x`, back to the buffer `x` reads.
    fn unview(&mut self, x: Var, g: Var) -> Var {
        let view = x.view;
        let mut g = g;

        // Broadcast axes: sum the gradient over them, last first so indices stay valid.
        let mut real: Vec<usize> = Vec::new(); // physical dim of each remaining axis
        for axis in (0..view.indexes.len()).rev() {
            let d = view.indexes[axis];
            if view.fake[d] {
                g = self.sum(g, axis);
            } else {
                real.insert(0, d);
            }
        }

        // Slices and padding, per axis: a slice comes back as zero padding, padding is cut.
        for (axis, &d) in real.iter().enumerate() {
            let n = view.dims[d].to_usize().unwrap_or(0);
            let (p0, p1) = (view.padding[d].0.to_usize(), view.padding[d].1.to_usize());
            let (p0, p1) = (p0.unwrap_or(0), p1.unwrap_or(0));
            let (s0, s1) = (
                view.slices[d].0.to_usize().unwrap_or(0),
                view.slices[d].1.to_usize(),
            );
            let padded = n + p0 + p1;
            let end = s1.unwrap_or(usize::MAX).min(padded);
            if s0 > 0 || end < padded {
                g = self.pad(g, axis, s0, padded - end);
            }
            if p0 > 0 || p1 > 0 {
                g = self.slice(g, axis, p0, p0 + n);
            }
        }

        // Permutation: put the axes back in the buffer's order.
        let mut order: Vec<usize> = (0..real.len()).collect();
        order.sort_by_key(|&i| real[i]);
        let g = self.permute(g, &order);

        // A reshaped view reads the buffer in order under another shape.
        let shape = self.node_shape(x.node).to_vec();
        if logical_shape(&g.view) == shape {
            g
        } else {
            self.reshape(g, &shape)
        }
    }

    /// The gradient of each input of `node` that leads back to a parameter, given the
    /// gradient `g` of its output.
    fn local_grads(
        &mut self,
        node: NodeIndex,
        g: Var,
        relevant: &HashSet<NodeIndex>,
    ) -> Vec<(Var, Var)> {
        if let Some(rule) = self.grad_rules.remove(&node) {
            let out = rule(self, g);
            self.grad_rules.insert(node, rule);
            return out;
        }
        let inputs: Vec<Var> = self
            .graph
            .get_sources(node)
            .into_iter()
            .map(|(src, _, view)| Var { node: src, view })
            .collect();
        let wanted = |i: usize| relevant.contains(&inputs[i].node);
        let y = Var {
            node,
            view: crate::session::plain_view(self.node_shape(node)),
        };
        let any = self
            .graph
            .graph
            .node_weight(node)
            .expect("live node")
            .as_any();

        if any.is::<op::Add>() {
            vec![(inputs[0], g), (inputs[1], g)]
        } else if any.is::<op::Mul>() {
            // Only the products that reach a parameter: the other one could be a large
            // broadcast product (a matmul's gradient wrt a data input) that nothing reads.
            let mut out = Vec::new();
            if wanted(0) {
                out.push((inputs[0], self.mul(g, inputs[1])));
            }
            if wanted(1) {
                out.push((inputs[1], self.mul(g, inputs[0])));
            }
            out
        } else if let Some(op::SumReduce(axis)) = any.downcast_ref::<op::SumReduce>().cloned() {
            let n = inputs[0].shape()[axis];
            vec![(inputs[0], self.expand(g, axis, n))]
        } else if let Some(op::MaxReduce(axis)) = any.downcast_ref::<op::MaxReduce>().cloned() {
            let n = inputs[0].shape()[axis];
            let ge = self.expand(g, axis, n);
            let ye = self.expand(y, axis, n);
            let mask = self.equal(inputs[0], ye);
            vec![(inputs[0], self.mul(ge, mask))]
        } else if any.is::<op::Exp2>() {
            let d = self.scale(y, std::f32::consts::LN_2);
            vec![(inputs[0], self.mul(g, d))]
        } else if any.is::<op::Log2>() {
            let x = self.scale(inputs[0], std::f32::consts::LN_2);
            let d = self.recip(x);
            vec![(inputs[0], self.mul(g, d))]
        } else if any.is::<op::Sqrt>() {
            let y2 = self.scale(y, 2.0);
            let d = self.recip(y2);
            vec![(inputs[0], self.mul(g, d))]
        } else if any.is::<op::Recip>() {
            let y2 = self.square(y);
            let d = self.neg(y2);
            vec![(inputs[0], self.mul(g, d))]
        } else if any.is::<op::Sin>() {
            let d = self.cos(inputs[0]);
            vec![(inputs[0], self.mul(g, d))]
        } else if any.is::<op::Contiguous>() || any.is::<op::Mod>() {
            vec![(inputs[0], g)]
        } else {
            // LessThan is piecewise constant; loads and constants are leaves.
            Vec::new()
        }
    }

    /// Gives `out` a gradient rule of its own, used instead of its primitives' rules.
    pub(crate) fn set_grad_rule(
        &mut self,
        out: Var,
        rule: impl Fn(&mut Session, Var) -> Vec<(Var, Var)> + 'static,
    ) {
        self.grad_rules.insert(out.node, Box::new(rule));
    }
}

//! The graphs behind a [`Model`]: one training graph per batch size it meets (forward, loss,
//! backward and optimizer step together) and one inference graph per batch size, compiled on
//! first use and then run batch after batch.

use super::{batched, Model};
use crate::error::Result;
use crate::layers::{self, Forward, Inputs, Mode};
use crate::optim::Update;
use crate::session::{Session, Var};

/// A compiled graph from a batch and the parameters to the loss and the outputs.
pub(super) struct Net {
    s: Session,
    x: Var,
    y: Var,
    params: Vec<Var>,
    buffers: Vec<Var>,
    loss: Var,
    out: Var,
}

/// A [`Net`] with its backward pass and optimizer step.
pub(super) struct TrainGraph {
    net: Net,
    masks: Vec<(Var, f32)>,
    buffer_updates: Vec<Var>,
    update: Update,
}

impl Model {
    /// Inputs, parameters, forward pass and loss of a graph for batches of `batch`.
    fn build_net(&self, batch: usize, mode: Mode) -> Result<(Net, Forward)> {
        let mut s = Session::new();
        let x = s.input("x", &batched(batch, self.spec.input));
        let y = s.input("y", &batched(batch, self.spec.output));
        let params: Vec<Var> = self
            .params
            .iter()
            .map(|p| s.input(&p.name, &p.shape))
            .collect();
        let buffers: Vec<Var> = self
            .buffers
            .iter()
            .map(|p| s.input(&p.name, &p.shape))
            .collect();
        let mut fwd = Forward::default();
        let mut inputs = Inputs {
            params: &mut params.iter().copied(),
            buffers: &mut buffers.iter().copied(),
            mode,
            built: &mut fwd,
        };
        let out = layers::forward(&mut s, self.spec.layers, x, &mut inputs)?;
        let loss = self.loss.build(&mut s, out, fwd.logits, y);
        s.retrieve(loss);
        s.retrieve(out);
        Ok((
            Net {
                s,
                x,
                y,
                params,
                buffers,
                loss,
                out,
            },
            fwd,
        ))
    }

    fn build_train(&self, batch: usize) -> Result<TrainGraph> {
        let (mut net, fwd) = self.build_net(batch, Mode::Train)?;
        let grads = net.s.grad(net.loss, &net.params);
        let mut update = self.optimizer.build(&mut net.s, &net.params, &grads);
        for v in update
            .new_params
            .iter()
            .chain(update.new_states.iter().flatten())
        {
            net.s.retrieve(*v);
        }
        let mut buffer_updates = fwd.buffer_updates;
        for v in &buffer_updates {
            net.s.retrieve(*v);
        }
        let (mut masks, rates): (Vec<Var>, Vec<f32>) = fwd.masks.into_iter().unzip();
        let n = &mut net;
        let u = &mut update;
        let remap = (
            (
                &mut n.x,
                &mut n.y,
                &mut n.params,
                &mut n.buffers,
                &mut n.loss,
                &mut n.out,
            ),
            (&mut masks, &mut buffer_updates),
            (
                &mut u.lr,
                &mut u.states,
                &mut u.new_params,
                &mut u.new_states,
            ),
        );
        n.s.compile(self.device, remap);
        let masks = masks.into_iter().zip(rates).collect();
        Ok(TrainGraph {
            net,
            masks,
            buffer_updates,
            update,
        })
    }

    fn build_infer(&self, batch: usize) -> Result<Net> {
        let (mut n, _) = self.build_net(batch, Mode::Infer)?;
        let remap = (
            &mut n.x,
            &mut n.y,
            &mut n.params,
            &mut n.buffers,
            &mut n.loss,
            &mut n.out,
        );
        n.s.compile(self.device, remap);
        Ok(n)
    }

    /// One optimizer step on a batch; returns the batch's mean loss and its outputs.
    pub fn train_step(&mut self, x: Vec<f32>, y: Vec<f32>) -> Result<(f32, Vec<f32>)> {
        let per_sample: usize = self.spec.input.iter().product();
        let batch = x.len() / per_sample.max(1);
        if !self.train_graphs.contains_key(&batch) {
            let g = self.build_train(batch)?;
            self.train_graphs.insert(batch, g);
        }
        self.step += 1;
        let lr = self.optimizer.step_scalar(self.lr, self.step);
        let TrainGraph {
            net: g,
            masks,
            buffer_updates,
            update,
        } = self.train_graphs.get_mut(&batch).expect("built above");
        g.s.set(g.x, x);
        g.s.set(g.y, y);
        g.s.set(update.lr, vec![lr]);
        for (v, p) in g.params.iter().zip(&mut self.params) {
            g.s.set(*v, std::mem::take(&mut p.data));
        }
        for (v, b) in g.buffers.iter().zip(&mut self.buffers) {
            g.s.set(*v, std::mem::take(&mut b.data));
        }
        for (vars, data) in update.states.iter().zip(&mut self.slots) {
            for (v, d) in vars.iter().zip(data.iter_mut()) {
                g.s.set(*v, std::mem::take(d));
            }
        }
        for &(m, rate) in &*masks {
            g.s.set(m, self.rng.dropout_mask(m.len(), rate));
        }

        g.s.run();

        let loss = g.s.take(g.loss)[0];
        let out = g.s.take(g.out);
        for (v, p) in update.new_params.iter().zip(&mut self.params) {
            p.data = g.s.take(*v);
        }
        for (v, b) in buffer_updates.iter().zip(&mut self.buffers) {
            b.data = g.s.take(*v);
        }
        for (vars, data) in update.new_states.iter().zip(&mut self.slots) {
            for (v, d) in vars.iter().zip(data.iter_mut()) {
                *d = g.s.take(*v);
            }
        }
        Ok((loss, out))
    }

    /// Runs inference on one batch: the mean loss against `y` and the outputs.
    pub(super) fn infer_batch(&mut self, x: Vec<f32>, y: Vec<f32>) -> Result<(f32, Vec<f32>)> {
        let per_sample: usize = self.spec.input.iter().product();
        let batch = x.len() / per_sample.max(1);
        if !self.infer_graphs.contains_key(&batch) {
            let g = self.build_infer(batch)?;
            self.infer_graphs.insert(batch, g);
        }
        let g = self.infer_graphs.get_mut(&batch).expect("built above");
        g.s.set(g.x, x);
        g.s.set(g.y, y);
        let given = g.params.iter().zip(&self.params);
        for (v, p) in given.chain(g.buffers.iter().zip(&self.buffers)) {
            g.s.set(*v, p.data.clone());
        }
        g.s.run();
        Ok((g.s.take(g.loss)[0], g.s.take(g.out)))
    }
}

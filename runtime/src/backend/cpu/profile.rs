//! Time spent per kind of op, for finding what a training step spends its time on.
//!
//! [`ProfilePass`], run last, wraps every op of a graph in a timer; [`report`] lists the
//! totals since the last [`reset`], largest first. `Device::Cpu` adds the pass when the
//! environment variable `LUMINET_PROFILE` is set.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use luminal::op::{InputTensor, Operator};
use luminal::prelude::{Compiler, Graph, ShapeTracker, Tensor, ToIdsMut};

static TIMES: Mutex<Option<HashMap<String, (Duration, usize)>>> = Mutex::new(None);

/// An op with a stopwatch around it.
#[derive(Debug)]
pub struct Timed {
    label: String,
    inner: Box<dyn Operator>,
}

impl PartialEq for Timed {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

impl Operator for Timed {
    fn process(&mut self, inp: Vec<(InputTensor, ShapeTracker)>) -> Vec<Tensor> {
        let start = Instant::now();
        let out = self.inner.process(inp);
        let spent = start.elapsed();
        let mut times = TIMES.lock().unwrap_or_else(|e| e.into_inner());
        let entry = times
            .get_or_insert_with(HashMap::new)
            .entry(self.label.clone())
            .or_default();
        entry.0 += spent;
        entry.1 += 1;
        out
    }
}

/// Wraps every op in a [`Timed`].
#[derive(Debug, Default, Clone, Copy)]
pub struct ProfilePass;

impl Compiler for ProfilePass {
    fn compile<T: ToIdsMut>(&self, graph: &mut Graph, _: T) {
        for node in graph.graph.node_indices().collect::<Vec<_>>() {
            let op = graph.graph.node_weight_mut(node).expect("listed node");
            if op.as_any().is::<luminal::op::Function>() || op.as_any().is::<Timed>() {
                continue; // inputs are set from the host and never run
            }
            let label: String = format!("{op:?}").chars().take(60).collect();
            let inner = std::mem::replace(op, Box::new(luminal::op::Contiguous));
            *op = Box::new(Timed { label, inner });
        }
    }
}

/// Clears the totals.
pub fn reset() {
    *TIMES.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// The totals per op label, largest first: milliseconds, calls, label.
pub fn report() -> Vec<(f64, usize, String)> {
    let times = TIMES.lock().unwrap_or_else(|e| e.into_inner());
    let mut rows: Vec<_> = times
        .iter()
        .flatten()
        .map(|(k, (d, n))| (d.as_secs_f64() * 1e3, *n, k.clone()))
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    rows
}

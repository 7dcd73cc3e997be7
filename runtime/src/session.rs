//! A luminal graph that luminet builds, differentiates, compiles and runs.
//!
//! luminet keeps one invariant on top of luminal: every node writes a contiguous buffer whose
//! shape the session records, and every edge reads that buffer through a view (a luminal
//! `ShapeTracker`: permutation, broadcast axes, padding). A [`Var`] is exactly that pair, so
//! views cost nothing until an op reads them, and autodiff can route a gradient back through any
//! view by inverting it (see `autodiff.rs`).

use std::collections::HashMap;

use luminal::op::{Function, Operator};
use luminal::prelude::{Graph, NodeIndex, ShapeTracker, Tensor, ToIds, ToIdsMut};

/// A tensor in a [`Session`]: the node that produces it and the view its readers use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Var {
    pub(crate) node: NodeIndex,
    pub(crate) view: ShapeTracker,
}

impl Var {
    /// The luminal node that computes this tensor.
    pub fn node(&self) -> NodeIndex {
        self.node
    }

    /// The logical shape, as its readers see it.
    pub fn shape(&self) -> Vec<usize> {
        logical_shape(&self.view)
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether readers see the node's buffer exactly as written.
    pub(crate) fn is_plain(&self) -> bool {
        is_plain(&self.view)
    }
}

impl ToIdsMut for Var {
    fn to_ids_mut(&mut self) -> Vec<&mut NodeIndex> {
        vec![&mut self.node]
    }
}

impl ToIds for Var {
    fn to_ids(&self) -> Vec<NodeIndex> {
        vec![self.node]
    }
}

/// Whether a view reads its buffer in order, without broadcast, padding or slicing.
pub(crate) fn is_plain(view: &ShapeTracker) -> bool {
    view.is_contiguous() && !view.is_padded() && !view.is_sliced()
}

/// The size of each logical axis of a view whose dimensions are all known.
///
/// luminal's own `ShapeTracker::shape()` is wrong for two-sided slices, so luminet computes
/// it here: pad first, then slice, then permute.
pub fn logical_shape(view: &ShapeTracker) -> Vec<usize> {
    view.indexes
        .iter()
        .map(|&d| {
            let n = known(view.dims[d].to_usize());
            let (p0, p1) = (
                known(view.padding[d].0.to_usize()),
                known(view.padding[d].1.to_usize()),
            );
            let (s0, s1) = (
                known(view.slices[d].0.to_usize()),
                known(view.slices[d].1.to_usize()),
            );
            (n + p0 + p1).min(s1) - s0
        })
        .collect()
}

fn known(n: Option<usize>) -> usize {
    n.expect("luminet builds graphs with known dimensions only")
}

/// A rule that maps the gradient of a node's output to gradients of chosen inputs, used
/// instead of differentiating the primitives that compute the node (for stability or speed).
pub(crate) type GradRule = Box<dyn Fn(&mut Session, Var) -> Vec<(Var, Var)>>;

/// A luminal graph under construction or compiled, with the shapes luminet tracks for it.
pub struct Session {
    /// Boxed because every luminal `GraphTensor` points at the graph: it must never move.
    pub(crate) graph: Box<Graph>,
    pub(crate) shapes: HashMap<NodeIndex, Vec<usize>>,
    pub(crate) grad_rules: HashMap<NodeIndex, GradRule>,
    pub(crate) regions: Vec<crate::fused::Region>,
    inputs: usize,
    compiled: bool,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// An empty graph.
    pub fn new() -> Self {
        Session {
            graph: Box::new(Graph::new()),
            shapes: HashMap::new(),
            grad_rules: HashMap::new(),
            regions: Vec::new(),
            inputs: 0,
            compiled: false,
        }
    }

    /// The underlying luminal graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The underlying luminal graph, for compiler passes and backends.
    pub fn graph_mut(&mut self) -> &mut Graph {
        &mut self.graph
    }

    /// Whether [`Session::compile`] has run.
    pub fn is_compiled(&self) -> bool {
        self.compiled
    }

    /// A tensor fed from the host before each run, e.g. a batch or a weight.
    pub fn input(&mut self, name: &str, shape: &[usize]) -> Var {
        // Each load gets a unique name: luminal compares `Function` ops by name.
        self.inputs += 1;
        let label = format!("{name} #{}", self.inputs);
        let message = format!("input `{name}` was not set before the graph ran");
        let op = Function(label, Box::new(move |_| panic!("{message}")));
        let node = self.graph.graph.add_node(Box::new(op));
        self.record(node, shape)
    }

    /// Adds `op` reading `inputs` through their views; its output has `shape`.
    pub(crate) fn push<O: Operator + 'static>(
        &mut self,
        op: O,
        inputs: &[Var],
        shape: &[usize],
    ) -> Var {
        assert!(
            !self.compiled,
            "luminet bug: a node was added after compile"
        );
        let mut new = self.graph.add_op(op);
        for x in inputs {
            new = new.input(x.node, 0, x.view);
        }
        let node = new.finish();
        self.record(node, shape)
    }

    fn record(&mut self, node: NodeIndex, shape: &[usize]) -> Var {
        self.shapes.insert(node, shape.to_vec());
        Var {
            node,
            view: plain_view(shape),
        }
    }

    /// The shape of the buffer `node` writes.
    pub(crate) fn node_shape(&self, node: NodeIndex) -> &[usize] {
        &self.shapes[&node]
    }

    /// Keeps `x` after each run so that [`Session::take`] can read it.
    pub fn retrieve(&mut self, x: Var) {
        self.graph.retrieve_tensors(x.node);
    }

    /// Keeps `x` resident between runs (for tensors set once, such as fixed weights).
    pub fn keep(&mut self, x: Var) {
        self.graph.keep_tensors(x.node);
    }

    /// Sets the data of an input before a run. `data` moves into the graph, uncopied.
    pub fn set(&mut self, x: Var, data: Vec<f32>) {
        debug_assert_eq!(
            data.len(),
            self.shapes
                .get(&x.node)
                .map_or(data.len(), |s| s.iter().product())
        );
        self.graph.set_tensor(x.node, 0, Tensor::new(data));
    }

    /// Runs the graph once.
    pub fn run(&mut self) {
        self.graph.execute();
    }

    /// Takes a retrieved output of the last run out of the graph, laid out as `x` reads it.
    pub fn take(&mut self, x: Var) -> Vec<f32> {
        let tensor = self
            .graph
            .get_tensor(x.node, 0)
            .unwrap_or_else(|| panic!("output {:?} was not retrieved, or already taken", x.node));
        let data = tensor_data(tensor);
        if x.is_plain() {
            data
        } else {
            crate::backend::cpu::view::materialize(&data, &x.view)
        }
    }

    /// A copy of a retrieved output of the last run, leaving it in place (for outputs that
    /// compilation merged with another retrieved one).
    pub fn read(&self, x: Var) -> Vec<f32> {
        let tensor = self
            .graph
            .get_tensor_ref(x.node, 0)
            .unwrap_or_else(|| panic!("luminet bug: output {:?} was not retrieved", x.node));
        let data = crate::backend::cpu::elementwise::slice_of(tensor);
        if x.is_plain() {
            data.to_vec()
        } else {
            crate::backend::cpu::view::materialize(data, &x.view)
        }
    }

    /// Drops every retrieved output still held, so the next run computes them afresh (a run
    /// skips any node whose output is present).
    pub fn clear_outputs(&mut self) {
        let held: Vec<NodeIndex> = self.graph.to_retrieve.iter().copied().collect();
        self.graph.drop_tensors(held);
    }

    /// Compiles the graph with `compiler`, updating every id in `remap`.
    pub fn compile_with<C: luminal::prelude::Compiler, T: ToIdsMut>(
        &mut self,
        compiler: C,
        remap: T,
    ) {
        self.graph.compile(compiler, remap);
        self.compiled = true;
    }
}

/// The plain, contiguous view of a buffer of `shape`.
pub(crate) fn plain_view(shape: &[usize]) -> ShapeTracker {
    let dims: Vec<luminal::shape::symbolic::Expression> = shape.iter().map(|&d| d.into()).collect();
    ShapeTracker::new(&dims)
}

/// The `f32` data of a CPU tensor.
pub(crate) fn tensor_data(mut tensor: Tensor) -> Vec<f32> {
    crate::backend::cpu::elementwise::take_vec(&mut tensor)
}

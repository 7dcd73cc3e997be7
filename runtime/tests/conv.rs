//! Convolution and pooling: the primitive forms against the im2col/GEMM and pooling kernels,
//! and both against finite differences.

use luminet_runtime::backend::cpu::fused::FusedKernel;
use luminet_runtime::check::{check_op, random, Tolerance};
use luminet_runtime::fused::ConvGeom;
use luminet_runtime::prelude::*;

fn ok(r: std::result::Result<(), String>) {
    if let Err(e) = r {
        panic!("{e}");
    }
}

fn geom(c: usize, h: usize, f: usize, k: usize, s: usize, pad: usize, d: usize) -> ConvGeom {
    ConvGeom {
        batch: 2,
        c,
        h,
        w: h + 1,
        f,
        kh: k,
        kw: k,
        sh: s,
        sw: s,
        ph: (pad, pad),
        pw: (pad, pad + 1),
        dh: d,
        dw: d,
    }
}

#[test]
fn conv2d_in_every_geometry() {
    let t = Tolerance::default();
    for (i, g) in [
        geom(2, 5, 3, 3, 1, 0, 1), // valid
        geom(2, 5, 3, 3, 2, 1, 1), // strided, padded (asymmetric along the width)
        geom(1, 6, 2, 2, 1, 0, 2), // dilated
        geom(3, 4, 2, 1, 2, 0, 1), // a 1x1 projection shortcut
    ]
    .into_iter()
    .enumerate()
    {
        let seed = 10 * i as u64;
        let inputs = [random(&g.input(), seed), random(&g.weight(), seed + 1)];
        ok(check_op(&inputs, t, move |s, x| s.conv2d(x[0], x[1], g)));
    }
}

#[test]
fn pooling() {
    let t = Tolerance::default();
    // Distinct values: the primitive and kernel forms of max pooling differ only on ties.
    // Values 0.05 apart, so that no finite-difference step crosses from one maximum to another.
    let mut data: Vec<f32> = (0..120).map(|i| i as f32 * 0.05 - 3.0).collect();
    Rng::new(40).shuffle(&mut data);
    let x = (vec![2, 2, 5, 6], data);
    ok(check_op(&[x.clone()], t, |s, x| {
        s.max_pool2d(x[0], (2, 2), (2, 2))
    }));
    ok(check_op(&[x.clone()], t, |s, x| {
        s.max_pool2d(x[0], (3, 2), (1, 2))
    }));
    ok(check_op(&[x.clone()], t, |s, x| {
        s.avg_pool2d(x[0], (2, 2), (2, 2))
    }));
    ok(check_op(&[x], t, |s, x| s.avg_pool2d(x[0], (2, 3), (1, 1))));
}

/// Forward and both backward products run as kernels, not as their primitives.
#[test]
fn the_fused_pass_replaces_every_region() {
    let g = geom(2, 5, 3, 3, 1, 1, 1);
    let mut s = Session::new();
    let x = s.input("x", &g.input());
    let w = s.input("w", &g.weight());
    let y = s.conv2d(x, w, g);
    let p = s.max_pool2d(y, (2, 2), (2, 2));
    let loss = s.sum_all(p);
    let mut grads = s.grad(loss, &[x, w]);
    grads.push(loss);
    for v in &grads {
        s.retrieve(*v);
    }
    s.compile(Device::Cpu, &mut grads);
    let kernels = s
        .graph()
        .graph
        .node_weights()
        .filter(|op| op.as_any().is::<FusedKernel>())
        .count();
    assert_eq!(
        kernels, 5,
        "conv, its two gradients, max pool and its gradient"
    );
    let nodes = s.graph().graph.node_count();
    assert!(
        nodes < 20,
        "{nodes} nodes left: primitives of a fused op survived"
    );
}

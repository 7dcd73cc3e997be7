//! Convolution and pooling: the primitive forms against the im2col/GEMM and pooling kernels,
//! and both against finite differences.

use luminet_runtime::backend::cpu::fused::FusedKernel;
use luminet_runtime::check::{check_op, check_paths, random, Tolerance};
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
        geom(2, 5, 3, 3, 1, 1, 1), // padded at unit stride, as `padding = same`
        geom(2, 6, 2, 2, 1, 1, 2), // padded and dilated
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
    let g = geom(2, 5, 3, 3, 2, 1, 1);
    let inputs = [
        random(&g.input(), 5),
        random(&g.weight(), 6),
        random(&[g.f], 7),
    ];
    ok(check_op(&inputs, t, move |s, x| {
        s.conv2d_bias(x[0], x[1], x[2], g)
    }));
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

#[test]
fn max_pooling_ties_agree_with_the_primitive_form() {
    // Every maximum of a window takes its gradient, in both forms.
    let data: Vec<f32> = (0..2 * 3 * 6 * 6).map(|i| (i % 3) as f32).collect();
    let x = (vec![2, 3, 6, 6], data);
    ok(check_paths(&[x.clone()], |s, x| {
        s.max_pool2d(x[0], (2, 2), (2, 2))
    }));
    ok(check_paths(&[x], |s, x| s.max_pool2d(x[0], (3, 3), (1, 1))));
}

/// Large enough that every kernel takes its multi-threaded path and recycled buffers: a block
/// of the Keras convnet (conv, bias, ReLU, pooling) and a strided, padded convolution after it.
/// A valid 3x3 convolution at unit stride over square images.
fn square(batch: usize, c: usize, size: usize, f: usize) -> ConvGeom {
    ConvGeom {
        batch,
        c,
        h: size,
        w: size,
        f,
        kh: 3,
        kw: 3,
        sh: 1,
        sw: 1,
        ph: (0, 0),
        pw: (0, 0),
        dh: 1,
        dw: 1,
    }
}

#[test]
fn a_convnet_block_at_full_size_agrees_with_the_primitive_form() {
    let first = square(12, 1, 28, 8);
    let second = ConvGeom {
        c: 8,
        h: 13,
        w: 13,
        sh: 2,
        sw: 2,
        ph: (1, 1),
        pw: (1, 1),
        ..first
    };
    let inputs = [
        random(&first.input(), 1),
        random(&first.weight(), 2),
        random(&[8], 3),
        random(&second.weight(), 4),
    ];
    ok(check_paths(&inputs, move |s, x| {
        let y = s.conv2d_bias(x[0], x[1], x[2], first);
        let y = s.relu(y);
        let y = s.max_pool2d(y, (2, 2), (2, 2));
        s.conv2d(y, x[3], second)
    }));
}

/// Images large enough that each takes a GEMM of its own, padded and not.
#[test]
fn large_images_agree_with_the_primitive_form() {
    let valid = square(2, 16, 24, 8);
    let same = ConvGeom {
        ph: (1, 1),
        pw: (1, 1),
        ..valid
    };
    for (i, g) in [same, valid].into_iter().enumerate() {
        let inputs = [
            random(&g.input(), 50 + i as u64),
            random(&g.weight(), 60 + i as u64),
        ];
        ok(check_paths(&inputs, move |s, x| s.conv2d(x[0], x[1], g)));
    }
}

/// 3x3 convolutions at unit stride with channels enough run by Winograd's F(2x2, 3x3): odd
/// and even output sizes, asymmetric padding, a bias, and batches that end in a short chunk.
#[test]
fn winograd_convolutions_agree_with_the_primitive_form() {
    let t = Tolerance::default();
    let small = geom(8, 5, 8, 3, 1, 1, 1);
    let inputs = [random(&small.input(), 70), random(&small.weight(), 71)];
    ok(check_op(&inputs, t, move |s, x| {
        s.conv2d(x[0], x[1], small)
    }));
    let odd = ConvGeom {
        batch: 9,
        ..square(9, 8, 24, 16)
    };
    let even = ConvGeom {
        ph: (2, 1),
        pw: (0, 1),
        ..square(5, 16, 9, 8)
    };
    for (i, g) in [odd, even].into_iter().enumerate() {
        let seed = 80 + 10 * i as u64;
        let inputs = [
            random(&g.input(), seed),
            random(&g.weight(), seed + 1),
            random(&[g.f], seed + 2),
        ];
        ok(check_paths(&inputs, move |s, x| {
            s.conv2d_bias(x[0], x[1], x[2], g)
        }));
    }
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

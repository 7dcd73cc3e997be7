//! Gradient checks for luminet's primitive-level ops and views, each also run through
//! luminal's primitive interpreter and luminet's CPU pipeline and compared.

use luminet_runtime::check::{check_op, check_paths, random, uniform, Tolerance};

fn ok(r: Result<(), String>) {
    if let Err(e) = r {
        panic!("{e}");
    }
}

#[test]
fn add_mul_sub_div_broadcast() {
    let t = Tolerance::default();
    ok(check_op(
        &[random(&[3, 4], 1), random(&[4], 2)],
        t,
        |s, x| s.add(x[0], x[1]),
    ));
    ok(check_op(
        &[random(&[3, 4], 3), random(&[3, 1], 4)],
        t,
        |s, x| s.mul(x[0], x[1]),
    ));
    ok(check_op(
        &[random(&[2, 3], 5), random(&[2, 3], 6)],
        t,
        |s, x| s.sub(x[0], x[1]),
    ));
    let positive = (vec![2, 3], uniform(6, 0.5, 2.0, 7));
    ok(check_op(&[random(&[2, 3], 8), positive], t, |s, x| {
        s.div(x[0], x[1])
    }));
}

#[test]
fn unary_functions() {
    let t = Tolerance::default();
    let pos = || (vec![5], uniform(5, 0.5, 3.0, 11));
    ok(check_op(&[random(&[5], 10)], t, |s, x| s.exp(x[0])));
    ok(check_op(&[pos()], t, |s, x| s.ln(x[0])));
    ok(check_op(&[pos()], t, |s, x| s.sqrt(x[0])));
    ok(check_op(&[pos()], t, |s, x| s.recip(x[0])));
    ok(check_op(&[random(&[5], 12)], t, |s, x| s.sin(x[0])));
    ok(check_op(&[random(&[5], 13)], t, |s, x| s.cos(x[0])));
    ok(check_op(&[random(&[6], 14)], t, |s, x| s.abs(x[0])));
}

#[test]
fn reductions() {
    let t = Tolerance::default();
    for axis in 0..3 {
        ok(check_op(
            &[random(&[2, 3, 4], 20 + axis as u64)],
            t,
            |s, x| s.sum(x[0], axis),
        ));
        ok(check_op(
            &[random(&[2, 3, 4], 30 + axis as u64)],
            t,
            |s, x| s.max(x[0], axis),
        ));
        ok(check_op(
            &[random(&[2, 3, 4], 40 + axis as u64)],
            t,
            |s, x| s.mean(x[0], axis),
        ));
    }
    ok(check_op(&[random(&[3, 5], 50)], t, |s, x| s.mean_all(x[0])));
}

#[test]
fn matmul_and_its_transposes() {
    let t = Tolerance::default();
    ok(check_op(
        &[random(&[3, 4], 60), random(&[4, 5], 61)],
        t,
        |s, x| s.matmul(x[0], x[1]),
    ));
    // a^T b and a b^T: the operands arrive as permuted views.
    ok(check_op(
        &[random(&[4, 3], 62), random(&[4, 5], 63)],
        t,
        |s, x| {
            let at = s.transpose(x[0]);
            s.matmul(at, x[1])
        },
    ));
    ok(check_op(
        &[random(&[3, 4], 64), random(&[5, 4], 65)],
        t,
        |s, x| {
            let bt = s.transpose(x[1]);
            s.matmul(x[0], bt)
        },
    ));
    // A chain, so that gradients of gradients' inputs meet the GEMM pass too.
    ok(check_op(
        &[
            random(&[2, 3], 66),
            random(&[3, 4], 67),
            random(&[4, 2], 68),
        ],
        t,
        |s, x| {
            let h = s.matmul(x[0], x[1]);
            let h = s.sin(h);
            s.matmul(h, x[2])
        },
    ));
}

/// A product copied out transposed, as a dense layer's weight gradient `x^T g` is laid out
/// for the optimizer: the GEMM writes the transposed layout itself. Small, and large enough
/// that the product splits across threads.
#[test]
fn products_copied_out_transposed() {
    for (i, (batch, m, n)) in [(6, 4, 5), (64, 200, 96)].into_iter().enumerate() {
        let seed = 70 + 2 * i as u64;
        let inputs = [random(&[batch, m], seed), random(&[batch, n], seed + 1)];
        ok(check_paths(&inputs, |s, x| {
            let gt = s.transpose(x[0]);
            let p = s.matmul(gt, x[1]);
            let pt = s.transpose(p);
            s.contiguous(pt)
        }));
    }
}

#[test]
fn views() {
    let t = Tolerance::default();
    ok(check_op(&[random(&[2, 3, 4], 70)], t, |s, x| {
        let p = s.permute(x[0], &[2, 0, 1]);
        let c = s.contiguous(p);
        s.sin(c)
    }));
    ok(check_op(&[random(&[3], 71)], t, |s, x| {
        let e = s.expand(x[0], 0, 4);
        s.sin(e)
    }));
    ok(check_op(&[random(&[2, 6], 72)], t, |s, x| {
        let r = s.reshape(x[0], &[3, 4]);
        let q = s.transpose(r);
        s.mul(q, q)
    }));
    ok(check_op(&[random(&[3, 4], 73)], t, |s, x| {
        let p = s.pad(x[0], 1, 2, 1);
        s.exp(p)
    }));
    ok(check_op(&[random(&[3, 6], 74)], t, |s, x| {
        let sl = s.slice(x[0], 1, 2, 5);
        s.mul(sl, sl)
    }));
    ok(check_op(&[random(&[4, 5], 75)], t, |s, x| {
        let sl = s.slice(x[0], 0, 1, 3);
        let p = s.pad(sl, 1, 1, 0);
        let tr = s.transpose(p);
        s.sum(tr, 1)
    }));
}

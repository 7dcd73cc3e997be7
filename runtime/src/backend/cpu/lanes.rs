//! Eight-lane arithmetic for kernels written once and run on AVX2 where the processor has it.
//!
//! A kernel is a function generic over [`Lanes`], everything it calls `#[inline(always)]`;
//! [`dispatch`] runs it inside [`with_avx`], a function compiled for AVX2 and FMA, where the
//! processor has them, and on plain arrays elsewhere. No closures in such kernels: a closure
//! compiles as a function of its own, outside the AVX2 entry, where the intrinsics it calls
//! would not inline.

/// Lanes per vector.
pub(super) const LANES: usize = 8;

/// Eight-lane arithmetic: AVX registers where the processor has them ([`Avx`]), arrays
/// elsewhere ([`Plain`]).
pub(super) trait Lanes: Copy {
    type V: Copy;
    fn load(self, s: &[f32]) -> Self::V;
    fn store(self, s: &mut [f32], v: Self::V);
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn zero(self) -> Self::V;
    /// Eight rows of eight lanes transposed: lane `k` of row `r` becomes lane `r` of row `k`.
    fn transpose8(self, rows: [Self::V; LANES]) -> [Self::V; LANES];
}

#[derive(Clone, Copy)]
pub(super) struct Plain;

impl Lanes for Plain {
    type V = [f32; LANES];

    #[inline(always)]
    fn load(self, s: &[f32]) -> Self::V {
        s[..LANES].try_into().expect("a full set of lanes")
    }

    #[inline(always)]
    fn store(self, s: &mut [f32], v: Self::V) {
        s[..LANES].copy_from_slice(&v);
    }

    #[inline(always)]
    fn add(self, mut a: Self::V, b: Self::V) -> Self::V {
        a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        a
    }

    #[inline(always)]
    fn sub(self, mut a: Self::V, b: Self::V) -> Self::V {
        a.iter_mut().zip(b).for_each(|(a, b)| *a -= b);
        a
    }

    #[inline(always)]
    fn zero(self) -> Self::V {
        [0.0; LANES]
    }

    #[inline(always)]
    fn transpose8(self, rows: [Self::V; LANES]) -> [Self::V; LANES] {
        let mut out = [[0.0; LANES]; LANES];
        for (r, row) in rows.iter().enumerate() {
            for (k, v) in row.iter().enumerate() {
                out[k][r] = *v;
            }
        }
        out
    }
}

/// AVX lanes; made only by [`with_avx`], which runs once the processor is known to have AVX2.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(super) struct Avx(());

#[cfg(target_arch = "x86_64")]
impl Lanes for Avx {
    type V = std::arch::x86_64::__m256;

    #[inline(always)]
    fn load(self, s: &[f32]) -> Self::V {
        let s = &s[..LANES];
        // SAFETY: `Avx` exists only where AVX is present; `s` holds eight values.
        unsafe { std::arch::x86_64::_mm256_loadu_ps(s.as_ptr()) }
    }

    #[inline(always)]
    fn store(self, s: &mut [f32], v: Self::V) {
        let s = &mut s[..LANES];
        // SAFETY: as in `load`.
        unsafe { std::arch::x86_64::_mm256_storeu_ps(s.as_mut_ptr(), v) }
    }

    #[inline(always)]
    fn add(self, a: Self::V, b: Self::V) -> Self::V {
        // SAFETY: `Avx` exists only where AVX is present.
        unsafe { std::arch::x86_64::_mm256_add_ps(a, b) }
    }

    #[inline(always)]
    fn sub(self, a: Self::V, b: Self::V) -> Self::V {
        // SAFETY: as in `add`.
        unsafe { std::arch::x86_64::_mm256_sub_ps(a, b) }
    }

    #[inline(always)]
    fn zero(self) -> Self::V {
        // SAFETY: as in `add`.
        unsafe { std::arch::x86_64::_mm256_setzero_ps() }
    }

    #[inline(always)]
    fn transpose8(self, r: [Self::V; LANES]) -> [Self::V; LANES] {
        use std::arch::x86_64::*;
        // SAFETY: `Avx` exists only where AVX is present.
        unsafe {
            // Pairs of rows interleaved, then pairs of pairs, then the two 128-bit halves.
            let lo = |a, b| _mm256_unpacklo_ps(a, b);
            let hi = |a, b| _mm256_unpackhi_ps(a, b);
            let t = [
                lo(r[0], r[1]),
                hi(r[0], r[1]),
                lo(r[2], r[3]),
                hi(r[2], r[3]),
                lo(r[4], r[5]),
                hi(r[4], r[5]),
                lo(r[6], r[7]),
                hi(r[6], r[7]),
            ];
            let u = [
                _mm256_shuffle_ps::<0x44>(t[0], t[2]),
                _mm256_shuffle_ps::<0xEE>(t[0], t[2]),
                _mm256_shuffle_ps::<0x44>(t[1], t[3]),
                _mm256_shuffle_ps::<0xEE>(t[1], t[3]),
                _mm256_shuffle_ps::<0x44>(t[4], t[6]),
                _mm256_shuffle_ps::<0xEE>(t[4], t[6]),
                _mm256_shuffle_ps::<0x44>(t[5], t[7]),
                _mm256_shuffle_ps::<0xEE>(t[5], t[7]),
            ];
            [
                _mm256_permute2f128_ps::<0x20>(u[0], u[4]),
                _mm256_permute2f128_ps::<0x20>(u[1], u[5]),
                _mm256_permute2f128_ps::<0x20>(u[2], u[6]),
                _mm256_permute2f128_ps::<0x20>(u[3], u[7]),
                _mm256_permute2f128_ps::<0x31>(u[0], u[4]),
                _mm256_permute2f128_ps::<0x31>(u[1], u[5]),
                _mm256_permute2f128_ps::<0x31>(u[2], u[6]),
                _mm256_permute2f128_ps::<0x31>(u[3], u[7]),
            ]
        }
    }
}

/// A lanes-generic kernel with its arguments.
pub(super) trait Kernel {
    fn run<L: Lanes>(self, l: L);
}

/// Runs `k` with AVX lanes where the processor has AVX2 and FMA, with plain arrays elsewhere.
/// Kernels and everything they call are `#[inline(always)]`, so that they compile inside
/// [`with_avx`], which is compiled for AVX2.
pub(super) fn dispatch(k: impl Kernel) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the processor has AVX2 and FMA.
        return unsafe { with_avx(k) };
    }
    k.run(Plain)
}

/// Whether the processor has AVX2 and FMA.
pub(super) fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma");
    #[allow(unreachable_code)]
    false
}

/// Runs `k` on AVX lanes, compiled for AVX2 and FMA.
///
/// # Safety
/// The processor must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn with_avx(k: impl Kernel) {
    k.run(Avx(()))
}

/// Defines a lanes-generic kernel: a [`Kernel`] struct `$name` holding the arguments, whose
/// `run` is `$body` with the lanes bound to `$l`, and a function `$call` running it through
/// [`dispatch`].
macro_rules! lanes_kernel {
    (
        $(#[$attr:meta])*
        fn $call:ident => $name:ident($l:ident, $($arg:ident: $ty:ty),* $(,)?) $body:block
    ) => {
        struct $name<'a> {
            $($arg: $ty,)*
            _life: std::marker::PhantomData<&'a ()>,
        }

        impl $crate::backend::cpu::lanes::Kernel for $name<'_> {
            #[inline(always)]
            fn run<L: $crate::backend::cpu::lanes::Lanes>(self, $l: L) {
                let $name { $($arg,)* _life: _ } = self;
                $body
            }
        }

        $(#[$attr])*
        fn $call<'a>($($arg: $ty),*) {
            $crate::backend::cpu::lanes::dispatch($name {
                $($arg,)*
                _life: std::marker::PhantomData,
            })
        }
    };
}

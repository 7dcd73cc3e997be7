//! A small seeded generator for initialization, shuffling and dropout masks.
//!
//! luminal 0.2.0 initializes with an unseeded `thread_rng()`; luminet draws every random number
//! from this generator instead, so the same seed gives the same run. It is SplitMix64: one `u64`
//! of state (trivial to checkpoint) and good statistical quality for these uses.

/// A seeded pseudo-random generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng {
            state: seed ^ 0x5DEE_CE66_D1CE_4E5B,
        }
    }

    /// The generator's state, to save in a checkpoint.
    pub fn state(&self) -> u64 {
        self.state
    }

    /// A generator resumed from [`Rng::state`].
    pub fn from_state(state: u64) -> Rng {
        Rng { state }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let u2 = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    /// An independent generator for a sub-task, e.g. one ensemble member.
    pub fn fork(&mut self) -> Rng {
        Rng {
            state: self.next_u64(),
        }
    }

    /// An inverted-dropout mask of `len` values: each is 0 with probability `rate`, and
    /// `1 / (1 - rate)` otherwise. Made on all threads, each chunk from a generator forked in
    /// order, so the mask depends on the seed alone, not on the thread count.
    pub fn dropout_mask(&mut self, len: usize, rate: f32) -> Vec<f32> {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 14;
        let keep = 1.0 / (1.0 - rate);
        // A 32-bit draw below this drops its value.
        let threshold = (f64::from(rate) * (1u64 << 32) as f64) as u64;
        let forks: Vec<Rng> = (0..len.div_ceil(CHUNK)).map(|_| self.fork()).collect();
        let mut mask = vec![0.0; len];
        mask.par_chunks_mut(CHUNK)
            .zip(forks)
            .for_each(|(chunk, mut rng)| {
                for pair in chunk.chunks_mut(2) {
                    let bits = rng.next_u64();
                    for (m, draw) in pair.iter_mut().zip([bits & 0xFFFF_FFFF, bits >> 32]) {
                        *m = if draw < threshold { 0.0 } else { keep };
                    }
                }
            });
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut r = Rng::new(1);
        let u: Vec<f32> = (0..20_000).map(|_| r.unit()).collect();
        let mean = u.iter().sum::<f32>() / u.len() as f32;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
        let n: Vec<f32> = (0..20_000).map(|_| r.normal()).collect();
        let m = n.iter().sum::<f32>() / n.len() as f32;
        let var = n.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / n.len() as f32;
        assert!(
            m.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "mean {m} var {var}"
        );
    }

    #[test]
    fn dropout_masks_drop_at_the_rate_and_scale_the_rest() {
        let mut r = Rng::new(5);
        let mask = r.dropout_mask(100_001, 0.25);
        let dropped = mask.iter().filter(|&&m| m == 0.0).count() as f64 / mask.len() as f64;
        assert!((dropped - 0.25).abs() < 0.005, "dropped {dropped}");
        assert!(mask.iter().all(|&m| m == 0.0 || m == 1.0 / 0.75));
        assert_ne!(
            mask,
            r.dropout_mask(100_001, 0.25),
            "each mask is a new draw"
        );
        assert_eq!(Rng::new(5).dropout_mask(100_001, 0.25), mask);
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut v: Vec<usize> = (0..50).collect();
        Rng::new(3).shuffle(&mut v);
        assert_ne!(v, (0..50).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..50).collect::<Vec<_>>());
    }
}

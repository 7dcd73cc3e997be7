//! Seeded weight initializers.

use crate::rng::Rng;

/// Glorot (Xavier) uniform: `U(-l, l)` with `l = sqrt(6 / (fan_in + fan_out))`, Keras' default.
pub fn glorot_uniform(fan_in: usize, fan_out: usize, n: usize, rng: &mut Rng) -> Vec<f32> {
    let limit = (6.0 / (fan_in + fan_out).max(1) as f32).sqrt();
    (0..n).map(|_| rng.uniform(-limit, limit)).collect()
}

/// He (Kaiming) uniform: `U(-l, l)` with `l = sqrt(6 / fan_in)`, for ReLU networks.
pub fn he_uniform(fan_in: usize, n: usize, rng: &mut Rng) -> Vec<f32> {
    let limit = (6.0 / fan_in.max(1) as f32).sqrt();
    (0..n).map(|_| rng.uniform(-limit, limit)).collect()
}

/// He (Kaiming) normal: `N(0, 2 / fan_in)`.
pub fn he_normal(fan_in: usize, n: usize, rng: &mut Rng) -> Vec<f32> {
    let std = (2.0 / fan_in.max(1) as f32).sqrt();
    (0..n).map(|_| std * rng.normal()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_seeding() {
        let w = glorot_uniform(784, 128, 10_000, &mut Rng::new(1));
        let l = (6.0f32 / 912.0).sqrt();
        assert!(w.iter().all(|x| x.abs() <= l));
        assert!(w.iter().any(|x| x.abs() > 0.9 * l));
        assert_eq!(w, glorot_uniform(784, 128, 10_000, &mut Rng::new(1)));
        let h = he_normal(50, 20_000, &mut Rng::new(2));
        let var = h.iter().map(|x| x * x).sum::<f32>() / h.len() as f32;
        assert!((var - 0.04).abs() < 0.004, "variance {var}");
        assert!(he_uniform(6, 100, &mut Rng::new(3))
            .iter()
            .all(|x| x.abs() <= 1.0));
    }
}

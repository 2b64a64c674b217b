//! Seeded randomness. Every component owns a ChaCha8 stream forked from the scenario seed by a
//! stable label, so adding a component never shifts the numbers another one draws.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub type SimRng = ChaCha8Rng;

/// Forks an independent stream for `label` from the scenario `seed`.
pub fn fork(seed: u64, label: &str) -> SimRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&fnv1a64(label.as_bytes()).to_le_bytes());
    ChaCha8Rng::from_seed(key)
}

/// FNV-1a, 64 bit: a stable, platform-independent hash for labels and traces.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::new();
    h.write(bytes);
    h.finish()
}

/// FNV-1a fed piece by piece: the same value as [`fnv1a64`] of the pieces joined, without
/// joining them.
pub struct Fnv1a(u64);

impl Fnv1a {
    pub fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv1a {
    fn default() -> Self {
        Self::new()
    }
}

/// Small helpers over any seeded stream.
pub trait Draw {
    /// Uniform integer in `[0, n)`; 0 when `n == 0`.
    fn below(&mut self, n: u64) -> u64;
    /// Uniform integer in `[lo, hi]`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool;
}

impl<R: RngCore> Draw for R {
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift: unbiased enough for simulation and identical everywhere.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forks_are_stable_and_independent() {
        let a1 = fork(7, "etcd-0").next_u64();
        let a2 = fork(7, "etcd-0").next_u64();
        let b = fork(7, "etcd-1").next_u64();
        let c = fork(8, "etcd-0").next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
    }

    #[test]
    fn between_stays_in_range() {
        let mut r = fork(1, "x");
        for _ in 0..1000 {
            let v = r.between(150, 300);
            assert!((150..=300).contains(&v));
        }
    }
}

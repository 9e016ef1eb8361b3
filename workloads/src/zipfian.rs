//! Zipfian ranks by Gray et al.'s method ("Quickly generating billion-record synthetic
//! databases", SIGMOD 1994), as YCSB's `ZipfianGenerator` uses it.
//!
//! Rank 0 has probability `1 / zeta(n)`, rank 1 `2^-theta / zeta(n)`, exactly; ranks 2 and
//! up come from the continuous approximation of the inverse CDF, which over-weights the
//! low ranks a little (rank 2 by about 18% at theta 0.99, rank 9 by about 3%) — YCSB's
//! streams have the same shape, which is the point. The normalising constant `zeta(n)` is
//! computed once (exactly for the first terms, by Euler–Maclaurin for the tail, so a key
//! space of 2^40 costs microseconds) and extended term by term as inserts grow `n`.

use crate::rng::StreamRng;

/// Terms of zeta summed exactly before the Euler–Maclaurin tail; also the largest growth
/// added term by term instead of recomputed.
const EXACT_TERMS: u64 = 4096;

/// Zipfian ranks over `0..items` with constant `theta` (not 1).
#[derive(Clone, Debug)]
pub(crate) struct Zipfian {
    theta: f64,
    items: u64,
    zeta_items: f64,
    /// `zeta(2) = 1 + 2^-theta`: the cumulative weight of ranks 0 and 1.
    zeta_two: f64,
    /// Gray's eta for the current `items`.
    eta: f64,
}

impl Zipfian {
    /// `items` is at least 1 (0 is treated as 1); `theta` is validated by the caller.
    pub(crate) fn new(items: u64, theta: f64) -> Zipfian {
        let items = items.max(1);
        let zeta_items = zeta(items, theta);
        let mut zipfian = Zipfian {
            theta,
            items,
            zeta_items,
            zeta_two: 1.0 + 0.5f64.powf(theta),
            eta: 0.0,
        };
        zipfian.eta = zipfian.compute_eta();
        zipfian
    }

    #[cfg(test)]
    pub(crate) fn items(&self) -> u64 {
        self.items
    }

    /// Extends the domain to `0..items`; a smaller `items` is ignored (ranks only grow).
    pub(crate) fn grow_to(&mut self, items: u64) {
        if items <= self.items {
            return;
        }
        if items - self.items <= EXACT_TERMS {
            for i in self.items + 1..=items {
                self.zeta_items += (i as f64).powf(-self.theta);
            }
        } else {
            self.zeta_items = zeta(items, self.theta);
        }
        self.items = items;
        self.eta = self.compute_eta();
    }

    /// `(1 - (2/n)^(1-theta)) / (1 - zeta(2)/zeta(n))`, with `expm1` so theta near 1 keeps
    /// its precision. NaN for `n <= 2`, where the formula is never reached.
    fn compute_eta(&self) -> f64 {
        let one_minus_theta = 1.0 - self.theta;
        let numerator = -(one_minus_theta * (2.0 / self.items as f64).ln()).exp_m1();
        numerator / (1.0 - self.zeta_two / self.zeta_items)
    }

    /// One rank in `0..items`.
    pub(crate) fn sample(&self, rng: &mut StreamRng) -> u64 {
        let last = self.items - 1;
        let u = rng.unit();
        let uz = u * self.zeta_items;
        if uz < 1.0 {
            return 0;
        }
        if uz < self.zeta_two {
            return 1.min(last);
        }
        // Gray: n * (eta*u - eta + 1)^(1/(1-theta)), in log form.
        let scaled = ((self.eta * (u - 1.0)).ln_1p() / (1.0 - self.theta)).exp();
        let rank = self.items as f64 * scaled;
        if rank.is_nan() {
            // Only reachable by rounding when items <= 2: the last rank is the right answer.
            return last;
        }
        // Saturating cast; rounding may land just outside [2, items).
        (rank as u64).clamp(2.min(last), last)
    }
}

/// `sum_{i=1..=n} i^-theta`.
pub(crate) fn zeta(n: u64, theta: f64) -> f64 {
    let exact_end = n.min(EXACT_TERMS);
    let mut sum = 0.0;
    for i in 1..=exact_end {
        sum += (i as f64).powf(-theta);
    }
    if n > exact_end {
        sum += tail_sum(exact_end + 1, n, theta);
    }
    sum
}

/// `sum_{i=a..=b} i^-theta` for `a` well past the region where the sum is bumpy, by
/// Euler–Maclaurin up to the third derivative; at `a > 4096` the next term is below 1e-20.
fn tail_sum(a: u64, b: u64, theta: f64) -> f64 {
    let (af, bf) = (a as f64, b as f64);
    let s = 1.0 - theta;
    let integral = if s == 0.0 {
        (bf / af).ln()
    } else {
        af.powf(s) * (s * (bf / af).ln()).exp_m1() / s
    };
    let f = |x: f64| x.powf(-theta);
    let d1 = |x: f64| -theta * x.powf(-theta - 1.0);
    let d3 = |x: f64| -theta * (theta + 1.0) * (theta + 2.0) * x.powf(-theta - 3.0);
    integral + (f(af) + f(bf)) / 2.0 + (d1(bf) - d1(af)) / 12.0 - (d3(bf) - d3(af)) / 720.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Summed smallest term first, so the reference itself loses no precision.
    fn exact(n: u64, theta: f64) -> f64 {
        (1..=n).rev().map(|i| (i as f64).powf(-theta)).sum()
    }

    #[test]
    fn zeta_tail_matches_the_exact_sum() {
        for theta in [0.2, 0.5, 0.99, 1.01, 1.5, 3.0] {
            for n in [1, 2, 4095, 4096, 4097, 10_000, 300_000] {
                let (fast, slow) = (zeta(n, theta), exact(n, theta));
                assert!(
                    ((fast - slow) / slow).abs() < 1e-12,
                    "theta {theta} n {n}: {fast} vs {slow}"
                );
            }
        }
    }

    #[test]
    fn growth_matches_a_fresh_zeta() {
        let mut z = Zipfian::new(1000, 0.99);
        z.grow_to(1500);
        z.grow_to(100_000);
        z.grow_to(100_010);
        let fresh = Zipfian::new(100_010, 0.99);
        assert_eq!(z.items(), 100_010);
        assert!(((z.zeta_items - fresh.zeta_items) / fresh.zeta_items).abs() < 1e-12);
    }

    #[test]
    fn tiny_domains_stay_in_range() {
        let mut rng = StreamRng::from_seed(7);
        for items in [1u64, 2, 3] {
            for theta in [0.01, 0.99, 1.01, 40.0] {
                let z = Zipfian::new(items, theta);
                for _ in 0..2000 {
                    assert!(z.sample(&mut rng) < items);
                }
            }
        }
    }
}

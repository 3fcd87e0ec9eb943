//! Apportionment (优惠分摊): split an amount over weights by the largest-remainder
//! method, to the fen.
//!
//! Each share is first `floor(total × weight / Σweights)`; the fen left over go one
//! at a time to the largest fractional remainders, ties to the lowest index (the
//! caller passes lines in canonical order: by line id). The shares sum exactly to
//! the total, and no share exceeds its weight as long as the total does not exceed
//! the sum of the weights (which every caller guarantees: no discount exceeds its base).

use crate::error::{Result, RuleError};
use crate::money::Money;

/// Split `total` over `weights`. All-zero weights with a zero total give zeros;
/// a positive total over zero weights is an error (nothing to carry it).
pub fn largest_remainder(total: Money, weights: &[Money]) -> Result<Vec<Money>> {
    if total.as_fen() < 0 || weights.iter().any(|w| w.as_fen() < 0) {
        return Err(RuleError::invalid("allocation", "negative amount"));
    }
    let sum: i128 = weights.iter().map(|w| w.as_fen() as i128).sum();
    let t = total.as_fen() as i128;
    if t == 0 {
        return Ok(vec![Money::ZERO; weights.len()]);
    }
    if t > sum {
        return Err(RuleError::invalid(
            "allocation",
            "an amount larger than its base cannot be allocated",
        ));
    }
    let mut shares: Vec<i128> = Vec::with_capacity(weights.len());
    let mut rems: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    // i64 when every product fits (the usual case; 128-bit division is a slow
    // library call on wasm32), i128 otherwise. Same results either way.
    let max_w = weights.iter().map(|w| w.as_fen()).max().unwrap_or(0);
    let fits = (t as i64).checked_mul(max_w).is_some() && sum <= i64::MAX as i128;
    for (i, w) in weights.iter().enumerate() {
        let (q, r) = if fits {
            let num = t as i64 * w.as_fen();
            let s = sum as i64;
            ((num / s) as i128, (num % s) as i128)
        } else {
            let num = t * w.as_fen() as i128;
            (num / sum, num % sum)
        };
        shares.push(q);
        rems.push((r, i));
    }
    let mut left = t - shares.iter().sum::<i128>();
    // Largest remainder first; on ties the lower index. Only the first `left`
    // of that order matter: select them, then hand out one fen each.
    let order = |a: &(i128, usize), b: &(i128, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
    let k = (left as usize).min(rems.len());
    if k > 0 && k < rems.len() {
        rems.select_nth_unstable_by(k - 1, order);
        rems.truncate(k);
    }
    for (rem, i) in rems.into_iter().take(k) {
        if rem > 0 && left > 0 {
            shares[i] += 1;
            left -= 1;
        }
    }
    debug_assert_eq!(left, 0);
    shares.into_iter().map(|s| Money::new(s as i64)).collect()
}

/// Split a line amount evenly over its `count` units: the first `amount mod count`
/// units carry one fen more. Returned as (units, fen per unit) runs, first units first.
pub fn per_unit(amount: Money, count: u64) -> Vec<(u64, Money)> {
    if count == 0 {
        return Vec::new();
    }
    let fen = amount.as_fen();
    let base = fen.div_euclid(count as i64);
    let extra = fen.rem_euclid(count as i64) as u64;
    let mut runs = Vec::with_capacity(2);
    if extra > 0 {
        runs.push((extra, Money::fen(base + 1)));
    }
    if count > extra {
        runs.push((count - extra, Money::fen(base)));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: &[i64]) -> Vec<Money> {
        v.iter().map(|&f| Money::fen(f)).collect()
    }

    #[test]
    fn ten_yuan_over_three_ten_yuan_lines_sums_to_ten_not_nine_ninety_nine() {
        // macrozheng/mall#356: 10/10/10 with ¥10 off gave 9.99.
        let s = largest_remainder(Money::fen(1000), &m(&[1000, 1000, 1000])).unwrap();
        assert_eq!(s, m(&[334, 333, 333]));
    }

    #[test]
    fn vendure_oracle() {
        assert_eq!(
            largest_remainder(Money::fen(299), &m(&[4300, 1400, 2300])).unwrap(),
            m(&[161, 52, 86])
        );
        assert_eq!(
            largest_remainder(Money::fen(299), &m(&[1000, 1000, 1000])).unwrap(),
            m(&[100, 100, 99])
        );
    }

    #[test]
    fn whole_base_is_taken_exactly() {
        assert_eq!(
            largest_remainder(Money::fen(7), &m(&[3, 0, 4])).unwrap(),
            m(&[3, 0, 4])
        );
    }

    #[test]
    fn more_than_the_base_is_refused() {
        assert!(largest_remainder(Money::fen(8), &m(&[3, 4])).is_err());
        assert!(largest_remainder(Money::fen(1), &m(&[0, 0])).is_err());
    }

    #[test]
    fn units_take_the_extra_fen_first() {
        assert_eq!(
            per_unit(Money::fen(1001), 3),
            vec![(2, Money::fen(334)), (1, Money::fen(333))]
        );
        assert_eq!(per_unit(Money::fen(900), 3), vec![(3, Money::fen(300))]);
    }
}

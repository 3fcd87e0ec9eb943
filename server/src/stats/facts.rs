//! The heatmap's facts sentence: a peak is named only when it is real.

use super::buckets::ratio;

/// A peak needs at least this many orders in its weekday-hour …
pub const MIN_PEAK_ORDERS: i64 = 20;
/// … and at least 1.5 × the median weekday-hour (as 3 / 2).
pub const PEAK_OVER_MEDIAN: (i64, i64) = (3, 2);

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/// The median of the 168 cells (the mean of the middle two, as a fraction
/// `(numerator, 2)`).
fn median_twice(cells: &[[i64; 24]; 7]) -> i64 {
    let mut all: Vec<i64> = cells.iter().flatten().copied().collect();
    all.sort_unstable();
    let n = all.len();
    all[n / 2 - 1] + all[n / 2]
}

/// "过去4周，周三20:00–21:00 平均支付12.5单，为中位时段的2.3倍" when the best
/// weekday-hour of `weeks` weeks (cells: paid orders, 0 = Monday) has at least
/// [`MIN_PEAK_ORDERS`] orders and at least 1.5 × the median; None otherwise.
/// The first best cell wins a tie (earliest weekday, then hour).
pub fn peak_sentence(cells: &[[i64; 24]; 7], weeks: i64) -> Option<String> {
    let mut best = (0usize, 0usize, -1i64);
    for (d, row) in cells.iter().enumerate() {
        for (h, n) in row.iter().enumerate() {
            if *n > best.2 {
                best = (d, h, *n);
            }
        }
    }
    let (d, h, n) = best;
    let median2 = median_twice(cells);
    let (num, den) = PEAK_OVER_MEDIAN;
    // n ≥ 1.5 × median  ⇔  2n·den ≥ num·median2  (median2 = 2 × median)
    if n < MIN_PEAK_ORDERS || weeks <= 0 || 2 * n * den < num * median2 {
        return None;
    }
    let head = format!(
        "过去{weeks}周，{}{:02}:00–{:02}:00 平均支付{}单",
        WEEKDAYS[d],
        h,
        h + 1,
        trim(&ratio(n, weeks, 1))
    );
    Some(if median2 == 0 {
        format!("{head}，而多数时段没有支付")
    } else {
        // n ÷ median = 2n ÷ median2
        format!("{head}，为中位时段的{}倍", trim(&ratio(2 * n, median2, 1)))
    })
}

/// "12.0" reads "12".
fn trim(s: &str) -> &str {
    s.strip_suffix(".0").unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(v: i64) -> [[i64; 24]; 7] {
        [[v; 24]; 7]
    }

    #[test]
    fn a_real_peak_is_named_with_its_average_and_ratio() {
        let mut c = flat(22);
        c[2][20] = 50; // Wednesday 20:00, 4 weeks: 12.5 a week; median 22
        assert_eq!(
            peak_sentence(&c, 4).as_deref(),
            Some("过去4周，周三20:00–21:00 平均支付12.5单，为中位时段的2.3倍")
        );
    }

    #[test]
    fn no_peak_below_one_and_a_half_times_the_median() {
        let mut c = flat(20);
        c[4][21] = 29; // 1.45 × median
        assert_eq!(peak_sentence(&c, 4), None);
        c[4][21] = 30; // exactly 1.5 ×
        assert_eq!(
            peak_sentence(&c, 4).as_deref(),
            Some("过去4周，周五21:00–22:00 平均支付7.5单，为中位时段的1.5倍")
        );
    }

    #[test]
    fn no_peak_with_fewer_than_twenty_orders() {
        let mut c = flat(0);
        c[0][9] = 19;
        assert_eq!(peak_sentence(&c, 4), None);
        c[0][9] = 20;
        assert_eq!(
            peak_sentence(&c, 4).as_deref(),
            Some("过去4周，周一09:00–10:00 平均支付5单，而多数时段没有支付")
        );
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let mut c = flat(0);
        for (i, cell) in c.iter_mut().flatten().enumerate() {
            *cell = i64::from(i >= 84) * 10; // half 0, half 10: median 5
        }
        c[6][23] = 40; // Sunday 23:00: 8 × median
        assert_eq!(
            peak_sentence(&c, 4).as_deref(),
            Some("过去4周，周日23:00–24:00 平均支付10单，为中位时段的8倍")
        );
    }
}

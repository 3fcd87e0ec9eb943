//! Time buckets in Beijing time and ratios as decimal strings: pure
//! functions over unix seconds (integers only, no floats).

use crate::clock::{beijing_date_start, beijing_day_start, beijing_rfc3339};

pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;
pub const WEEK: i64 = 7 * DAY;

/// Longest range a trend answers (days): months beyond this are refused.
pub const MAX_RANGE_DAYS: i64 = 731;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Bucket {
    Hour,
    Day,
    Week,
    Month,
}

impl Bucket {
    /// Hours for one day, days up to 31, weeks up to 26 weeks, months beyond.
    pub fn for_days(days: i64) -> Bucket {
        match days {
            ..=1 => Bucket::Hour,
            2..=31 => Bucket::Day,
            32..=182 => Bucket::Week,
            _ => Bucket::Month,
        }
    }

    /// The width of a uniform bucket (None for months).
    pub fn width(self) -> Option<i64> {
        match self {
            Bucket::Hour => Some(HOUR),
            Bucket::Day => Some(DAY),
            Bucket::Week => Some(WEEK),
            Bucket::Month => None,
        }
    }
}

/// 0 = Monday … 6 = Sunday, of the Beijing day holding `t` (1970-01-01 was a Thursday).
pub fn weekday(t: i64) -> i64 {
    ((t + crate::clock::BEIJING_OFFSET).div_euclid(DAY) + 3).rem_euclid(7)
}

/// The start of the Beijing month after the one holding `t`.
fn next_month(t: i64) -> i64 {
    let s = beijing_rfc3339(t);
    let (y, m): (i64, i64) = (
        s[0..4].parse().unwrap_or(2000),
        s[5..7].parse().unwrap_or(1),
    );
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    beijing_date_start(&format!("{y:04}-{m:02}-01")).unwrap_or(t + 31 * DAY)
}

/// The bucket an instant falls in, aligned: hours and days to their Beijing
/// start, weeks to Monday 00:00, months to the 1st 00:00.
pub fn align(kind: Bucket, t: i64) -> i64 {
    match kind {
        Bucket::Hour => t.div_euclid(HOUR) * HOUR,
        Bucket::Day => beijing_day_start(t),
        Bucket::Week => beijing_day_start(t) - weekday(t) * DAY,
        Bucket::Month => {
            let s = beijing_rfc3339(t);
            beijing_date_start(&format!("{}-01", &s[0..7])).unwrap_or(t)
        }
    }
}

/// The bucket starts covering `[from, to)`, the first clipped to `from`,
/// followed by `to`: bucket i is `[b[i], b[i+1])`.
pub fn boundaries(kind: Bucket, from: i64, to: i64) -> Vec<i64> {
    let mut b = vec![from];
    let mut t = align(kind, from);
    loop {
        t = match kind.width() {
            Some(w) => t + w,
            None => next_month(t),
        };
        if t >= to {
            break;
        }
        b.push(t);
    }
    b.push(to);
    b
}

/// The bucket index of `t` in `bounds` (None outside).
pub fn index_of(bounds: &[i64], t: i64) -> Option<usize> {
    let (first, last) = (*bounds.first()?, *bounds.last()?);
    if t < first || t >= last {
        return None;
    }
    Some(bounds.partition_point(|b| *b <= t) - 1)
}

/// `num ÷ den` rounded half up to `dp` decimals, as a string ("0.1250");
/// zero when `den` is zero.
pub fn ratio(num: i64, den: i64, dp: u32) -> String {
    let scale = 10i128.pow(dp);
    let v = if den <= 0 || num < 0 {
        0
    } else {
        (i128::from(num) * scale * 2 + i128::from(den)) / (i128::from(den) * 2)
    };
    let (int, frac) = (v / scale, v % scale);
    if dp == 0 {
        int.to_string()
    } else {
        format!("{int}.{frac:0width$}", width = dp as usize)
    }
}

/// `num ÷ den` rounded half up to an integer (fen); zero when `den` is zero.
pub fn div_round(num: i64, den: i64) -> i64 {
    if den <= 0 {
        return 0;
    }
    ((i128::from(num) * 2 + i128::from(den)) / (i128::from(den) * 2)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN1: i64 = 1_735_660_800; // 2025-01-01 00:00 Beijing, a Wednesday

    #[test]
    fn bucket_kind_follows_the_range() {
        assert_eq!(Bucket::for_days(1), Bucket::Hour);
        assert_eq!(Bucket::for_days(2), Bucket::Day);
        assert_eq!(Bucket::for_days(31), Bucket::Day);
        assert_eq!(Bucket::for_days(32), Bucket::Week);
        assert_eq!(Bucket::for_days(182), Bucket::Week);
        assert_eq!(Bucket::for_days(183), Bucket::Month);
    }

    #[test]
    fn weekdays_are_beijing_weekdays_monday_first() {
        assert_eq!(weekday(JAN1), 2); // Wednesday
        assert_eq!(weekday(JAN1 - 1), 1); // 23:59:59 Tuesday
        assert_eq!(weekday(JAN1 + 5 * DAY), 0); // Monday 6 January
    }

    #[test]
    fn one_day_is_24_hours_and_days_split_at_beijing_midnight() {
        let b = boundaries(Bucket::Hour, JAN1, JAN1 + DAY);
        assert_eq!(b.len(), 25);
        assert_eq!(index_of(&b, JAN1 + DAY - 1), Some(23));
        let d = boundaries(Bucket::Day, JAN1, JAN1 + 7 * DAY);
        assert_eq!(d.len(), 8);
        assert_eq!(index_of(&d, JAN1 + DAY - 1), Some(0)); // 23:59:59
        assert_eq!(index_of(&d, JAN1 + DAY), Some(1)); // 00:00:00
        assert_eq!(index_of(&d, JAN1 + 7 * DAY), None);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // Wed 1 Jan → first week clipped, then Mondays 6, 13 January.
        let w = boundaries(Bucket::Week, JAN1, JAN1 + 19 * DAY);
        assert_eq!(
            w,
            vec![JAN1, JAN1 + 5 * DAY, JAN1 + 12 * DAY, JAN1 + 19 * DAY]
        );
        let m = boundaries(Bucket::Month, JAN1 + 10 * DAY, JAN1 + 90 * DAY);
        assert_eq!(beijing_rfc3339(m[1]), "2025-02-01T00:00:00+08:00");
        assert_eq!(beijing_rfc3339(m[2]), "2025-03-01T00:00:00+08:00");
        assert_eq!(m.len(), 4);
        assert_eq!(align(Bucket::Month, JAN1 + 40 * DAY), m[1]);
    }

    #[test]
    fn ratios_round_half_up_as_strings() {
        assert_eq!(ratio(1, 8, 4), "0.1250");
        assert_eq!(ratio(2, 3, 4), "0.6667");
        assert_eq!(ratio(5, 0, 4), "0.0000");
        assert_eq!(ratio(3, 2, 1), "1.5");
        assert_eq!(ratio(7, 3, 0), "2");
        assert_eq!(div_round(1000, 3), 333);
        assert_eq!(div_round(1001, 2), 501);
        assert_eq!(div_round(5, 0), 0);
    }
}

//! The shop's clock, and time as the shop shows it: Beijing time (UTC+8, no
//! daylight saving) for WeChat Pay's RFC 3339 fields, messages and the
//! console's day and hour buckets. The formatting functions are pure: the
//! caller gives the unix seconds.

use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds added to the wall clock (0 unless a demo or test clock is set).
static OFFSET: AtomicI64 = AtomicI64::new(0);

fn wall() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Now, in unix seconds, on the shop's clock.
pub fn now() -> i64 {
    wall() + OFFSET.load(Ordering::Relaxed)
}

/// Start the shop's clock at `t` (it then runs at the wall clock's pace): the
/// demo and the browser tests pin their seeds to a known instant
/// (`MALL_CLOCK_START`, demo builds only).
pub fn start_at(t: i64) {
    OFFSET.store(t - wall(), Ordering::Relaxed);
}

/// Seconds of Beijing time ahead of UTC.
pub const BEIJING_OFFSET: i64 = 8 * 3600;

/// The unix second at which the Beijing day holding `t` begins.
pub fn beijing_day_start(t: i64) -> i64 {
    (t + BEIJING_OFFSET).div_euclid(86_400) * 86_400 - BEIJING_OFFSET
}

/// The unix second at which the Beijing date `YYYY-MM-DD` begins (None when
/// it is not a real date between 2000 and 2199).
pub fn beijing_date_start(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = date.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(2000..=2199).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > days_in[(m - 1) as usize]
    {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 - BEIJING_OFFSET)
}

/// Unix seconds as Beijing time, `2025-01-01T12:00:00+08:00` (RFC 3339).
pub fn beijing_rfc3339(t: i64) -> String {
    let s = t + 8 * 3600;
    let (days, rem) = (s.div_euclid(86400), s.rem_euclid(86400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2025-01-01 12:00` Beijing time, for messages.
pub fn beijing_time(t: i64) -> String {
    let s = beijing_rfc3339(t);
    format!("{} {}", &s[..10], &s[11..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_days_start_at_local_midnight() {
        // 2025-01-01 00:00:00 Beijing = 2024-12-31 16:00:00 UTC.
        let midnight = 1_735_660_800;
        assert_eq!(beijing_day_start(midnight), midnight);
        assert_eq!(beijing_day_start(midnight - 1), midnight - 86_400);
        assert_eq!(beijing_day_start(midnight + 86_399), midnight);
        assert_eq!(beijing_rfc3339(midnight), "2025-01-01T00:00:00+08:00");
    }

    #[test]
    fn beijing_dates_parse_to_their_midnight() {
        assert_eq!(beijing_date_start("2025-01-01"), Some(1_735_660_800));
        assert_eq!(beijing_date_start("2024-02-29"), Some(1_709_136_000));
        assert_eq!(beijing_rfc3339(1_709_136_000), "2024-02-29T00:00:00+08:00");
        for bad in [
            "2023-02-29",
            "2025-13-01",
            "2025-1-01",
            "20250101xx",
            "1999-12-31",
            "2025-01-00",
        ] {
            assert_eq!(beijing_date_start(bad), None, "{bad}");
        }
    }

    #[test]
    fn beijing_time_formats() {
        assert_eq!(beijing_rfc3339(1_704_067_200), "2024-01-01T08:00:00+08:00");
        assert_eq!(beijing_rfc3339(1_709_164_800), "2024-02-29T08:00:00+08:00");
        assert_eq!(beijing_time(1_704_067_200), "2024-01-01 08:00");
    }

    #[test]
    fn unix_seconds_read_as_beijing_time() {
        assert_eq!(beijing_rfc3339(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(beijing_rfc3339(1_735_704_000), "2025-01-01T12:00:00+08:00");
        assert_eq!(beijing_time(1_735_704_000), "2025-01-01 12:00");
        assert_eq!(
            beijing_rfc3339(951_782_400 - 8 * 3600),
            "2000-02-29T00:00:00+08:00"
        );
    }
}

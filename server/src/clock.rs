//! Time as the shop shows it: Beijing time (UTC+8, no daylight saving) for
//! WeChat Pay's RFC 3339 fields and for messages. Pure: the caller gives the
//! unix seconds.

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

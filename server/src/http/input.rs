//! Bounds every client value meets at the edge, in one place: paging, free
//! text (length in characters, no control or bidi-override characters) and
//! merchant-entered quantities. The OpenAPI document states the same bounds
//! (`openapi.rs` reads the constants below), and a test sends every documented
//! string field an oversized value.

use crate::http::error::{ApiError, ApiResult};
pub use crate::paging::{Page, Paging};

/// The largest page number a list answers; with [`MAX_PAGE_SIZE`] the offset
/// stays far below `i64::MAX`.
pub const MAX_PAGE: i64 = 10_000;
pub const MAX_PAGE_SIZE: i64 = 100;
pub const DEFAULT_PAGE_SIZE: i64 = 20;

/// A search keyword or suggestion prefix, in characters.
pub const MAX_KEYWORD: usize = 50;

/// A price or price filter in fen: the core's Money bound.
pub const MAX_PRICE: i64 = mall_core::money::MAX_FEN;

/// Stored texts, in characters.
pub const MAX_NICKNAME: usize = 32;
pub const MAX_URL: usize = 500;
pub const MAX_REASON: usize = 200;
pub const MAX_TRACKING: usize = 64;
/// Idempotency keys, fingerprints, activity ids.
pub const MAX_KEY: usize = 64;
/// Pickup and WeChat codes.
pub const MAX_CODE: usize = 128;

/// Merchant-entered stock of one SKU.
pub const MAX_STOCK: i64 = 1_000_000_000;

/// `page` / `pageSize` of a list request, bounded: page 1..=[`MAX_PAGE`],
/// pageSize 1..=[`MAX_PAGE_SIZE`] (default [`DEFAULT_PAGE_SIZE`]).
pub fn paging(page: Option<i64>, page_size: Option<i64>) -> ApiResult<Paging> {
    let page = page.unwrap_or(1);
    let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::invalid("page", format!("1 to {MAX_PAGE}")));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ApiError::invalid(
            "pageSize",
            format!("1 to {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(Paging { page, page_size })
}

/// Characters refused in any stored text: C0/C1 controls (tab and newline
/// allowed in multi-line text only) and the bidi embeddings, overrides and
/// isolates that can make a name read backwards.
fn forbidden(c: char, multiline: bool) -> bool {
    if multiline && (c == '\n' || c == '\t') {
        return false;
    }
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn checked(field: &str, v: &str, min: usize, max: usize, multiline: bool) -> ApiResult<String> {
    let v = v.trim();
    let n = v.chars().count();
    if n < min || n > max {
        let range = if min == 0 {
            format!("at most {max} characters")
        } else {
            format!("{min} to {max} characters")
        };
        return Err(ApiError::invalid(field, range));
    }
    if v.chars().any(|c| forbidden(c, multiline)) {
        return Err(ApiError::invalid(
            field,
            "control or direction-override characters are not allowed",
        ));
    }
    Ok(v.to_string())
}

/// A one-line text of `min..=max` characters after trimming.
pub fn line(field: &str, v: &str, min: usize, max: usize) -> ApiResult<String> {
    checked(field, v, min, max, false)
}

/// A multi-line text (newlines and tabs allowed) of at most `max` characters.
pub fn paragraph(field: &str, v: &str, max: usize) -> ApiResult<String> {
    checked(field, v, 0, max, true)
}

/// A search keyword: 1 to [`MAX_KEYWORD`] characters.
pub fn keyword(field: &str, v: &str) -> ApiResult<String> {
    line(field, v, 1, MAX_KEYWORD)
}

/// A quantity in `0..=max`.
/// An integer in `min..=max`.
pub fn range(field: &str, v: i64, min: i64, max: i64) -> ApiResult<i64> {
    if !(min..=max).contains(&v) {
        return Err(ApiError::invalid(field, format!("{min} to {max}")));
    }
    Ok(v)
}

pub fn quantity(field: &str, v: i64, max: i64) -> ApiResult<i64> {
    if !(0..=max).contains(&v) {
        return Err(ApiError::invalid(field, format!("0 to {max}")));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_page_numbers_are_refused_not_multiplied() {
        assert!(paging(Some(i64::MAX), None).is_err());
        assert!(paging(Some(1 << 62), Some(100)).is_err());
        assert!(paging(Some(0), None).is_err());
        assert!(paging(None, Some(101)).is_err());
        let p = paging(Some(MAX_PAGE), Some(MAX_PAGE_SIZE)).unwrap();
        assert_eq!(p.offset(), (MAX_PAGE - 1) * MAX_PAGE_SIZE);
        assert!(!p.has_more(0));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(line("n", &"榴".repeat(32), 1, 32).is_ok());
        assert!(line("n", &"榴".repeat(33), 1, 32).is_err());
        assert!(line("n", "  ", 1, 32).is_err());
        assert_eq!(line("n", " 小明 ", 1, 32).unwrap(), "小明");
    }

    #[test]
    fn control_and_bidi_override_characters_are_refused() {
        assert!(line("n", "a\u{0}b", 0, 32).is_err());
        assert!(line("n", "abc\u{202E}gpj.exe", 0, 32).is_err());
        assert!(line("n", "a\nb", 0, 32).is_err());
        assert!(paragraph("t", "第一行\n第二行", 100).is_ok());
        assert!(paragraph("t", "a\u{7}", 100).is_err());
    }
}

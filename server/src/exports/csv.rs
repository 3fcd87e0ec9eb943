//! CSV as Excel reads it: UTF-8 with a BOM (so Chinese shows), every cell
//! quoted when it holds a comma, quote or line break, and a cell that a
//! spreadsheet would run as a formula (starting with = + - @ tab or CR) made
//! text with a leading apostrophe (OWASP's CSV-injection advice).

/// The byte-order mark that starts the file.
pub const BOM: &str = "\u{feff}";

pub fn cell(v: &str) -> String {
    let guarded = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// One line, CRLF-terminated.
pub fn row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut s = cells
        .iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    s.push_str("\r\n");
    s
}

/// Fen as the yuan a spreadsheet reads: two decimals, no currency sign
/// (the shopper-facing `¥12.34` is `mall_core::Money`'s Display) (`1234` → `12.34`, `-5` → `-0.05`).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_has_two_decimals() {
        assert_eq!(yuan(1234), "12.34");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn formulas_become_text_and_specials_are_quoted() {
        assert_eq!(cell("=SUM(A1:A9)"), "'=SUM(A1:A9)");
        assert_eq!(cell("+86 138"), "'+86 138");
        assert_eq!(cell("-5"), "'-5");
        assert_eq!(cell("@cmd"), "'@cmd");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=1,2"), "\"'=1,2\"");
        assert_eq!(cell("纯棉T恤"), "纯棉T恤");
        assert_eq!(row(&["a", "b,c"]), "a,\"b,c\"\r\n");
    }
}

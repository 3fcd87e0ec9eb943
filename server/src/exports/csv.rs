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

#[cfg(test)]
mod tests {
    use super::*;

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

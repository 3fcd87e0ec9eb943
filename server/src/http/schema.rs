//! The JSON Schema pieces the OpenAPI document is made of (objects, integer
//! ranges, texts as the server trims and checks them, nullable values, query
//! parameters, references), shared by every module that documents its routes.

use serde_json::{json, Value};

pub(crate) fn obj(required: &[&str], props: Value) -> Value {
    json!({"type": "object", "required": required, "properties": props, "additionalProperties": false})
}

pub(crate) fn int() -> Value {
    json!({"type": "integer", "format": "int64"})
}

/// An integer in `min..=max`.
pub(crate) fn range(min: i64, max: i64) -> Value {
    json!({"type": "integer", "format": "int64", "minimum": min, "maximum": max})
}

/// A non-negative integer (the server reads it as u64).
pub(crate) fn unsigned() -> Value {
    json!({"type": "integer", "format": "int64", "minimum": 0})
}

pub(crate) fn fen(desc: &str) -> Value {
    json!({"type": "integer", "format": "int64", "description": format!("{desc} (fen)")})
}

/// `schema` or `null` (an optional field: null is the same as leaving it out).
pub(crate) fn or_null(schema: Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some(t) => {
            let mut s = schema.clone();
            s["type"] = json!([t, "null"]);
            s
        }
        None => json!({"anyOf": [schema, {"type": "null"}]}),
    }
}

/// What `str::trim` removes (Unicode White_Space), as a character-class body.
pub(crate) const TRIMMED: &str =
    r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// Direction embeddings, overrides, isolates and marks (`input::forbidden`).
pub(crate) const BIDI: &str = r"\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069";

/// The server's rule for a stored text (`input::line` / `input::paragraph`):
/// `min..=max` characters after trimming, none of them a control character
/// (tab and newline allowed inside a paragraph) or a direction override. The
/// length is counted after trimming, so it is part of the pattern (a
/// `maxLength` would refuse padded texts the server takes); the description
/// says it in words.
fn text(min: usize, max: usize, multiline: bool) -> Value {
    let controls = if multiline {
        r"\x00-\x08\x0B-\x1F\x7F-\x9F"
    } else {
        r"\x00-\x1F\x7F-\x9F"
    };
    let any = format!("[^{controls}{BIDI}]");
    let edge = format!("[^{controls}{BIDI}{TRIMMED}]");
    let inner = match max {
        0 => String::new(),
        1 => edge.clone(),
        _ => format!("{edge}(?:{any}{{0,{}}}{edge})?", max - 2),
    };
    let opt = if min > 0 { "" } else { "?" };
    let pattern = format!("^[{TRIMMED}]*(?:{inner}){opt}[{TRIMMED}]*$");
    let what = if multiline { "text" } else { "one line" };
    json!({"type": "string", "pattern": pattern,
           "description": format!("{what} of {min} to {max} characters after trimming white space; no control or direction-override characters")})
}

/// A one-line text of `min..=max` characters after trimming (`input::line`).
pub(crate) fn line(min: usize, max: usize) -> Value {
    assert!(min <= 1, "patterns say at least one character, not more");
    text(min, max, false)
}

/// A multi-line text of `min..=max` characters after trimming (`input::paragraph`).
pub(crate) fn paragraph(min: usize, max: usize) -> Value {
    assert!(min <= 1, "patterns say at least one character, not more");
    text(min, max, true)
}

pub(crate) fn q(name: &str, schema: Value, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema})
}

pub(crate) fn schema_ref(c: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{c}")})
}

pub(crate) fn array_of(c: &str) -> Value {
    json!({"type": "array", "items": schema_ref(c)})
}

//! Runs every shared rule vector in `tests/vectors/**.json` against the native core.
//!
//! A vector is `{"name", "fn", "input", "expect"}`; `fn` names the entry point
//! (default `quote`); `expect` is `{"error": "CODE", "details": {...}?}` or
//! `{"ok": {...}}`. The `ok` value is matched as a subset: every key it gives must
//! be equal in the output (arrays element by element, same length); keys it leaves
//! out are not checked. A new case is a new file.

use std::path::{Path, PathBuf};

use mall_core::RuleError;
use serde_json::Value;

fn run(f: &str, input: Value) -> Result<Value, RuleError> {
    mall_core::dispatch::call(f, input)
}

/// Every key of `want` equals the same key of `got`; arrays must have equal length.
fn subset(want: &Value, got: &Value, path: &str, diffs: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => subset(wv, gv, &format!("{path}.{k}"), diffs),
                    None if wv.is_null() => {}
                    None => diffs.push(format!("{path}.{k}: missing, want {wv}")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                diffs.push(format!(
                    "{path}: {} items, want {}: got {got}",
                    g.len(),
                    w.len()
                ));
                return;
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                subset(wv, gv, &format!("{path}[{i}]"), diffs);
            }
        }
        _ if want == got => {}
        _ => diffs.push(format!("{path}: got {got}, want {want}")),
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("vectors dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn every_shared_vector_holds_on_the_native_core() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    assert!(!paths.is_empty(), "no vectors under {}", root.display());
    let mut failures = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p).expect("read vector");
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let name = v["name"].as_str().unwrap_or("?").to_string();
        let f = v.get("fn").and_then(Value::as_str).unwrap_or("quote");
        let rel = p.strip_prefix(&root).unwrap().display().to_string();
        let result = run(f, v["input"].clone());
        let expect = &v["expect"];
        let mut diffs = Vec::new();
        match (result, expect.get("error"), expect.get("ok")) {
            (Ok(got), None, Some(want)) => subset(want, &got, "", &mut diffs),
            (Err(e), Some(code), None) => {
                if code.as_str() != Some(e.code()) {
                    diffs.push(format!("error {} ({e}), want {code}", e.code()));
                } else if let Some(want) = expect.get("details") {
                    let got = serde_json::to_value(e.details()).unwrap();
                    subset(want, &got, "details", &mut diffs);
                }
            }
            (Ok(got), Some(code), _) => diffs.push(format!("ok, want error {code}: {got}")),
            (Err(e), None, _) => diffs.push(format!("error {}: {e}", e.code())),
            _ => diffs.push("expect must hold exactly one of ok / error".into()),
        }
        if !diffs.is_empty() {
            failures.push(format!("{rel} ({name}):\n    {}", diffs.join("\n    ")));
        }
    }
    println!("{} vectors run, {} failed", paths.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}

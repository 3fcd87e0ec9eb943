//! Bad input gets a clear error, never a panic: every shared vector's input is
//! mutated at random (a number made extreme, negative or a string, an array
//! emptied, a field dropped) and every entry point must answer Ok or a coded error.

use std::path::Path;

use proptest::prelude::*;
use serde_json::{json, Value};

fn inputs() -> &'static [(String, Value)] {
    static ALL: std::sync::OnceLock<Vec<(String, Value)>> = std::sync::OnceLock::new();
    ALL.get_or_init(load)
}

fn load() -> Vec<(String, Value)> {
    fn walk(dir: &Path, out: &mut Vec<(String, Value)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                let f = v
                    .get("fn")
                    .and_then(Value::as_str)
                    .unwrap_or("quote")
                    .to_string();
                out.push((f, v["input"].clone()));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors"),
        &mut out,
    );
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.to_string().cmp(&b.1.to_string())));
    out
}

/// Every (path, value) leaf or container in `v`.
fn paths(v: &Value, prefix: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = prefix.clone();
                p.push(json!(k));
                paths(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let mut p = prefix.clone();
                p.push(json!(i));
                paths(x, p, out);
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match k {
        Value::String(s) => &mut v[s.as_str()],
        Value::Number(n) => &mut v[n.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1",
    "9007199254740991",
    "-9007199254740991",
    "9007199254740992",
    "18446744073709551615",
    "-9223372036854775808",
    "0.5",
    "\"\"",
    "\"1e9\"",
    "\"-0.5\"",
    "\"99999999999999999999999\"",
    "null",
    "[]",
    "{}",
    "true",
];

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(2000),
        .. ProptestConfig::default()
    })]

    #[test]
    fn no_mutated_input_makes_any_entry_point_panic(pick in any::<prop::sample::Index>(), spot in any::<prop::sample::Index>(), repl in 0..EXTREMES.len() + 2, times in 1usize..4) {
        let all = inputs();
        let (f, input) = &all[pick.index(all.len())];
        let mut v = input.clone();
        for k in 0..times {
            let mut ps = Vec::new();
            paths(&v, Vec::new(), &mut ps);
            let p = &ps[(spot.index(ps.len()) + k * 7919) % ps.len()];
            if p.is_empty() { continue; }
            let target = at(&mut v, p);
            let new = match repl {
                r if r < EXTREMES.len() => serde_json::from_str(EXTREMES[r]).unwrap(),
                r if r == EXTREMES.len() && target.is_array() => json!([]),
                r if r == EXTREMES.len() => target.clone(),
                _ => Value::Null,
            };
            *target = new;
        }
        // Any answer is fine; a panic fails the test.
        let r = mall_core::dispatch::call(f, v);
        if let Err(e) = r {
            prop_assert!(!e.code().is_empty());
            prop_assert!(!e.message().is_empty());
        }
    }
}

/// The same mutations, every one of them: each vector's every field replaced
/// by each extreme in turn. Deterministic, so a panic the random search only
/// finds on some runs (CI found `group_progress` subtracting an expiry from
/// `now = i64::MIN`) is found on every run.
#[test]
fn no_single_extreme_field_makes_any_entry_point_panic() {
    let mut calls = 0usize;
    let mut panics = Vec::new();
    for (f, input) in inputs() {
        let mut ps = Vec::new();
        paths(input, Vec::new(), &mut ps);
        for p in ps.iter().filter(|p| !p.is_empty()) {
            for x in EXTREMES {
                let mut v = input.clone();
                *at(&mut v, p) = serde_json::from_str(x).unwrap();
                let shown = format!("{f} with {} = {x}", Value::Array(p.clone()));
                let r = std::panic::catch_unwind(|| mall_core::dispatch::call(f, v));
                match r {
                    Ok(Err(e)) => assert!(!e.code().is_empty(), "{shown}: an error without a code"),
                    Ok(Ok(_)) => {}
                    Err(_) => panics.push(shown),
                }
                calls += 1;
            }
        }
    }
    assert!(
        panics.is_empty(),
        "{} panics:\n{}",
        panics.len(),
        panics.join("\n")
    );
    assert!(
        calls > 10_000,
        "only {calls} mutated calls: were the vectors found?"
    );
}

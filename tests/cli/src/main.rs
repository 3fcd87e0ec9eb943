//! mall-rules: run the native core on JSON, for the wasm parity tests and benchmarks.
//!
//!   mall-rules run            stdin: one `{"fn": NAME, "input": {...}}` per line;
//!                             stdout: one `{"ok": OUTPUT}` or `{"error": {code, message, details}}` per line
//!   mall-rules bench FILE N   quote FILE (a QuoteInput) N times; prints `{"nsPerQuote": X}`

use std::io::{BufRead, BufWriter, Write};
use std::time::Instant;

use serde_json::{json, Value};

fn run() -> Result<(), String> {
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let req: Value =
            serde_json::from_str(&line).map_err(|e| format!("bad request line: {e}"))?;
        let name = req["fn"].as_str().unwrap_or("quote");
        let reply = match mall_core::dispatch::call(name, req["input"].clone()) {
            Ok(v) => json!({ "ok": v }),
            Err(e) => json!({ "error": e.body() }),
        };
        serde_json::to_writer(&mut out, &reply).map_err(|e| e.to_string())?;
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

fn bench(file: &str, n: u32) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let input: mall_core::QuoteInput =
        serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    // Warm up, then time.
    for _ in 0..n.div_ceil(10) {
        mall_core::quote(&input).map_err(|e| e.to_string())?;
    }
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            mall_core::quote(std::hint::black_box(&input)).map_err(|e| e.to_string())?,
        );
    }
    let ns = start.elapsed().as_nanos() / u128::from(n.max(1));
    println!("{}", json!({ "nsPerQuote": ns as u64 }));
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("run") => run(),
        Some("bench") if args.len() == 4 => args[3]
            .parse()
            .map_err(|_| "N must be a number".to_string())
            .and_then(|n| bench(&args[2], n)),
        _ => Err("usage: mall-rules run | mall-rules bench FILE N".into()),
    };
    if let Err(e) = result {
        eprintln!("mall-rules: {e}");
        std::process::exit(2);
    }
}

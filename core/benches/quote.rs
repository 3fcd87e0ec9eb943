//! Quote latency on the two benchmark carts (tests/bench/*.json):
//! a 20-line cart with 5 coupons, and a 200-line cart with 30 coupons including the
//! best-combination search.
//!
//! cargo bench -p mall-core --bench quote

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mall_core::{quote, QuoteInput};

fn load(name: &str) -> QuoteInput {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/bench")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("bench cart"))
        .expect("bench cart parses")
}

fn bench(c: &mut Criterion) {
    for (label, file) in [
        ("quote 20 lines, 5 coupons", "cart-20.json"),
        ("quote 200 lines, 30 coupons (best search)", "cart-200.json"),
    ] {
        let input = load(file);
        let q = quote(&input).expect("prices");
        println!(
            "{label}: payable {} search {:?} over {} combinations",
            q.payable, q.coupons.mode, q.coupons.combinations
        );
        c.bench_function(label, |b| b.iter(|| quote(black_box(&input)).unwrap()));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

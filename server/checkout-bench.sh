#!/usr/bin/env bash
# checkout-bench.sh [mall-checkout-bench args] - the whole shopper flow under
# load (cart → quote → order → prepay → pay through the fake WeChat Pay and its
# signed notification) against the real server binary, on SQLite and, with
# WITH_POSTGRES=1 (or CI=true), on PostgreSQL started by scripts/start-postgres.sh.
# Prints checkouts/s, requests/s, p50 / p99 per call, server CPU per checkout
# and peak RSS (the fake WeChat runs as its own process, mall-fake-wechat, so the
# server's CPU is its own), the fake's, PostgreSQL's and the whole machine's CPU
# per checkout. Bounded: --duration seconds after --warmup (defaults 30 and 15).
#
#   bash server/checkout-bench.sh --workers 4
#   WITH_POSTGRES=1 bash server/checkout-bench.sh --workers 16
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
bench_build mall-checkout-bench
run() { "$BENCH_TARGET/mall-checkout-bench" --server "$BENCH_TARGET/mall-server" --fake "$BENCH_TARGET/mall-fake-wechat" "$@"; }
run "$@"
if bench_with_postgres; then
  run --database-url "$(bench_pg_url mall_checkout_bench)" "$@"
fi

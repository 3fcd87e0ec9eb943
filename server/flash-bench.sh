#!/usr/bin/env bash
# flash-bench.sh [mall-flash-bench args] - a flash sale under load against the
# real server binary: --units (1,000) on sale in --buckets (8) stock buckets,
# 1 per shopper, --buyers (20,000)
# distinct shoppers in one burst, each retrying 排队中 at most --retries times;
# --unpaid-percent (30) of the winners never pay, and after the payment
# timeout (--hold-secs, 30) their units must come back exactly and sell again.
# Prints attempts/s, p50 / p99 of the order call, the answers, orders, units
# sold, oversold and stranded units (both must be 0), server CPU per attempt;
# on SQLite and, with WITH_POSTGRES=1 (or CI=true), on PostgreSQL, then on
# PostgreSQL + Redis (scripts/start-redis.sh) with two server processes. Stops
# by itself; exits non-zero when the sale does not reconcile.
#
#   bash server/flash-bench.sh
#   WITH_POSTGRES=1 bash server/flash-bench.sh --buyers 5000 --units 200
#   MALL_FLASH_MAX_IN_FLIGHT=8 bash server/flash-bench.sh   # the server reads MALL_FLASH_* from here
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
bench_build mall-flash-bench
run() { "$BENCH_TARGET/mall-flash-bench" --server "$BENCH_TARGET/mall-server" --fake "$BENCH_TARGET/mall-fake-wechat" "$@"; }
run "$@"
if bench_with_postgres; then
  run --database-url "$(bench_pg_url mall_flash_bench)" "$@"
  run --database-url "$(bench_pg_url mall_flash_bench)" --redis-url "$(bash scripts/start-redis.sh </dev/null)" --instances 2 "$@"
fi

#!/usr/bin/env bash
# bench.sh [mall-bench args] - bounded checkout load test on SQLite and, with
# WITH_POSTGRES=1 or CI=true, on PostgreSQL (started by scripts/start-postgres.sh).
# Prints orders/s and p50 / p99 latency per backend. Defaults: 2000 orders,
# 32 in flight, all for one SKU (the hot-row case).
#
#   bash server/bench.sh                          # SQLite
#   WITH_POSTGRES=1 bash server/bench.sh --requests 5000 --concurrency 64
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/cargo-path.sh
source scripts/lib/cargo-path.sh
# The workspace release profile is tuned for wasm size; benchmark a fast build.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_PANIC=unwind \
  CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --release -p mall-server --features demo --bin mall-bench
bin=${CARGO_TARGET_DIR:-target}/release/mall-bench
"$bin" "$@"
if [[ ${WITH_POSTGRES:-} == 1 || ( -z ${WITH_POSTGRES:-} && ${CI:-} == true ) ]]; then
  url=$(bash scripts/start-postgres.sh </dev/null)
  "$bin" --database-url "$url" "$@"
fi

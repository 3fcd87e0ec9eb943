#!/usr/bin/env bash
# console-bench.sh [mall-console-bench args] - the console at scale (issue 12,
# "Scale and speed"): seeds 100,000 orders and 1,000,000 events into a fresh
# database, runs the rollup once, then against the real server binary prints
# p50 / p95 / max of the dashboard's queries (overview, 30-day trend, funnel,
# top products, 4-week heatmap), event ingest in events/s (batches of 50 from
# concurrent clients), and a ~10,000-order CSV export (time, rows, the
# server's RSS before / peak during / after). SQLite, and with WITH_POSTGRES=1
# (or CI=true) PostgreSQL started by scripts/start-postgres.sh. Bounded.
#
#   bash server/console-bench.sh
#   WITH_POSTGRES=1 bash server/console-bench.sh --requests 100 --clients 8
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/cargo-path.sh
source scripts/lib/cargo-path.sh
export CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --release -p mall-server --features demo --bin mall-server --bin mall-console-bench
target=${CARGO_TARGET_DIR:-target}/release
"$target/mall-console-bench" --server "$target/mall-server" "$@"
if [[ ${WITH_POSTGRES:-} == 1 || ( -z ${WITH_POSTGRES:-} && ${CI:-} == true ) ]]; then
  url=$(bash scripts/start-postgres.sh </dev/null)
  "$target/mall-console-bench" --server "$target/mall-server" --database-url "$url" "$@"
fi

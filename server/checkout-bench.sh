#!/usr/bin/env bash
# checkout-bench.sh [mall-checkout-bench args] - the whole shopper flow under
# load (cart → quote → order → prepay → pay through the fake WeChat Pay and its
# signed notification) against the real server binary, on SQLite and, with
# WITH_POSTGRES=1 (or CI=true), on PostgreSQL started by scripts/start-postgres.sh.
# Prints checkouts/s, requests/s, p50 / p99 per call, server CPU per checkout
# and peak RSS (the fake WeChat runs as its own process, mall-fake-wechat, so the
# server's CPU is its own). Bounded: --duration seconds after --warmup (defaults 30 and 15).
#
#   bash server/checkout-bench.sh --workers 4
#   WITH_POSTGRES=1 bash server/checkout-bench.sh --workers 16
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/cargo-path.sh
source scripts/lib/cargo-path.sh
export CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --release -p mall-server --features demo --bin mall-server --bin mall-checkout-bench --bin mall-fake-wechat
target=${CARGO_TARGET_DIR:-target}/release
"$target/mall-checkout-bench" --server "$target/mall-server" --fake "$target/mall-fake-wechat" "$@"
if [[ ${WITH_POSTGRES:-} == 1 || ( -z ${WITH_POSTGRES:-} && ${CI:-} == true ) ]]; then
  url=$(bash scripts/start-postgres.sh </dev/null)
  port=$(sed -E 's#.*:([0-9]+)/.*#\1#' <<<"$url")
  db=mall_checkout_bench
  PGPASSWORD=mall psql -X -q -h 127.0.0.1 -p "$port" -U mall -d "${url##*/}" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  base=${url%/*}
  "$target/mall-checkout-bench" --server "$target/mall-server" --fake "$target/mall-fake-wechat" --database-url "$base/$db" "$@"
fi

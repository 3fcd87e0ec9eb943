#!/usr/bin/env bash
# test-server.sh - the server's checks and its HTTP-level test suite: on SQLite
# always, then the same suite on PostgreSQL (installed and started by
# scripts/start-postgres.sh) when WITH_POSTGRES=1, or when CI=true unless
# WITH_POSTGRES=0. Redis (Debian's redis-server, installed and started on
# 127.0.0.1:6380 by scripts/start-redis.sh) serves the flash sale's
# Redis-mode tests on both databases.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib/cargo-path.sh
source scripts/lib/cargo-path.sh
step() { printf '\n==> %s\n' "$*"; }

step "server: cargo fmt --check"
cargo fmt -p mall-server -- --check
step "server: cargo clippy -D warnings"
cargo clippy -p mall-server --all-targets -- -D warnings
step "server: a production build (no demo feature): linted, no fake inside, refuses to start without WeChat settings"
cargo clippy -p mall-server --lib --bin mall-server -- -D warnings
cargo build -p mall-server --bin mall-server
bash scripts/check-production-build.sh "${CARGO_TARGET_DIR:-target}/debug/mall-server"
step "server: starting Redis (the flash sale's Redis-mode tests; scripts/start-redis.sh installs it)"
TEST_REDIS_URL=$(bash scripts/start-redis.sh </dev/null)
export TEST_REDIS_URL
step "server: tests on SQLite"
cargo test -p mall-server
step "server: schemathesis against the OpenAPI document (shopper and merchant, all checks), on SQLite"
bash scripts/schemathesis.sh

if [[ ${WITH_POSTGRES:-} == 1 || ( -z ${WITH_POSTGRES:-} && ${CI:-} == true ) ]]; then
  step "server: starting PostgreSQL"
  url=$(bash scripts/start-postgres.sh </dev/null)
  bash scripts/start-postgres.sh --drop-test-databases </dev/null
  step "server: the same HTTP suite on PostgreSQL ($url)"
  status=0
  TEST_DATABASE_URL=$url cargo test -p mall-server --test api || status=$?
  step "server: schemathesis against the OpenAPI document, on PostgreSQL"
  DATABASE_URL=$url SCHEMATHESIS_SKIP_SQLITE=1 bash scripts/schemathesis.sh || status=1
  bash scripts/start-postgres.sh --drop-test-databases </dev/null
  exit $status
else
  step "server: PostgreSQL suite skipped (WITH_POSTGRES=1 runs it; so does CI=true unless WITH_POSTGRES=0)"
fi

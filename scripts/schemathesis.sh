#!/usr/bin/env bash
# schemathesis.sh - fuzz the real server against its own OpenAPI document
# (/api/openapi.json) with Schemathesis: every check on (no 5xx, documented
# status codes and content types, responses valid against their schemas,
# schema-valid requests accepted, invalid ones refused, ...), once as the demo
# shopper (Authorization: Bearer) and once as the merchant (X-Merchant-Token).
# Exits non-zero on any failure.
#
#   bash scripts/schemathesis.sh                   # on a temp SQLite database
#   DATABASE_URL=postgres://… bash scripts/schemathesis.sh   # also on PostgreSQL
#   (SCHEMATHESIS_SKIP_SQLITE=1 with it: only on PostgreSQL)
#
# Environment (all optional): SCHEMATHESIS_MAX_EXAMPLES (examples per
# operation and phase, default 25), SCHEMATHESIS_SEED (default 1, "random" for
# a fresh one), SCHEMATHESIS_WORKERS (default 1: Python 3.11.7's ast.parse is not thread-safe, which hypothesis hits), DATABASE_URL (postgres://…:
# a second round on PostgreSQL, in a fresh database created there).
# Schemathesis is installed, pinned (scripts/schemathesis/requirements.txt),
# into target/schemathesis-venv; its settings: scripts/schemathesis/schemathesis.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib/cargo-path.sh
source scripts/lib/cargo-path.sh

target_dir=${CARGO_TARGET_DIR:-target}
venv=$target_dir/schemathesis-venv
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-25}
seed=${SCHEMATHESIS_SEED:-1}
workers=${SCHEMATHESIS_WORKERS:-1}
step() { printf '\n==> %s\n' "$*"; }

# The pinned set (schemathesis and every dependency at an exact version).
requirements=scripts/schemathesis/requirements.txt
if ! cmp -s "$requirements" "$venv/installed.txt"; then
  step "schemathesis: installing $(grep '^schemathesis==' "$requirements") into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
  cp "$requirements" "$venv/installed.txt"
fi

step "schemathesis: building the server (demo feature: the fake WeChat on loopback)"
cargo build -p mall-server --features demo --bin mall-server
server=$target_dir/debug/mall-server

tmp=$(mktemp -d)
pid=
stop() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=
}
cleanup() { stop; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fuzz <label> <database url>: start the server on that database, run both
# passes, stop it.
fuzz() {
  local label=$1 db=$2 port base token merchant status=0
  port=$(free_port)
  base=http://127.0.0.1:$port
  merchant=st-merchant-$RANDOM$RANDOM$RANDOM
  mkdir -p "$tmp/$label"
  step "schemathesis [$label]: starting $server on $base"
  MALL_BIND=127.0.0.1:$port DATABASE_URL=$db MALL_DATA_DIR=$tmp/$label \
    MALL_JOBS_EVERY_SECS=0 MALL_MERCHANT_TOKEN=$merchant RUST_LOG=${RUST_LOG:-warn} \
    "$server" >"$tmp/$label/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    curl -fsS "$base/health" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/$label/server.log"; echo "the server exited" >&2; return 1; }
    sleep 0.1
  done
  token=$(curl -fsS -XPOST "$base/api/auth/login" -H 'content-type: application/json' \
    -d '{"code":"demo"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

  local common=(
    run "$base/api/openapi.json"
    --checks all
    --max-examples "$max_examples"
    --workers "$workers"
    --generation-database none
    --suppress-health-check all
    --request-timeout 30
    --no-color
    # would end the session the shopper pass runs with
    --exclude-path /api/auth/logout
  )
  [[ $seed == random ]] || common+=(--seed "$seed")

  step "schemathesis [$label]: as the shopper"
  "$venv/bin/st" --config-file scripts/schemathesis/schemathesis.toml "${common[@]}" \
    --exclude-path-regex "^/(api/merchant|admin)/" -H "Authorization: Bearer $token" || status=1
  step "schemathesis [$label]: as the merchant"
  "$venv/bin/st" --config-file scripts/schemathesis/schemathesis.toml "${common[@]}" \
    --include-path-regex "^/api/merchant/" -H "X-Merchant-Token: $merchant" || status=1
  # The console's API as the owner (the merchant token acts as the owner);
  # the stream never ends and logout has no session to end. A route takes the
  # session cookie OR the merchant token, so a bad cookie beside the good token
  # is rightly accepted: ignored_auth does not apply.
  step "schemathesis [$label]: the console API as the owner"
  "$venv/bin/st" --config-file scripts/schemathesis/schemathesis.toml "${common[@]}" \
    --include-path-regex "^/admin/api/" --exclude-path /admin/api/stream --exclude-path /admin/api/logout \
    --exclude-checks ignored_auth -H "X-Merchant-Token: $merchant" || status=1
  if grep -q "panicked" "$tmp/$label/server.log"; then
    grep -B2 -A10 "panicked" "$tmp/$label/server.log" >&2
    status=1
  fi
  stop
  return $status
}

status=0
if [[ ${SCHEMATHESIS_SKIP_SQLITE:-0} != 1 ]]; then
  fuzz sqlite "sqlite://$tmp/sqlite/mall.db" || status=1
fi
if [[ ${DATABASE_URL:-} == postgres://* || ${DATABASE_URL:-} == postgresql://* ]]; then
  # A fresh database beside the given one, dropped afterwards.
  pgdb=mall_schemathesis_$$
  admin=${DATABASE_URL%/*}/postgres
  psql "$admin" -qc "CREATE DATABASE $pgdb" >/dev/null
  fuzz postgres "${DATABASE_URL%/*}/$pgdb" || status=1
  psql "$admin" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null || true
fi
if [[ $status != 0 ]]; then
  echo "schemathesis: failures above" >&2
else
  step "schemathesis: no failures"
fi
exit $status

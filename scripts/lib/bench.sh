# shellcheck shell=bash
# Shared by the server's load benchmarks (server/*-bench.sh): the release
# build of the server, the fake WeChat and the benchmark binaries, and a fresh
# PostgreSQL database for a run.
# shellcheck source=scripts/lib/cargo-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/cargo-path.sh"

# bench_build BIN...: release build (thin LTO) of mall-server, mall-fake-wechat and BIN...
bench_build() {
  local bins=(--bin mall-server --bin mall-fake-wechat)
  for b in "$@"; do bins+=(--bin "$b"); done
  CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo build --release -p mall-server --features demo "${bins[@]}"
  BENCH_TARGET=${CARGO_TARGET_DIR:-target}/release
}

# bench_with_postgres: whether to run the PostgreSQL half (WITH_POSTGRES=1, or CI).
bench_with_postgres() {
  [[ ${WITH_POSTGRES:-} == 1 || ( -z ${WITH_POSTGRES:-} && ${CI:-} == true ) ]]
}

# bench_pg_url NAME: a fresh database NAME on the project's PostgreSQL; prints its URL.
bench_pg_url() {
  local url port base
  url=$(bash scripts/start-postgres.sh </dev/null)
  port=$(sed -E 's#.*:([0-9]+)/.*#\1#' <<<"$url")
  # FORCE cannot end an autovacuum worker busy on the old database (it is not
  # the role's): wait for it rather than run on a stale database.
  local try
  for try in $(seq 1 30); do
    PGPASSWORD=mall psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U mall -d "${url##*/}" \
      -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 && break
    [[ $try == 30 ]] && { echo "bench_pg_url: cannot drop $1" >&2; return 1; }
    sleep 1
  done
  PGPASSWORD=mall psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U mall -d "${url##*/}" \
    -c "CREATE DATABASE $1" >/dev/null
  base=${url%/*}
  echo "$base/$1"
}

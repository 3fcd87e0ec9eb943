#!/usr/bin/env bash
# start-postgres.sh - make a local PostgreSQL available for the server and its
# tests, and print its URL on stdout (everything else goes to stderr).
#
# Installs PostgreSQL from Debian if missing (apt-get update once, then
# apt-get install -y postgresql), creates a dedicated cluster "mall" listening
# on 127.0.0.1 only (port MALL_PG_PORT, default 5433) so it never touches
# another cluster, a role with CREATEDB (the tests create one database each)
# and a database, and starts it. Idempotent: a second run just prints the URL.
# Works as root without a terminal (CI=true): pg_ctlcluster drops to the
# postgres user itself.
#
#   url=$(bash scripts/start-postgres.sh)
#   bash scripts/start-postgres.sh --stop     # stop the cluster
#   bash scripts/start-postgres.sh --drop-test-databases   # drop mall_test_* (made by the tests)
#   MALL_PG_DURABLE=1 bash scripts/start-postgres.sh   # durable settings, for a shop's data
set -euo pipefail

PORT=${MALL_PG_PORT:-5433}
CLUSTER=mall
ROLE=mall
PASS=mall
DB=mall

log() { printf '[start-postgres] %s\n' "$*" >&2; }
SUDO=
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi

if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
VERSION=$(ls /usr/lib/postgresql | sort -V | tail -1)

if [[ ${1:-} == --stop ]]; then
  $SUDO pg_ctlcluster "$VERSION" "$CLUSTER" stop >/dev/null 2>&1 || true
  log "stopped cluster $VERSION/$CLUSTER"
  exit 0
fi

if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$VERSION/$CLUSTER"; then
  log "creating cluster $VERSION/$CLUSTER on 127.0.0.1:$PORT"
  $SUDO pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >&2
fi
# Loopback only; enough connections for the concurrency tests. By default a
# test cluster: durability is traded for speed (fsync off), so never keep a
# shop's data in it. MALL_PG_DURABLE=1 makes it durable (fsync, synchronous
# commit, full page writes: PostgreSQL's defaults) for running a shop.
CONF=/etc/postgresql/$VERSION/$CLUSTER/conf.d/mall.conf
if [[ ${MALL_PG_DURABLE:-0} == 1 ]]; then
  want="listen_addresses = '127.0.0.1'
max_connections = 300"
else
  want="listen_addresses = '127.0.0.1'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off"
fi
if [[ ! -f $CONF || $(cat "$CONF") != "$want" ]]; then
  printf '%s\n' "$want" | $SUDO tee "$CONF" >/dev/null
  $SUDO pg_ctlcluster "$VERSION" "$CLUSTER" stop >/dev/null 2>&1 || true
fi
if ! pg_lsclusters -h | awk -v c="$CLUSTER" '$2 == c {print $4}' | grep -q online; then
  log "starting cluster $VERSION/$CLUSTER"
  $SUDO pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
PORT=$(pg_lsclusters -h | awk -v c="$CLUSTER" '$2 == c {print $3}')

psql_admin() { $SUDO -u postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -h /var/run/postgresql "$@"; }
if [[ -z $SUDO ]]; then psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -h /var/run/postgresql "$@"; }; fi

for _ in $(seq 1 50); do
  psql_admin -d postgres -c 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.2
done
if [[ $(psql_admin -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'") != 1 ]]; then
  log "creating role $ROLE"
  psql_admin -d postgres -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASS'"
fi
if [[ $(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'") != 1 ]]; then
  log "creating database $DB"
  psql_admin -d postgres -c "CREATE DATABASE $DB OWNER $ROLE"
fi
if [[ ${1:-} == --drop-test-databases ]]; then
  n=0
  for d in $(psql_admin -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'mall\\_test\\_%'"); do
    psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)"
    n=$((n + 1))
  done
  log "dropped $n test databases"
  exit 0
fi
echo "postgres://$ROLE:$PASS@127.0.0.1:$PORT/$DB"

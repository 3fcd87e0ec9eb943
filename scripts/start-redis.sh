#!/usr/bin/env bash
# start-redis.sh - make a local Redis available for the server (flash sales on
# several instances, issue 14) and its tests, and print its URL on stdout as
# the only stdout line (everything else goes to stderr).
#
# Installs Debian's redis-server if missing (apt-get update once, then
# apt-get install -y redis-server; works as root without a terminal, CI=true),
# and starts a project-owned instance, never the system one: bound to
# 127.0.0.1 only, on port MALL_REDIS_PORT (default 6380), with its own
# directory (pid file, log, any AOF) under MALL_DATA_DIR (default data/,
# git-ignored) at redis/. Idempotent: when it already answers PING, a second
# run just prints the URL.
#
# No persistence by default: Redis only rejects early in front of the database,
# which holds the truth, and is reseeded from it after a restart.
# MALL_REDIS_AOF=1 turns on the append-only file (appendfsync everysec).
#
#   url=$(bash scripts/start-redis.sh)        # redis://127.0.0.1:6380
#   bash scripts/start-redis.sh --stop        # stop the project's instance
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${MALL_REDIS_PORT:-6380}
DATA=${MALL_DATA_DIR:-data}
[[ $DATA == /* ]] || DATA=$REPO/$DATA
DIR=$DATA/redis
URL="redis://127.0.0.1:$PORT"

log() { printf '[start-redis] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
SUDO=
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  log "installing redis-server from Debian"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
fi

ping() { [[ $(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null) == PONG ]]; }

if [[ ${1:-} == --stop ]]; then
  if ping; then
    redis-cli -h 127.0.0.1 -p "$PORT" shutdown >/dev/null 2>&1 || true
    log "stopped the instance on 127.0.0.1:$PORT"
  else
    log "no instance on 127.0.0.1:$PORT"
  fi
  exit 0
fi
[[ $# -eq 0 ]] || die "usage: $0 [--stop]"

if ping; then
  log "already running on 127.0.0.1:$PORT"
  echo "$URL"
  exit 0
fi

mkdir -p "$DIR"
args=(--bind 127.0.0.1 --port "$PORT" --protected-mode yes
  --dir "$DIR" --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
  --save "")
if [[ ${MALL_REDIS_AOF:-0} == 1 ]]; then
  args+=(--appendonly yes --appendfsync everysec)
else
  args+=(--appendonly no)
fi
log "starting redis-server on 127.0.0.1:$PORT (dir $DIR, AOF ${MALL_REDIS_AOF:-0})"
redis-server "${args[@]}" >&2

for _ in $(seq 1 50); do
  ping && break
  sleep 0.1
done
ping || die "no PONG from 127.0.0.1:$PORT; see $DIR/redis.log"
echo "$URL"

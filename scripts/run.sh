#!/usr/bin/env bash
# run.sh - build and start the shop: the storefront API on http://127.0.0.1:8080
# with an embedded SQLite database (data/mall.db), migrated and seeded with the
# demo shop on first start, and the fake WeChat API on a loopback port.
#
#   bash scripts/run.sh                       # demo shop on SQLite
#   DATABASE_URL=postgres://... bash scripts/run.sh   # same server on PostgreSQL
#
# Environment (all optional): MALL_BIND (127.0.0.1:8080), DATABASE_URL
# (sqlite://data/mall.db), MALL_DATA_DIR (data), WECHAT_API_BASE (fake, or e.g.
# https://api.weixin.qq.com), WECHAT_APPID, WECHAT_SECRET, MALL_DATA_KEYS
# (id:base64,...), MALL_DATA_KEY_ID, MALL_MERCHANT_TOKEN, MALL_ORDER_TTL_SECS
# (1800), MALL_SESSION_TTL_SECS, MALL_SEED_DEMO (true), MALL_DEMO_CAMPAIGNS (true:
# the demo's member campaigns on, with demo members vip-1 … vip-10), RUST_LOG.
# Secrets not given are generated once into data/secrets.json (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib/cargo-path.sh
source scripts/lib/cargo-path.sh

# A quick first build for the one-command start: thin LTO and 16 codegen units
# instead of the workspace's fat LTO and 1 (tuned for the wasm package's size).
export CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16

# The merchant console (console/dist), embedded in the server binary: npm ci
# and vite build the first time, nothing when it is current.
bash scripts/build-console.sh

# Demo mode: the fake WeChat API and WeChat Pay on loopback (a production build
# leaves out `--features demo` and configures WeChat; see server/README.md).
cargo build --release -p mall-server --features demo --bin mall-server
target_dir=${CARGO_TARGET_DIR:-target}
bind=${MALL_BIND:-127.0.0.1:8080}
echo "==> starting the shop on http://$bind (API docs: http://$bind/api/openapi.json; Ctrl-C stops)"
echo "    merchant console: http://$bind/admin/ (user owner; the password is printed at first start and kept in ${MALL_DATA_DIR:-data}/secrets.json as ownerPassword)"
echo "    demo shopper: POST /api/auth/login {\"code\":\"demo\"}; merchant token in ${MALL_DATA_DIR:-data}/secrets.json"
exec "$target_dir/release/mall-server"

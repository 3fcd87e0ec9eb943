#!/usr/bin/env bash
# checkout-statements.sh [SERVER_BIN] [FAKE_BIN] - the SQL statements one
# shopper checkout costs, per call: the real server (demo build) on a fresh
# SQLite database with sqlx's statement log on, the fake WeChat as its own
# process, and two whole checkouts (cart → quote → place → prepay → pay through
# the fake's confirm and signed notification); the second one is counted, so
# the shopper's first-visit work is left out. Prints each call's statements and
# the total. Not a timed test: a count, the same on a busy or an idle machine.
#
#   bash server/checkout-statements.sh            # builds target/debug first
#   bash server/checkout-statements.sh target/release/mall-server target/release/mall-fake-wechat
#   STATEMENTS_DATABASE_URL=postgres://… bash server/checkout-statements.sh …   # on PostgreSQL (an empty database)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/cargo-path.sh
source scripts/lib/cargo-path.sh
if [[ $# -eq 0 ]]; then
  cargo build -q -p mall-server --features demo --bin mall-server --bin mall-fake-wechat
  set -- "${CARGO_TARGET_DIR:-target}/debug/mall-server" "${CARGO_TARGET_DIR:-target}/debug/mall-fake-wechat"
fi
server=$(realpath "$1") fake=$(realpath "$2")
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/data"
MALL_DATA_DIR=$work/data RUST_LOG=warn,mall_server::wechat::fake=info "$fake" >"$work/fake.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q 'addr=' "$work/fake.out" 2>/dev/null && break; sleep 0.1; done
fake_addr=$(grep -o 'addr=[0-9.:]*' "$work/fake.out" | head -1 | cut -d= -f2)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
MALL_BIND=127.0.0.1:$port MALL_DATA_DIR=$work/data DATABASE_URL=${STATEMENTS_DATABASE_URL:-sqlite://$work/data/mall.db} \
  MALL_JOBS_EVERY_SECS=0 MALL_EXPIRY_SWEEP_SECS=3600 NO_COLOR=1 \
  RUST_LOG='warn,sqlx::query=debug' WECHAT_API_BASE=http://$fake_addr WECHATPAY_API_BASE=http://$fake_addr \
  "$server" >"$work/server.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.2; done
export BASE=$base FAKE=http://$fake_addr WORK=$work
python3 - <<'PY'
import json, os, re, time, urllib.request

base, fake, work = os.environ["BASE"], os.environ["FAKE"], os.environ["WORK"]

def post(url, body, token=None, headers=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", **(headers or {})})
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else None

def lines():
    with open(os.path.join(work, "server.out"), encoding="utf-8", errors="replace") as f:
        return [re.sub(r"\x1b\[[0-9;]*m", "", l) for l in f if "sqlx::query" in l]

def settle():
    # Every statement of a call is logged before its answer; this only waits
    # for a straggler (the log is written as statements finish).
    n = -1
    while n != len(lines()):
        n = len(lines())
        time.sleep(0.05)

token = post(base + "/api/auth/login", {"code": "statements-1"})["token"]
pickup = {"kind": "pickup", "storeId": "store-1"}
counts = {}
for round_ in (1, 2):
    def step(name, f):
        settle()
        before = len(lines())
        out = f()
        settle()
        if round_ == 2:
            counts[name] = [re.search(r'summary="([^"]*)"', l).group(1) for l in lines()[before:]]
        return out
    # As the product page adds: the line written, no cart in the answer.
    step("cart", lambda: post(base + "/api/cart/items", {"skuId": 19, "quantity": 1}, token,
                              {"prefer": "return=minimal"}))
    q = step("quote", lambda: post(base + "/api/checkout/quote", {"delivery": pickup}, token))
    o = step("place", lambda: post(base + "/api/orders", {"delivery": pickup, "fingerprint": q["fingerprint"],
                                                          "idempotencyKey": "statements-%d" % round_}, token))
    p = step("prepay", lambda: post(base + "/api/orders/%d/pay" % o["id"], {}, token))
    prepay = p["params"]["package"].split("=", 1)[1]
    step("pay+notify", lambda: post(fake + "/fake/pay/confirm", {"prepayId": prepay}))
total = 0
for name, stmts in counts.items():
    total += len(stmts)
    print("%-11s %2d  %s" % (name, len(stmts), " | ".join(s.rstrip(" …") for s in stmts)))
print("statements per checkout: %d" % total)
PY

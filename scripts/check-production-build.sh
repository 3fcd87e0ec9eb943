#!/usr/bin/env bash
# check-production-build.sh BINARY - a mall-server built without the `demo`
# feature contains none of the fakes and, started without the WeChat settings,
# exits at once with a message naming what is missing.
set -euo pipefail
bin=$(realpath "${1:?usage: check-production-build.sh path/to/mall-server}")
for marker in '/fake/pay/confirm' 'Tenpay.com Root CA (fake)' 'fake-token-'; do
  if grep -aqF "$marker" "$bin"; then
    echo "check-production-build: $bin contains the fake ($marker)" >&2
    exit 1
  fi
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
set +e
out=$(cd "$dir" && env -i PATH="$PATH" MALL_DATA_DIR="$dir/data" RUST_BACKTRACE=0 timeout 20 "$bin" 2>&1)
code=$?
set -e
if [[ $code -eq 0 || $code -eq 124 ]]; then
  echo "check-production-build: the server started (exit $code) without WeChat settings:" >&2
  echo "$out" >&2
  exit 1
fi
if ! grep -q 'no demo mode' <<<"$out" || ! grep -q 'WECHATPAY_MCHID' <<<"$out"; then
  echo "check-production-build: no clear message when refusing to start:" >&2
  echo "$out" >&2
  exit 1
fi
if [[ -e $dir/data/mall.db ]]; then
  echo "check-production-build: a database was created before the refusal" >&2
  exit 1
fi
echo "check-production-build: no fake inside; refuses to start: $(head -1 <<<"$out")"

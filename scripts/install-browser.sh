#!/usr/bin/env bash
# install-browser.sh - Debian's chromium and the CJK fonts for the console's
# browser tests (console/tests/*.test.mjs drive /usr/bin/chromium through
# playwright-core; Playwright itself never downloads a browser). Idempotent:
# does nothing when both are installed.
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "install ok installed" || need+=(fonts-noto-cjk)
if ((${#need[@]} == 0)); then
  echo "==> browser: chromium and fonts-noto-cjk already installed"
  exit 0
fi
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "==> browser: apt-get install ${need[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
/usr/bin/chromium --version

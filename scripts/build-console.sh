#!/usr/bin/env bash
# build-console.sh - build the merchant console (console/) into console/dist,
# which the server embeds and serves at /admin/.
#
#   bash scripts/build-console.sh          # install if needed, build if needed
#   FORCE=1 bash scripts/build-console.sh  # build even when dist looks current
#
# Idempotent and quick when nothing changed: `npm ci` runs only when
# node_modules is missing or package-lock.json differs from the one last
# installed (a stamp file), and the build is skipped when dist/index.html is
# newer than every input (src/, index.html, package-lock.json, vite config,
# tsconfig). Works non-interactively (CI=true, no terminal, as root).
set -euo pipefail
cd "$(dirname "$0")/../console"

export CI=${CI:-true} npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
# The browser tests use Debian's chromium; never let playwright download one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

command -v node >/dev/null || { echo "build-console: node is required (Node >= 20.19)" >&2; exit 1; }

stamp=node_modules/.install-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "==> console: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

inputs=(src index.html package-lock.json vite.config.ts tsconfig.json)
if [[ -z ${FORCE:-} && -f dist/index.html ]] \
  && [[ -z $(find "${inputs[@]}" -newer dist/index.html -print -quit 2>/dev/null) ]]; then
  echo "==> console: dist is up to date"
  exit 0
fi

echo "==> console: vite build"
npx --no-install vite build --logLevel warn
# The build writes index.html first; touch it so it is newer than every asset
# and every input read during the build.
touch dist/index.html
echo "==> console: built $(find dist -type f | wc -l) files into console/dist"

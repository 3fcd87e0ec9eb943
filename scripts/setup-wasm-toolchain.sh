#!/usr/bin/env bash
# setup-wasm-toolchain.sh - install a wasm32-unknown-unknown (WebAssembly 1.0 / MVP)
# Rust toolchain on a Debian 12 (bookworm) amd64 machine whose rustup cannot
# download targets. Based on shared/notes/toolchain.md (tested recipe).
#
#   * Debian bookworm-security rustc-web (+ its std sources, so std is rebuilt
#     with -Zbuild-std for target-cpu=mvp) and lld-NN as the wasm linker,
#     unpacked with `dpkg -x` into a private prefix (NOT apt-installed: it must
#     not shadow rustup's rustc; native builds are unaffected).
#   * wasm-bindgen-cli pinned to the wasm-bindgen crate version, wasm-pack
#     (both `cargo install --locked` with rustup's stable cargo).
#   * binaryen's wasm-opt from npm (Debian's binaryen 108 is older/bigger output)
#     and Debian's wabt for `wasm-check-mvp` (fails on any post-MVP opcode).
#
# Idempotent: every step checks what is there and is skipped when it is already
# right, so a re-run takes well under a second and uses no network. Safe against
# concurrent runs (flock). Non-interactive: works as root with CI=true and no tty.
#
# Environment:
#   WASM_TOOLCHAIN_PREFIX  install prefix (default /opt/rust-wasm)
#   WASM_TOOLCHAIN_STRICT  1 = fail if the pinned rustc-web is no longer offered
#   RUSTC_WEB_VERSION, WASM_BINDGEN_VERSION, WASM_PACK_VERSION, BINARYEN_NPM_VERSION
#
# Use afterwards:  $PREFIX/bin/wasm-env cargo build --release -p my-wasm-crate
#                  $PREFIX/bin/wasm-env wasm-pack build --release --target web path/to/crate
#                  $PREFIX/bin/wasm-check-mvp pkg/*.wasm
set -euo pipefail

PREFIX=${WASM_TOOLCHAIN_PREFIX:-/opt/rust-wasm}
# Debian version of rustc-web. bookworm-security keeps only its newest build, so
# when this exact version is gone the candidate is used (WASM_TOOLCHAIN_STRICT=1: fail).
RUSTC_WEB_VERSION=${RUSTC_WEB_VERSION:-1.96.0+dfsg1-1~deb12u2}
# Must equal the `wasm-bindgen` version in the project's Cargo.lock (pin it with "=").
WASM_BINDGEN_VERSION=${WASM_BINDGEN_VERSION:-0.2.130}
WASM_PACK_VERSION=${WASM_PACK_VERSION:-0.15.1}
BINARYEN_NPM_VERSION=${BINARYEN_NPM_VERSION:-132.0.0}

export DEBIAN_FRONTEND=noninteractive
export CARGO_TERM_PROGRESS_WHEN=never
# shellcheck source=lib/cargo-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cargo-path.sh"

log() { printf '[setup-wasm %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
timed() { local t0=$SECONDS; "$@"; log "$1: done in $((SECONDS - t0))s"; }
# put_script DEST < content: executable, replaced only when it changed.
# Content is written from QUOTED heredocs with @PREFIX@ placeholders, so nothing
# in it (backticks, $vars) is ever expanded or executed by this script.
put_script() {
  local tmp=$1.tmp.$$
  sed "s|@PREFIX@|$PREFIX|g" >"$tmp"; chmod +x "$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv -f "$tmp" "$1"; fi
}

for tool in cargo npm node dpkg dpkg-deb apt-get apt-cache flock sed; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[[ $(dpkg --print-architecture) == amd64 ]] || die "only amd64 is supported"

mkdir -p "$PREFIX/bin" "$PREFIX/.cache"
exec 9>"$PREFIX/.lock"
flock 9

SUDO=
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || die "must run as root (or with sudo available) for apt-get"
  SUDO="sudo -n"
fi

apt_updated=0
apt_update() { # at most once per run
  ((apt_updated)) && return
  $SUDO apt-get update -qq
  apt_updated=1
}

# ---------------------------------------------------------------- rustc-web
installed_rustc_web() { # prints the installed Debian version if the toolchain works
  [[ -f $PREFIX/rustc-web/.stamp ]] && "$PREFIX/bin/rustc" -V >/dev/null 2>&1 && cat "$PREFIX/rustc-web/.stamp"
}

install_rustc_web() {
  local have ver=$RUSTC_WEB_VERSION
  have=$(installed_rustc_web || true)
  if [[ -n $have && $have == "$ver" ]]; then
    log "rustc-web $have already installed: $("$PREFIX/bin/rustc" -V)"; return
  fi
  # The pinned version vanished earlier and the candidate was installed instead:
  # stay fast (no apt) on re-runs with the same request.
  if [[ -n $have && ${WASM_TOOLCHAIN_STRICT:-0} != 1 && -f $PREFIX/rustc-web/.requested &&
        $(cat "$PREFIX/rustc-web/.requested") == "$ver" ]]; then
    log "rustc-web $have already installed (fallback for $ver): $("$PREFIX/bin/rustc" -V)"; return
  fi
  apt_update
  if ! apt-cache show "rustc-web=$ver" >/dev/null 2>&1; then
    [[ ${WASM_TOOLCHAIN_STRICT:-0} == 1 ]] && die "rustc-web=$ver is no longer offered by apt"
    ver=$(apt-cache policy rustc-web | awk '/Candidate:/ {print $2}')
    [[ -n $ver && $ver != "(none)" ]] || die "apt offers no rustc-web at all"
    log "WARNING: rustc-web=$RUSTC_WEB_VERSION is not offered any more; using the candidate $ver"
    if [[ -n $have && $have == "$ver" ]]; then
      printf '%s\n' "$RUSTC_WEB_VERSION" >"$PREFIX/rustc-web/.requested"
      log "rustc-web $have already installed"; return
    fi
  fi
  local minor=${ver%%+*}; minor=${minor%.*}              # 1.96.0+dfsg1-... -> 1.96
  local libstd=libstd-rust-web-$minor llvm
  llvm=$(apt-cache show "$libstd=$ver" | sed -n 's/^Depends:.*\(libllvm[0-9][0-9]*\).*/\1/p' | head -1)
  [[ -n $llvm ]] || die "cannot find the libllvm that $libstd=$ver depends on"
  local llvm_n=${llvm#libllvm}
  local lld=lld-$llvm_n

  local dl=$PREFIX/.cache/debs
  rm -rf "$dl"; mkdir -p "$dl"
  log "downloading rustc-web=$ver $libstd libstd-rust-web-dev rust-web-src $llvm $lld"
  (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root \
     "rustc-web=$ver" "$libstd=$ver" "libstd-rust-web-dev=$ver" "rust-web-src=$ver" "$llvm" "$lld")

  # Runtime libraries libLLVM and lld need (normally in the base image; install any missing).
  local missing=() dep
  for dep in $(for d in "$dl"/libllvm*.deb "$dl"/lld-*.deb; do dpkg-deb -f "$d" Depends; done |
               tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/ //g' | grep -v "^$llvm\$" | sort -u); do
    dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q 'ok installed' || missing+=("$dep")
  done
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi

  local root=$PREFIX/rustc-web.new
  rm -rf "$root"
  local d
  for d in "$dl"/*.deb; do dpkg-deb -x "$d" "$root"; done
  # Keep only what a wasm build needs: std sources (library/), no docs, no compiler sources.
  find "$root"/usr/src/rustc-*/ -mindepth 1 -maxdepth 1 ! -name library ! -name Cargo.lock -exec rm -rf {} +
  rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/libexec"
  # rustc's wasm32 target links with "rust-lld" from <sysroot>/lib/rustlib/<host>/bin.
  mkdir -p "$root/usr/lib/rustlib/x86_64-unknown-linux-gnu/bin"
  ln -sfn "../../../llvm-$llvm_n/bin/lld" "$root/usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
  # lld's RUNPATH is $ORIGIN/../lib: let it find libLLVM even without LD_LIBRARY_PATH.
  mkdir -p "$root/usr/lib/llvm-$llvm_n/lib"
  local f
  for f in "$root"/usr/lib/x86_64-linux-gnu/libLLVM.so.*; do
    ln -sfn "../../x86_64-linux-gnu/${f##*/}" "$root/usr/lib/llvm-$llvm_n/lib/${f##*/}"
  done
  # Empty target libdir: makes wasm-pack's "is the wasm32 target installed?" check pass
  # (std itself is rebuilt from library/ by -Zbuild-std).
  mkdir -p "$root/usr/lib/rustlib/wasm32-unknown-unknown/lib"
  if LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu ldd "$root/usr/bin/rustc" "$root/usr/lib/llvm-$llvm_n/bin/lld" | grep 'not found'; then
    die "unresolved shared libraries (see above)"
  fi
  rm -rf "$PREFIX/rustc-web"
  mv "$root" "$PREFIX/rustc-web"
  printf '%s\n' "$ver" >"$PREFIX/rustc-web/.stamp"
  printf '%s\n' "$RUSTC_WEB_VERSION" >"$PREFIX/rustc-web/.requested"
  rm -rf "$dl"
  write_wrappers
  "$PREFIX/bin/rustc" -vV >&2
}

write_wrappers() {
  local tool
  for tool in rustc rustdoc; do
    sed "s|@TOOL@|$tool|g" <<'EOF' | put_script "$PREFIX/bin/$tool"
#!/bin/sh
# Debian rustc-web @TOOL@ (private libLLVM/librustc_driver; -Z flags allowed).
LD_LIBRARY_PATH="@PREFIX@/rustc-web/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
RUSTC_BOOTSTRAP=1 exec "@PREFIX@/rustc-web/usr/bin/@TOOL@" "$@"
EOF
  done
  put_script "$PREFIX/bin/wasm-env" <<'EOF'
#!/bin/sh
# Runs a command with the wasm32 (MVP) toolchain of @PREFIX@:
#   wasm-env cargo build --release -p my-wasm-crate      (target defaults to wasm32-unknown-unknown)
#   wasm-env wasm-pack build --release --target web crates/my-wasm-crate
# Only the command's own environment is changed; native builds elsewhere keep rustup's rustc.
# NOTE: RUSTFLAGS / CARGO_ENCODED_RUSTFLAGS (even empty) replace the
# [target.wasm32-unknown-unknown] rustflags of .cargo/config.toml, so target-cpu=mvp
# would be silently lost: they are refused here unless WASM_ENV_ALLOW_RUSTFLAGS=1.
if [ -z "${WASM_ENV_ALLOW_RUSTFLAGS:-}" ]; then
  for v in RUSTFLAGS CARGO_ENCODED_RUSTFLAGS; do
    if eval "[ -n \"\${$v+set}\" ]"; then
      echo "wasm-env: $v is set; it would drop -Ctarget-cpu=mvp from .cargo/config.toml. Unset it (or set WASM_ENV_ALLOW_RUSTFLAGS=1)." >&2
      exit 2
    fi
  done
fi
PATH="@PREFIX@/bin:$PATH"
RUSTC="@PREFIX@/bin/rustc"
RUSTDOC="@PREFIX@/bin/rustdoc"
RUSTC_BOOTSTRAP=1
CARGO_UNSTABLE_BUILD_STD="${CARGO_UNSTABLE_BUILD_STD:-std,panic_abort}"
CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-wasm32-unknown-unknown}"
# "cargo test --release" with panic=abort would otherwise build std twice (E0152 duplicate lang item).
CARGO_UNSTABLE_PANIC_ABORT_TESTS="${CARGO_UNSTABLE_PANIC_ABORT_TESTS:-true}"
export PATH RUSTC RUSTDOC RUSTC_BOOTSTRAP CARGO_UNSTABLE_BUILD_STD CARGO_BUILD_TARGET CARGO_UNSTABLE_PANIC_ABORT_TESTS
exec "$@"
EOF
  put_script "$PREFIX/bin/wasm-check-mvp" <<'EOF'
#!/bin/sh
# Fails unless each given .wasm uses only WebAssembly 1.0 (MVP) features.
if [ $# -eq 0 ]; then echo "usage: wasm-check-mvp FILE.wasm..." >&2; exit 2; fi
st=0
for f in "$@"; do
  if [ ! -f "$f" ]; then echo "$f: no such file" >&2; st=1; continue; fi
  if "@PREFIX@/wabt/usr/bin/wasm-validate" --disable-mutable-globals --disable-saturating-float-to-int \
      --disable-sign-extension --disable-simd --disable-multi-value --disable-bulk-memory \
      --disable-reference-types "$f"; then
    echo "$f: MVP only"
  else
    echo "$f: uses post-MVP features" >&2; st=1
  fi
done
exit $st
EOF
}

# ---------------------------------------------------------------- wabt (MVP check)
install_wabt() {
  if "$PREFIX/wabt/usr/bin/wasm-validate" --version >/dev/null 2>&1; then
    log "wabt $("$PREFIX/wabt/usr/bin/wasm-validate" --version) already installed"; return
  fi
  local dl=$PREFIX/.cache/wabt
  rm -rf "$dl" "$PREFIX/wabt"; mkdir -p "$dl"
  apt-cache show wabt >/dev/null 2>&1 || apt_update
  (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root wabt)
  dpkg-deb -x "$dl"/wabt_*.deb "$PREFIX/wabt"
  rm -rf "$dl" "$PREFIX/wabt/usr/share"
  "$PREFIX/wabt/usr/bin/wasm-validate" --version >/dev/null || die "wabt's wasm-validate does not run"
}

# ---------------------------------------------------------------- cargo tools
have_version() { # bin expected-"name version"
  [[ -x $PREFIX/bin/$1 ]] && [[ $("$PREFIX/bin/$1" --version 2>/dev/null) == "$2" ]]
}

install_wasm_bindgen() {
  local v=$WASM_BINDGEN_VERSION
  if have_version wasm-bindgen "wasm-bindgen $v"; then log "wasm-bindgen $v already installed"; return; fi
  if cargo install --quiet wasm-bindgen-cli --version "=$v" --locked --force --root "$PREFIX"; then return; fi
  # 0.2.130's packaged Cargo.lock pins webpki-roots 1.0.11, which the registry here
  # does not offer (only <= 1.0.10). The failed attempt above unpacked the crate:
  # update only the packages that cannot be found, then build with that lock.
  log "locked install failed; retrying with the packaged Cargo.lock minimally updated"
  local src
  src=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -mindepth 2 -maxdepth 2 -type d -name "wasm-bindgen-cli-$v" 2>/dev/null | head -1 || true)
  [[ -n $src ]] || die "wasm-bindgen-cli-$v sources not found in the cargo registry cache"
  local work=$PREFIX/.cache/wasm-bindgen-cli-$v
  rm -rf "$work"; cp -r "$src" "$work"
  printf '\n[workspace]\n' >>"$work/Cargo.toml"   # its own workspace, whatever lies above
  local out pkg ok=0
  for _ in 1 2 3 4 5; do
    if out=$(cd "$work" && cargo metadata --locked --format-version 1 2>&1 >/dev/null); then ok=1; break; fi
    pkg=$(sed -n 's/.*failed to select a version for the requirement `\([^ ]*\) = .*/\1/p' <<<"$out" | head -1)
    [[ -n $pkg ]] || die "cannot fix the lock file: $out"
    (cd "$work" && cargo update --quiet -p "$pkg")
    log "updated $pkg in the packaged Cargo.lock"
  done
  ((ok)) || die "the packaged Cargo.lock still does not resolve after 5 updates"
  cargo install --quiet --path "$work" --locked --force --root "$PREFIX"
  rm -rf "$work"
  have_version wasm-bindgen "wasm-bindgen $v" || die "wasm-bindgen $v not working after install"
}

install_wasm_pack() {
  local v=$WASM_PACK_VERSION
  if have_version wasm-pack "wasm-pack $v"; then log "wasm-pack $v already installed"; return; fi
  cargo install --quiet wasm-pack --version "=$v" --locked --force --root "$PREFIX"
  have_version wasm-pack "wasm-pack $v" || die "wasm-pack $v not working after install"
}

# ---------------------------------------------------------------- binaryen (npm)
binaryen_npm_version() { # version field of the installed npm package, without running node
  sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$PREFIX/npm/node_modules/binaryen/package.json" 2>/dev/null | head -1
}

install_binaryen() {
  local v=$BINARYEN_NPM_VERSION dir=$PREFIX/npm b
  if [[ $(binaryen_npm_version) == "$v" && -x $PREFIX/bin/wasm-opt ]]; then
    log "binaryen $v (npm) already installed"; return
  fi
  mkdir -p "$dir"
  [[ -f $dir/package.json ]] || printf '{ "private": true }\n' >"$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --save-exact "binaryen@$v"
  for b in wasm-opt wasm-dis wasm-as wasm-metadce; do
    ln -sfn "../npm/node_modules/binaryen/bin/$b" "$PREFIX/bin/$b"
  done
  "$PREFIX/bin/wasm-opt" --version >&2 || die "wasm-opt does not run"
}

timed install_rustc_web
timed install_wabt
write_wrappers
timed install_wasm_bindgen
timed install_wasm_pack
timed install_binaryen
log "ready: $PREFIX/bin/wasm-env  ($("$PREFIX/bin/rustc" -V); $("$PREFIX/bin/wasm-bindgen" --version); $("$PREFIX/bin/wasm-pack" --version); binaryen $(binaryen_npm_version) (npm))"

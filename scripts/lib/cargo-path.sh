# Sourced by the project's scripts: rustup's cargo lives in ~/.cargo/bin,
# which a CI or login-less shell may not have on PATH.
if ! command -v cargo >/dev/null && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
  PATH=${CARGO_HOME:-$HOME/.cargo}/bin:$PATH
fi

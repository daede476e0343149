#!/usr/bin/env bash
# Runs the whole test suite, Redis tests included, on a fresh machine.
# Installs redis-server when it is missing; tests that need Redis start their own instance
# on a free port (see tests/support) and fail loudly if they cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server not found: installing it from Debian's packages"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi
redis-server --version

# The fuzz crate (outside the workspace) must build from its committed lock file as it is.
cargo metadata --manifest-path fuzz/Cargo.toml --locked --format-version 1 >/dev/null

# The end-to-end tests in tests/ run the root package's examples as processes: build them as the
# programs `cargo run --example` runs (`--all-targets` alone builds them only as test harnesses).
cargo build --workspace --examples
cargo test --workspace --all-targets
# rediss:// (Redis over TLS) against a TLS-only redis-server: the optional `tls` feature.
cargo test -p webhook-idempotency -p webhook-queue --features tls
# The certificate fetcher (optional `fetch` feature of webhook-verify) against a local HTTPS server.
cargo test -p webhook-verify --features fetch --test fetch
cargo test -p webhook-axum --features fetch --test fetch
cargo test -p webhook-actix --features fetch --test fetch
cargo test --workspace --doc

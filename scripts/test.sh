#!/usr/bin/env bash
# Runs the whole test suite, Redis and PostgreSQL tests included, on a fresh machine.
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

# PostgreSQL for webhook-inbox: the tests use the server on 127.0.0.1:5432 (trust auth, database
# `test`, one schema per test) and fail loudly when it does not answer. Install it from Debian's
# packages when missing, start the cluster when it is down, create `test` when it is absent.
PG_URL_HOST=(-h 127.0.0.1 -U postgres)
if ! command -v psql >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL not found: installing it from Debian's packages"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
if ! psql "${PG_URL_HOST[@]}" -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  $SUDO pg_ctlcluster "$version" main start || true
  # A fresh Debian cluster asks for a password over TCP: trust local connections, as the tests do.
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if [ -f "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    $SUDO pg_ctlcluster "$version" main reload
  fi
  for _ in $(seq 1 30); do
    psql "${PG_URL_HOST[@]}" -d postgres -Atc 'select 1' >/dev/null 2>&1 && break
    sleep 1
  done
fi
psql "${PG_URL_HOST[@]}" -d postgres -Atc 'select version()'
if [ "$(psql "${PG_URL_HOST[@]}" -d postgres -Atc "select 1 from pg_database where datname = 'test'")" != 1 ]; then
  psql "${PG_URL_HOST[@]}" -d postgres -c 'create database test'
fi

# Browser tests (tests/browser.rs) drive Debian's Chromium through chromedriver: install both
# when missing. The test fails loudly, never skips, when they are absent.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "chromium / chromedriver not found: installing them from Debian's packages"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
chromium --version

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
# `webhook listen --confirm-subscriptions` (the CLI's `rustls` feature) against the same server.
cargo test -p webhook-cli --features rustls --test listen
cargo test --workspace --doc

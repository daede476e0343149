#!/usr/bin/env bash
# Claims per second through webhook-idempotency's guard vs redis-benchmark's raw
# `SET key v NX PX 60000`, same concurrency, same redis-server, in one run.
#
#   bash scripts/bench-idempotency.sh [CONCURRENCY] [REQUESTS] [ROUNDS]
#
# Starts its own redis-server on a free port (killed by PID on exit), alternates the two
# measurements ROUNDS times (the machine may be shared and noisy), prints each round's ratio
# guard / redis-benchmark and the median of those ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

C="${1:-50}"
N="${2:-200000}"
ROUNDS="${3:-3}"

for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

cargo build --release -q -p webhook-idempotency --example bench_claims
BIN="target/release/examples/bench_claims"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DIR="$(mktemp -d)"
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
  --daemonize no >/dev/null 2>&1 &
REDIS_PID=$!
trap 'kill "$REDIS_PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.1; done

echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on port $PORT, c=$C, n=$N, rounds=$ROUNDS"
BASE=(); GUARD=(); RATIOS=()
for round in $(seq "$ROUNDS"); do
  redis-cli -p "$PORT" FLUSHALL >/dev/null
  b="$(redis-benchmark -p "$PORT" -c "$C" -n "$N" -r 1000000 -q \
        SET 'key:__rand_int__' v NX PX 60000 | tr '\r' '\n' | grep 'requests per second' | tail -1 \
        | sed 's/.*: \([0-9.]*\) requests per second.*/\1/')"
  redis-cli -p "$PORT" FLUSHALL >/dev/null
  g="$("$BIN" --port "$PORT" -c "$C" -n "$N" | sed 's/.* = \([0-9.]*\) claims per second.*/\1/')"
  r="$(awk -v g="$g" -v b="$b" 'BEGIN {printf "%.1f", 100 * g / b}')"
  echo "round $round: redis-benchmark SET NX PX: $b req/s   guard.begin: $g claims/s   ratio $r %"
  BASE+=("$b"); GUARD+=("$g"); RATIOS+=("$r")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
MB="$(median "${BASE[@]}")"; MG="$(median "${GUARD[@]}")"; MR="$(median "${RATIOS[@]}")"
echo "medians: redis-benchmark $MB req/s, guard $MG claims/s; median ratio guard/redis-benchmark = $MR %"

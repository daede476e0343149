#!/usr/bin/env bash
# Accept latency (p50/p99) of a receiver that queues (verify, claim, XADD, 202) versus one that
# runs a 200 ms handler inline (verify, claim, handler, 200), side by side in one run against the
# same redis-server; then the throughput of one worker draining a pre-filled queue.
#
#   bash scripts/bench-queue.sh [REQUESTS] [CONCURRENCY] [ROUNDS] [DRAIN]
#
# Starts its own redis-server on a free port (killed by PID on exit). Modes alternate ROUNDS
# times (the machine may be shared and noisy); the medians and the ratio inline/queued are
# printed last.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-1000}"
C="${2:-32}"
ROUNDS="${3:-3}"
DRAIN="${4:-20000}"

for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install redis-server)" >&2; exit 1; }
done

cargo build --release -q -p webhook-queue --example bench_queue
BIN="target/release/examples/bench_queue"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DIR="$(mktemp -d)"
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
  --daemonize no >/dev/null 2>&1 &
REDIS_PID=$!
trap 'kill "$REDIS_PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.1; done

echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on port $PORT, $(nproc) cores"
"$BIN" --redis "redis://127.0.0.1:$PORT/" --requests "$N" --concurrency "$C" --rounds "$ROUNDS" --drain "$DRAIN"

#!/usr/bin/env bash
# Cost of webhook-actix's VerifyWebhook middleware: the same 1 KiB `POST /webhooks` endpoint
# (`web::Bytes` handler) served without it (`plain`), with it (`middleware`), and, for reference,
# without it but with the handler calling `Verifier::verify` itself (`handler`), loaded by wrk,
# plus the isolated cost of `Verifier::verify` on the same body (a hot loop), all in one run.
#
#   bash scripts/bench-actix.sh [ROUNDS] [SECONDS] [CONNECTIONS]
#
# The server (one actix-web worker) is pinned to core 0, wrk (one thread) to core 1. Each round
# measures the three servers, rotating which goes first, then the isolated verify on core 0.
# Server CPU per request = (utime + stime) delta of the server process from /proc/<pid>/stat
# over the measured wrk run / requests completed. Reports each round, the medians, and the
# fastest (lowest) figure of each column over the rounds: on a shared machine competing load only
# ever adds CPU time (cache and TLB pollution), so the lowest figures are the least disturbed.
#   added  = CPU/request with the middleware - CPU/request without (plain)
#   ratio  = added / isolated verify CPU      (goal: <= 1.3)
#   beyond = CPU/request with the middleware - CPU/request of `handler`: what the middleware costs
#            beyond verifying in place (reading, re-installing the body, extensions, tracing)
# Then, without a socket (`bench_server measure-inproc`): the fastest of 30 interleaved batches of
# requests through actix_web::test::call_service, plain and with the middleware, and of verifies;
# no kernel, no wrk, so much less noise on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${1:-5}"
SECS="${2:-10}"
CONNS="${3:-16}"

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk not found: installing it from Debian's packages"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
command -v taskset >/dev/null || { echo "taskset not found (util-linux)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (server on 0, wrk on 1)" >&2; exit 1; }

cargo build --release -q -p webhook-actix --example bench_server
BIN="target/release/examples/bench_server"
HZ="$(getconf CLK_TCK)"
export CLK_TCK="$HZ"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

SIG="$("$BIN" request "$WORK/body.json")"
cat > "$WORK/post.lua" <<LUA
local f = assert(io.open("$WORK/body.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Webhook-Signature"] = "$SIG"
LUA

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# run MODE -> prints "req_per_s p99_ms cpu_ns_per_request requests"
run() {
  local mode="$1" port out t0 t1 requests
  port="$(free_port)"
  taskset -c 0 "$BIN" serve "$mode" "$port" >/dev/null 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null -X POST --data-binary "@$WORK/body.json" \
      -H "X-Webhook-Signature: $SIG" "http://127.0.0.1:$port/webhooks" && break
    sleep 0.05
  done
  # The endpoint must answer 200 in both modes (a 401 would measure the refusal path).
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "@$WORK/body.json" \
    -H 'Content-Type: application/json' -H "X-Webhook-Signature: $SIG" "http://127.0.0.1:$port/webhooks")"
  [ "$code" = 200 ] || { echo "$mode server answered $code" >&2; exit 1; }
  taskset -c 1 wrk -t1 -c"$CONNS" -d2s -s "$WORK/post.lua" "http://127.0.0.1:$port/webhooks" >/dev/null
  t0="$(cpu_ticks "$SERVER_PID")"
  out="$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$port/webhooks")"
  t1="$(cpu_ticks "$SERVER_PID")"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  if echo "$out" | grep -q "Non-2xx"; then echo "$mode: non-2xx answers under load" >&2; echo "$out" >&2; exit 1; fi
  requests="$(echo "$out" | awk '/requests in/ {print $1}')"
  echo "$out" | awk -v t0="$t0" -v t1="$t1" -v hz="$HZ" -v n="$requests" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    / 99%/ { p99 = ms($2) }
    /Requests\/sec/ { rps = $2 }
    END { printf "%.0f %.3f %.1f %d\n", rps, p99, (t1 - t0) * 1e9 / hz / n, n }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
most() { printf '%s\n' "$@" | sort -g | tail -1; }

echo "webhook-actix bench: 1 KiB POST, wrk -t1 -c$CONNS -d${SECS}s, server on core 0, wrk on core 1, $ROUNDS rounds"
echo "machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"
FMT='%-6s | %6s r/s %7s ms %6s ns | %6s r/s %7s ms %6s ns | %6s r/s %7s ms %6s ns | %6s | %6s | %6s | %s\n'
printf '%-6s | %-31s | %-31s | %-31s | %-6s | %-6s | %-6s | %s\n' round \
  "plain: req/s, p99, CPU/req" "handler verifies: req/s, p99, CPU" "middleware: req/s, p99, CPU/req" \
  verify added beyond "added/verify"
declare -A RPS P99 CPU
V=(); ADDED=(); BEYOND=(); RATIO=()
MODES=(plain handler middleware)
for round in $(seq "$ROUNDS"); do
  for i in 0 1 2; do
    mode="${MODES[$(( (i + round - 1) % 3 ))]}"
    read -r r p c _ < <(run "$mode")
    RPS[$mode,$round]="$r"; P99[$mode,$round]="$p"; CPU[$mode,$round]="$c"
  done
  v="$(taskset -c 0 "$BIN" measure-verify 2000000 | sed 's/verify_cpu_ns=\([0-9.]*\).*/\1/')"
  pc="${CPU[plain,$round]}"; hc="${CPU[handler,$round]}"; mc="${CPU[middleware,$round]}"
  added="$(awk -v m="$mc" -v p="$pc" 'BEGIN {printf "%.0f", m - p}')"
  beyond="$(awk -v m="$mc" -v h="$hc" 'BEGIN {printf "%.0f", m - h}')"
  ratio="$(awk -v a="$added" -v v="$v" 'BEGIN {printf "%.2f", a / v}')"
  printf "$FMT" "$round" \
    "${RPS[plain,$round]}" "${P99[plain,$round]}" "$pc" \
    "${RPS[handler,$round]}" "${P99[handler,$round]}" "$hc" \
    "${RPS[middleware,$round]}" "${P99[middleware,$round]}" "$mc" \
    "$v" "$added" "$beyond" "$ratio"
  V+=("$v"); ADDED+=("$added"); BEYOND+=("$beyond"); RATIO+=("$ratio")
done

col() { local stat="$1" kind="$2" mode="$3" r; local values=(); for r in $(seq "$ROUNDS"); do
  case "$kind" in rps) values+=("${RPS[$mode,$r]}");; p99) values+=("${P99[$mode,$r]}");; cpu) values+=("${CPU[$mode,$r]}");; esac
  done; "$stat" "${values[@]}"; }
printf "$FMT" median \
  "$(col median rps plain)" "$(col median p99 plain)" "$(col median cpu plain)" \
  "$(col median rps handler)" "$(col median p99 handler)" "$(col median cpu handler)" \
  "$(col median rps middleware)" "$(col median p99 middleware)" "$(col median cpu middleware)" \
  "$(median "${V[@]}")" "$(median "${ADDED[@]}")" "$(median "${BEYOND[@]}")" "$(median "${RATIO[@]}")"
BP="$(col best cpu plain)"; BH="$(col best cpu handler)"; BM="$(col best cpu middleware)"; BV="$(best "${V[@]}")"
BADDED="$(awk -v m="$BM" -v p="$BP" 'BEGIN {printf "%.0f", m - p}')"
BBEYOND="$(awk -v m="$BM" -v h="$BH" 'BEGIN {printf "%.0f", m - h}')"
BRATIO="$(awk -v a="$BADDED" -v v="$BV" 'BEGIN {printf "%.2f", a / v}')"
printf "$FMT" best \
  "$(col most rps plain)" "$(col best p99 plain)" "$BP" \
  "$(col most rps handler)" "$(col best p99 handler)" "$BH" \
  "$(col most rps middleware)" "$(col best p99 middleware)" "$BM" \
  "$BV" "$BADDED" "$BBEYOND" "$BRATIO"
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "added/verify (goal <= 1.3): median of rounds $(median "${RATIO[@]}"), from the best figures $BRATIO"
echo "handler-verify/verify (the same verify, in place): from the best figures $(awk -v h="$BH" -v p="$BP" -v v="$BV" 'BEGIN {printf "%.2f", (h - p) / v}')"
read -r ip im iv < <(taskset -c 0 "$BIN" measure-inproc | sed 's/[a-z_]*=//g')
echo "in process, no socket (fastest of 30 batches): plain $ip ns, middleware $im ns, verify $iv ns per request;" \
  "added $((im - ip)) ns = $(awk -v a="$((im - ip))" -v v="$iv" 'BEGIN {printf "%.2f", a / v}') x that verify," \
  "$(awk -v a="$((im - ip))" -v v="$(median "${V[@]}")" 'BEGIN {printf "%.2f", a / v}') x the hot-loop verify"

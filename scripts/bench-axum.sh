#!/usr/bin/env bash
# Benchmark webhook-axum's VerifyWebhookLayer: the same 1 KiB POST endpoint with and without the
# layer, side by side in each round, against the isolated cost of Verifier::verify on the same body.
#
#   bash scripts/bench-axum.sh      # ROUNDS=5 DURATION=10 CONNECTIONS=16 by default
#
# Endpoints (webhook-axum/examples/axum_bench_server.rs), the handler is the same in all:
#   plain     - no verification
#   layer     - Router::layer(VerifyWebhookLayer::new(verifier)), the usual way
#   handler   - post(handler.layer(VerifyWebhookLayer::new(verifier))), on the one handler
#   outer     - the layer wrapped around the whole Router (a bare tower service)
#   identity  - Router::layer of a layer that does nothing: what axum charges for any route layer
#   extractor - no layer; the handler takes Webhook<Bytes>
#   manual    - the handler calls verifier.verify(&headers, &body) itself (the in-situ floor)
# Over the socket (SOCKET_MODES): server pinned to core 0 (single-threaded runtime), wrk pinned to
# core 1; requests/s, p99 latency and the server's CPU time per request (utime+stime from
# /proc/<pid>/stat before and after the run, over the requests served).
# In process (all modes): no network, one process, 30 interleaved batches through each router and
# of Verifier::verify on the same body and headers (`measure-router`); fastest and median batches.
# Then, per mode: (mode - plain) / verify. The goal: the layer adds <= 1.3 x the isolated verify.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-39111}
SOCKET_MODES=${SOCKET_MODES:-plain layer outer manual}
PROCESS_MODES=(plain identity layer handler outer extractor manual)
CLK_TCK=$(getconf CLK_TCK)
export CLK_TCK

if ! command -v wrk >/dev/null; then
    echo "installing wrk from Debian's packages" >&2
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

cargo build --release -q -p webhook-axum --example axum_bench_server
SERVER=target/release/examples/axum_bench_server
WORK=$(mktemp -d)
SERVER_PID=
cleanup() { if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi; rm -rf "$WORK"; }
trap cleanup EXIT

SIGNATURE=$("$SERVER" request "$WORK/body.json")
cat > "$WORK/post.lua" <<LUA
local f = assert(io.open("$WORK/body.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Webhook-Signature"] = "$SIGNATURE"
LUA

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# socket MODE -> "rps p99 cpu_us_per_request"
socket() {
    local mode=$1 before after out requests
    taskset -c 0 "$SERVER" serve "$mode" "$PORT" &
    SERVER_PID=$!
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d2s -s "$WORK/post.lua" "http://127.0.0.1:$PORT/webhooks" >/dev/null
    before=$(cpu_ticks "$SERVER_PID")
    out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$PORT/webhooks")
    after=$(cpu_ticks "$SERVER_PID")
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
    if grep -q "Non-2xx" <<<"$out"; then echo "$mode: non-2xx responses" >&2; echo "$out" >&2; exit 1; fi
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    awk -v req="$requests" -v t0="$before" -v t1="$after" -v hz="$CLK_TCK" '
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { p99 = $2 }
        END { printf "%.0f %s %.2f\n", rps, p99, (t1 - t0) / hz * 1e6 / req }' <<<"$out"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }

echo "webhook-axum layer benchmark: 1 KiB POST, hmac-sha256, $ROUNDS rounds; socket: ${DURATION}s per endpoint, $CONNECTIONS connections"
echo "server on core 0, wrk on core 1; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A SOCKET_RATIOS FAST_RATIOS MEDIAN_RATIOS
read -r -a socket_modes <<<"$SOCKET_MODES"
for round in $(seq "$ROUNDS"); do
    echo
    echo "round $round"
    # Over the socket, the order rotates so that drifting load favours no endpoint.
    declare -A CPU=()
    shift_by=$(( (round - 1) % ${#socket_modes[@]} ))
    order=("${socket_modes[@]:$shift_by}" "${socket_modes[@]:0:$shift_by}")
    for mode in "${order[@]}"; do
        read -r rps p99 cpu <<<"$(socket "$mode")"
        CPU[$mode]=$cpu
        printf '  socket     %-9s %7s req/s  p99 %8s  %6.2f us CPU/request\n' "$mode" "$rps" "$p99" "$cpu"
    done
    verify_ns=$(taskset -c 0 "$SERVER" measure-verify | sed 's/verify_cpu_ns=\([0-9.]*\).*/\1/')
    printf '  isolated   verify    %6.0f ns CPU\n' "$verify_ns"
    for mode in "${socket_modes[@]}"; do
        [[ $mode == plain ]] && continue
        ratio=$(awk -v m="${CPU[$mode]}" -v p="${CPU[plain]}" -v v="$verify_ns" 'BEGIN { printf "%.2f", (m - p) * 1000 / v }')
        SOCKET_RATIOS[$mode]+="$ratio "
    done
    declare -A FAST=() MED=()
    while read -r name fast med; do FAST[$name]=$fast; MED[$name]=$med; done < <(
        taskset -c 0 "$SERVER" measure-router 300000 "${PROCESS_MODES[@]}" \
            | sed 's/^\([a-z]*\) fastest_ns=\([0-9.]*\) median_ns=\([0-9.]*\)$/\1 \2 \3/')
    for mode in "${PROCESS_MODES[@]}" verify; do
        printf '  in process %-9s %7.1f ns (fastest batch) %7.1f ns (median batch)\n' "$mode" "${FAST[$mode]}" "${MED[$mode]}"
        [[ $mode == plain || $mode == verify ]] && continue
        FAST_RATIOS[$mode]+="$(awk -v m="${FAST[$mode]}" -v p="${FAST[plain]}" -v v="${FAST[verify]}" 'BEGIN { printf "%.2f", (m - p) / v }') "
        MEDIAN_RATIOS[$mode]+="$(awk -v m="${MED[$mode]}" -v p="${MED[plain]}" -v v="${MED[verify]}" 'BEGIN { printf "%.2f", (m - p) / v }') "
    done
done

echo
echo "added CPU per request over plain / isolated verify (goal for the layer: <= 1.3); median (range) over rounds"
printf '%-10s | %-22s | %-22s | %s\n' mode "in process, fastest" "in process, median" "socket (noisy)"
for mode in "${PROCESS_MODES[@]}"; do
    [[ $mode == plain ]] && continue
    read -r -a fast <<<"${FAST_RATIOS[$mode]}"
    read -r -a med <<<"${MEDIAN_RATIOS[$mode]}"
    sock="-"
    if [[ -n ${SOCKET_RATIOS[$mode]:-} ]]; then
        read -r -a s <<<"${SOCKET_RATIOS[$mode]}"
        sock="$(median "${s[@]}") ($(range "${s[@]}"))"
    fi
    printf '%-10s | %-22s | %-22s | %s\n' "$mode" "$(median "${fast[@]}") ($(range "${fast[@]}"))" \
        "$(median "${med[@]}") ($(range "${med[@]}"))" "$sock"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Benchmark webhook-axum's VerifyWebhookLayer: the same 1 KiB POST endpoint with and without the
# layer, side by side in each round, plus the isolated cost of Verifier::verify on the same body.
#
#   bash scripts/bench-axum.sh      # ROUNDS=5 DURATION=10 CONNECTIONS=16 by default
#
# Endpoints (crates/webhook-axum/examples/axum_bench_server.rs), the handler is the same in all:
#   plain  - no verification
#   layer  - Router::layer(VerifyWebhookLayer::new(verifier))
#   manual - the handler calls verifier.verify(&headers, &body) itself (verification in situ,
#            with nothing else: the floor any verifying receiver pays on this machine)
# Server pinned to core 0 (single-threaded runtime), wrk pinned to core 1. For each: requests/s,
# p99 latency and the server's CPU time per request (utime+stime from /proc/<pid>/stat before and
# after the run, divided by the requests served). Then, per round:
#   verify     - isolated Verifier::verify of the body, CPU ns per call (1e6 calls, core 0, hot loop)
#   in-process - no network, one process: 30 interleaved batches of 1e4 requests through the plain
#                and layer routers and of 1e4 Verifier::verify calls on the same body and headers
#                (`measure-router`); layer minus plain over that verify, fastest batches and median
#                batches
# The goal: the layer's added CPU per request <= 1.3 x the isolated verify cost.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-39111}
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

# run MODE -> "rps p99 cpu_us_per_request"
run() {
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

echo "webhook-axum layer benchmark: 1 KiB POST, hmac-sha256, ${DURATION}s per endpoint, $ROUNDS rounds, $CONNECTIONS connections"
echo "server on core 0, wrk on core 1; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s | %-27s | %-27s | %-27s | %-7s | %-24s | %s\n' round \
    "plain: req/s p99 CPU/req" "manual: req/s p99 CPU/req" "layer: req/s p99 CPU/req" \
    "verify" "layer adds: CPU  /verify" "in situ: manual adds, layer/manual"
declare -A R
ratios=(); situ=(); inproc=(); inproc_med=(); ip_rows=()
for round in $(seq "$ROUNDS"); do
    # Rotate the order so that drifting load favours no endpoint.
    case $(( round % 3 )) in
        1) order="plain manual layer" ;; 2) order="layer plain manual" ;; 0) order="manual layer plain" ;;
    esac
    for mode in $order; do R[$mode]=$(run "$mode"); done
    read -r p_rps p_p99 p_cpu <<<"${R[plain]}"
    read -r m_rps m_p99 m_cpu <<<"${R[manual]}"
    read -r l_rps l_p99 l_cpu <<<"${R[layer]}"
    verify_ns=$(taskset -c 0 "$SERVER" measure-verify | sed 's/verify_cpu_ns=\([0-9.]*\).*/\1/')
    # "plain fastest_ns=X median_ns=Y" / "layer ..." / "verify ..." -> X Y for each, in that order
    read -r ipp ipp_med ipl ipl_med ipv ipv_med <<<"$(taskset -c 0 "$SERVER" measure-router 300000 plain layer \
        | sed 's/^[a-z]* fastest_ns=\([0-9.]*\) median_ns=\([0-9.]*\)$/\1 \2/' | tr '\n' ' ')"
    read -r added ratio m_added situ_ratio ip_ratio ip_med_ratio < <(awk -v l="$l_cpu" -v p="$p_cpu" -v m="$m_cpu" -v v="$verify_ns" \
        -v ipl="$ipl" -v ipp="$ipp" -v ipv="$ipv" -v ipl_m="$ipl_med" -v ipp_m="$ipp_med" -v ipv_m="$ipv_med" \
        'BEGIN { a = (l - p) * 1000; ma = (m - p) * 1000
                 printf "%.0f %.2f %.0f %.2f %.2f %.2f\n", a, a / v, ma, a / ma, (ipl - ipp) / ipv, (ipl_m - ipp_m) / ipv_m }')
    ratios+=("$ratio"); situ+=("$situ_ratio"); inproc+=("$ip_ratio"); inproc_med+=("$ip_med_ratio")
    ip_rows+=("round $round: plain $ipp ns, layer $ipl ns, verify $ipv ns (fastest batches); $ipp_med, $ipl_med, $ipv_med ns (median batches)")
    printf '%-5s | %6s %8s %6.2f us | %6s %8s %6.2f us | %6s %8s %6.2f us | %4.0f ns | %5s ns  %5s x       | %5s ns, %s x\n' \
        "$round" "$p_rps" "$p_p99" "$p_cpu" "$m_rps" "$m_p99" "$m_cpu" "$l_rps" "$l_p99" "$l_cpu" \
        "$verify_ns" "$added" "$ratio" "$m_added" "$situ_ratio"
done
echo
echo "layer's added CPU per request / isolated verify CPU (goal <= 1.3), per round: ${ratios[*]}"
echo "in process, no network, over the verify timed alongside, fastest batches:     ${inproc[*]}"
echo "same, median batches:                                                        ${inproc_med[*]}"
printf '%s\n' "${ip_rows[@]}"
echo "layer's added CPU / manual verify-in-handler's added CPU, per round:         ${situ[*]}"
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
echo "medians (ranges): over the network $(median "${ratios[@]}") ($(range "${ratios[@]}")), in process $(median "${inproc[@]}") ($(range "${inproc[@]}")) fastest batches, $(median "${inproc_med[@]}") ($(range "${inproc_med[@]}")) median batches"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

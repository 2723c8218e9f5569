#!/usr/bin/env bash
# perf/soak.sh — the soak section of perf/RESULTS.md (`make soak`, not in CI): densemcp
# under connection churn at half its capacity for DURATION (10 minutes by default). The
# server (`serve --fixtures conformance`, whose test_tool_with_progress streams its answer)
# is pinned to CPU 0 with GOMAXPROCS=1 and the generator to CPU 1. First a closed-loop run
# measures the capacity of the well-behaved load (test_simple_text over legacy HTTP
# sessions); then `densemcp bench --shape soak` offers half of it open loop while churning
# other connections over HTTP and NDJSON: open, call, close; resets after a call and
# mid-request; GET SSE streams opened and reset; streamed answers reset after their first
# event. The server's RSS, goroutines (from its metrics endpoint when it has --admin, else
# from pprof) and open descriptors are sampled every second; the report gives their slopes
# over the second half, the descriptors before and after, the errors of the well-behaved
# clients, and a chart (perf/charts/soak.svg). Loopback only.
#
# Environment: DURATION (default 10m), WARMUP (5s), CONNS (well-behaved connections, 64),
# CHURN (cycles a second, 50), SESSION_TTL (the server's idle-session eviction, 30s, so that
# sessions the resets abandon are evicted within the run), OUT (perf/RESULTS.md);
# REPORT_ONLY=1 rebuilds the section from perf/data/soak.jsonl. SKIP_BUILD=1 uses bin/.
# A proof run: DURATION=20s make soak (about 40 s).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
OUT=${OUT:-$ROOT/perf/RESULTS.md}
DURATION=${DURATION:-10m}
WARMUP=${WARMUP:-5s}
CONNS=${CONNS:-64}
CHURN=${CHURN:-50}
SESSION_TTL=${SESSION_TTL:-30s}
ROUNDS=1
COMMAND="perf/soak.sh (DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS CHURN=$CHURN SESSION_TTL=$SESSION_TTL)"
PORT_TCP=22051
PORT_HTTP=22052
PORT_ADMIN=22053
NAME=soak
CHARTS=$ROOT/perf/charts
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"
restore_rows
mkdir -p "$CHARTS"

# Build (SKIP_BUILD: use bin/ as it is); a report-only run needs the report writer alone.
if [[ -z ${SKIP_BUILD:-} ]] && ((ROUNDS > 0)); then
	build_tools
	go build -o "$BIN/densemcp" ./cmd/densemcp
elif [[ -z ${SKIP_BUILD:-} ]]; then
	go build -o "$BIN/report" ./perf/report
fi

if ((ROUNDS > 0)); then
	note "Measured from $(date -u '+%Y-%m-%d %H:%M UTC'). Load average when the run started: $(cut -d' ' -f1-3 /proc/loadavg)."
	busy_note
	# Goroutines: from the admin listener's Prometheus metrics when this build has one,
	# else from pprof's goroutine profile.
	help=$("$BIN/densemcp" serve -h 2>&1 || true)
	if [[ $help == *-admin* ]]; then
		side=(--admin "127.0.0.1:$PORT_ADMIN")
		probe=(--metrics "http://127.0.0.1:$PORT_ADMIN/metrics")
	else
		side=(--pprof "127.0.0.1:$PORT_ADMIN")
		probe=(--pprof "127.0.0.1:$PORT_ADMIN")
	fi
	taskset -c 0 env GOMAXPROCS=1 "$BIN/densemcp" serve --fixtures conformance --session-ttl "$SESSION_TTL" \
		--tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" "${side[@]}" >"$WORK/densemcp.log" 2>&1 &
	SERVER_PID=$!
	wait_port "$PORT_HTTP" && wait_port "$PORT_TCP" && wait_port "$PORT_ADMIN"
	H=127.0.0.1:$PORT_HTTP
	echo "== measuring capacity" >&2
	capacity=$(taskset -c 1 "$BIN/bench" --target http --addr "$H" -c "$CONNS" -k 1 --tool test_simple_text \
		--warmup 1s --duration 3s --json | sed -n 's/.*"calls_per_sec":\([0-9.]*\).*/\1/p' | cut -d. -f1)
	if [[ -z $capacity || $capacity -lt 2 ]]; then
		echo "soak.sh: no capacity measured ($capacity)" >&2
		exit 1
	fi
	rate=$((capacity / 2))
	note "Capacity of the well-behaved load measured just before: $capacity calls/s; the soak offers $rate."
	run_bench densemcp "Soak: $CONNS legacy HTTP sessions at half capacity, $CHURN churn cycles a second" --shape soak \
		--target http --addr "$H" -c "$CONNS" --rate "$rate" --tool test_simple_text --churn "$CHURN" \
		--churn-tcp "127.0.0.1:$PORT_TCP" --sse-tool test_tool_with_progress "${probe[@]}" \
		--warmup "$WARMUP" --duration "$DURATION"
	stop_server
	keep_rows
fi

section=$WORK/soak.md
{
	echo "<!-- soak:start -->"
	"$BIN/report" --soak --in "$RESULTS" --notes "$NOTES" --command "$COMMAND" --charts "$CHARTS" --chart-link charts
	echo "<!-- soak:end -->"
} >"$section"
replace_section soak "$section"
echo "wrote the soak section of $OUT" >&2

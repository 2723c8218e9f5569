#!/usr/bin/env bash
# perf/overload.sh — the overload section of perf/RESULTS.md: each server past its capacity.
# For each scenario and server, `densemcp bench --shape overload` measures the server's
# capacity (closed loop on the scenario's connections) and then offers 0.5×, 1×, 2× and 4× of
# it open loop; per window it reports the goodput (accepted calls answered well), the p99 of
# accepted calls, the refusal rate and the time to a refusal. densemcp (`serve --fixtures
# load`) runs beside the go-sdk and mcp-go peers, which serve the same echo and work tools;
# every server pinned to CPU 0 with GOMAXPROCS=1, the generator to CPU 1. Writes the section
# between the overload markers and a chart per scenario in perf/charts. Loopback only; about
# 6 minutes with the defaults (8 runs of ~40 s: two 6 s capacity runs, four 5 s windows).
#
# The capacity runs must outlast the first answers: with 256 × 64 calls of work in flight at
# once, a server that admits them all answers none for about 16,384 × 200 µs = 3.3 s of CPU.
#
# Environment: DURATION per window (default 5s), WARMUP (1s), CAPACITY_TIME (5s), MULTIPLES
# (0.5,1,2,4), WORK_ARGS (the work tool's arguments, default {"cpuMicros":200}), SERVERS
# (default "densemcp gosdk mcpgo"), OUT (default perf/RESULTS.md); REPORT_ONLY=1 measures
# nothing and rebuilds the section from perf/data/overload.jsonl. SKIP_BUILD=1 uses the
# binaries already in bin/ (densemcp, bench, report, peer-gosdk, peer-mcpgo).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
OUT=${OUT:-$ROOT/perf/RESULTS.md}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CAPACITY_TIME=${CAPACITY_TIME:-5s}
MULTIPLES=${MULTIPLES:-0.5,1,2,4}
WORK_ARGS=${WORK_ARGS:-'{"cpuMicros":200}'}
SERVERS=${SERVERS:-"densemcp gosdk mcpgo"}
ROUNDS=1
COMMAND="perf/overload.sh (DURATION=$DURATION WARMUP=$WARMUP CAPACITY_TIME=$CAPACITY_TIME MULTIPLES=$MULTIPLES WORK_ARGS=$WORK_ARGS)"
PORT_TCP=22021
PORT_HTTP=22022
NAME=overload
CHARTS=$ROOT/perf/charts
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"
restore_rows
mkdir -p "$CHARTS"

if ((ROUNDS > 0)); then
	note "Measured from $(date -u '+%Y-%m-%d %H:%M UTC'). Load average when the run started: $(cut -d' ' -f1-3 /proc/loadavg)."
	busy_note
fi
# Build (SKIP_BUILD: use bin/ as it is); a report-only run needs the report writer alone.
if [[ -z ${SKIP_BUILD:-} ]] && ((ROUNDS > 0)); then
	build_tools
	go build -o "$BIN/densemcp" ./cmd/densemcp
	(cd perf/peers && GOWORK=off go build -o "$BIN/peer-gosdk" ./gosdk && GOWORK=off go build -o "$BIN/peer-mcpgo" ./mcpgo)
elif [[ -z ${SKIP_BUILD:-} ]]; then
	go build -o "$BIN/report" ./perf/report
fi

# start_server NAME: pinned to CPU 0, one core's worth of Go; sets SERVER_PID.
start_server() {
	case $1 in
	densemcp)
		taskset -c 0 env GOMAXPROCS=1 "$BIN/densemcp" serve --fixtures load --tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" >"$WORK/$1.log" 2>&1 &
		;;
	gosdk | mcpgo)
		taskset -c 0 env GOMAXPROCS=1 "$BIN/peer-$1" --http "127.0.0.1:$PORT_HTTP" >"$WORK/$1.log" 2>&1 &
		;;
	esac
	SERVER_PID=$!
	if ! wait_port "$PORT_HTTP"; then
		note "$1: not measured — it did not listen ($(head -c 300 "$WORK/$1.log" | tr '\n' ' '))"
		stop_server
		return 1
	fi
	[[ $1 != densemcp ]] || wait_port "$PORT_TCP"
}

# The scenarios: "name|transport|bench arguments". HTTP on 1,024 connections, one call in
# flight each (HTTP/1.1 answers in order); NDJSON on 256 connections with 64 in flight each
# (densemcp alone: the peers serve HTTP only).
H=127.0.0.1:$PORT_HTTP
T=127.0.0.1:$PORT_TCP
SCENARIOS=(
	"work $WORK_ARGS, HTTP legacy, 1024 connections × 1 in flight|http|--target http --addr $H -c 1024 -k 1 --tool work --args $WORK_ARGS"
	"echo, HTTP legacy, 1024 connections × 1 in flight|http|--target http --addr $H -c 1024 -k 1"
	"work $WORK_ARGS, TCP NDJSON, 256 connections × 64 in flight|tcp|--target tcp --addr $T -c 256 -k 64 --tool work --args $WORK_ARGS"
	"echo, TCP NDJSON, 256 connections × 64 in flight|tcp|--target tcp --addr $T -c 256 -k 64"
)
if ((ROUNDS > 0)); then
	for sc in "${SCENARIOS[@]}"; do
		IFS='|' read -r name transport args <<<"$sc"
		for server in $SERVERS; do
			[[ $transport == tcp && $server != densemcp ]] && continue
			start_server "$server" || continue
			# shellcheck disable=SC2086
			run_bench "$server" "$name" --shape overload --multiples "$MULTIPLES" --capacity-time "$CAPACITY_TIME" \
				--warmup "$WARMUP" --duration "$DURATION" $args
			stop_server
		done
	done
	keep_rows
fi

section=$WORK/overload.md
{
	echo "<!-- overload:start -->"
	"$BIN/report" --overload --in "$RESULTS" --notes "$NOTES" --command "$COMMAND" --charts "$CHARTS" --chart-link charts
	echo "<!-- overload:end -->"
} >"$section"
replace_section overload "$section"
echo "wrote the overload section of $OUT" >&2

#!/usr/bin/env bash
# perf/scale.sh — the 15,000-connection targets of perf/RESULTS.md, rerunnable: densemcp and
# the floor server, each pinned to CPU 0 with GOMAXPROCS=1, the generator pinned to CPU 1.
#   - idle density: 15K TCP NDJSON sessions; 15K legacy HTTP sessions each holding a GET SSE
#     stream (server RSS per connection);
#   - 15K live connections, one call in flight each, paced open loop at RATE calls/s
#     aggregate (latency from each call's intended send time), TCP and legacy HTTP.
# The open-loop runs repeat ROUNDS times, servers interleaved, and the report gives medians.
# Writes the section between the scale markers of perf/RESULTS.md. Loopback only; about
# 5 minutes.
#
# Environment: RATE (default 50000), CONNS (default 15000), DURATION (default 10s), WARMUP
# (default 2s), ROUNDS (default 3), OUT (default perf/RESULTS.md); REPORT_ONLY=1 measures
# nothing and rebuilds the section from perf/data/scale.jsonl (the rows every run keeps).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
OUT=${OUT:-$ROOT/perf/RESULTS.md}
RATE=${RATE:-50000}
CONNS=${CONNS:-15000}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-3}
COMMAND="perf/scale.sh (RATE=$RATE CONNS=$CONNS DURATION=$DURATION WARMUP=$WARMUP ROUNDS=$ROUNDS)"
PORT_TCP=17481
PORT_HTTP=17482
NAME=scale
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"

if (($(ulimit -Hn) < CONNS + 100)); then
	echo "scale.sh needs $((CONNS + 100)) open files per process; the hard limit is $(ulimit -Hn)" >&2
	exit 1
fi
ulimit -n "$(ulimit -Hn)"

note "Measured from $(date -u '+%Y-%m-%d %H:%M UTC'). Load average when the run started: $(cut -d' ' -f1-3 /proc/loadavg)."

build_tools
go build -o "$BIN/densemcp" ./cmd/densemcp

start_server() {
	case $1 in
	densemcp)
		taskset -c 0 env GOMAXPROCS=1 "$BIN/densemcp" serve --tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" >"$WORK/$1.log" 2>&1 &
		;;
	floor)
		taskset -c 0 env GOMAXPROCS=1 "$BIN/floor" --tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" --loops 1 >"$WORK/$1.log" 2>&1 &
		;;
	esac
	SERVER_PID=$!
	wait_port "$PORT_TCP" && wait_port "$PORT_HTTP"
}


T=127.0.0.1:$PORT_TCP
H=127.0.0.1:$PORT_HTTP
restore_rows
if ((ROUNDS > 0)); then
	for server in densemcp floor; do
		start_server "$server"
		run_bench "$server" "Idle: $CONNS TCP NDJSON sessions" --shape hold --target tcp --addr "$T" -c "$CONNS" --duration 3s
		run_bench "$server" "Idle: $CONNS legacy HTTP sessions, each holding a GET SSE stream" --shape hold --target http --addr "$H" -c "$CONNS" --duration 3s
		stop_server
	done
fi
# Each open-loop scenario runs on both servers in turn (a fresh process each time) before
# the next, so the runs compared in a round are seconds apart.
for round in $(seq "$ROUNDS"); do
	echo "== round $round of $ROUNDS" >&2
	for target in tcp http; do
		for server in densemcp floor; do
			start_server "$server"
			if [[ $target == tcp ]]; then
				run_bench "$server" "Open loop: $CONNS TCP NDJSON connections, $RATE calls/s" --shape open --target tcp --addr "$T" -c "$CONNS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP"
			else
				run_bench "$server" "Open loop: $CONNS legacy HTTP sessions, $RATE calls/s" --shape open --target http --addr "$H" -c "$CONNS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP"
			fi
			stop_server
		done
	done
done

keep_rows
section=$WORK/scale.md
{
	echo "<!-- scale:start -->"
	"$BIN/report" --in "$RESULTS" --notes "$NOTES" --section "$CONNS connections" \
		--command "$COMMAND"
	echo "<!-- scale:end -->"
} >"$section"
if [[ -f $OUT ]] && grep -q '<!-- scale:start -->' "$OUT"; then
	# Replace the old section in place.
	awk -v f="$section" '
		/<!-- scale:start -->/ { while ((getline line < f) > 0) print line; skip = 1; next }
		/<!-- scale:end -->/ { skip = 0; next }
		!skip { print }' "$OUT" >"$WORK/out.md"
	cp "$WORK/out.md" "$OUT"
else
	cat "$section" >>"$OUT"
fi
echo "wrote the scale section of $OUT" >&2

#!/usr/bin/env bash
# perf/floorbound.sh — what the machine itself leaves an overloaded one-core server.
#
# Past capacity every refused request still costs a read and a write. Where the server answers
# it with canned bytes and no decoding (the floor server, perf/floorsrv), what one request and
# its answer cost the core is what the kernel and gnet charge for them: no server on gnet
# refuses for less. This script measures that cost on this machine, what densemcp's refusals
# cost beside it, and the arithmetic of issue 11's one-core criterion that depends on it most,
# `work {"cpuMicros":200}` at 4× capacity over HTTP legacy (1,024 connections × 1 in flight,
# so every refusal comes in a read of its own and leaves in a write of its own): a served call
# costs s, a refusal r; with goodput g (a fraction of capacity C = 1/s) the core spends
# g + (4 − g)·r/s, so g ≤ (1 − 4r/s) / (1 − r/s), and g ≥ 90% needs r ≤ s/31.
#
# The server runs pinned to CPU 0 with GOMAXPROCS=1, the generator on GEN_CPUS (default 1);
# loopback only. Environment: DURATION per window (default 3s), WARMUP (1s), CAPACITY_TIME
# (4s), ROUNDS (3), GEN_CPUS, SKIP_BUILD=1 to use bin/densemcp, bin/floor and bin/bench as they
# are (a machine without Go: `make overload-big-bundle` packs them).
# Prints a Markdown table of each figure's median over the rounds (and its range) to stdout;
# a round takes about 40 seconds.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
NAME=floorbound
DURATION=${DURATION:-3s}
WARMUP=${WARMUP:-1s}
CAPACITY_TIME=${CAPACITY_TIME:-4s}
ROUNDS=${ROUNDS:-3}
GEN_CPUS=${GEN_CPUS:-1}
PORT_TCP=24131
PORT_HTTP=24132
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh" # WORK, SERVER_PID, stop_server, wait_port, build_tools, the 2-CPU check

if [[ -z ${SKIP_BUILD:-} ]]; then
	build_tools # bench, floor (and report)
	go build -o "$BIN/densemcp" ./cmd/densemcp
fi

# start floor|densemcp [SERVE ARGS...]: the server on CPU 0, one loop, GOMAXPROCS=1.
start() {
	local which=$1
	shift
	if [[ $which == floor ]]; then
		taskset -c 0 env GOMAXPROCS=1 "$BIN/floor" --loops 1 --tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" >"$WORK/server.log" 2>&1 &
	else
		taskset -c 0 env GOMAXPROCS=1 "$BIN/densemcp" serve --fixtures load "$@" --tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" >"$WORK/server.log" 2>&1 &
	fi
	SERVER_PID=$!
	wait_port "$PORT_HTTP" || { echo "nothing accepts on 127.0.0.1:$PORT_HTTP" >&2; return 1; }
}

# bench OUT ARGS...: one generator run on GEN_CPUS; its JSON rows go to $WORK/OUT.
bench() {
	local out=$1
	shift
	taskset -c "$GEN_CPUS" "$BIN/bench" --shape overload --warmup "$WARMUP" --duration "$DURATION" "$@" --server-pid "$SERVER_PID" --json >"$WORK/$out" 2>"$WORK/bench.err" || {
		cat "$WORK/bench.err" >&2
		return 1
	}
}

# at OUT MULTIPLE FIELD: FIELD of the window at MULTIPLE in $WORK/OUT.
at() { jq -r --argjson m "$2" "select(.multiple == \$m and .step != null) | .$3" "$WORK/$1" | tail -n 1; }

HTTP=(--target http --addr "127.0.0.1:$PORT_HTTP" -c 1024 -k 1)
NDJSON=(--target tcp --addr "127.0.0.1:$PORT_TCP")

# round N: one round of every measurement; its figures, one "key value" a line, go to
# $WORK/round-N.
round() {
	echo "== round $1: floor server, HTTP legacy 1,024 x 1 and NDJSON 256 x 1, at capacity" >&2
	start floor
	bench floor-http "${HTTP[@]}" --capacity-time "$CAPACITY_TIME" --multiples 1
	bench floor-ndjson "${NDJSON[@]}" -c 256 -k 1 --capacity-time "$CAPACITY_TIME" --multiples 1
	stop_server

	echo "== round $1: densemcp, work {\"cpuMicros\":200}, HTTP legacy 1,024 x 1, 1x and 4x" >&2
	start densemcp
	bench cpu "${HTTP[@]}" --tool work --args '{"cpuMicros":200}' --capacity-time "$CAPACITY_TIME" --multiples 1,4
	stop_server

	awk -v fh="$(at floor-http 1 server_cpu_us_per_call)" -v fn="$(at floor-ndjson 1 server_cpu_us_per_call)" \
		-v s="$(at cpu 1 server_cpu_us_per_call)" -v c4="$(at cpu 4 capacity)" -v g4="$(at cpu 4 calls_per_sec)" \
		-v r4="$(at cpu 4 refused_per_sec)" -v cpu4="$(at cpu 4 server_cpu_us_per_call)" '
	function ceil4(r) { return 100 * (1 - 4 * r / s) / (1 - r / s) }
	BEGIN {
		r = r4 > 0 ? (cpu4 * g4 - s * g4) / r4 : 0 # nothing refused: no cost to tell
		print "floor_http", fh
		print "floor_ndjson", fn
		print "cpu_capacity", c4
		print "cpu_s", s
		print "cpu_goodput4", 100 * g4 / c4
		print "cpu_refusals4", r4
		print "cpu_r", r
		print "cpu_ceiling_r", ceil4(r)
		print "cpu_ceiling_floor", ceil4(fh)
		print "cpu_r_needed", s / 31
	}' >"$WORK/round-$1"
}

for i in $(seq "$ROUNDS"); do round "$i"; done

# The table: each figure's median over the rounds, and its range.
cat "$WORK"/round-* | awk -v rounds="$ROUNDS" '
function median(k,   n, i, j, t, v) {
	n = split(vals[k], v, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	lo[k] = v[1]; hi[k] = v[n]
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function row(label, k, fmt,   m) {
	m = median(k)
	printf "| %s | " fmt " | " fmt " – " fmt " |\n", label, m, lo[k], hi[k]
}
{ vals[$1] = vals[$1] " " $2 }
END {
	printf "| measured (median of %d rounds) | median | range |\n", rounds
	print "| --- | ---: | ---: |"
	row("floor server, HTTP legacy 1,024 × 1 at capacity: server CPU per request and answer, µs", "floor_http", "%.1f")
	row("floor server, NDJSON 256 × 1 at capacity: server CPU per request and answer, µs", "floor_ndjson", "%.1f")
	row("densemcp `work {\"cpuMicros\":200}`, HTTP legacy 1,024 × 1: capacity, calls/s", "cpu_capacity", "%.0f")
	row("… server CPU per served call at 1× (s), µs", "cpu_s", "%.1f")
	row("… goodput at 4×, % of capacity", "cpu_goodput4", "%.0f")
	row("… refusals a second at 4×", "cpu_refusals4", "%.0f")
	row("… server CPU per refusal at 4×, r = (CPU − goodput × s) ÷ refusals, µs", "cpu_r", "%.1f")
	row("… goodput at 4× a refusal costing r allows, (1 − 4r/s) ÷ (1 − r/s), %", "cpu_ceiling_r", "%.0f")
	row("… goodput at 4× a refusal costing the floor’s request and answer allows, %", "cpu_ceiling_floor", "%.0f")
	row("… the most a refusal may cost for 90% at 4×, s ÷ 31, µs", "cpu_r_needed", "%.1f")
}'

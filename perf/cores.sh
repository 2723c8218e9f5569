#!/usr/bin/env bash
# perf/cores.sh — per-core scaling (issue 16): densemcp beside the floor server at 1, 2, 4 …
# event loops, up to half the machine's CPUs. The server runs L loops (GOMAXPROCS=L) pinned
# to CPUs 0..L-1, inside the first half; the generator runs on the second half (GOMAXPROCS =
# half the CPUs). Each scenario runs ROUNDS times, loop counts, scenarios and the two servers
# interleaved, and the report gives medians: calls/s and server CPU per call against loops,
# with the floor's, as a table and a chart per scenario. Writes the section between the
# cores markers of perf/RESULTS.md and perf/charts/cores-*.svg. Loopback only.
#
# On a 2-CPU machine only the one-loop case runs (the rest needs 2 × loops CPUs).
#
# Environment: DURATION (default 4s), WARMUP (1s), ROUNDS (3), LOOPS (default 1 2 4 … up to
# half the CPUs), OUT (default perf/RESULTS.md); REPORT_ONLY=1 rebuilds the section from
# perf/data/cores.jsonl without measuring.
#
# On a machine without Go: `make perf-cores-bundle` here builds static binaries
# (CGO_ENABLED=0) and bin/perf-cores.tar.gz; there, unpack it and run
# `SKIP_BUILD=1 bash perf/cores.sh` in the unpacked directory (it needs bash, taskset and
# /proc, nothing else), then bring back perf/RESULTS.md's cores section, perf/charts/cores-*
# and perf/data/cores*.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
OUT=${OUT:-$ROOT/perf/RESULTS.md}
DURATION=${DURATION:-4s}
WARMUP=${WARMUP:-1s}
ROUNDS=${ROUNDS:-3}
CPUS=$(nproc)
HALF=$((CPUS / 2))
if [[ -z ${LOOPS:-} ]]; then
	LOOPS=""
	for ((l = 1; l <= HALF; l *= 2)); do LOOPS+="$l "; done
fi
COMMAND="perf/cores.sh (DURATION=$DURATION WARMUP=$WARMUP ROUNDS=$ROUNDS LOOPS=${LOOPS% })"
PORT_TCP=22031
PORT_HTTP=22032
NAME=cores
CHARTS=$ROOT/perf/charts
export CGO_ENABLED=0 # static binaries, so a bundle runs on a machine without Go
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"
restore_rows
mkdir -p "$CHARTS"

if ((ROUNDS > 0)); then
	note "Measured from $(date -u '+%Y-%m-%d %H:%M UTC') on $CPUS CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)). Load average when the run started: $(cut -d' ' -f1-3 /proc/loadavg)."
	busy_note
	if ((HALF < 2)); then
		note "This machine has $CPUS CPUs, so only the one-loop case ran: L loops need 2 × L CPUs (the server on the first half, the generator on the second). Run \`make perf-cores\` (or the bundle) on a machine with more cores for the rest of the table."
	fi
fi
# Build (SKIP_BUILD: use bin/ as it is); a report-only run needs the report writer alone.
if [[ -z ${SKIP_BUILD:-} ]] && ((ROUNDS > 0)); then
	build_tools
	go build -o "$BIN/densemcp" ./cmd/densemcp
elif [[ -z ${SKIP_BUILD:-} ]]; then
	go build -o "$BIN/report" ./perf/report
fi

GEN_CPUS="$HALF-$((CPUS - 1))"
# Override lib.sh's generator pinning: the second half of the CPUs, as many workers.
run_cores_bench() {
	local server=$1 scenario=$2 loops=$3
	shift 3
	echo "== $server, $loops loops: $scenario" >&2
	local out row cmd="$*"
	if ! out=$(taskset -c "$GEN_CPUS" env GOMAXPROCS="$HALF" "$BIN/bench" "$@" --server-pid "$SERVER_PID" --json 2>"$WORK/bench.err"); then
		note "$server / $loops loops / $scenario: bench failed: $(tail -n 2 "$WORK/bench.err" | tr '\n' ' ')"
		return 0
	fi
	while IFS= read -r row; do
		printf '{"server":"%s","scenario":"%s","loops":%d,"command":"densemcp bench %s --server-pid PID --json","row":%s}\n' \
			"$server" "$(json_escape "$scenario")" "$loops" "$(json_escape "$cmd")" "$row" >>"$RESULTS"
	done <<<"$out"
}

# start_server NAME LOOPS: L loops on CPUs 0..L-1; sets SERVER_PID.
start_server() {
	local name=$1 loops=$2
	case $name in
	densemcp)
		taskset -c "0-$((loops - 1))" env GOMAXPROCS="$loops" "$BIN/densemcp" serve --loops "$loops" \
			--tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" >"$WORK/$name.log" 2>&1 &
		;;
	floor)
		taskset -c "0-$((loops - 1))" env GOMAXPROCS="$loops" "$BIN/floor" --loops "$loops" \
			--tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" >"$WORK/$name.log" 2>&1 &
		;;
	esac
	SERVER_PID=$!
	wait_port "$PORT_TCP" && wait_port "$PORT_HTTP"
}

T=127.0.0.1:$PORT_TCP
H=127.0.0.1:$PORT_HTTP
SCENARIOS=(
	"TCP NDJSON, 256 connections × 16 pipelined|--target tcp --addr $T -c 256 -k 16"
	"HTTP legacy, 256 connections × 8 pipelined|--target http --addr $H -c 256 -k 8"
	"HTTP legacy, 256 connections × 1 in flight|--target http --addr $H -c 256 -k 1"
	"HTTP modern (2026-07-28), 256 connections × 1 in flight|--target http-modern --addr $H -c 256 -k 1"
)
for round in $(seq "$ROUNDS"); do
	echo "== round $round of $ROUNDS" >&2
	for loops in $LOOPS; do
		for sc in "${SCENARIOS[@]}"; do
			IFS='|' read -r name args <<<"$sc"
			for server in densemcp floor; do
				start_server "$server" "$loops" || { stop_server; note "$server did not listen with $loops loops"; continue; }
				# shellcheck disable=SC2086
				run_cores_bench "$server" "$name" "$loops" --warmup "$WARMUP" --duration "$DURATION" $args
				stop_server
			done
		done
	done
done
((ROUNDS == 0)) || keep_rows

section=$WORK/cores.md
{
	echo "<!-- cores:start -->"
	"$BIN/report" --cores --in "$RESULTS" --notes "$NOTES" --command "$COMMAND" --charts "$CHARTS" --chart-link charts
	echo "<!-- cores:end -->"
} >"$section"
replace_section cores "$section"
echo "wrote the cores section of $OUT" >&2

#!/usr/bin/env bash
# perf/compare.sh — run the same scenarios against densemcp, the floor server and the two
# peers (official Go SDK, mcp-go), each server pinned to CPU 0 with GOMAXPROCS=1 and the
# generator pinned to CPU 1, and write perf/RESULTS.md. Loopback only; about 10 minutes.
#
# Environment:
#   DURATION      measured time per scenario (default 5s); WARMUP (default 1s)
#   ROUNDS        how many times each load scenario runs, servers taking turns (default 3);
#                 the report gives medians — one run on a shared VM can be off by 50%
#   DENSEMCP_ARGS how to start bin/densemcp; PORT_TCP/PORT_HTTP are substituted (default:
#                 "serve --tcp 127.0.0.1:PORT_TCP", plus "--http 127.0.0.1:PORT_HTTP" when
#                 `densemcp serve -h` lists an --http flag)
#   SERVERS       which servers to run (default: "densemcp floor gosdk gosdk-stateless mcpgo";
#                 go-sdk serves 2026-07-28 only in stateless mode, so gosdk-stateless runs
#                 the modern scenario alone)
#   OUT           where to write the report (default: perf/RESULTS.md)
#   RAMP          offered rates of the HTTP ramp run once per server (densemcp, floor), each
#                 for RAMP_STEP (default 10000,…,100000 calls/s, 2s each); its charts and the
#                 idle holds' RSS over time go to perf/charts/, linked from the report
#   REPORT_ONLY   set: measure nothing, rebuild the report from perf/data/compare.jsonl (the
#                 rows every run keeps there)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
OUT=${OUT:-$ROOT/perf/RESULTS.md}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
ROUNDS=${ROUNDS:-3}
COMMAND="perf/compare.sh (DURATION=$DURATION WARMUP=$WARMUP ROUNDS=$ROUNDS)"
SERVERS=${SERVERS:-"densemcp floor gosdk gosdk-stateless mcpgo"}
RAMP=${RAMP:-10000,20000,40000,60000,80000,100000}
RAMP_STEP=${RAMP_STEP:-2s}
CHARTS=perf/charts # relative: it shows in the commands the report quotes
mkdir -p "$CHARTS"
PORT_TCP=17471
PORT_HTTP=17472
NAME=compare
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"

note "Measured from $(date -u '+%Y-%m-%d %H:%M UTC'). Load average when the run started (other work on this machine competes for both CPUs): $(cut -d' ' -f1-3 /proc/loadavg)."

build_tools
(cd perf/peers && GOWORK=off go build -o "$BIN/peer-gosdk" ./gosdk && GOWORK=off go build -o "$BIN/peer-mcpgo" ./mcpgo)
HAVE_DENSEMCP=1
if ! go build -o "$BIN/densemcp" ./cmd/densemcp 2>"$WORK/densemcp-build.log"; then
	HAVE_DENSEMCP=0
	note "densemcp: not measured — \`go build ./cmd/densemcp\` failed: $(head -c 300 "$WORK/densemcp-build.log" | tr '\n' ' ')"
elif [[ -z ${DENSEMCP_ARGS:-} ]]; then
	DENSEMCP_ARGS="serve --tcp 127.0.0.1:PORT_TCP"
	# Read the whole help before matching: with pipefail, `grep -q` quitting at the first
	# match can kill the writer with SIGPIPE and fail the pipeline (a run lost densemcp's
	# HTTP scenarios that way).
	help=$("$BIN/densemcp" serve -h 2>&1 || true)
	if [[ $help == *-http* ]]; then
		DENSEMCP_ARGS+=" --http 127.0.0.1:PORT_HTTP"
	else
		note "densemcp: this build has no --http flag yet; only its TCP scenarios are measured."
	fi
fi

# start_server NAME: starts it pinned to CPU 0; sets SERVER_PID, HAS_TCP, HAS_HTTP.
start_server() {
	local name=$1 args want_tcp=0 want_http=1
	HAS_TCP=0
	HAS_HTTP=0
	case $name in
	densemcp)
		[[ $DENSEMCP_ARGS == *PORT_TCP* ]] && want_tcp=1
		[[ $DENSEMCP_ARGS == *PORT_HTTP* ]] || want_http=0
		args=${DENSEMCP_ARGS//PORT_TCP/$PORT_TCP}
		args=${args//PORT_HTTP/$PORT_HTTP}
		# shellcheck disable=SC2086
		taskset -c 0 env GOMAXPROCS=1 "$BIN/densemcp" $args >"$WORK/$name.log" 2>&1 &
		;;
	floor)
		want_tcp=1
		taskset -c 0 env GOMAXPROCS=1 "$BIN/floor" --tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" --loops 1 >"$WORK/$name.log" 2>&1 &
		;;
	gosdk | mcpgo)
		taskset -c 0 env GOMAXPROCS=1 "$BIN/peer-$name" --http "127.0.0.1:$PORT_HTTP" >"$WORK/$name.log" 2>&1 &
		;;
	gosdk-stateless)
		taskset -c 0 env GOMAXPROCS=1 "$BIN/peer-gosdk" --stateless --http "127.0.0.1:$PORT_HTTP" >"$WORK/$name.log" 2>&1 &
		;;
	esac
	SERVER_PID=$!
	if ((want_tcp)) && wait_port "$PORT_TCP"; then HAS_TCP=1; fi
	if ((want_http)) && wait_port "$PORT_HTTP"; then HAS_HTTP=1; fi
	if ((HAS_TCP + HAS_HTTP == 0)); then
		note "$name: not measured — it did not listen ($(head -c 300 "$WORK/$name.log" | tr '\n' ' '))"
		stop_server
		return 1
	fi
}

# bench SERVER SCENARIO ARGS...: a run of the measured length.
bench() {
	local server=$1 scenario=$2
	shift 2
	run_bench "$server" "$scenario" --warmup "$WARMUP" --duration "$DURATION" "$@"
}

restore_rows
H=127.0.0.1:$PORT_HTTP
T=127.0.0.1:$PORT_TCP

# measured SERVER: true when the server takes part in this run.
measured() {
	[[ $1 != densemcp || $HAVE_DENSEMCP == 1 ]]
}

# Idle holds once per server, each on a fresh process: its baseline RSS is then not
# inflated by the heap that earlier load left behind. Memory does not drift like CPU.
if ((ROUNDS > 0)); then
	for server in $SERVERS; do
		if ! measured "$server" || [[ $server == gosdk-stateless ]]; then continue; fi
		start_server "$server" || continue
		plot=()
		if [[ $server == densemcp || $server == floor ]]; then
			plot=(--plot "$CHARTS/hold-http-$server.svg")
		fi
		if ((HAS_TCP)); then
			bench "$server" "Idle hold: 1000 TCP NDJSON sessions" --shape hold --target tcp --addr "$T" -c 1000 --duration 2s
		fi
		if ((HAS_HTTP)); then
			bench "$server" "Idle hold: 1000 HTTP legacy sessions, each with a GET SSE stream" --shape hold --target http --addr "$H" -c 1000 --duration 2s "${plot[@]}"
		fi
		stop_server
	done
	# A ramp per server (densemcp and the floor), once: throughput and latency per offered
	# rate, drawn as a chart beside RESULTS.md.
	for server in densemcp floor; do
		measured "$server" || continue
		start_server "$server" || continue
		if ((HAS_HTTP)); then
			run_bench "$server" "HTTP legacy, open-loop ramp: C=64, $RAMP calls/s" --shape ramp --ramp-steps "$RAMP" \
				--target http --addr "$H" -c 64 --warmup "$WARMUP" --duration "$RAMP_STEP" --plot "$CHARTS/ramp-http-$server.svg"
		fi
		stop_server
	done
fi

# The load scenarios: "name|transport|bench arguments". Each runs on every server in turn
# (a fresh process each time) before the next starts, so the runs compared in a round are
# seconds apart: this VM's speed drifts by tens of percent over minutes.
SCENARIOS=(
	"HTTP legacy, one call in flight: C=16 K=1|http|--target http --addr $H -c 16 -k 1"
	"HTTP legacy, one call in flight, the generator sleeping on io_uring: C=16 K=1|http-gen|--spin=false --target http --addr $H -c 16 -k 1"
	"HTTP legacy, one call in flight, the generator sleeping on epoll (as before io_uring): C=16 K=1|http-gen|--io epoll --spin=false --target http --addr $H -c 16 -k 1"
	"HTTP legacy, pipelined: C=16 K=8|http|--target http --addr $H -c 16 -k 8"
	"HTTP legacy, 256 connections: C=256 K=1|http|--target http --addr $H -c 256 -k 1"
	"HTTP modern (2026-07-28), one call in flight: C=16 K=1|modern|--target http-modern --addr $H -c 16 -k 1"
	"TCP NDJSON, one call in flight: C=16 K=1|tcp|--target tcp --addr $T -c 16 -k 1"
	"TCP NDJSON, pipelined: C=16 K=16|tcp|--target tcp --addr $T -c 16 -k 16"
)
for round in $(seq "$ROUNDS"); do
	echo "== round $round of $ROUNDS" >&2
	for sc in "${SCENARIOS[@]}"; do
		IFS='|' read -r name transport args <<<"$sc"
		for server in $SERVERS; do
			measured "$server" || continue
			# go-sdk serves 2026-07-28 only in stateless mode, and that mode only that.
			# The peers speak HTTP only. The http-gen runs show what the generator's transport
			# and sleeping cost it and the server; densemcp and the floor are enough for that.
			case $server/$transport in
			gosdk/modern | gosdk-stateless/http | gosdk-stateless/tcp | gosdk/tcp | mcpgo/tcp) continue ;;
			gosdk*/http-gen | mcpgo/http-gen) continue ;;
			esac
			start_server "$server" || continue
			if { [[ $transport == tcp ]] && ((HAS_TCP)); } || { [[ $transport != tcp ]] && ((HAS_HTTP)); }; then
				# shellcheck disable=SC2086
				bench "$server" "$name" $args
			fi
			stop_server
		done
	done
done

keep=$WORK/gobench.md
: >"$keep"
if [[ -f $OUT ]]; then
	# The sections between <!-- NAME:start --> and <!-- NAME:end --> markers belong to the
	# other measuring scripts (perf/gobench.sh, scale.sh, overload.sh, soak.sh, cores.sh,
	# middleware.sh …) and the hand-written targets: keep them all, in their order.
	awk '/^<!-- [a-z0-9-]+:start -->$/ { keep = 1 } keep { print } /^<!-- [a-z0-9-]+:end -->$/ { keep = 0 }' "$OUT" >"$keep"
fi
keep_rows
"$BIN/report" --in "$RESULTS" --notes "$NOTES" --command "$COMMAND" >"$OUT"
charts_section "Charts: ramps (throughput and latency per offered rate) and idle holds (RSS over time)" \
	"Drawn by \`densemcp bench --plot\` during the ramp and hold runs above." 'ramp-*.svg' 'hold-*.svg' >>"$OUT"
if [[ -s $keep ]]; then
	{ echo; cat "$keep"; } >>"$OUT"
fi
echo "wrote $OUT" >&2

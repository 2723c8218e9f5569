#!/usr/bin/env bash
# perf/overload.sh — the overload section of perf/RESULTS.md: each server past its capacity.
# For each scenario and server, `densemcp bench --shape overload` measures the server's
# capacity (closed loop on the scenario's connections, then open loop at twice that, doubled
# while the server keeps up) and then
# offers 0.5×, 1×, 2× and 4× of it open loop; per window it reports the goodput (accepted calls
# answered well), the p99 of accepted calls, the refusal rate and the time to a refusal, and
# per scenario the report gives a verdict against issue 11's criteria (at 2× and 4×: ≥ 90% of
# the calls not served refused within 10 ms, goodput ≥ 90% of capacity, p99 of accepted calls
# ≤ 5× their p99 at 0.5×, RSS within RSS_BOUND_MIB, no errors or timeouts; echo: goodput at 2×
# ≥ 90% of capacity with bounded RSS) and says from the numbers what each peer does past
# capacity. Loopback only.
#
# The matrix (LOADS × TRANSPORTS × CORES):
#   loads:      cpu  (`work` {"cpuMicros":200}: CPU dominates), wait (`work` {"waitMillis":20}:
#               waiting dominates), echo (refusing costs as much as answering)
#   transports: legacy (HTTP, 2025-11-25 sessions), modern (HTTP, 2026-07-28 stateless; densemcp
#               only, the SDK peers do not speak it), both on 1,024 connections × 1 in flight;
#               ndjson (TCP NDJSON, 256 connections × 64 in flight; densemcp only)
#   cores:      1   (the server pinned to CPU 0 with GOMAXPROCS=1, the generator on CPU 1: where
#                    a loop starved by handlers shows; densemcp beside the go-sdk and mcp-go
#                    peers, which serve the same tools)
#               all (densemcp alone with GOMAXPROCS=$(nproc), unpinned; the generator, also
#                    unpinned, shares those CPUs, so on a 2-CPU machine its capacity is what
#                    the server gets beside the generator)
# echo runs on legacy and ndjson only. With the defaults that is 14 server runs on one core
# and 8 on all, each about 33 s (two capacity runs of CAPACITY_TIME and four windows of
# DURATION, each after WARMUP: 23 s; setup, drains and server starts took about 11 s a run
# in a proof run on a busy 2-CPU machine): about 12 minutes in all. Select subsets with LOADS, TRANSPORTS,
# CORES and SERVERS, e.g. `LOADS=cpu TRANSPORTS=ndjson CORES=1 make overload`.
#
# The capacity runs must outlast the first answers: with 256 × 64 calls of work in flight at
# once, a server that admits them all answers none for about 16,384 × 200 µs = 3.3 s of CPU.
#
# Environment: DURATION per window (default 3s), WARMUP (1s), CAPACITY_TIME (4s), MULTIPLES
# (0.5,1,2,4), LOADS ("cpu wait echo"), TRANSPORTS ("legacy modern ndjson"), CORES ("1 all"),
# SERVERS (default "densemcp gosdk mcpgo"), CPU_ARGS ({"cpuMicros":200}), WAIT_ARGS
# ({"waitMillis":20}), RSS_BOUND_MIB (the fixed RSS bound of the verdicts, 256), OUT (default
# perf/RESULTS.md); REPORT_ONLY=1 measures nothing and rebuilds the section from
# perf/data/overload.jsonl. SKIP_BUILD=1 uses the binaries already in bin/ (densemcp, bench,
# report, peer-gosdk, peer-mcpgo). A proof run of one scenario:
# `DURATION=1s CAPACITY_TIME=2s LOADS=cpu TRANSPORTS=ndjson CORES=1 make overload`.
#
# Where things run (defaults for a 2-CPU machine): SERVER_CPU (0), the CPU of a one-core server;
# GEN_CPUS_ONE (1), the generator's CPUs beside it; SERVER_CPUS_ALL (unset: unpinned, every
# CPU), the CPUs of an all-core server (pinned there with GOMAXPROCS at their count when set);
# GEN_CPUS_ALL (every CPU), the generator's CPUs beside it. On a bigger machine, e.g.
# `GEN_CPUS_ONE=2-9 SERVER_CPUS_ALL=0-7 GEN_CPUS_ALL=8-15`, the generator has cores of its own.
# SECTION (default overload) names the section of $OUT and the rows kept in perf/data/, so a
# run elsewhere has its own; TITLE and PLACEMENT (the sentences saying where things ran) head
# it; APPEND=1 adds this run's rows to that section's kept rows instead of replacing them, so
# one scenario at a time builds a section whose rows all survive a run cut short.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
OUT=${OUT:-$ROOT/perf/RESULTS.md}
DURATION=${DURATION:-3s}
WARMUP=${WARMUP:-1s}
CAPACITY_TIME=${CAPACITY_TIME:-4s}
MULTIPLES=${MULTIPLES:-0.5,1,2,4}
LOADS=${LOADS:-cpu wait echo}
TRANSPORTS=${TRANSPORTS:-legacy modern ndjson}
CORES=${CORES:-1 all}
CPU_ARGS=${CPU_ARGS:-'{"cpuMicros":200}'}
WAIT_ARGS=${WAIT_ARGS:-'{"waitMillis":20}'}
SERVERS=${SERVERS:-"densemcp gosdk mcpgo"}
RSS_BOUND_MIB=${RSS_BOUND_MIB:-256}
ROUNDS=1
COMMAND="perf/overload.sh (DURATION=$DURATION WARMUP=$WARMUP CAPACITY_TIME=$CAPACITY_TIME MULTIPLES=$MULTIPLES LOADS=$LOADS TRANSPORTS=$TRANSPORTS CORES=$CORES CPU_ARGS=$CPU_ARGS WAIT_ARGS=$WAIT_ARGS)"
PORT_TCP=23021
PORT_HTTP=23022
NAME=${SECTION:-overload}
CHARTS=$ROOT/perf/charts
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"
restore_rows
if [[ -n ${APPEND:-} && -z ${REPORT_ONLY:-} && -f $ROOT/perf/data/$NAME.jsonl ]]; then
	cp "$ROOT/perf/data/$NAME.jsonl" "$RESULTS"
	cp "$ROOT/perf/data/$NAME-notes.md" "$NOTES"
fi
mkdir -p "$CHARTS"
ALL=$(nproc)
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPUS_ONE=${GEN_CPUS_ONE:-1}
SERVER_CPUS_ALL=${SERVER_CPUS_ALL:-}
GEN_CPUS_ALL=${GEN_CPUS_ALL:-0-$((ALL - 1))}
if ((ROUNDS > 0)) && [[ $SERVER_CPU != 0 || $GEN_CPUS_ONE != 1 || -n $SERVER_CPUS_ALL || $GEN_CPUS_ALL != "0-$((ALL - 1))" ]]; then
	COMMAND="${COMMAND%)} SERVER_CPU=$SERVER_CPU GEN_CPUS_ONE=$GEN_CPUS_ONE SERVER_CPUS_ALL=$SERVER_CPUS_ALL GEN_CPUS_ALL=$GEN_CPUS_ALL)"
fi
# cpu_count LIST: how many CPUs a taskset list ("0-7,9") names.
cpu_count() {
	local n=0 part
	for part in ${1//,/ }; do
		if [[ $part == *-* ]]; then
			n=$((n + ${part#*-} - ${part%-*} + 1))
		else
			n=$((n + 1))
		fi
	done
	echo "$n"
}

if ((ROUNDS > 0)); then
	note "Measured from $(date -u '+%Y-%m-%d %H:%M UTC'). Load average when the run started: $(cut -d' ' -f1-3 /proc/loadavg)."
	busy_note
	if [[ $DURATION != 3s || $CAPACITY_TIME != 4s || $WARMUP != 1s ]]; then
		note "**A short proof run (DURATION=$DURATION CAPACITY_TIME=$CAPACITY_TIME WARMUP=$WARMUP, not the defaults 3s, 4s and 1s): it shows the script works, not the servers' figures; make overload with the defaults on a quiet machine replaces it.**"
	fi
fi
# Build (SKIP_BUILD: use bin/ as it is); a report-only run needs the report writer alone.
if [[ -z ${SKIP_BUILD:-} ]] && ((ROUNDS > 0)); then
	build_tools
	go build -o "$BIN/densemcp" ./cmd/densemcp
	(cd perf/peers && GOWORK=off go build -o "$BIN/peer-gosdk" ./gosdk && GOWORK=off go build -o "$BIN/peer-mcpgo" ./mcpgo)
elif [[ -z ${SKIP_BUILD:-} ]]; then
	go build -o "$BIN/report" ./perf/report
fi

# start_server NAME CORES: with CORES 1, pinned to SERVER_CPU with one core's worth of Go;
# with CORES all, on SERVER_CPUS_ALL (unset: unpinned) with GOMAXPROCS at their count. Sets
# SERVER_PID.
start_server() {
	local pin=(taskset -c "$SERVER_CPU") procs=1
	if [[ $2 == all && -z $SERVER_CPUS_ALL ]]; then
		pin=() procs=$ALL
	elif [[ $2 == all ]]; then
		pin=(taskset -c "$SERVER_CPUS_ALL") procs=$(cpu_count "$SERVER_CPUS_ALL")
	fi
	case $1 in
	densemcp)
		"${pin[@]}" env GOMAXPROCS=$procs "$BIN/densemcp" serve --fixtures load --tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" >"$WORK/$1.log" 2>&1 &
		;;
	gosdk | mcpgo)
		"${pin[@]}" env GOMAXPROCS=$procs "$BIN/peer-$1" --http "127.0.0.1:$PORT_HTTP" >"$WORK/$1.log" 2>&1 &
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

H=127.0.0.1:$PORT_HTTP
T=127.0.0.1:$PORT_TCP
# The scenarios: "name|transport|load|bench arguments". HTTP on 1,024 connections, one call in
# flight each (HTTP/1.1 answers in order); NDJSON on 256 connections with 64 in flight each.
SCENARIOS=()
for load in $LOADS; do
	case $load in
	cpu) what="work $CPU_ARGS" tool=(--tool work --args "$CPU_ARGS") ;;
	wait) what="work $WAIT_ARGS" tool=(--tool work --args "$WAIT_ARGS") ;;
	echo) what="echo" tool=() ;;
	*) echo "overload.sh: unknown load $load (cpu, wait, echo)" >&2 && exit 1 ;;
	esac
	for tr in $TRANSPORTS; do
		case $tr in
		legacy) desc="HTTP legacy, 1024 connections × 1 in flight" args="--target http --addr $H -c 1024 -k 1" ;;
		modern) desc="HTTP modern, 1024 connections × 1 in flight" args="--target http-modern --addr $H -c 1024 -k 1" ;;
		ndjson) desc="TCP NDJSON, 256 connections × 64 in flight" args="--target tcp --addr $T -c 256 -k 64" ;;
		*) echo "overload.sh: unknown transport $tr (legacy, modern, ndjson)" >&2 && exit 1 ;;
		esac
		[[ $load == echo && $tr == modern ]] && continue
		SCENARIOS+=("$what, $desc|$tr|$load|$args ${tool[*]}")
	done
done
if ((ROUNDS > 0)); then
	for cores in $CORES; do
		case $cores in
		1)
			where="server on 1 core" GEN_CPUS=$GEN_CPUS_ONE
			[[ $GEN_CPUS_ONE == 1 ]] || where+=", generator on CPUs $GEN_CPUS_ONE"
			;;
		all)
			GEN_CPUS=$GEN_CPUS_ALL
			if [[ -z $SERVER_CPUS_ALL ]]; then
				where="server on all $ALL CPUs, generator beside it"
			else
				where="server on CPUs $SERVER_CPUS_ALL, generator on CPUs $GEN_CPUS_ALL"
			fi
			;;
		*) echo "overload.sh: unknown CORES value $cores (1, all)" >&2 && exit 1 ;;
		esac
		export GEN_CPUS
		for sc in "${SCENARIOS[@]}"; do
			IFS='|' read -r name transport load args <<<"$sc"
			for server in $SERVERS; do
				# The peers serve legacy HTTP alone; on all CPUs densemcp alone runs.
				[[ $server != densemcp && ($transport != legacy || $cores != 1) ]] && continue
				start_server "$server" "$cores" || continue
				# shellcheck disable=SC2086
				run_bench "$server" "$name, $where" --shape overload --multiples "$MULTIPLES" --capacity-time "$CAPACITY_TIME" \
					--warmup "$WARMUP" --duration "$DURATION" $args
				stop_server
			done
		done
	done
	note "Load average when the run ended: $(cut -d' ' -f1-3 /proc/loadavg)."
	keep_rows
fi

section=$WORK/$NAME.md
{
	echo "<!-- $NAME:start -->"
	"$BIN/report" --overload --in "$RESULTS" --notes "$NOTES" --command "$COMMAND" --charts "$CHARTS" --chart-link charts --rss-bound-mib "$RSS_BOUND_MIB" \
		--section "${TITLE:-}" --placement "${PLACEMENT:-}"
	echo "<!-- $NAME:end -->"
} >"$section"
replace_section "$NAME" "$section"
echo "wrote the overload section of $OUT" >&2

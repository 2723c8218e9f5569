#!/usr/bin/env bash
# perf/bigmachine.sh — the overload matrix (perf/overload.sh) on a machine with cores to spare,
# where the generator gets cores of its own instead of sharing a 2-CPU machine with the server:
# its own section of perf/RESULTS.md ("overload-big"), beside the 2-CPU one.
#
# Made for a machine without a Go toolchain: `make overload-big-bundle` where Go is packs static,
# stripped binaries (densemcp, bench, report, floor: about 32 MB) into bin/big.tgz; there, `tar xzf
# bin/big.tgz -C bin` and run this. It runs perf/overload.sh once per scenario (APPEND=1), so every
# scenario finished is kept even if the run is cut short, in priority order: the server on one
# core first (where issue 11's criteria are held), then on SERVER_CPUS_ALL. After each scenario
# it copies the section, its rows and its charts to RESULTS_DIR (default perf/big), from where
# they go into perf/RESULTS.md and perf/charts.
#
# Before the scenarios it runs perf/floorbound.sh once (FLOORBOUND=0 skips it) into
# RESULTS_DIR/floorbound.md.
#
# Environment: SERVER_CPU (0), GEN_CPUS_ONE (2-9), SERVER_CPUS_ALL (0-7), GEN_CPUS_ALL (8-15),
# ONE ("cpu/legacy cpu/modern cpu/ndjson wait/legacy wait/modern wait/ndjson echo/legacy
# echo/ndjson"), ALL ("cpu/ndjson cpu/legacy wait/ndjson wait/legacy"), RESULTS_DIR; the
# windows as perf/overload.sh takes them (DURATION, WARMUP, CAPACITY_TIME, MULTIPLES).
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUTDIR=${RESULTS_DIR:-$ROOT/perf/big}
mkdir -p "$OUTDIR"
export SERVER_CPU=${SERVER_CPU:-0}
export GEN_CPUS_ONE=${GEN_CPUS_ONE:-2-9}
export SERVER_CPUS_ALL=${SERVER_CPUS_ALL:-0-7}
export GEN_CPUS_ALL=${GEN_CPUS_ALL:-8-15}
ONE=${ONE:-"cpu/legacy cpu/modern cpu/ndjson wait/legacy wait/modern wait/ndjson echo/legacy echo/ndjson"}
ALL=${ALL:-"cpu/ndjson cpu/legacy wait/ndjson wait/legacy"}
export SKIP_BUILD=1 SERVERS=densemcp SECTION=overload-big APPEND=1 OUT=$OUTDIR/RESULTS.md
export TITLE="Overload on a machine with cores to spare"
export PLACEMENT="perf/bigmachine.sh ran perf/overload.sh one scenario at a time on this machine, densemcp alone (the SDK peers are in the 2-CPU section above). A scenario \"on 1 core\" runs the server pinned to CPU $SERVER_CPU with GOMAXPROCS=1 and the generator on CPUs $GEN_CPUS_ONE, cores of its own; one \"on CPUs $SERVER_CPUS_ALL\" runs the server pinned there with GOMAXPROCS at their count and the generator on CPUs $GEN_CPUS_ALL."

rm -f "$ROOT/perf/data/overload-big.jsonl" "$ROOT/perf/data/overload-big-notes.md" "$ROOT/perf/data/overload-big-command.txt"
{
	date -u
	nproc
	uname -a
	lscpu 2>/dev/null
	cat /proc/loadavg
	free -m 2>/dev/null
} >"$OUTDIR/machine.txt" 2>&1

scenario() { # CORES LOAD/TRANSPORT
	local cores=$1 load=${2%/*} transport=${2#*/}
	echo "== $(date -u +%T) $cores core(s): $load $transport" >&2
	CORES=$cores LOADS=$load TRANSPORTS=$transport bash "$ROOT/perf/overload.sh" >>"$OUTDIR/overload.log" 2>&1 ||
		echo "overload.sh failed: $cores $load $transport" >>"$OUTDIR/overload.log"
	cp "$ROOT/perf/data/overload-big.jsonl" "$ROOT/perf/data/overload-big-notes.md" "$ROOT/perf/data/overload-big-command.txt" "$OUTDIR/" 2>/dev/null
	mkdir -p "$OUTDIR/charts"
	cp "$ROOT"/perf/charts/overload-*generator-on-cpus-* "$OUTDIR/charts/" 2>/dev/null
}
# First, in about 40 s, what a request and its answer cost one core here (perf/floorbound.sh,
# one round): whether this machine's floor leaves room for 90% of capacity at 4×.
if [[ ${FLOORBOUND:-1} == 1 ]]; then
	echo "== $(date -u +%T) floorbound" >&2
	ROUNDS=1 GEN_CPUS=$GEN_CPUS_ONE bash "$ROOT/perf/floorbound.sh" >"$OUTDIR/floorbound.md" 2>>"$OUTDIR/overload.log" ||
		echo "floorbound.sh failed" >>"$OUTDIR/overload.log"
fi
for sc in $ONE; do
	scenario 1 "$sc"
done
for sc in $ALL; do
	scenario all "$sc"
done
echo "== $(date -u +%T) done" >&2

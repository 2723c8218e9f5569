#!/usr/bin/env bash
# perf/nethttp.sh — Streamable HTTP through net/http (Server.Handler, the compatible path)
# beside the gnet path (the server's own HTTP/1.1 on its event loops), written into
# perf/RESULTS.md between the nethttp markers (the rest of the file is left as it is).
#
# perf/apisrv serves the echo tool either way, pinned to CPU 0 with GOMAXPROCS=1 (one loop,
# or one shard); the generator (perf/bench) is pinned to CPU 1 and reads the server's
# utime+stime from /proc. Each round runs every scenario on both paths back to back (fresh
# processes, order alternating between rounds); the tables give medians over rounds and
# the median of the per-round CPU ratios.
#
# Environment: ROUNDS (default 3), DURATION (measured time per run, default 5s), WARMUP
# (default 1s), OUT (default perf/RESULTS.md). PORT (default 21012) on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export GOTOOLCHAIN=go1.27.3 # the toolchain go.mod names
OUT=${OUT:-$ROOT/perf/RESULTS.md}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
PORT=${PORT:-21012}
WORK=$(mktemp -d)
SERVER_PID=""
stop_server() {
	if [[ -n $SERVER_PID ]]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=""
	fi
}
trap 'stop_server; [[ -n ${KEEP_ROWS:-} ]] && cp "$WORK/rows.txt" "$KEEP_ROWS"; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
wait_port() {
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

echo "== building" >&2
mkdir -p "$WORK/bin"
go build -o "$WORK/bin/bench" ./perf/bench
go build -o "$WORK/bin/apisrv" ./perf/apisrv

SCENARIOS=(
	"HTTP legacy, one call in flight: C=16 K=1|--target http -c 16 -k 1"
	"HTTP legacy, pipelined: C=16 K=8|--target http -c 16 -k 8"
	"HTTP modern (2026-07-28), one call in flight: C=16 K=1|--target http-modern -c 16 -k 1"
	"HTTP legacy, 256 connections: C=256 K=1|--target http -c 256 -k 1"
)
PATHS=(gnet nethttp)
: >"$WORK/rows.txt"
for round in $(seq "$ROUNDS"); do
	order="0 1"
	if ((round % 2 == 0)); then order="1 0"; fi
	for i in "${!SCENARIOS[@]}"; do
		IFS='|' read -r name args <<<"${SCENARIOS[$i]}"
		for p in $order; do
			path=${PATHS[$p]}
			flag=""
			[[ $path == nethttp ]] && flag="--nethttp"
			echo "== round $round: $name, $path" >&2
			# shellcheck disable=SC2086
			taskset -c 0 env GOMAXPROCS=1 "$WORK/bin/apisrv" --tcp "" --http "127.0.0.1:$PORT" $flag 2>"$WORK/server.log" &
			SERVER_PID=$!
			if ! wait_port "$PORT"; then
				echo "apisrv did not listen: $(cat "$WORK/server.log")" >&2
				exit 1
			fi
			# shellcheck disable=SC2086
			out=$(taskset -c 1 "$WORK/bin/bench" --warmup "$WARMUP" --duration "$DURATION" --addr "127.0.0.1:$PORT" $args --server-pid "$SERVER_PID" --json)
			stop_server
			field() { sed -n "s/.*\"$1\":\\([-0-9.e+]*\\).*/\\1/p" <<<"$out" | tail -n 1; }
			echo "$round $i $p $(field calls_per_sec) $(field p50_us) $(field p95_us) $(field server_cpu_us_per_call) $(field server_rss_bytes) $(field errors)" >>"$WORK/rows.txt"
		done
	done
done

# col I P N: the median of column N (1-based) of scenario I, path P.
col() { awk -v i="$1" -v p="$2" -v n="$3" '$2 == i && $3 == p { print $n }' "$WORK/rows.txt" | median; }
section=$WORK/section.md
{
	echo '<!-- nethttp:start -->'
	echo '## Streamable HTTP through net/http (Server.Handler) beside the gnet path'
	echo
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Command: \`perf/nethttp.sh\` (ROUNDS=$ROUNDS DURATION=$DURATION). Load average at the start: $load_at_start."
	echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(go version | cut -d' ' -f3-)."
	echo
	echo '`Server.Handler()` mounted on an `http.Server` (net/http: a goroutine per connection and per'
	echo 'request, the router on shards of its own) against the same server'"'"'s HTTP/1.1 on its gnet'
	echo 'loops; perf/apisrv with the echo tool, pinned to CPU 0 with GOMAXPROCS=1, the generator on CPU 1.'
	echo 'Medians over rounds; the ratio is the median of per-round ratios of server CPU per call.'
	echo
	echo '| scenario | path | calls/s | p50 µs | p95 µs | server CPU µs/call | RSS MiB | errors | CPU ÷ gnet |'
	echo '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
	for i in "${!SCENARIOS[@]}"; do
		IFS='|' read -r name _ <<<"${SCENARIOS[$i]}"
		for p in 0 1; do
			ratio="1"
			if ((p == 1)); then
				ratio=$(awk -v i="$i" '$2 == i { v[$1 " " $3] = $7; r[$1] = 1 } END { for (k in r) if (v[k " 0"] > 0) printf "%.3f\n", v[k " 1"] / v[k " 0"] }' "$WORK/rows.txt" | median)
			fi
			printf '| %s | %s | %.0f | %.0f | %.0f | %.2f | %.1f | %s | %s× |\n' "$name" "${PATHS[$p]}" \
				"$(col "$i" "$p" 4)" "$(col "$i" "$p" 5)" "$(col "$i" "$p" 6)" "$(col "$i" "$p" 7)" \
				"$(awk -v b="$(col "$i" "$p" 8)" 'BEGIN { print b / 1048576 }')" \
				"$(awk -v i="$i" -v p="$p" '$2 == i && $3 == p { s += $9 } END { print s + 0 }' "$WORK/rows.txt")" "$ratio"
		done
	done
	echo
	echo 'Use the handler where the program owns the listener (TLS, authentication, routing on its own mux)'
	echo 'or needs net/http features; the gnet path is the dense one. Both pass the official conformance'
	echo 'suite in both eras (`.ci/conformance.sh` runs the net/http path through `densemcp serve --http-stdlib`).'
	echo '<!-- nethttp:end -->'
} >"$section"
if [[ -f $OUT ]] && grep -q '<!-- nethttp:start -->' "$OUT"; then
	awk -v f="$section" '
		/<!-- nethttp:start -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- nethttp:end -->/ { skip = 0; next }
		!skip { print }' "$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
else
	{ [[ -f $OUT ]] && cat "$OUT" && echo; cat "$section"; } >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
fi
cat "$section" >&2
echo "wrote the nethttp section of $OUT" >&2

#!/usr/bin/env bash
# perf/metrics.sh — what counting and timing every request costs (Options.Metrics,
# on whenever --admin is set), written into perf/RESULTS.md between the ops-metrics
# markers (the rest of the file is left as it is).
#
#  1. the Go benchmark BenchmarkMetricsOverhead: the in-memory userland path of one call
#     (frame, decode, route, handler, encode) over NDJSON, legacy and modern HTTP, metrics
#     off and on in alternating blocks of the same run, GOMAXPROCS=1;
#  2. the server's CPU per call under load (user + system, from /proc, what the generator's
#     --server-pid reports): bin/densemcp without and with --admin (metrics on, scraped
#     every second like a Prometheus server would), ROUNDS rounds interleaved, medians.
#
# Env: COUNT (benchmark runs, 5), ROUNDS (3), DURATION (5s), OUT (perf/RESULTS.md),
# BASE (first port, 23000: uses BASE+10..BASE+13).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
OUT=${OUT:-perf/RESULTS.md}
COUNT=${COUNT:-5}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
BASE=${BASE:-23000}
PORT_TCP=$((BASE + 10)) PORT_HTTP=$((BASE + 11)) PORT_ADMIN=$((BASE + 12))
WORK=$(mktemp -d)
SERVER_PID="" SCRAPER_PID=""
stop() {
	[[ -n $SCRAPER_PID ]] && { kill "$SCRAPER_PID" 2>/dev/null || true; wait "$SCRAPER_PID" 2>/dev/null || true; SCRAPER_PID=""; }
	[[ -n $SERVER_PID ]] && { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
	return 0
}
trap 'stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== go benchmark (COUNT=$COUNT)" >&2
GOMAXPROCS=1 go test -run '^$' -bench 'MetricsOverhead' -benchtime 4000x -count "$COUNT" ./engine/ >"$WORK/bench.txt"
GOMAXPROCS=1 go test -run '^$' -bench 'Clock' -count "$COUNT" ./shards/ >"$WORK/clock.txt"

echo "== building bin/densemcp" >&2
go build -o bin/densemcp ./cmd/densemcp

wait_port() {
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

# scenario NAME MODE BENCH-ARGS...: one server, one generator run; appends
# "NAME MODE cpu_us_per_call calls_per_sec" to rows.
scenario() {
	local name=$1 mode=$2
	shift 2
	local args=(serve --tcp "127.0.0.1:$PORT_TCP" --http "127.0.0.1:$PORT_HTTP" --loops 1)
	[[ $mode == on ]] && args+=(--admin "127.0.0.1:$PORT_ADMIN")
	taskset -c 0 bin/densemcp "${args[@]}" 2>"$WORK/server.err" &
	SERVER_PID=$!
	wait_port "$PORT_TCP" || { echo "server did not start: $(cat "$WORK/server.err")" >&2; exit 1; }
	if [[ $mode == on ]]; then
		wait_port "$PORT_ADMIN"
		(while sleep 1; do exec 3<>"/dev/tcp/127.0.0.1/$PORT_ADMIN" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3 >/dev/null; exec 3<&-; done) &
		SCRAPER_PID=$!
	fi
	local row
	row=$(taskset -c 1 bin/densemcp bench "$@" --duration "$DURATION" --server-pid "$SERVER_PID" --json 2>/dev/null | tail -n 1)
	stop
	local cpu rate errors
	cpu=$(grep -o '"server_cpu_us_per_call":[0-9.e+-]*' <<<"$row" | cut -d: -f2)
	rate=$(grep -o '"calls_per_sec":[0-9.e+-]*' <<<"$row" | cut -d: -f2)
	errors=$(grep -o '"errors":[0-9]*' <<<"$row" | head -n1 | cut -d: -f2)
	echo "$name $mode ${cpu:-nan} ${rate:-nan} ${errors:-nan}" >>"$WORK/rows"
	echo "   $name metrics $mode: ${cpu:-?} µs/call, ${rate:-?} calls/s, errors ${errors:-?}" >&2
}

: >"$WORK/rows"
for r in $(seq "$ROUNDS"); do
	echo "== round $r/$ROUNDS" >&2
	for mode in off on; do
		scenario "tcp -c 1 -k 1" "$mode" --target tcp --addr "127.0.0.1:$PORT_TCP" -c 1 -k 1
		scenario "tcp -c 16 -k 8" "$mode" --target tcp --addr "127.0.0.1:$PORT_TCP" -c 16 -k 8
		scenario "http -c 1 -k 1" "$mode" --target http --addr "127.0.0.1:$PORT_HTTP" -c 1 -k 1
		scenario "http -c 16 -k 8" "$mode" --target http --addr "127.0.0.1:$PORT_HTTP" -c 16 -k 8
	done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

section=$WORK/section.md
{
	echo '<!-- ops-metrics:start -->'
	echo '## What metrics cost (Options.Metrics, on with --admin)'
	echo
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Command: \`make perf-metrics\` (\`perf/metrics.sh\`, COUNT=$COUNT ROUNDS=$ROUNDS DURATION=$DURATION)."
	echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(go version | cut -d' ' -f3-); load average before $LOAD_BEFORE, after $LOAD_AFTER."
	echo
	echo "One clock read (\`BenchmarkClock\`, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)): $(awk '
		/^BenchmarkClock\// { n = $1; sub(/^BenchmarkClock\//, "", n); sub(/-[0-9]+$/, "", n); v[n] = v[n] " " $3; if (!(n in s)) { s[n] = 1; o[++k] = n } }
		function med(x,   a, m, i, j, t) { m = split(substr(x, 2), a, " "); for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }; return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
		END { for (i = 1; i <= k; i++) printf "%s%s %.1f ns", (i > 1 ? ", " : ""), o[i], med(v[o[i]]) }' "$WORK/clock.txt")."
	echo
	echo 'Userland path in memory (`BenchmarkMetricsOverhead`, GOMAXPROCS=1, metrics off and on in alternating'
	echo 'blocks of one run; medians of the runs). k is requests per read: with metrics on each read costs'
	echo 'two clock reads (arrival, and the answers of the read observed together), so pipelining amortises them.'
	echo
	echo '| path | ns/call off | ns/call on | overhead |'
	echo '| --- | ---: | ---: | ---: |'
	awk '
		/^BenchmarkMetricsOverhead\// {
			name = $1; sub(/^BenchmarkMetricsOverhead\//, "", name); sub(/-[0-9]+$/, "", name)
			for (i = 2; i <= NF; i++) {
				if ($(i+1) == "ns/call-off") off[name] = off[name] " " $i
				if ($(i+1) == "ns/call-on") on[name] = on[name] " " $i
				if ($(i+1) == "%overhead") ov[name] = ov[name] " " $i
			}
			if (!(name in seen)) { seen[name] = 1; order[++n] = name }
		}
		function med(s,   v, m, i, j, t) {
			m = split(substr(s, 2), v, " ")
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
			return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
		}
		END {
			for (k = 1; k <= n; k++) {
				x = order[k]
				printf "| %s | %.0f | %.0f | %+.1f%% |\n", x, med(off[x]), med(on[x]), med(ov[x])
			}
		}' "$WORK/bench.txt"
	echo
	echo 'Server CPU per call under load (user + system of the server process over the run, one event'
	echo 'loop pinned to CPU 0, the generator on CPU 1; metrics on means `--admin` with /metrics scraped every'
	echo "second); medians of $ROUNDS interleaved rounds, $DURATION each."
	echo
	echo '| scenario | µs/call off | µs/call on | on / off | calls/s off | calls/s on |'
	echo '| --- | ---: | ---: | ---: | ---: | ---: |'
	awk '
		{ name = $1 " " $2 " " $3 " " $4 " " $5; mode = $6; cpu[name, mode] = cpu[name, mode] " " $7; rate[name, mode] = rate[name, mode] " " $8
		  if (!(name in seen)) { seen[name] = 1; order[++n] = name } }
		function med(s,   v, m, i, j, t) {
			m = split(substr(s, 2), v, " ")
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
			return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
		}
		END {
			for (k = 1; k <= n; k++) {
				x = order[k]; a = med(cpu[x, "off"]); b = med(cpu[x, "on"])
				printf "| %s | %.2f | %.2f | %.3f | %.0f | %.0f |\n", x, a, b, (a > 0 ? b / a : 0), med(rate[x, "off"]), med(rate[x, "on"])
			}
		}' "$WORK/rows"
	echo
	echo 'Every round'"'"'s row (scenario, mode, µs/call, calls/s, errors):'
	echo
	echo '```'
	cat "$WORK/rows"
	echo '```'
	echo '<!-- ops-metrics:end -->'
} >"$section"

if [ -f "$OUT" ] && grep -q '<!-- ops-metrics:start -->' "$OUT"; then
	awk -v f="$section" '
		/<!-- ops-metrics:start -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- ops-metrics:end -->/ { skip = 0; next }
		!skip { print }' "$OUT" >"$WORK/out.md"
	cp "$WORK/out.md" "$OUT"
else
	{ echo; cat "$section"; } >>"$OUT"
fi
echo "wrote the ops-metrics section of $OUT" >&2

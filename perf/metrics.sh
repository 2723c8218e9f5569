#!/usr/bin/env bash
# perf/metrics.sh — what counting and timing every request costs (Options.Metrics,
# on whenever --admin is set), written into perf/RESULTS.md between the ops-metrics
# markers (the rest of the file is left as it is).
#
#  1. the Go benchmark BenchmarkMetricsOverhead: the in-memory userland path of one call
#     (frame, decode, route, handler, encode) over NDJSON, legacy and modern HTTP, metrics
#     off and on in alternating blocks of the same run, GOMAXPROCS=1;
#  2. instructions per call of that path, off and on (BenchmarkMetricsPath under valgrind's
#     callgrind, at two iteration counts, the difference per call), and the functions whose
#     count grows with metrics on: unlike ns/call, counts do not move with the machine's load
#     (skipped without valgrind);
#  3. the server's CPU per call under load (user + system, from /proc, what the generator's
#     --server-pid reports): bin/densemcp without and with --admin (metrics on, scraped
#     every second like a Prometheus server would). Each scenario runs off and on back to
#     back, in alternating order from round to round, ROUNDS rounds; medians, the spread of
#     the per-round ratios, and a verdict against the issue's target (on / off <= 1.05),
#     called inconclusive when the load average says the machine was shared.
#
# Env: COUNT (benchmark runs, 5), ROUNDS (5), DURATION (5s), OUT (perf/RESULTS.md),
# BASE (first port, 23000: uses BASE+10..BASE+13).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
OUT=${OUT:-perf/RESULTS.md}
COUNT=${COUNT:-5}
ROUNDS=${ROUNDS:-5}
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

# Instructions per call (callgrind): each sub-benchmark of BenchmarkMetricsPath at N1 and N2
# iterations; (count(N2) - count(N1)) / (N2 - N1) is free of the setup both runs share.
# Per-function self counts are kept to show where metrics-on spends its extra instructions.
: >"$WORK/instr"
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
	echo "== instructions per call (callgrind)" >&2
	go test -c -o "$WORK/engine.test" ./engine/
	N1=300 N2=2300
	icount() { # SUB N: total instructions; per-function self counts in $WORK/fn.SUB.N
		local sub=$1 n=$2 tag=${1//\//_}.$2
		(cd engine && env GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind \
			--callgrind-out-file="$WORK/cg.$tag" "$WORK/engine.test" -test.run '^$' \
			-test.bench "^BenchmarkMetricsPath\$/^${sub%/*}\$/^${sub#*/}\$" -test.benchtime "${n}x" >/dev/null 2>&1)
		callgrind_annotate --inclusive=no --auto=no --threshold=100 "$WORK/cg.$tag" 2>/dev/null | awk '
			/^ *[0-9,]+ \([ 0-9.]+%\) / && !/PROGRAM TOTALS/ {
				ir = $1; gsub(",", "", ir)
				line = $0; sub(/^ *[0-9,]+ \([ 0-9.]+%\) +/, "", line); sub(/ \[[^]]*\]$/, "", line)
				i = index(line, ":"); if (i > 0) line = substr(line, i + 1)
				sub(/'"'"'[0-9]+$/, "", line); gsub("github.com/densemcp/densemcp/", "", line)
				fn[line] += ir }
			END { for (f in fn) print fn[f] "\t" f }' >"$WORK/fn.$tag"
		grep -E '^(summary|totals):' "$WORK/cg.$tag" | head -n1 | awk '{print $2}'
	}
	for sub in ndjson/off ndjson/on http-modern/off http-modern/on; do
		a=$(icount "$sub" $N1) b=$(icount "$sub" $N2)
		echo "$sub $(( (b - a) / (N2 - N1) ))" >>"$WORK/instr"
		echo "   $sub: $(( (b - a) / (N2 - N1) )) instructions/call" >&2
	done
	# Functions whose instructions per call grow with metrics on (NDJSON, one call per read).
	perfn() { # SUB: function TAB instructions per call
		awk -F'\t' -v n1=$N1 -v n2=$N2 'FNR == NR { a[$2] = $1; next } { d = ($1 - a[$2]) / (n2 - n1); if (d != 0) print $2 "\t" d }' \
			"$WORK/fn.${1//\//_}.$N1" "$WORK/fn.${1//\//_}.$N2"
	}
	perfn ndjson/off | sort >"$WORK/pf.off"
	perfn ndjson/on | sort >"$WORK/pf.on"
	join -t $'\t' -a1 -a2 -e 0 -o 0,1.2,2.2 "$WORK/pf.off" "$WORK/pf.on" |
		awk -F'\t' '{ d = $3 - $2; if (d >= 5) printf "%s\t%.0f\n", $1, d }' | sort -t $'\t' -k2,2nr | head -n 10 >"$WORK/instr-fn"
fi

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
# "NAME MODE cpu_us_per_call calls_per_sec errors round" to rows.
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
	cpu=$(grep -o '"server_cpu_us_per_call":[0-9.e+-]*' <<<"$row" | head -n1 | cut -d: -f2)
	rate=$(grep -o '"calls_per_sec":[0-9.e+-]*' <<<"$row" | head -n1 | cut -d: -f2)
	errors=$(grep -o '"errors":[0-9]*' <<<"$row" | head -n1 | cut -d: -f2)
	echo "$name $mode ${cpu:-nan} ${rate:-nan} ${errors:-nan} $ROUND" >>"$WORK/rows"
	echo "   $name metrics $mode: ${cpu:-?} µs/call, ${rate:-?} calls/s, errors ${errors:-?}" >&2
}

: >"$WORK/rows"
# Off and on back to back for each scenario, the order alternating between rounds, so a
# drift in the machine's speed falls on both alike.
for ROUND in $(seq "$ROUNDS"); do
	echo "== round $ROUND/$ROUNDS" >&2
	modes=(off on)
	((ROUND % 2 == 0)) && modes=(on off)
	for mode in "${modes[@]}"; do scenario "tcp -c 1 -k 1" "$mode" --target tcp --addr "127.0.0.1:$PORT_TCP" -c 1 -k 1; done
	for mode in "${modes[@]}"; do scenario "tcp -c 16 -k 8" "$mode" --target tcp --addr "127.0.0.1:$PORT_TCP" -c 16 -k 8; done
	for mode in "${modes[@]}"; do scenario "http -c 1 -k 1" "$mode" --target http --addr "127.0.0.1:$PORT_HTTP" -c 1 -k 1; done
	for mode in "${modes[@]}"; do scenario "http -c 16 -k 8" "$mode" --target http --addr "127.0.0.1:$PORT_HTTP" -c 16 -k 8; done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# verdict: the issue's target is metrics on / off <= 1.05 in server CPU per call. A machine
# that was busy before the run started (1-minute load above half its CPUs), or per-round
# ratios that spread more than the margin itself, cannot tell 5% apart: inconclusive.
verdict() {
	local cpus load1
	cpus=$(nproc)
	load1=${LOAD_BEFORE%% *}
	awk -F'\t' -v load="$load1" -v cpus="$cpus" -v loads="$LOAD_BEFORE / $LOAD_AFTER" '
		{ if ($2 > worst) { worst = $2; wname = $1 }; if ($4 - $3 > spread) { spread = $4 - $3; sname = $1 } }
		END {
			printf "**Verdict:** "
			if (load > cpus / 2 || spread > 0.10) {
				printf "inconclusive on this run: the load average was %s (before / after) on %d CPUs and the per-round ratios of %s spread %.2f, more than the 0.05 margin. ", loads, cpus, sname, spread
				printf "The worst median ratio was %.3f (%s). Rerun `make perf-metrics` on a quiet machine.\n", worst, wname
			} else if (worst <= 1.05) {
				printf "meets the target: metrics on cost at most %+.1f%% server CPU per call (worst: %s; load %s on %d CPUs).\n", 100 * (worst - 1), wname, loads, cpus
			} else {
				printf "misses the target: metrics on cost %+.1f%% server CPU per call in %s (load %s on %d CPUs).\n", 100 * (worst - 1), wname, loads, cpus
			}
		}' "$WORK/ratios"
	if [[ -s $WORK/instr ]]; then
		awk '{ split($1, p, "/"); v[p[1], p[2]] = $2 }
			END { a = v["ndjson", "off"]; b = v["ndjson", "on"]; c = v["http-modern", "off"]; d = v["http-modern", "on"]
				if (a > 0 && c > 0) printf "Load-independent: with metrics on the userland path runs %+.1f%% instructions per call over NDJSON and %+.1f%% over modern HTTP, one call per read (in memory, without the kernel'"'"'s read and write work a socket adds; instructions understate the two clock reads per read, each a vDSO call that takes the time shown under One clock read).\n", 100 * (b - a) / a, 100 * (d - c) / c }' "$WORK/instr"
	fi
}

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
	if [[ -s $WORK/instr ]]; then
		echo 'Instructions per call of the same path (`BenchmarkMetricsPath`, one call per read, under callgrind;'
		echo 'userland only, independent of the load):'
		echo
		echo '| path | instructions off | instructions on | overhead |'
		echo '| --- | ---: | ---: | ---: |'
		awk '{ split($1, p, "/"); v[p[1], p[2]] = $2; if (!(p[1] in seen)) { seen[p[1]] = 1; o[++n] = p[1] } }
			END { for (i = 1; i <= n; i++) { a = v[o[i], "off"]; b = v[o[i], "on"]; printf "| %s/k1 | %d | %d | %+.1f%% |\n", o[i], a, b, (a > 0 ? 100 * (b - a) / a : 0) } }' "$WORK/instr"
		echo
		echo 'Where NDJSON'"'"'s extra instructions go with metrics on (self instructions per call, on minus off; the'
		echo 'clock is `time.Since` → `runtime.nanotime1` → the vDSO, read twice per read: at arrival and when the'
		echo 'answers of the read are written):'
		echo
		echo '| function | + instructions/call |'
		echo '| --- | ---: |'
		awk -F'\t' '{ printf "| `%s` | %s |\n", $1, $2 }' "$WORK/instr-fn"
		echo
	fi
	echo 'Server CPU per call under load (user + system of the server process over the run, one event'
	echo 'loop pinned to CPU 0, the generator on CPU 1; metrics on means `--admin` with /metrics scraped every'
	echo "second); each scenario off and on back to back, the order alternating between rounds; medians of"
	echo "$ROUNDS rounds, $DURATION each, and the range of the per-round on / off ratios."
	echo
	echo '| scenario | µs/call off | µs/call on | on / off | per-round on / off | calls/s off | calls/s on |'
	echo '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'
	awk '
		{ name = $1 " " $2 " " $3 " " $4 " " $5; mode = $6; cpu[name, mode] = cpu[name, mode] " " $7; rate[name, mode] = rate[name, mode] " " $8
		  one[name, $10, mode] = $7
		  if (!(name in seen)) { seen[name] = 1; order[++n] = name }
		  if (!($10 in rs)) { rs[$10] = 1; rounds[++nr] = $10 } }
		function med(s,   v, m, i, j, t) {
			m = split(substr(s, 2), v, " ")
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
			return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
		}
		END {
			for (k = 1; k <= n; k++) {
				x = order[k]; a = med(cpu[x, "off"]); b = med(cpu[x, "on"])
				lo = 1e9; hi = 0
				for (r = 1; r <= nr; r++) { f = one[x, rounds[r], "off"]; g = one[x, rounds[r], "on"]; if (f > 0 && g > 0) { q = g / f; if (q < lo) lo = q; if (q > hi) hi = q } }
				printf "| %s | %.2f | %.2f | %.3f | %.2f–%.2f | %.0f | %.0f |\n", x, a, b, (a > 0 ? b / a : 0), lo, hi, med(rate[x, "off"]), med(rate[x, "on"])
				print x "\t" (a > 0 ? b / a : 0) "\t" lo "\t" hi >"/dev/stderr"
			}
		}' "$WORK/rows" 2>"$WORK/ratios"
	echo
	verdict
	echo
	echo 'Every round'"'"'s row (scenario, mode, µs/call, calls/s, errors, round):'
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

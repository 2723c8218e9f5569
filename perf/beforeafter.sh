#!/usr/bin/env bash
# perf/beforeafter.sh — what issue 16's hot-path commits changed, measured before against after
# in one run (make before-after). Each pair of commits BEFORE..AFTER is exported (git archive)
# and its test binaries built; then, for the hot-path Go benchmarks:
#
#   - ns/op: ROUNDS rounds, each running every benchmark on both trees of a pair, the order
#     alternating between rounds, GOMAXPROCS=1; medians of the rounds and the median of the
#     per-round after ÷ before ratios (timings on a shared machine are noisy: read the ratio);
#   - instructions per call and per function (the profile): valgrind's callgrind, as
#     perf/instr.sh counts them (two iteration counts, the difference per call), which does
#     not move with the machine's load; the functions whose self count changed most name the
#     work a pair removed or added (INSTR=0 skips this part);
#   - what loops shared: BenchmarkConnWritesTwoLoops of this working tree (GOMAXPROCS=2),
#     two goroutines writing the per-read fields of two conns that share a cache line against
#     two padded ones.
#
# Writes the section between the before-after markers of perf/RESULTS.md. About 3 minutes.
# Environment: PAIRS (space-separated BEFORE..AFTER commit pairs, default the three series of
# issue 16 below), ROUNDS (5), BENCHTIME (150ms), INSTR (1), OUT (perf/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the toolchain go.mod names
OUT=${OUT:-perf/RESULTS.md}
ROUNDS=${ROUNDS:-5}
BENCHTIME=${BENCHTIME:-150ms}
INSTR=${INSTR:-1}
# 1: f441f45 (make instr, the benchmarks) .. a27a8d1: the HTTP/1.1 parser indexes the fields the
#    server reads in its one pass over the head; the strict scanner jumps to a string's first
#    special byte and skips compact whitespace cheaply.
# 2: 74c5f8a (main before the second series) .. 5d48a1f: the decoder records params, _meta and
#    arguments; per-loop objects on whole cache lines; strings 8 bytes at a time; the scanner
#    keeps an object's position in a local.
# 3: 63234ff .. 0ae98ac: an HTTP POST is walked for its id only when it is refused.
PAIRS=${PAIRS:-f441f45..a27a8d1 74c5f8a..5d48a1f 63234ff..0ae98ac}
# What each default pair changed, for the section's text.
declare -A SERIES_TEXT=(
	[f441f45..a27a8d1]='the HTTP/1.1 parser indexes the fields the server reads (Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Authorization, Origin, Host, the MCP request headers) while it checks the head in its one pass, where each `Header(name)` lookup walked every field line again; the strict scanner jumps to the first special byte of a string (8 bytes per step) and skips compact whitespace with one comparison.'
	[74c5f8a..5d48a1f]="the decoder records the members of params, params._meta and params.arguments as it validates them, so the router (tool name, arguments, _meta, the multi round-trip members) and the modern HTTP checks (the protocol version in _meta against the header, the \`Mcp-Name\`/\`Mcp-Method\` headers) read them without walking the message three to five more times; objects a loop writes on every message (connections, HTTP connections, sessions, exchanges, router sessions, shards) are allocated on whole cache lines and \`engine.Stats\` sits on lines of its own; strings are copied and checked 8 bytes at a time when unescaping and encoding; the scanner keeps an object's position in a register."
	[63234ff..0ae98ac]='the admission check of an HTTP POST (landed with the overload work) walks the body for its id only when the request is refused, not on every call.'
)

# package | benchmark | calls per iteration | callgrind N1 | N2 (0: timing only) | what
BENCHES=(
	"engine|NDJSONToolsCall|16|50|550|TCP NDJSON: 16 pipelined tools/call of echo, framing to one write"
	"engine|HTTPToolsCall/legacy|1|500|5500|HTTP legacy: one tools/call, parse to response"
	"engine|HTTPToolsCall/modern|1|500|4500|HTTP modern (2026-07-28): one tools/call, parse to response"
	"codec|DecodeToolsCall|1|0|0|strict decode of one tools/call line"
	"codec/http1|ParsePost|1|0|0|HTTP/1.1 parse of one POST"
)
PKGS=(engine codec codec/http1)

if [[ $INSTR == 1 ]] && ! command -v callgrind_annotate >/dev/null; then
	echo "beforeafter.sh needs valgrind for the instruction counts (apt-get install valgrind), or INSTR=0" >&2
	exit 1
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# tree COMMIT: the commit exported under $WORK/COMMIT with its test binaries built (-trimpath,
# so that the trees share the build cache).
TREES=()
tree() {
	local c=$1 dir=$WORK/$1
	[[ -d $dir ]] && return 0
	mkdir -p "$dir"
	git archive "$c" | tar -x -C "$dir"
	# Older trees name the metrics variants HTTPToolsCall/legacy/metrics, which
	# -bench '/^legacy$' runs too (it would count both): renamed as they are named since.
	sed -i 's|suffix = "/metrics"|suffix = "-metrics"|' "$dir/engine/memhttp_test.go"
	for p in "${PKGS[@]}"; do
		(cd "$dir" && go test -trimpath -c -o "$dir/${p//\//_}.test" "./$p")
	done
	TREES+=("$c")
}

benchRegex() { # NAME: the -test.bench pattern that runs exactly benchmark NAME
	local IFS=/ parts out=()
	read -ra parts <<<"Benchmark$1"
	for p in "${parts[@]}"; do out+=("^$p\$"); done
	echo "${out[*]}"
}

for pair in $PAIRS; do
	echo "== building ${pair%%..*} and ${pair##*..}" >&2
	tree "${pair%%..*}"
	tree "${pair##*..}"
done

# Timings: rows "commit TAB package TAB bench TAB round TAB ns per call".
times=$WORK/times.tsv
: >"$times"
for round in $(seq "$ROUNDS"); do
	echo "== round $round of $ROUNDS" >&2
	for b in "${BENCHES[@]}"; do
		IFS='|' read -r pkg bench calls _ _ _ <<<"$b"
		for pair in $PAIRS; do
			order=("${pair%%..*}" "${pair##*..}")
			((round % 2)) || order=("${order[1]}" "${order[0]}")
			for c in "${order[@]}"; do
				ns=$(GOMAXPROCS=1 "$WORK/$c/${pkg//\//_}.test" -test.run '^$' -test.bench "$(benchRegex "$bench")" \
					-test.benchtime "$BENCHTIME" 2>/dev/null | awk -v want="Benchmark$bench" '
						{ n = $1; sub(/-[0-9]+$/, "", n) }
						n == want { for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") print $i }')
				[[ -n $ns ]] || { echo "no result for $bench at $c" >&2; exit 1; }
				printf '%s\t%s\t%s\t%d\t%s\n' "$c" "$pkg" "$bench" "$round" "$(awk -v n="$ns" -v k="$calls" 'BEGIN { printf "%.1f", n / k }')" >>"$times"
			done
		done
	done
done

# Instructions: rows "commit TAB package TAB bench TAB per call", and per function
# "commit TAB package TAB bench TAB function TAB per call".
instr=$WORK/instr.tsv
fns=$WORK/fns.tsv
: >"$instr"
: >"$fns"
count() { # COMMIT PKG BENCH N OUTNAME: callgrind the run; per-function self counts in OUTNAME
	local bin=$WORK/$1/${2//\//_}.test
	env GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind \
		--callgrind-out-file="$WORK/cg.out" "$bin" -test.run '^$' -test.bench "$(benchRegex "$3")" \
		-test.benchtime "${4}x" >"$WORK/cg.log" 2>&1 || { tail -n 20 "$WORK/cg.log" >&2; return 1; }
	callgrind_annotate --inclusive=no --auto=no --threshold=100 "$WORK/cg.out" 2>/dev/null | awk '
		/^ *[0-9,]+ \([ 0-9.]+%\) / && !/PROGRAM TOTALS/ {
			ir = $1; gsub(",", "", ir)
			line = $0; sub(/^ *[0-9,]+ \([ 0-9.]+%\) +/, "", line); sub(/ \[[^]]*\]$/, "", line)
			i = index(line, ":"); if (i > 0) line = substr(line, i + 1)
			gsub("github.com/densemcp/densemcp/", "", line); gsub("github.com/", "", line)
			sub(/'"'"'[0-9]+$/, "", line)
			sum[line] += ir
		}
		END { for (f in sum) printf "%d\t%s\n", sum[f], f }' >"$WORK/$5"
}
if [[ $INSTR == 1 ]]; then
	for b in "${BENCHES[@]}"; do
		IFS='|' read -r pkg bench calls n1 n2 _ <<<"$b"
		((n2 > 0)) || continue
		for c in "${TREES[@]}"; do
			echo "== callgrind $bench at $c" >&2
			count "$c" "$pkg" "$bench" "$n1" a.fn
			count "$c" "$pkg" "$bench" "$n2" b.fn
			awk -F'\t' -v d=$(((n2 - n1) * calls)) -v k="$c	$pkg	$bench" '
				FNR == NR { a[$2] = $1; next }
				{ v = ($1 - a[$2]) / d; total += v; if (v >= 0.5 || v <= -0.5) printf "%s\t%s\t%.0f\n", k, $2, v > "/dev/stderr" }
				END { printf "%s\t%.0f\n", k, total }' "$WORK/a.fn" "$WORK/b.fn" >>"$instr" 2>>"$fns"
		done
	done
fi

# What loops shared: the padding microbenchmark, from this working tree.
shared=$WORK/shared.txt
go test -trimpath -c -o "$WORK/pad.test" ./engine >&2
GOMAXPROCS=2 "$WORK/pad.test" -test.run '^$' -test.bench '^BenchmarkConnWritesTwoLoops$' -test.count "$ROUNDS" \
	-test.benchtime 100000000x 2>/dev/null | awk '/ns\/op/ { n = $1; sub(/-[0-9]+$/, "", n); sub(/.*\//, "", n); print n "\t" $3 }' >"$shared" || true

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

section=$WORK/section.md
{
	echo '<!-- before-after:start -->'
	echo '## Before and after the per-core work (issue 16): what each series removed'
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`perf/beforeafter.sh\` (\`make before-after\`; ROUNDS=$ROUNDS BENCHTIME=$BENCHTIME) on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(go version | cut -d' ' -f3). Load average when the run started: $START_LOAD; when it ended: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	if awk -v l="${START_LOAD%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
		echo "**The machine was busy when this ran (load average ${START_LOAD%% *} on $(nproc) CPUs): the timings measure that contention as much as the code, and their ratios can point the wrong way; the instruction counts are the measurement here. Rerun on a quiet machine before reading the timings.**"
		echo
	fi
	echo 'Each series is measured against the commit before it, both built from the same run (git archive of each commit), so the other work that landed between the series (metrics, admission control) is in neither difference. ns per call: the median of the rounds, each round running both trees back to back in alternating order, GOMAXPROCS=1; after ÷ before is the median of the per-round ratios. Instructions per call (callgrind, userland only) do not move with the load of this shared machine; the timings do, so read their ratio, not their level.'
	echo
	n=0
	for pair in $PAIRS; do
		n=$((n + 1))
		echo "- **Series $n** (\`$pair\`): ${SERIES_TEXT[$pair]:-(a pair given in PAIRS)}"
	done
	echo
	echo '| benchmark | what | pair | before ns/call | after ns/call | after ÷ before (time) | before instr/call | after instr/call | after ÷ before (instr) |'
	echo '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |'
	for b in "${BENCHES[@]}"; do
		IFS='|' read -r pkg bench _ _ _ what <<<"$b"
		for pair in $PAIRS; do
			bc=${pair%%..*} ac=${pair##*..}
			tb=$(awk -F'\t' -v c="$bc" -v p="$pkg" -v b="$bench" '$1 == c && $2 == p && $3 == b { print $5 }' "$times" | median)
			ta=$(awk -F'\t' -v c="$ac" -v p="$pkg" -v b="$bench" '$1 == c && $2 == p && $3 == b { print $5 }' "$times" | median)
			ratio=$(awk -F'\t' -v x="$bc" -v y="$ac" -v p="$pkg" -v b="$bench" '
				$2 == p && $3 == b && $1 == x { bt[$4] = $5 } $2 == p && $3 == b && $1 == y { at[$4] = $5 }
				END { for (r in bt) if (r in at) printf "%.3f\n", at[r] / bt[r] }' "$times" | median)
			ib=$(awk -F'\t' -v c="$bc" -v p="$pkg" -v b="$bench" 'NF == 4 && $1 == c && $2 == p && $3 == b { print $4 }' "$instr")
			ia=$(awk -F'\t' -v c="$ac" -v p="$pkg" -v b="$bench" 'NF == 4 && $1 == c && $2 == p && $3 == b { print $4 }' "$instr")
			ir=""
			[[ -n $ib && -n $ia ]] && ir=$(awk -v a="$ia" -v b="$ib" 'BEGIN { printf "%.2f×", a / b }')
			printf '| %s `%s` | %s | `%s` | %s | %s | %s | %s | %s | %s |\n' "$pkg" "$bench" "$what" "$pair" "$tb" "$ta" \
				"$(awk -v r="$ratio" 'BEGIN { printf "%.2f×", r }')" "${ib:--}" "${ia:--}" "${ir:--}"
		done
	done
	echo
	if [[ -s $fns ]]; then
		echo 'The profiles, before against after: the functions whose self instructions per call changed most (callgrind), which names the work each series took off the hot path (a function at 0 after is gone from it; one that grew took over work from the ones that shrank).'
		echo
		for b in "${BENCHES[@]}"; do
			IFS='|' read -r pkg bench _ _ n2 _ <<<"$b"
			((n2 > 0)) || continue
			for pair in $PAIRS; do
				bc=${pair%%..*} ac=${pair##*..}
				printf -- '- **%s %s**, `%s`: ' "$pkg" "$bench" "$pair"
				awk -F'\t' -v x="$bc" -v y="$ac" -v p="$pkg" -v b="$bench" '
					$2 == p && $3 == b && $1 == x { bf[$4] = $5; seen[$4] = 1 }
					$2 == p && $3 == b && $1 == y { af[$4] = $5; seen[$4] = 1 }
					END { for (f in seen) { d = af[f] - bf[f]; printf "%d\t%s\t%d\t%d\n", (d < 0 ? -d : d), f, bf[f], af[f] } }' "$fns" |
					sort -t$'\t' -k1,1nr | head -n 8 | awk -F'\t' '{ printf "%s`%s` %d → %d", (NR > 1 ? ", " : ""), $2, $3, $4 } END { print "" }'
			done
		done
		echo
	fi
	echo '### What the loops shared'
	echo
	echo 'On the per-message path nothing global is written: the router reads its catalogue, hooks and shard table through atomic pointers that change only on registration; requests, connections and sessions are counted per loop in plain integers (engine metrics, landed with the ops work); admission reads one process-wide counter (`engine.Stats.Open`) that is written only when a connection opens or closes, and it sits on cache lines of its own, away from the configuration every message reads. What was shared is the cache lines of small objects: Go packs objects of one size class side by side in a span and a loop'"'"'s goroutine may allocate from any P'"'"'s span, so an 80-byte connection of one loop and one of another could sit on the same line, each loop'"'"'s writes on every read (`inTraffic`, the timeouts'"'"' progress) invalidating the other'"'"'s copy of the fields it reads on every message. That traffic grows with the number of loops and no one-loop profile shows it. These objects, and each loop'"'"'s `shards.Shard`, are now padded to whole lines (`TestHotObjectsShareNoLine`, `TestShardsShareNoLine`).'
	echo
	if [[ -s $shared ]]; then
		sl=$(awk -F'\t' '$1 == "shared-line" { print $2 }' "$shared" | median)
		pd=$(awk -F'\t' '$1 == "padded" { print $2 }' "$shared" | median)
		echo "The mechanism measured here (\`BenchmarkConnWritesTwoLoops\`, GOMAXPROCS=2, median of $ROUNDS runs): two goroutines each reading and writing the per-read fields of its own conn take **$sl ns** per pass when the two conns share a cache line and **$pd ns** when they are padded ($(awk -v a="$sl" -v b="$pd" 'BEGIN { if (b > 0) printf "%.1f×", a / b }')). That tight loop is the worst case; in the server a message does about a microsecond of other work between those writes. \`perf stat\` hardware counters (cache misses) are not supported on this VM's kernel, and with 2 CPUs two loops leave no core for the load generator, so the per-loop-count profiles the issue asks for need a machine with more cores (\`make perf-cores\`)."
	else
		echo 'BenchmarkConnWritesTwoLoops did not run (it needs GOMAXPROCS ≥ 2).'
	fi
	echo '<!-- before-after:end -->'
} >"$section"
if [[ -f $OUT ]] && grep -q '<!-- before-after:start -->' "$OUT"; then
	awk -v f="$section" '
		/<!-- before-after:start -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- before-after:end -->/ { skip = 0; next }
		!skip { print }' "$OUT" >"$WORK/out.md" && cp "$WORK/out.md" "$OUT"
else
	{ [[ -f $OUT ]] && cat "$OUT" && echo; cat "$section"; } >"$WORK/out.md" && cp "$WORK/out.md" "$OUT"
fi
echo "wrote the before-after section of $OUT" >&2

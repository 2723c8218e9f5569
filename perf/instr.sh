#!/usr/bin/env bash
# perf/instr.sh — instructions per call of the hot-path Go benchmarks, counted by valgrind's
# callgrind (issue 16). Unlike ns/op, an instruction count does not move with the load of a
# shared machine, so a change to the hot path can be judged on a busy one. Each benchmark
# runs twice under callgrind, with N1 and N2 iterations (the whole process is counted:
# --toggle-collect on the benchmark function loses track when Go moves a goroutine's
# stack); (count(N2) − count(N1)) ÷ ((N2 − N1) × calls per
# iteration) is the count per call, free of the setup both runs share. The functions are
# ranked the same way (self instructions per call). Userland only: the kernel's read, write
# and epoll work is not counted (and `perf stat` hardware counters are not available on
# this VM's kernel, so cache misses are not counted either).
#
# Writes the section between the instr markers of perf/RESULTS.md: instructions per call now,
# beside the baseline kept in perf/data/instr-baseline.tsv (written by BASELINE=1, with the
# commit it was measured on), and the top functions of each benchmark. The raw counts of the
# last run stay in perf/data/instr.tsv and perf/data/instr-top.tsv.
#
# Environment: OUT (default perf/RESULTS.md); BASELINE=1 records this run as the baseline
# instead of writing the section; ONLY=regex runs only the matching benchmarks and prints
# their counts and top functions (TOP, default 12) instead of writing the section.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the toolchain go.mod names
OUT=${OUT:-perf/RESULTS.md}
DATA=perf/data
TOP=${TOP:-12}

if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
	echo "instr.sh needs valgrind (callgrind and callgrind_annotate): apt-get install valgrind" >&2
	exit 1
fi

# package | benchmark (its name, sub-benchmarks after /) | calls per iteration | N1 | N2 | what it is
BENCHES=(
	"engine|NDJSONToolsCall|16|50|550|TCP NDJSON: 16 pipelined tools/call of echo, framing to one write"
	"engine|HTTPToolsCall/legacy|1|500|5500|HTTP legacy: one tools/call, parse to response"
	"engine|HTTPToolsCall/modern|1|500|4500|HTTP modern (2026-07-28): one tools/call, parse to response"
	"router|ToolsCallInline|1|500|6500|router: decode, route, validate, echo, encode (legacy)"
	"router|ToolsCallInlineModern|1|500|5500|router: the same, modern era"
	"codec/http1|ParsePost|1|1000|21000|HTTP/1.1 parse of one POST"
)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DATA"

# The Go runtime reads the TSC with RDTSCP where the CPU has it, which valgrind 3.19 cannot
# decode; asynchronous preemption signals are noise under valgrind.
VGENV=(env GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1)

# build PKG: the test binary of PKG, once.
build() {
	local bin=$WORK/${1//\//_}.test
	[[ -x $bin ]] || go test -c -o "$bin" "./$1"
}

# benchRegex NAME: the -test.bench pattern that runs exactly benchmark NAME (each level anchored,
# so HTTPToolsCall/legacy does not also run HTTPToolsCallAuth/legacy/...).
benchRegex() {
	local IFS=/ parts out=()
	read -ra parts <<<"Benchmark$1"
	for p in "${parts[@]}"; do out+=("^$p\$"); done
	echo "${out[*]}"
}

# count PKG BENCH N NAME: run BENCH with N iterations under callgrind; prints the total and
# leaves the per-function self counts in $WORK/NAME.fn (instructions TAB function).
count() {
	local pkg=$1 bench=$2 n=$3 name=$4
	local bin=$WORK/${pkg//\//_}.test
	"${VGENV[@]}" valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.cg" \
		"$bin" -test.run '^$' -test.bench "$(benchRegex "$bench")" -test.benchtime "${n}x" >"$WORK/$name.log" 2>&1 ||
		{ tail -n 20 "$WORK/$name.log" >&2; return 1; }
	callgrind_annotate --inclusive=no --auto=no --threshold=100 "$WORK/$name.cg" 2>/dev/null | awk '
		/^ *[0-9,]+ \([ 0-9.]+%\) / && !/PROGRAM TOTALS/ {
			ir = $1; gsub(",", "", ir)
			line = $0; sub(/^ *[0-9,]+ \([ 0-9.]+%\) +/, "", line); sub(/ \[[^]]*\]$/, "", line)
			i = index(line, ":"); if (i > 0) line = substr(line, i + 1)
			gsub("github.com/densemcp/densemcp/", "", line); gsub("github.com/", "", line)
			sub(/'"'"'[0-9]+$/, "", line) # callgrind names recursive calls f'"'"'2; one function
			sum[line] += ir
		}
		END { for (f in sum) printf "%d\t%s\n", sum[f], f }' >"$WORK/$name.fn"
	awk -F'\t' '{ s += $1 } END { print s }' "$WORK/$name.fn"
}

commit=$(git rev-parse --short HEAD)
dirty=""
git diff --quiet HEAD -- . ':!perf/RESULTS.md' ':!perf/data' || dirty="+changes"
rows=$WORK/instr.tsv
tops=$WORK/instr-top.tsv
: >"$rows"
: >"$tops"
for b in "${BENCHES[@]}"; do
	IFS='|' read -r pkg bench calls n1 n2 what <<<"$b"
	if [[ -n ${ONLY:-} ]] && ! [[ $bench =~ $ONLY ]]; then continue; fi
	echo "== $pkg $bench" >&2
	build "$pkg"
	t1=$(count "$pkg" "$bench" "$n1" a)
	t2=$(count "$pkg" "$bench" "$n2" b)
	per=$(((t2 - t1) / ((n2 - n1) * calls)))
	printf '%s\t%s\t%d\t%s\n' "$pkg" "$bench" "$per" "$what" >>"$rows"
	echo "   $per instructions per call" >&2
	# Per-function difference between the two runs, per call.
	awk -F'\t' -v d=$(((n2 - n1) * calls)) -v k="$pkg $bench" '
		FNR == NR { a[$2] = $1; next }
		{ v = ($1 - a[$2]) / d; if (v >= 1) printf "%s\t%.0f\t%s\n", k, v, $2 }' \
		"$WORK/a.fn" "$WORK/b.fn" | sort -t$'\t' -k2,2nr | awk -v n="$TOP" 'NR <= n' >>"$tops"
done

if [[ -n ${ONLY:-} ]]; then
	cat "$rows" "$tops"
	exit 0
fi
if [[ -n ${BASELINE:-} ]]; then
	{
		echo "# commit $commit$dirty, $(date -u '+%Y-%m-%d %H:%M UTC'), $(go version | cut -d' ' -f3)"
		cat "$rows"
	} >"$DATA/instr-baseline.tsv"
	cp "$tops" "$DATA/instr-baseline-top.tsv"
	echo "wrote $DATA/instr-baseline.tsv" >&2
	exit 0
fi
cp "$rows" "$DATA/instr.tsv"
cp "$tops" "$DATA/instr-top.tsv"

section=$WORK/section.md
base=$DATA/instr-baseline.tsv
{
	echo '<!-- instr:start -->'
	echo '## Instructions per call (callgrind)'
	echo
	echo "Counted $(date -u '+%Y-%m-%d %H:%M UTC') on commit $commit$dirty with \`perf/instr.sh\` ($(go version | cut -d' ' -f3), GOMAXPROCS=1): valgrind's callgrind counts the userland instructions of each Go benchmark's process at two iteration counts; the difference per call is free of setup. The count does not depend on the machine's load, so it judges a hot-path change where timings on this shared VM cannot. It leaves out the kernel (read, write, epoll), cache misses and stalls: \`perf stat\` hardware counters are not supported on this VM."
	echo
	if [[ -f $base ]]; then
		echo "Baseline: $(head -n 1 "$base" | sed 's/^# //')."
		echo
		echo '| benchmark | what | baseline instr/call | now instr/call | now ÷ baseline |'
		echo '| --- | --- | ---: | ---: | ---: |'
		awk -F'\t' '
			FNR == NR { if ($0 !~ /^#/) b[$1 " " $2] = $3; next }
			{ k = $1 " " $2; old = (k in b) ? b[k] : ""
			  printf "| %s `%s` | %s | %s | %d | %s |\n", $1, $2, $4, old, $3, (old != "" ? sprintf("%.2f×", $3 / old) : "") }' "$base" "$rows"
	else
		echo '| benchmark | what | instr/call |'
		echo '| --- | --- | ---: |'
		awk -F'\t' '{ printf "| %s `%s` | %s | %d |\n", $1, $2, $4, $3 }' "$rows"
	fi
	echo
	echo "Where the instructions go now (self instructions per call, the top $TOP of each benchmark):"
	echo
	awk -F'\t' '
		$1 != last { if (last != "") print ""; print "- **" $1 "**:"; last = $1; sep = " " }
		{ printf "%s`%s` %s", (sep == " " ? "  " : ", "), $3, $2; sep = "," }
		END { print "" }' "$tops"
	echo '<!-- instr:end -->'
} >"$section"
if [[ -f $OUT ]] && grep -q '<!-- instr:start -->' "$OUT"; then
	awk -v f="$section" '
		/<!-- instr:start -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- instr:end -->/ { skip = 0; next }
		!skip { print }' "$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
else
	{ [[ -f $OUT ]] && cat "$OUT" && echo; cat "$section"; } >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
fi
echo "wrote the instructions section of $OUT" >&2

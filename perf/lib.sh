# perf/lib.sh — what perf/compare.sh and perf/scale.sh share: the scratch directory, the
# server under test (pinned to CPU 0), one generator run (pinned to CPU 1), and the raw rows
# each run keeps in perf/data so REPORT_ONLY=1 can rebuild a report without measuring.
# Sourced, not run. The caller sets ROOT, BIN, NAME (compare | scale), PORT_TCP and PORT_HTTP.

# The toolchain go.mod names (go1.27.3); the go command fetches it from the module proxy.
export GOTOOLCHAIN=go1.27.3

WORK=$(mktemp -d)
RESULTS=$WORK/results.jsonl
NOTES=$WORK/notes.md
: >"$RESULTS"
: >"$NOTES"

SERVER_PID=""
stop_server() {
	if [[ -n $SERVER_PID ]]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=""
	fi
}
cleanup() {
	stop_server
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note() { echo "$*" | tee -a "$NOTES" >&2; }

# busy_note: a note when other work holds the machine (a load average above its CPU count),
# for then the numbers measure that contention as much as the servers.
busy_note() {
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
		note "**The machine was busy when this ran (load average $load on $(nproc) CPUs): these figures measure that contention as much as the servers; rerun on a quiet machine before reading them as the servers' own.**"
	fi
}

if (($(nproc) < 2)); then
	echo "$NAME.sh needs 2 CPUs (server on 0, generator on 1); found $(nproc)" >&2
	exit 1
fi

# build_tools: the generator, the floor server and the report writer, into $BIN.
build_tools() {
	echo "== building" >&2
	mkdir -p "$BIN"
	go build -o "$BIN/bench" ./perf/bench
	go build -o "$BIN/floor" ./perf/floor
	go build -o "$BIN/report" ./perf/report
}

# wait_port PORT: true once something accepts on 127.0.0.1:PORT (5 s at most).
wait_port() {
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

# json_escape S: S with backslashes and double quotes escaped, for a JSON string.
json_escape() {
	local s=${1//\\/\\\\}
	printf '%s' "${s//\"/\\\"}"
}

# run_bench SERVER SCENARIO ARGS...: one generator run on CPU 1 (GEN_CPUS: a taskset list) against SERVER_PID,
# appended to the results with the command that produced it.
run_bench() {
	local server=$1 scenario=$2
	shift 2
	echo "== $server: $scenario" >&2
	local out row
	if ! out=$(taskset -c "${GEN_CPUS:-1}" "$BIN/bench" "$@" --server-pid "$SERVER_PID" --json 2>"$WORK/bench.err"); then
		note "$server / $scenario: bench failed: $(tail -n 2 "$WORK/bench.err" | tr '\n' ' ')"
		return 0
	fi
	local cmd="$*"
	while IFS= read -r row; do
		printf '{"server":"%s","scenario":"%s","command":"densemcp bench %s --server-pid PID --json","row":%s}\n' \
			"$(json_escape "$server")" "$(json_escape "$scenario")" "$(json_escape "$cmd")" "$row" >>"$RESULTS"
	done <<<"$out"
}

# restore_rows: with REPORT_ONLY set, load the rows, notes and command the last run kept and
# set ROUNDS=0 so nothing is measured.
restore_rows() {
	if [[ -n ${REPORT_ONLY:-} ]]; then
		cp "$ROOT/perf/data/$NAME.jsonl" "$RESULTS"
		cp "$ROOT/perf/data/$NAME-notes.md" "$NOTES"
		COMMAND=$(cat "$ROOT/perf/data/$NAME-command.txt")
		ROUNDS=0
	fi
}

# keep_rows: the raw rows stay beside the report, so it can be rebuilt without rerunning.
keep_rows() {
	mkdir -p "$ROOT/perf/data"
	cp "$RESULTS" "$ROOT/perf/data/$NAME.jsonl"
	cp "$NOTES" "$ROOT/perf/data/$NAME-notes.md"
	echo "$COMMAND" >"$ROOT/perf/data/$NAME-command.txt"
}

# charts_section TITLE CAPTION PATTERN...: a section that shows the charts in perf/charts
# matching the patterns (each make target draws its own there), linked relative to
# perf/RESULTS.md; nothing when there is none.
charts_section() {
	local title=$1 caption=$2 f
	shift 2
	local files=()
	shopt -s nullglob
	for f in "$@"; do
		files+=("$ROOT"/perf/charts/$f)
	done
	shopt -u nullglob
	((${#files[@]})) || return 0
	echo "## $title"
	echo
	for f in "${files[@]}"; do
		echo "![${f##*/}](charts/${f##*/})"
		echo
	done
	echo "$caption"
	echo
}

# replace_section NAME FILE: put FILE (which begins with <!-- NAME:start --> and ends with
# <!-- NAME:end -->) in place of that section of $OUT, or at its end when it has none.
replace_section() {
	local name=$1 section=$2
	if [[ -f $OUT ]] && grep -q "<!-- $name:start -->" "$OUT"; then
		awk -v f="$section" -v start="<!-- $name:start -->" -v end="<!-- $name:end -->" '
			$0 == start { while ((getline line < f) > 0) print line; skip = 1; next }
			$0 == end { skip = 0; next }
			!skip { print }' "$OUT" >"$WORK/out.md"
		cp "$WORK/out.md" "$OUT"
	else
		{ [[ -f $OUT ]] && cat "$OUT" && echo; cat "$section"; } >"$WORK/out.md"
		cp "$WORK/out.md" "$OUT"
	fi
}

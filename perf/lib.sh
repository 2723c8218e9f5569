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

# run_bench SERVER SCENARIO ARGS...: one generator run on CPU 1 against SERVER_PID,
# appended to the results with the command that produced it.
run_bench() {
	local server=$1 scenario=$2
	shift 2
	echo "== $server: $scenario" >&2
	local out row
	if ! out=$(taskset -c 1 "$BIN/bench" "$@" --server-pid "$SERVER_PID" --json 2>"$WORK/bench.err"); then
		note "$server / $scenario: bench failed: $(tail -n 2 "$WORK/bench.err" | tr '\n' ' ')"
		return 0
	fi
	while IFS= read -r row; do
		printf '{"server":"%s","scenario":"%s","command":"densemcp bench %s --server-pid PID --json","row":%s}\n' \
			"$server" "$scenario" "$*" "$row" >>"$RESULTS"
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

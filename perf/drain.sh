#!/usr/bin/env bash
# perf/drain.sh — the drain section of perf/RESULTS.md (`make drain`): SIGTERM under load.
# densemcp (`serve --fixtures load`, pinned to CPU 0 with GOMAXPROCS=1) takes NDJSON calls at
# RATE (default 20,000 calls/s) over CONNS connections from perf/drainload (pinned to CPU 1),
# every WORK_EVERY-th call a blocking `work` call (WORK_ARGS) so calls are running in handlers
# when the signal comes, the others echo. After BEFORE the generator sends the server SIGTERM
# and keeps offering load; each connection stops sending once it reads a refusal whose reason
# is "shutdown", waits for what it is owed and closes. The generator accounts every call it
# sent: answered, refused, answered with another error, lost (its connection closed before
# the answer) or unanswered; the server's own drain line gives accepted (running or queued
# when the drain began), answered, refused and cut off, and its exit status. The criterion
# (issue 11): every call the client saw accepted is answered, the rest refused, none lost.
# ROUNDS rounds, a fresh server each. Loopback only; about 25 s with the defaults.
#
# Environment: RATE (20000), CONNS (64), WORK_EVERY (10), WORK_ARGS ({"waitMillis":50}),
# BEFORE (5s), ROUNDS (3), DRAIN_TIMEOUT (the server's --drain-timeout, 30s), OUT
# (perf/RESULTS.md). SKIP_BUILD=1 uses bin/densemcp and bin/drainload as they are.
# A proof run: BEFORE=2s ROUNDS=1 make drain.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
OUT=${OUT:-$ROOT/perf/RESULTS.md}
RATE=${RATE:-20000}
CONNS=${CONNS:-64}
WORK_EVERY=${WORK_EVERY:-10}
WORK_ARGS=${WORK_ARGS:-'{"waitMillis":50}'}
BEFORE=${BEFORE:-5s}
ROUNDS=${ROUNDS:-3}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-30s}
COMMAND="perf/drain.sh (RATE=$RATE CONNS=$CONNS WORK_EVERY=$WORK_EVERY WORK_ARGS=$WORK_ARGS BEFORE=$BEFORE ROUNDS=$ROUNDS DRAIN_TIMEOUT=$DRAIN_TIMEOUT)"
PORT_TCP=23031
PORT_HTTP=23032
NAME=drain
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"

if [[ -z ${SKIP_BUILD:-} ]]; then
	echo "== building" >&2
	mkdir -p "$BIN"
	go build -o "$BIN/densemcp" ./cmd/densemcp
	go build -o "$BIN/drainload" ./perf/drainload
fi
load="$(cut -d' ' -f1-3 /proc/loadavg)"
note "Measured from $(date -u '+%Y-%m-%d %H:%M UTC'). Load average when the run started: $load."
busy_note
if [[ $BEFORE != 5s || $ROUNDS != 3 || $RATE != 20000 ]]; then
	note "**A short proof run (BEFORE=$BEFORE ROUNDS=$ROUNDS RATE=$RATE, not the defaults 5s, 3 and 20000): it shows the script works; make drain with the defaults on a quiet machine replaces it.**"
fi

# field JSON NAME: the number NAME in the JSON object (flat, as drainload prints it).
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }
# logf LINE NAME: the value of NAME=value in a slog text line.
logf() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"; }

rows=()
verdict_ok=1
minrate=
for round in $(seq "$ROUNDS"); do
	taskset -c 0 env GOMAXPROCS=1 "$BIN/densemcp" serve --fixtures load --drain-timeout "$DRAIN_TIMEOUT" \
		--tcp "127.0.0.1:$PORT_TCP" >"$WORK/server.log" 2>&1 &
	SERVER_PID=$!
	if ! wait_port "$PORT_TCP"; then
		echo "drain.sh: the server did not listen: $(head -c 300 "$WORK/server.log")" >&2
		exit 1
	fi
	echo "== round $round: $RATE calls/s over $CONNS connections, SIGTERM after $BEFORE" >&2
	if ! res=$(taskset -c 1 "$BIN/drainload" --addr "127.0.0.1:$PORT_TCP" -c "$CONNS" --rate "$RATE" \
		--work-every "$WORK_EVERY" --work-args "$WORK_ARGS" --before "$BEFORE" --pid "$SERVER_PID" 2>"$WORK/drainload.err"); then
		note "Round $round: drainload failed: $(tail -n 2 "$WORK/drainload.err" | tr '\n' ' ')"
		verdict_ok=0
	fi
	status=0
	wait "$SERVER_PID" || status=$?
	SERVER_PID=""
	line=$(grep ' msg=drained ' "$WORK/server.log" | tail -n 1 || true)
	echo "$res" >&2
	echo "$line" >&2
	sent=$(field "$res" sent) answered=$(field "$res" answered) refused=$(field "$res" refused)
	shut=$(field "$res" refused_shutdown) errors=$(field "$res" errors) lost=$(field "$res" lost)
	unans=$(field "$res" unanswered) rate=$(field "$res" rate_before_signal) after=$(field "$res" answered_after_signal)
	sentafter=$(field "$res" sent_after_signal) shed=$(field "$res" shed) drainms=$(field "$res" drain_ms)
	s_acc=$(logf "$line" accepted) s_ans=$(logf "$line" answered) s_ref=$(logf "$line" refused) s_cut=$(logf "$line" cut_off)
	if [[ -n $rate ]] && { [[ -z $minrate ]] || awk -v a="$rate" -v b="$minrate" 'BEGIN { exit !(a < b) }'; }; then
		minrate=${rate%.*}
	fi
	ok=yes
	if [[ -z $sent || -z $line || $status != 0 || ${lost:-1} != 0 || ${unans:-1} != 0 || ${errors:-1} != 0 || ${s_cut:-1} != 0 ||
		$((answered + refused)) != "$sent" || ${shut:-0} == 0 ]]; then
		ok=no
		verdict_ok=0
	fi
	rows+=("| $round | ${rate%.*} | $sent | $sentafter | $shed | $answered | $after | $refused | $shut | $errors | $lost | $unans | ${drainms%.*} | ${s_acc:--} | ${s_ans:--} | ${s_ref:--} | ${s_cut:--} | $status | $ok |")
done

section=$WORK/drain.md
{
	echo "<!-- drain:start -->"
	echo "## Drain: SIGTERM under load"
	echo
	echo "Report written $(date -u '+%Y-%m-%d %H:%M UTC'). Command: \`$COMMAND\`."
	echo
	echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), kernel $(uname -r)."
	echo
	echo "densemcp (\`serve --fixtures load --drain-timeout $DRAIN_TIMEOUT\`) runs pinned to CPU 0 with GOMAXPROCS=1; perf/drainload, pinned to CPU 1, offers $RATE calls/s open loop over $CONNS NDJSON connections, every ${WORK_EVERY}th call of a connection \`work $WORK_ARGS\` (blocking: running in handlers when the signal comes), the others \`echo\`. After $BEFORE it sends the server SIGTERM and goes on offering load; each connection stops sending once it reads a refusal whose reason is \"shutdown\" (the way a client told to go away behaves), waits for the answers it is owed, and closes. The client columns count every call the generator sent: answered (a result), refused (a -32000-range error with retryAfterMs, any reason: before the signal the concurrency limit refuses some work calls too; \"for shutdown\" those the drain refused), other errors, lost (sent, and the connection closed before an answer) and unanswered (still outstanding 60 s after the signal). The server columns are its own drain line: accepted (blocking calls running or queued when the drain began), answered by their handlers and refused during the drain, and cut off by the budget. The criterion (issue 11): every call the client saw accepted is answered, the rest refused, none silently lost; the server exits 0."
	echo
	cat "$NOTES"
	echo
	echo "| round | calls/s sent before the signal | sent | sent after the signal | shed (client, past 256 in flight) | answered | answered after the signal | refused | refused for shutdown | other errors | lost | unanswered | signal to last close ms | server: accepted | server: answered | server: refused | server: cut off | exit status | answered + refused = sent, none lost |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	printf '%s\n' "${rows[@]}"
	echo
	if ((verdict_ok)); then
		echo "Verdict: **met** in every round — each call sent was answered or refused, none lost, none cut off, exit status 0."
	else
		echo "Verdict: **missed** in a round marked \"no\" above (or the run failed: see the notes)."
	fi
	echo
	echo "The lowest rate the generator reached before the signal: ${minrate:-none} calls/s of the $RATE offered$(awk -v a="${minrate:-0}" -v b="$RATE" 'BEGIN { if (a < 0.9 * b) print " (short of it: the machine could not carry the offered rate, so the rounds show the accounting at a lower rate)" }')."
	echo
	echo "<!-- drain:end -->"
} >"$section"
replace_section drain "$section"
echo "wrote the drain section of $OUT" >&2

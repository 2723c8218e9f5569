# densemcp — see README.md.
GO ?= go
# go.mod names go1.27.3; the go command fetches that toolchain from the module
# proxy when the machine's own Go is older (export, so scripts inherit it).
export GOTOOLCHAIN := go1.27.3
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build test vet lint bench fuzz perf scale overload floorbound drain fairness soak perf-cores perf-cores-bundle overload-big-bundle perf-middleware perf-nethttp clean linger cluster-bench perf-metrics

# -buildvcs=auto: densemcp version reports the commit even where GOFLAGS
# turns VCS stamping off.
build:
	$(GO) build -buildvcs=auto -o bin/densemcp ./cmd/densemcp

vet:
	$(GO) vet ./...

# go vet and staticcheck (pinned; fetched through the module proxy).
lint: vet
	$(GO) run $(STATICCHECK) ./...

# The README's test command: vet and the race-detected test suite (on Go 1.27
# encoding/json/v2 is always built, so the codec's differential oracle runs too).
test: vet
	$(GO) build -o "$$(mktemp -d)/" ./examples/...
	$(GO) test -race -count=1 ./...

# Hot-path Go benchmarks; their medians go into perf/RESULTS.md.
bench:
	bash perf/gobench.sh

# What authorization costs per call (cached token vs none), into perf/RESULTS.md: server
# CPU per call over sockets (densemcp with and without --auth-issuer, a loopback issuer
# from perf/authissuer; port 29010) and the userland path from Go benchmarks. A few
# minutes; SOCKET_ROUNDS=1 DURATION=1s for a quick look.
.PHONY: bench-auth
bench-auth:
	bash perf/authbench.sh

# Short local fuzzing of every parser (the seed corpora also run in `make test`).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./codec/
	$(GO) test -run '^$$' -fuzz FuzzNextLine -fuzztime 30s ./codec/

.PHONY: instr
# Instructions per call of the hot-path benchmarks under valgrind's callgrind (perf/instr.sh):
# repeatable on a busy machine, where timings are not; about 3 minutes.
instr:
	bash perf/instr.sh

perf: build
	bash perf/compare.sh

# The 15,000-connection section of perf/RESULTS.md (densemcp and the floor).
scale:
	bash perf/scale.sh

# Lingering close, the full run: 5 MB and 50 MB bodies over the 4 MiB limit,
# 200 times each from a client that writes its whole body before reading and
# from net/http; every one must read its 413 (make test runs a few).
linger:
	DENSEMCP_LINGER_RUNS=200 $(GO) test -count=1 -run TestOversizedBodyReads413 -v ./engine/

# The overload section of perf/RESULTS.md: densemcp and the SDK peers at 0.5x to 4x their
# capacity: work at cpuMicros 200 and at waitMillis 20, and echo; HTTP legacy and modern on
# 1,024 connections, NDJSON 256 × 64; the server on one core and on all; a verdict per
# scenario against issue 11's criteria (about 12 minutes; LOADS, TRANSPORTS, CORES, SERVERS
# select a subset, DURATION=1s CAPACITY_TIME=2s for a quick look: see perf/overload.sh).
overload:
	bash perf/overload.sh

# What a request and its answer cost the core on this machine (the floor server) beside what
# a densemcp refusal costs, and the goodput at 4x capacity that allows for work at cpuMicros
# 200 on one core: a Markdown table on stdout (3 rounds, about 2 minutes).
floorbound:
	bash perf/floorbound.sh

# The drain section of perf/RESULTS.md: SIGTERM while perf/drainload offers 20,000 NDJSON
# calls/s; every call accounted (answered, refused, lost), three rounds (about 25 s;
# BEFORE=2s ROUNDS=1 for a quick look).
drain:
	bash perf/drain.sh

# The fair-share section of perf/RESULTS.md: 100 polite NDJSON clients' p99 alone and beside
# one connection pipelining 4,096 calls, on one event loop (about 2 minutes; DURATION=3s
# ROUNDS=1 for a quick look).
fairness:
	bash perf/fairness.sh

# The soak section of perf/RESULTS.md (not in CI): 10 minutes of connection churn at half
# capacity, RSS, goroutines and descriptors sampled; DURATION=20s for a proof run.
soak:
	bash perf/soak.sh

# Per-core scaling, densemcp beside the floor at 1, 2, 4 ... loops up to half the CPUs
# (perf/cores.sh; on 2 CPUs only the one-loop case runs). About 1 minute per loop count.
perf-cores:
	bash perf/cores.sh

# What issue 16's commits changed, each series against the commit before it, in one run:
# ns/op and instructions per call, the functions that changed, the cache-line sharing
# benchmark (perf/beforeafter.sh; about 3 minutes).
.PHONY: before-after
before-after:
	bash perf/beforeafter.sh

# Static binaries and perf/cores.sh in bin/perf-cores.tar.gz, to run perf-cores on a
# bigger machine with no Go toolchain: tar xzf perf-cores.tar.gz && cd perf-cores &&
# SKIP_BUILD=1 bash perf/cores.sh
perf-cores-bundle:
	mkdir -p bin
	CGO_ENABLED=0 $(GO) build -o bin/densemcp ./cmd/densemcp
	CGO_ENABLED=0 $(GO) build -o bin/bench ./perf/bench
	CGO_ENABLED=0 $(GO) build -o bin/floor ./perf/floor
	CGO_ENABLED=0 $(GO) build -o bin/report ./perf/report
	tar czf bin/perf-cores.tar.gz --transform 's,^,perf-cores/,' bin/densemcp bin/bench bin/floor bin/report perf/cores.sh perf/lib.sh

# The overload matrix on a machine with cores to spare (perf/bigmachine.sh), for one without Go:
# static, stripped binaries in bin/big.tgz; there `tar xzf bin/big.tgz -C bin`, then the script.
overload-big-bundle:
	mkdir -p bin/big
	CGO_ENABLED=0 $(GO) build -ldflags='-s -w' -o bin/big/densemcp ./cmd/densemcp
	CGO_ENABLED=0 $(GO) build -ldflags='-s -w' -o bin/big/bench ./perf/bench
	CGO_ENABLED=0 $(GO) build -ldflags='-s -w' -o bin/big/report ./perf/report
	CGO_ENABLED=0 $(GO) build -ldflags='-s -w' -o bin/big/floor ./perf/floor
	tar czf bin/big.tgz -C bin/big densemcp bench report floor

# What one no-op middleware costs a call (Go benchmarks and server CPU under load).
perf-middleware:
	bash perf/middleware.sh

# The cluster section of perf/RESULTS.md: 1, 2 and 3 node processes over an
# embedded NATS server, forwarded against local calls, notification fan-out,
# and the session-state measurements (perf/clusterbench; ports 24000-24099).
# CLUSTER_BENCH_FLAGS: e.g. -duration 2s for a short run.
CLUSTER_BENCH_FLAGS ?=
cluster-bench: build
	$(GO) run ./perf/clusterbench -bin bin/densemcp $(CLUSTER_BENCH_FLAGS)

# Streamable HTTP through net/http (Server.Handler) beside the gnet path.
perf-nethttp:
	bash perf/nethttp.sh

# govulncheck against the offline vulnerability database (see .ci/govulncheck.sh).
.PHONY: vulncheck
vulncheck:
	bash .ci/govulncheck.sh

# What Options.Metrics (on with --admin) costs: perf/RESULTS.md's ops-metrics section.
# The "What metrics cost" section of perf/RESULTS.md: metrics off vs on, in memory (ns and
# callgrind instructions per call) and over sockets (server CPU per call, interleaved rounds),
# with a verdict against the 5% target. About 5 minutes; COUNT=1 ROUNDS=2 DURATION=2s for a
# quick look. Ports BASE+10..BASE+12 (BASE 23000).
perf-metrics:
	bash perf/metrics.sh

clean:
	rm -rf bin

# densemcp — see README.md.
GO ?= go

.PHONY: build test vet bench fuzz perf scale clean

build:
	$(GO) build -o bin/densemcp ./cmd/densemcp

vet:
	$(GO) vet ./...

# The README's test command: vet, the race-detected test suite, and the
# codec tests again under the encoding/json/v2 oracle.
test: vet
	$(GO) test -race -count=1 ./...
	GOEXPERIMENT=jsonv2 $(GO) test -count=1 ./codec/...

# Hot-path Go benchmarks; their medians go into perf/RESULTS.md.
bench:
	bash perf/gobench.sh

# Short local fuzzing of every parser (the seed corpora also run in `make test`).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./codec/
	$(GO) test -run '^$$' -fuzz FuzzNextLine -fuzztime 30s ./codec/

perf: build
	bash perf/compare.sh

# The 15,000-connection section of perf/RESULTS.md (densemcp and the floor).
scale:
	bash perf/scale.sh

clean:
	rm -rf bin

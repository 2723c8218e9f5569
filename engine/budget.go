package engine

import (
	"bufio"
	"bytes"
	"os"
	"strconv"

	"github.com/densemcp/densemcp/codec/partial"
)

// Memory held for messages still arriving. An HTTP body or an NDJSON line
// that spans socket reads is held by the engine alone (codec/partial),
// sized to what arrived: at most the bytes received plus one 64 KiB
// segment, never a doubled buffer or a second copy. All such memory, over
// every connection, is counted against one budget; a message that would
// pass it is refused — HTTP 503 with Retry-After, NDJSON a -32000 error
// with data.retryAfterMs — and its connection closed politely. A message
// that arrives within one read is never counted, so small requests keep
// flowing when large uploads have used up the budget.
const (
	// maxDefaultIncompleteBytes caps the default budget: 256 bodies of the
	// 4 MiB limit arriving at once.
	maxDefaultIncompleteBytes = 1 << 30
	// minDefaultIncompleteBytes: at least 16 bodies of 4 MiB at once.
	minDefaultIncompleteBytes = 64 << 20
)

// DefaultMaxIncompleteBytes returns the default budget: a quarter of the
// memory the process may use (the cgroup limit if one is set, else the
// machine's RAM), between 64 MiB and 1 GiB.
func DefaultMaxIncompleteBytes() int64 {
	mem := memoryLimit()
	if mem <= 0 {
		return maxDefaultIncompleteBytes
	}
	return min(max(mem/4, minDefaultIncompleteBytes), maxDefaultIncompleteBytes)
}

// memoryLimit is the cgroup v2 memory limit, else MemTotal, else 0.
func memoryLimit() int64 {
	total := int64(0)
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("MemTotal:")); ok {
				kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
				if err == nil {
					total = kb << 10
				}
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if v, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64); err == nil && v > 0 && (total == 0 || v < total) {
			return v
		}
	}
	return total
}

// IncompleteBytes is the memory held now for messages still arriving, over
// every connection.
func (s *Server) IncompleteBytes() int64 { return s.budget.Held() }

// newBudget returns the budget for cfg (after setDefaults).
func newBudget(cfg *Config) *partial.Budget { return partial.NewBudget(cfg.MaxIncompleteBytes) }

// pipelineSlack is how much more than one request head an HTTP connection
// may have waiting behind the request being answered (plus one read).
// MCP clients do not pipeline; load generators pipeline small requests.
const pipelineSlack = 64 << 10

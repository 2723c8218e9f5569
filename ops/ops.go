// Package ops is densemcp's operations side: a Prometheus collector that
// sums the event loops' own counters at scrape time, health and readiness
// endpoints, pprof and a live dashboard, all on a side listener (--admin)
// served by net/http, never on an MCP port and never on an event loop.
//
// The core counts with plain integers on each loop and knows nothing of
// Prometheus; this package reads those counters through Source.
package ops

import (
	"github.com/densemcp/densemcp/engine"
)

// Source is what ops reads from a server (densemcp.Server implements it).
type Source interface {
	// Snapshot copies every loop's counters (each read on its loop).
	Snapshot() engine.Snapshot
	// ToolLabels names tools by the label id in snapshots.
	ToolLabels() []string
	// Workers returns the blocking handlers running and the pool's size.
	Workers() (running, capacity int)
	// Ready returns nil while the server should get traffic, else why not.
	Ready() error
}

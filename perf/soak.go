//go:build linux

package perf

import (
	"context"
	"fmt"
	"io"
	"time"
)

// soakSettle is how long a soak waits after its last connection closed before it reads the
// server's descriptors and goroutines again: the server closes its side on its next read.
const soakSettle = 2 * time.Second

// runSoak runs the open-loop load of cfg while a churner cycles other connections, then
// closes everything, lets the server settle and reads its descriptors and goroutines again.
func runSoak(cfg *Config, progress io.Writer) ([]Row, error) {
	var baseFDs, baseGor int
	if cfg.ServerPID > 0 {
		baseFDs, _ = procFDs(cfg.ServerPID)
	}
	if cfg.probe != nil {
		baseGor, _ = cfg.probe.count()
	}
	ch := newChurner(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	churned := make(chan struct{})
	go func() { ch.run(ctx, cfg.Churn); close(churned) }()
	fmt.Fprintf(progress, "bench: soak: %d calls/s on %d connections, %d churn cycles/s\n", cfg.Rate, cfg.Conns, cfg.Churn)
	rows, err := runOnce(cfg, progress) // its connections are closed when it returns
	cancel()
	<-churned
	if err != nil {
		return nil, err
	}
	time.Sleep(soakSettle)
	r := &rows[len(rows)-1]
	st := ch.stats()
	r.Churn = &st
	r.BaselineFDs, r.BaselineGoroutines = baseFDs, baseGor
	if cfg.ServerPID > 0 {
		r.FinalFDs, _ = procFDs(cfg.ServerPID)
	}
	if cfg.probe != nil {
		r.FinalGoroutines, _ = cfg.probe.count()
	}
	return rows, nil
}

package main

import (
	"flag"
	"log/slog"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
)

// Hardening flags: how long a client may take and what it can make the
// server hold (engine/timeouts.go, engine/linger.go).
func init() {
	var t engine.Timeouts
	var lg engine.Linger
	var reusePort bool
	var maxIncomplete int64
	registerServeExtension(serveExtension{
		name: "hardening",
		flags: func(fs *flag.FlagSet) {
			fs.DurationVar(&t.Head, "head-timeout", engine.DefaultHeadTimeout, "an HTTP request head must arrive within this (then 408); negative: off")
			fs.DurationVar(&t.Body, "body-timeout", engine.DefaultBodyTimeout, "an HTTP body or NDJSON message that stalls this long is cut (408 / -32001); negative: off")
			fs.IntVar(&t.MinBodyRate, "min-body-rate", engine.DefaultMinBodyRate, "bytes/s a body or message must average once it has been arriving for --body-timeout; negative: off")
			fs.DurationVar(&t.Idle, "idle-timeout", engine.DefaultIdleTimeout, "an HTTP keep-alive connection with no request is closed after this (SSE streams exempt); negative: off")
			fs.DurationVar(&t.TCPIdle, "tcp-idle-timeout", engine.DefaultTCPIdleTimeout, "a TCP NDJSON connection with no message and nothing running is closed after this; negative: off")
			fs.DurationVar(&t.Init, "init-timeout", engine.DefaultInitTimeout, "a legacy session must complete initialize within this; negative: off")
			fs.DurationVar(&lg.Time, "linger-time", engine.DefaultLingerTime, "after an answer that ends a connection, read and discard for at most this long before closing")
			fs.IntVar(&lg.Bytes, "linger-bytes", engine.DefaultLingerBytes, "after an answer that ends a connection, discard at most this many bytes before closing")
			fs.Int64Var(&maxIncomplete, "max-incomplete-bytes", engine.DefaultMaxIncompleteBytes(), "memory held, over all connections, for messages still arriving; past it such a message gets 503 / -32000 (default: a quarter of the memory limit, 64 MiB to 1 GiB)")
			fs.BoolVar(&reusePort, "reuse-port", false, "bind with SO_REUSEPORT so a new server can start on the port before the old one stops (legacy HTTP sessions then get 404 on the other process); default: exclusive bind")
		},
		apply: func(o *densemcp.Options, _ *slog.Logger) error {
			o.Engine.Timeouts = t
			o.Engine.Linger = lg
			o.Engine.ReusePort = reusePort
			o.Engine.MaxIncompleteBytes = maxIncomplete
			return nil
		},
	})
}

package main

import (
	"flag"
	"log/slog"

	"github.com/densemcp/densemcp"
)

// The operations side listener: metrics, health, dashboard and pprof on
// one port beside the MCP ones (see package ops). --pprof stays as a
// pprof-only listener for those who want profiles without the rest.
func init() {
	var addr string
	registerServeExtension(serveExtension{
		name: "admin",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "admin", "", "serve /metrics, /healthz, /readyz, /dashboard and /debug/pprof/ on `ADDR` (a side listener, never the MCP port)")
		},
		apply: func(o *densemcp.Options, _ *slog.Logger) error {
			o.AdminAddr = addr
			return nil
		},
	})
}

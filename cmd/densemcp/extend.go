package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/densemcp/densemcp"
)

// A serveExtension is one concern's part of `densemcp serve` (operations,
// overload, authorization, clustering, ...): it adds its flags, turns them
// into options, and may start something beside the MCP listeners. Each
// concern registers one from an init function in its own file, so serve
// itself stays the same as concerns are added.
type serveExtension struct {
	// name says which concern failed in error messages.
	name string
	// flags registers the concern's flags; the values are read in apply.
	flags func(fs *flag.FlagSet)
	// servesMCP, after the flags are parsed, reports whether the concern
	// serves MCP itself (a listener of its own): then serve adds no default
	// HTTP listener, and without --tcp or --http it only waits for the
	// signal to stop. nil: never.
	servesMCP func() bool
	// apply checks the parsed flags and sets options, before the server
	// is created. nil: nothing to set.
	apply func(o *densemcp.Options, log *slog.Logger) error
	// start runs once the server exists and its tools are registered,
	// before it serves; the returned stop (may be nil) runs after the
	// server has stopped. nil: nothing to start.
	start func(ctx context.Context, s *densemcp.Server, log *slog.Logger) (stop func(), err error)
}

// serveExtensions are the registered concerns, in registration order.
var serveExtensions []serveExtension

// registerServeExtension adds e; call it from an init function.
func registerServeExtension(e serveExtension) { serveExtensions = append(serveExtensions, e) }

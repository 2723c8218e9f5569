// Command densemcp is the densemcp server binary.
//
//	densemcp serve [--tcp ADDR] [--stdio] [--loops N] ...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/perf"
	"github.com/densemcp/densemcp/perf/fixtures"
	"github.com/densemcp/densemcp/router"
)

// version is the binary's serverInfo version; a release may set it at
// link time (-ldflags "-X main.version=…").
var version = "0.1.0"

// defaultHTTPAddr is where `densemcp serve` listens with no transport flag.
const defaultHTTPAddr = "127.0.0.1:8080"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: densemcp <command> [flags]

commands:
  serve         run the MCP server (densemcp serve -h for flags)
  bench         load-generate against an MCP server on loopback (densemcp bench -h)
  config print  show the effective serve configuration as TOML (defaults, --config FILE, DENSEMCP_*, flags)
  version       print the version, commit and Go version
`)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdin, stdout, stderr)
	case "bench":
		return perf.Main(args[1:])
	case "config":
		return configCommand(args[1:], stdout, stderr)
	case "version", "--version":
		printVersion(stdout)
		return 0
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "densemcp: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// serveFlags are the values of `densemcp serve`'s own flags; extensions
// keep theirs (see extend.go).
type serveFlags struct {
	httpAddr, tcp, endpoint                   *string
	stdio                                     *bool
	allowedHosts, allowedOrigins, corsOrigins *string
	sessionTTL, handlerTimeout                *time.Duration
	maxSessions, replay, loops, maxLine       *int
	maxOut, workers, maxConns                 *int
	fixtures, logLevel, logFormat             *string
}

// newServeFlags defines every flag of `densemcp serve`, the registered
// extensions' included: the config file and DENSEMCP_* variables mirror
// exactly this set.
func newServeFlags(stderr io.Writer) (*flag.FlagSet, *serveFlags) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &serveFlags{
		httpAddr:       fs.String("http", "", "serve Streamable HTTP on `ADDR` (default "+defaultHTTPAddr+" when no transport flag is given)"),
		tcp:            fs.String("tcp", "", "serve newline-delimited JSON over TCP on `ADDR`"),
		stdio:          fs.Bool("stdio", false, "serve one session on stdin/stdout (logs go to stderr)"),
		endpoint:       fs.String("endpoint", engine.DefaultEndpoint, "HTTP path of the MCP endpoint"),
		allowedHosts:   fs.String("allowed-hosts", "", "comma-separated Host names accepted besides loopback (Host/Origin checks are on for loopback binds)"),
		allowedOrigins: fs.String("allowed-origins", "", "comma-separated Origins (scheme://host[:port]) accepted besides loopback"),
		corsOrigins:    fs.String("cors-origins", "", "comma-separated Origins that get CORS headers (none by default)"),
		sessionTTL:     fs.Duration("session-ttl", engine.DefaultSessionIdleTTL, "idle time after which a legacy HTTP session is evicted"),
		maxSessions:    fs.Int("max-sessions", engine.DefaultMaxSessions, "most live legacy HTTP sessions"),
		replay:         fs.Int("replay-events", 0, "events kept per SSE stream for Last-Event-ID replay (0: off)"),
		fixtures:       fs.String("fixtures", "", "register a fixture set instead of the echo tool: conformance, or load (echo and work)"),
		loops:          fs.Int("loops", 0, "event loops, one shard each (default GOMAXPROCS)"),
		maxLine:        fs.Int("max-message-bytes", engine.DefaultMaxLineBytes, "largest accepted message in bytes"),
		maxOut:         fs.Int("max-outbound-bytes", engine.DefaultMaxOutboundBytes, "answers queued for one slow client before it is disconnected"),
		workers:        fs.Int("workers", 0, "goroutines for blocking handlers (default 4096)"),
		handlerTimeout: fs.Duration("handler-timeout", router.DefaultHandlerTimeout, "a blocking handler's context is cancelled after this long"),
		maxConns:       fs.Int("max-connections", engine.DefaultMaxConnections, "open connections over all transports; more are closed at once"),
		logLevel:       fs.String("log-level", "info", "debug, info, warn or error"),
		logFormat:      fs.String("log-format", "text", "log line format on stderr: text or json"),
	}
	fs.String(configFlag, "", "read flag values from the TOML `FILE` (keys are flag names; DENSEMCP_* variables and flags override it)")
	for _, e := range serveExtensions {
		if e.flags != nil {
			e.flags(fs)
		}
	}
	return fs, f
}

// newLogger builds the server's logger on w (stderr: on stdio, stdout
// carries only MCP messages).
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad --log-level %q (debug, info, warn or error)", level)
	}
	ho := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, fmt.Errorf("bad --log-format %q (text or json)", format)
}

func serve(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, f := newServeFlags(stderr)
	if err := parseServeArgs(fs, args, os.LookupEnv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if !errors.Is(err, errFlagParse) {
			fmt.Fprintf(stderr, "densemcp: %v\n", err)
		}
		return 2
	}
	log, err := newLogger(stderr, *f.logLevel, *f.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "densemcp: %v\n", err)
		return 2
	}
	httpAddr, tcp, stdio, endpoint := f.httpAddr, f.tcp, f.stdio, f.endpoint
	extServes := false // a concern serves MCP on a listener of its own
	for _, e := range serveExtensions {
		if e.servesMCP != nil && e.servesMCP() {
			extServes = true
		}
	}
	if *tcp == "" && *httpAddr == "" && !*stdio && !extServes {
		*httpAddr = defaultHTTPAddr
	}
	if *stdio && (*tcp != "" || *httpAddr != "") {
		fmt.Fprintln(stderr, "densemcp: --stdio serves alone; drop --tcp and --http")
		return 2
	}

	opts := &densemcp.Options{
		Workers:        *f.workers,
		HandlerTimeout: *f.handlerTimeout,
		Engine: engine.Config{Loops: *f.loops, MaxLineBytes: *f.maxLine, MaxOutboundBytes: *f.maxOut, MaxConnections: *f.maxConns,
			HTTP: engine.HTTPConfig{
				Endpoint:       *endpoint,
				AllowedHosts:   splitList(*f.allowedHosts),
				AllowedOrigins: splitList(*f.allowedOrigins),
				CORSOrigins:    splitList(*f.corsOrigins),
				SessionIdleTTL: *f.sessionTTL,
				MaxSessions:    *f.maxSessions,
				ReplayEvents:   *f.replay,
			}},
		Logger: log,
	}
	for _, e := range serveExtensions {
		if e.apply == nil {
			continue
		}
		if err := e.apply(opts, log); err != nil {
			fmt.Fprintf(stderr, "densemcp: %s: %v\n", e.name, err)
			return 2
		}
	}
	onLoops := *tcp != "" || *httpAddr != ""
	if !*stdio && onLoops {
		// A bad or taken address is reported before anything starts.
		if err := engine.CheckListen(*tcp, *httpAddr, opts.Engine.ReusePort); err != nil {
			fmt.Fprintf(stderr, "densemcp: %v\n", err)
			return 1
		}
	}
	s := densemcp.NewServer(densemcp.Implementation{Name: "densemcp", Version: version}, opts)
	switch *f.fixtures {
	case "":
		err = fixtures.AddEcho(s)
	case "conformance":
		err = registerConformance(s)
	case fixtures.SetLoad:
		err = fixtures.AddLoad(s)
	default:
		fmt.Fprintf(stderr, "densemcp: unknown fixture set %q (known: conformance, load)\n", *f.fixtures)
		return 2
	}
	if err != nil {
		log.Error("cannot register tools", "err", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, e := range serveExtensions {
		if e.start == nil {
			continue
		}
		stopExt, err := e.start(ctx, s, log)
		if err != nil {
			log.Error("cannot start "+e.name, "err", err)
			return 1
		}
		if stopExt != nil {
			defer stopExt()
		}
	}
	if *stdio {
		log.Info("serving MCP on stdio")
		err = s.ServeStdio(ctx, stdin, stdout)
	} else if onLoops {
		// The engine logs "serving MCP" once every listener is bound.
		err = s.ListenAndServe(ctx, *tcp, *httpAddr)
	} else {
		<-ctx.Done() // a concern serves on its own listener
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error("server stopped", "err", err)
		return 1
	}
	log.Info("server stopped")
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

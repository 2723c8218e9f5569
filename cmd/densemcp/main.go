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
	"syscall"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/perf"
)

// version is the binary's serverInfo version.
const version = "0.1.0"

// defaultTCPAddr is where `densemcp serve` listens with no transport flag.
const defaultTCPAddr = "127.0.0.1:7070"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: densemcp <command> [flags]

commands:
  serve   run the MCP server (densemcp serve -h for flags)
  bench   load-generate against an MCP server on loopback (densemcp bench -h)
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
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "densemcp: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func serve(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tcp := fs.String("tcp", "", "serve newline-delimited JSON over TCP on `ADDR` (default "+defaultTCPAddr+" when no transport flag is given)")
	stdio := fs.Bool("stdio", false, "serve one session on stdin/stdout (logs go to stderr)")
	loops := fs.Int("loops", 0, "event loops, one shard each (default GOMAXPROCS)")
	maxLine := fs.Int("max-message-bytes", engine.DefaultMaxLineBytes, "largest accepted message in bytes")
	maxOut := fs.Int("max-outbound-bytes", engine.DefaultMaxOutboundBytes, "answers queued for one slow client before it is disconnected")
	workers := fs.Int("workers", 0, "goroutines for blocking handlers (default 4096)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "densemcp: bad --log-level %q\n", *logLevel)
		return 2
	}
	// Logs always go to stderr: on stdio, stdout carries only MCP messages.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	if *tcp == "" && !*stdio {
		*tcp = defaultTCPAddr
	}
	if *tcp != "" && *stdio {
		fmt.Fprintln(stderr, "densemcp: choose --tcp or --stdio, not both")
		return 2
	}

	s := densemcp.NewServer(densemcp.Implementation{Name: "densemcp", Version: version}, &densemcp.Options{
		Workers: *workers,
		Engine:  engine.Config{Loops: *loops, MaxLineBytes: *maxLine, MaxOutboundBytes: *maxOut},
		Logger:  log,
	})
	if err := registerEcho(s); err != nil {
		log.Error("cannot register the echo tool", "err", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *stdio {
		log.Info("serving MCP on stdio")
		err = s.ServeStdio(ctx, stdin, stdout)
	} else {
		log.Info("serving MCP over TCP (newline-delimited JSON)", "addr", *tcp)
		err = s.ServeTCP(ctx, *tcp)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error("server stopped", "err", err)
		return 1
	}
	log.Info("server stopped")
	return 0
}

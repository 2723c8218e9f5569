package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/pool"
	"github.com/densemcp/densemcp/router"
)

// The library's router and transport options that serve() does not set
// itself: protocol limits, HTTP limits, and the requestState keys (a file,
// watched for rotation).
func init() {
	var (
		instructions            string
		pageSize, subscriptions int
		listTTL, clientTimeout  time.Duration
		retryAfter              time.Duration
		keyFile                 string
		keyPoll                 time.Duration
		keyBytes                []byte // the key file as apply read it
		maxInbound              int
		maxHeader, maxBody      int
		hostCheck               string
		heartbeat               time.Duration
	)
	registerServeExtension(serveExtension{
		name: "options",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&instructions, "instructions", "", "`TEXT` sent to clients on how to use the server (initialize, server/discover)")
			fs.IntVar(&pageSize, "page-size", router.DefaultPageSize, "items per page of a list result")
			fs.DurationVar(&listTTL, "list-ttl", router.DefaultListTTLMs*time.Millisecond, "ttlMs of modern list and read results (0: immediately stale)")
			fs.DurationVar(&clientTimeout, "client-request-timeout", router.DefaultClientRequestTimeout, "how long a handler waits for the client to answer elicitation, sampling or roots (legacy sessions)")
			fs.IntVar(&subscriptions, "resource-subscriptions", router.DefaultResourceSubscriptions, "resources/subscribe URIs one legacy session may hold")
			fs.DurationVar(&retryAfter, "retry-after", pool.DefaultRetryAfter, "retry hint of a \"server busy\" refusal when every worker is busy")
			fs.StringVar(&keyFile, "state-key-file", "", "`FILE` of requestState signing keys, one per line (at least 32 bytes each; the first signs, all verify); replicas behind one load balancer share it")
			fs.DurationVar(&keyPoll, "state-key-poll", 10*time.Second, "how often --state-key-file is read again for rotated keys (0: once)")
			fs.IntVar(&maxInbound, "max-inbound-bytes", engine.DefaultMaxInboundBytes, "bytes read but not yet handled on one connection; past it the connection is closed")
			fs.IntVar(&maxHeader, "max-header-bytes", http1.DefaultMaxHeaderBytes, "largest HTTP request head (431 past it)")
			fs.IntVar(&maxBody, "max-body-bytes", http1.DefaultMaxBodyBytes, "largest HTTP request body (413 past it)")
			fs.StringVar(&hostCheck, "host-check", "auto", "Host/Origin validation: auto (on for loopback binds), on, off")
			fs.DurationVar(&heartbeat, "heartbeat", engine.DefaultHeartbeat, "interval of the comment an idle SSE stream gets")
		},
		apply: func(o *densemcp.Options, _ *slog.Logger) error {
			o.Instructions = instructions
			o.PageSize = pageSize
			o.ListTTL = listTTL
			if listTTL == 0 {
				o.ListTTL = -1 // the flag's 0 is "immediately stale", the option's is the default
			}
			o.ClientRequestTimeout = clientTimeout
			o.ResourceSubscriptionsPerSession = subscriptions
			o.RetryAfter = retryAfter
			o.Engine.MaxInboundBytes = maxInbound
			o.Engine.HTTP.MaxHeaderBytes = maxHeader
			o.Engine.HTTP.MaxBodyBytes = maxBody
			o.Engine.HTTP.Heartbeat = heartbeat
			switch hostCheck {
			case "auto":
			case "on", "off":
				on := hostCheck == "on"
				o.Engine.HTTP.HostCheck = &on
			default:
				return fmt.Errorf("--host-check %q: want auto, on or off", hostCheck)
			}
			for _, d := range []struct {
				name string
				v    time.Duration
			}{{"list-ttl", listTTL}, {"client-request-timeout", clientTimeout}, {"retry-after", retryAfter}, {"heartbeat", heartbeat}, {"state-key-poll", keyPoll}} {
				if d.v < 0 {
					return fmt.Errorf("--%s must not be negative", d.name)
				}
			}
			if keyFile != "" {
				b, err := os.ReadFile(keyFile)
				if err != nil {
					return fmt.Errorf("--state-key-file: %w", err)
				}
				keys, err := parseStateKeys(keyFile, b)
				if err != nil {
					return err
				}
				o.StateKeys, keyBytes = keys, b
			}
			return nil
		},
		start: func(ctx context.Context, s *densemcp.Server, log *slog.Logger) (func(), error) {
			if keyFile == "" || keyPoll <= 0 {
				return nil, nil
			}
			if fi, err := os.Stat(keyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
				log.Warn("the requestState key file is readable by others than its owner", "file", keyFile, "mode", fi.Mode().Perm().String())
			}
			ctx, cancel := context.WithCancel(ctx)
			go watchStateKeys(ctx, s, keyFile, keyBytes, keyPoll, log)
			return cancel, nil
		},
	})
}

// readStateKeys reads a requestState key file: one key per line, blank
// lines and lines starting with # ignored, surrounding spaces trimmed; each
// key is the line's bytes (e.g. `openssl rand -hex 32`).
func readStateKeys(file string) ([][]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--state-key-file: %w", err)
	}
	return parseStateKeys(file, b)
}

// parseStateKeys parses the content b of key file file.
func parseStateKeys(file string, b []byte) ([][]byte, error) {
	var keys [][]byte
	for i, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if len(line) < router.MinStateKeyBytes {
			return nil, fmt.Errorf("--state-key-file %s: line %d: a key needs at least %d bytes", file, i+1, router.MinStateKeyBytes)
		}
		keys = append(keys, line)
	}
	if len(keys) == 0 {
		return nil, errors.New("--state-key-file " + file + ": no key")
	}
	return keys, nil
}

// watchStateKeys rereads the key file every poll and installs what changed:
// the first key signs from then on; keys that disappear keep verifying for
// the lifetime of a requestState (router.RequestStateTTL).
func watchStateKeys(ctx context.Context, s *densemcp.Server, file string, last []byte, poll time.Duration, log *slog.Logger) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b, err := os.ReadFile(file)
		if err != nil || bytes.Equal(b, last) {
			if err != nil {
				log.Warn("cannot read the requestState key file; the keys in force stay", "file", file, "err", err)
			}
			continue
		}
		last = b
		keys, err := parseStateKeys(file, b)
		if err == nil {
			err = s.SetStateKeys(keys...)
		}
		if err != nil {
			log.Error("requestState key file rejected; the keys in force stay", "err", err)
			continue
		}
		log.Info("requestState keys rotated", "file", file, "keys", len(keys))
	}
}

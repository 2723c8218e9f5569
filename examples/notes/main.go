// Command notes is an example MCP server built with densemcp's public API:
// a typed tool, a resource template, a prompt, progress, an elicitation,
// logging middleware, and either transport — the server's own event loops
// or a net/http mux the program owns.
//
//	go run ./examples/notes                    # Streamable HTTP on http://127.0.0.1:8080/mcp, NDJSON on :7070
//	go run ./examples/notes --mux :8080        # the same through net/http, beside /healthz
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/densemcp/densemcp"
)

// notebook is the server's state: notes by name.
type notebook struct {
	mu    sync.Mutex
	notes map[string]string
}

// AddIn and AddOut are the add_note tool's arguments and result; their
// JSON Schemas are inferred.
type AddIn struct {
	Name string `json:"name" jsonschema:"the note's name"`
	Text string `json:"text" jsonschema:"what to write"`
}

type AddOut struct {
	Notes int `json:"notes" jsonschema:"how many notes there are now"`
}

func main() {
	httpAddr := flag.String("http", "127.0.0.1:8080", "Streamable HTTP on the event loops (empty: off)")
	tcpAddr := flag.String("tcp", "127.0.0.1:7070", "newline-delimited JSON over TCP (empty: off)")
	mux := flag.String("mux", "", "serve through net/http on this address instead, /mcp beside /healthz")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s := newServer(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *mux != "" {
		err = serveMux(ctx, s, *mux)
	} else {
		log.Info("serving", "http", *httpAddr, "tcp", *tcpAddr)
		err = s.ListenAndServe(ctx, *tcpAddr, *httpAddr) // returns once ctx ends and connections drained
	}
	if err != nil {
		log.Error("stopped", "err", err)
		os.Exit(1)
	}
}

func newServer(log *slog.Logger) *densemcp.Server {
	nb := &notebook{notes: map[string]string{"welcome": "Notes live in memory."}}
	s := densemcp.NewServer(densemcp.Implementation{Name: "notes", Version: "1.0.0"},
		&densemcp.Options{Instructions: "Keep notes: add_note writes one, notes://{name} reads it.", Logger: log})

	// Every request is logged with its duration and outcome.
	s.AddReceivingMiddleware(func(next densemcp.MethodHandler) densemcp.MethodHandler {
		return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) {
			start := time.Now()
			res, err := next(ctx, c)
			log.Debug("mcp", "method", c.Method(), "tool", c.ToolName(), "era", c.Era().String(), "took", time.Since(start), "err", err)
			return res, err
		}
	})

	must(densemcp.AddTool(s, &densemcp.Tool{Name: "add_note", Description: "Write a note", Inline: true},
		func(ctx context.Context, req *densemcp.Request, in AddIn) (AddOut, error) {
			if strings.TrimSpace(in.Name) == "" {
				return AddOut{}, errors.New("a note needs a name")
			}
			nb.mu.Lock()
			defer nb.mu.Unlock()
			nb.notes[in.Name] = in.Text
			return AddOut{Notes: len(nb.notes)}, nil
		}))

	// clear_notes asks the user first, and reports progress; it may wait for
	// the client, so it is not Inline (it runs on a worker).
	must(s.AddRawTool(&densemcp.Tool{Name: "clear_notes", Description: "Delete every note, after asking"},
		func(ctx context.Context, req *densemcp.Request, args json.RawMessage) error {
			ans, err := req.ElicitAs("confirm", &densemcp.ElicitParams{Message: "Delete every note?",
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"sure": map[string]any{"type": "boolean"}}}})
			if err != nil {
				return err // modern era: ErrInputRequired, the client asks and retries
			}
			if ans.Action != "accept" || ans.Content["sure"] != true {
				req.Result.AddText("kept")
				return nil
			}
			nb.mu.Lock()
			names := make([]string, 0, len(nb.notes))
			for n := range nb.notes {
				names = append(names, n)
			}
			sort.Strings(names)
			for i, n := range names {
				delete(nb.notes, n)
				req.Progress(float64(i+1), float64(len(names)), "deleted "+n)
			}
			nb.mu.Unlock()
			req.Log(densemcp.LevelInfo, "notes", map[string]any{"deleted": len(names)})
			req.Result.AddText("deleted every note")
			return nil
		}))

	must(s.AddResourceTemplate(&densemcp.ResourceTemplate{URITemplate: "notes://{name}", Name: "note", MimeType: "text/plain", Inline: true,
		Complete: func(ctx context.Context, req *densemcp.Request, arg, prefix string, _ map[string]string) ([]string, error) {
			nb.mu.Lock()
			defer nb.mu.Unlock()
			var out []string
			for n := range nb.notes {
				if strings.HasPrefix(n, prefix) {
					out = append(out, n)
				}
			}
			sort.Strings(out)
			return out, nil
		}},
		func(ctx context.Context, req *densemcp.Request, uri string, vars map[string]string) ([]densemcp.ResourceContents, error) {
			nb.mu.Lock()
			defer nb.mu.Unlock()
			text, ok := nb.notes[vars["name"]]
			if !ok {
				return nil, densemcp.ErrResourceNotFound
			}
			return []densemcp.ResourceContents{densemcp.TextContents(uri, "text/plain", text)}, nil
		}))

	must(s.AddPrompt(&densemcp.Prompt{Name: "summarize", Description: "Summarize the notes", Inline: true},
		func(ctx context.Context, req *densemcp.Request, _ map[string]string) (*densemcp.GetPromptResult, error) {
			nb.mu.Lock()
			defer nb.mu.Unlock()
			var b strings.Builder
			for n, t := range nb.notes {
				b.WriteString(n + ": " + t + "\n")
			}
			return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{
				{Role: "user", Content: densemcp.Text("Summarize these notes in one sentence:")},
				{Role: "user", Content: densemcp.EmbeddedResource(densemcp.TextContents("notes://all", "text/plain", b.String()))},
			}}, nil
		}))
	return s
}

// serveMux mounts the server on a net/http mux beside /healthz.
func serveMux(ctx context.Context, s *densemcp.Server, addr string) error {
	mux := http.NewServeMux()
	mux.Handle("/mcp", s.Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	hs := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

package densemcp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/densemcp/densemcp"
)

type GreetIn struct {
	Name string `json:"name" jsonschema:"who to greet"`
}

type GreetOut struct {
	Greeting string `json:"greeting"`
}

// The legacy handshake an example session starts with, and the _meta of a
// modern (2026-07-28) request.
const (
	exampleInit        = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"example","version":"1"}}}`
	exampleInitialized = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
	exampleModernMeta  = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}`
)

// exampleSession runs lines (JSON-RPC messages, as a client sends them)
// through s over stdio and prints what each message the server sends says.
func exampleSession(s *densemcp.Server, lines ...string) {
	var out bytes.Buffer
	if err := s.ServeStdio(context.Background(), strings.NewReader(strings.Join(lines, "\n")+"\n"), &out); err != nil {
		fmt.Println("serve:", err)
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		printMessage(sc.Bytes())
	}
}

// printMessage prints the gist of one message from the server.
func printMessage(line []byte) {
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			Progress float64 `json:"progress"`
			Total    float64 `json:"total"`
			Message  string  `json:"message"`
		} `json:"params"`
		Result struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
			IsError  bool `json:"isError"`
			Contents []struct {
				URI  string `json:"uri"`
				Text string `json:"text"`
			} `json:"contents"`
			Messages []struct {
				Role    string `json:"role"`
				Content struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"messages"`
			ResultType    string `json:"resultType"`
			InputRequests map[string]struct {
				Method string `json:"method"`
				Params struct {
					Message string `json:"message"`
				} `json:"params"`
			} `json:"inputRequests"`
		} `json:"result"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(line, &m); err != nil {
		fmt.Println("not JSON:", err)
		return
	}
	r := m.Result
	switch {
	case m.Method == "notifications/progress":
		fmt.Printf("progress %g/%g: %s\n", m.Params.Progress, m.Params.Total, m.Params.Message)
	case m.Method != "", m.ID == nil, string(m.ID) == "0":
		// other notifications, and the initialize answer
	case m.Error != nil:
		fmt.Printf("%s: error: %s\n", m.ID, m.Error.Message)
	case r.ResultType == "input_required":
		for key, in := range r.InputRequests {
			fmt.Printf("%s: input required: %s %s %q\n", m.ID, key, in.Method, in.Params.Message)
		}
	case len(r.Content) > 0:
		fmt.Printf("%s: %s (isError %v)\n", m.ID, r.Content[0].Text, r.IsError)
	case len(r.Contents) > 0:
		fmt.Printf("%s: %s = %s\n", m.ID, r.Contents[0].URI, r.Contents[0].Text)
	case len(r.Messages) > 0:
		for _, msg := range r.Messages {
			fmt.Printf("%s: %s: %s\n", m.ID, msg.Role, msg.Content.Text)
		}
	default:
		fmt.Printf("%s: %s\n", m.ID, line)
	}
}

// A typed tool: its input and output schemas are inferred from GreetIn
// and GreetOut, the arguments are validated against the input schema, and
// the returned value is the structured result (mirrored as JSON text).
func ExampleAddTool() {
	s := densemcp.NewServer(densemcp.Implementation{Name: "greeter", Version: "1.0.0"}, nil)
	err := densemcp.AddTool(s, &densemcp.Tool{Name: "greet", Description: "Greets someone", Inline: true},
		func(ctx context.Context, req *densemcp.Request, in GreetIn) (GreetOut, error) {
			if in.Name == "" {
				return GreetOut{}, errors.New("name is empty") // a result with isError
			}
			return GreetOut{Greeting: "hello, " + in.Name}, nil
		})
	if err != nil {
		panic(err)
	}
	exampleSession(s, exampleInit, exampleInitialized,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"name":"ada"}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"greet","arguments":{"name":""}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"greet","arguments":{"name":42}}}`)
	// Output:
	// 1: {"greeting":"hello, ada"} (isError false)
	// 2: name is empty (isError true)
	// 3: invalid arguments: /name: expected string, got number (isError true)
}

// A resource template: resources/read of any URI it matches runs the
// handler with the template's variables; an unknown one is
// ErrResourceNotFound.
func ExampleServer_AddResourceTemplate() {
	notes := map[string]string{"todo": "buy milk"}
	s := densemcp.NewServer(densemcp.Implementation{Name: "notes", Version: "1.0.0"}, nil)
	err := s.AddResourceTemplate(&densemcp.ResourceTemplate{URITemplate: "notes://{name}", Name: "note", MimeType: "text/plain", Inline: true},
		func(ctx context.Context, req *densemcp.Request, uri string, vars map[string]string) ([]densemcp.ResourceContents, error) {
			text, ok := notes[vars["name"]]
			if !ok {
				return nil, densemcp.ErrResourceNotFound
			}
			return []densemcp.ResourceContents{densemcp.TextContents(uri, "text/plain", text)}, nil
		})
	if err != nil {
		panic(err)
	}
	exampleSession(s, exampleInit, exampleInitialized,
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"notes://todo"}}`,
		`{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"notes://nope"}}`)
	// Output:
	// 1: notes://todo = buy milk
	// 2: error: Resource not found
}

// A prompt with a required argument; its messages are built with the
// content constructors.
func ExampleServer_AddPrompt() {
	s := densemcp.NewServer(densemcp.Implementation{Name: "prompts", Version: "1.0.0"}, nil)
	err := s.AddPrompt(&densemcp.Prompt{Name: "review", Description: "Review a change", Inline: true,
		Arguments: []densemcp.PromptArgument{{Name: "diff", Required: true}}},
		func(ctx context.Context, req *densemcp.Request, args map[string]string) (*densemcp.GetPromptResult, error) {
			return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{
				{Role: "user", Content: densemcp.Text("Review this change:")},
				{Role: "user", Content: densemcp.Text(args["diff"])},
			}}, nil
		})
	if err != nil {
		panic(err)
	}
	exampleSession(s, exampleInit, exampleInitialized,
		`{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"review","arguments":{"diff":"- a\n+ b"}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"review"}}`)
	// Output:
	// 1: user: Review this change:
	// 1: user: - a
	// + b
	// 2: error: invalid prompt arguments: missing required argument "diff"
}

// Progress notifications go to the client that asked for them with a
// progressToken, before the answer.
func ExampleRequest_Progress() {
	s := densemcp.NewServer(densemcp.Implementation{Name: "worker", Version: "1.0.0"}, nil)
	err := s.AddRawTool(&densemcp.Tool{Name: "index", Inline: true},
		func(ctx context.Context, req *densemcp.Request, args json.RawMessage) error {
			for i := 1; i <= 3; i++ {
				req.Progress(float64(i), 3, fmt.Sprintf("file %d", i))
			}
			req.Result.AddText("indexed 3 files")
			return nil
		})
	if err != nil {
		panic(err)
	}
	exampleSession(s, exampleInit, exampleInitialized,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"index","_meta":{"progressToken":"p1"}}}`)
	// Output:
	// progress 1/3: file 1
	// progress 2/3: file 2
	// progress 3/3: file 3
	// 1: indexed 3 files (isError false)
}

// Elicitation in the modern era: the first call answers input_required
// with the question; the client asks its user and retries with the answer,
// which the handler then finds. (In the legacy era the same Elicit sends
// elicitation/create and waits: register such a tool without Inline.)
func ExampleRequest_Elicit() {
	s := densemcp.NewServer(densemcp.Implementation{Name: "deployer", Version: "1.0.0"}, nil)
	err := s.AddRawTool(&densemcp.Tool{Name: "deploy", Inline: true},
		func(ctx context.Context, req *densemcp.Request, args json.RawMessage) error {
			ans, err := req.ElicitAs("confirm", &densemcp.ElicitParams{Message: "Deploy to production?",
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"ok": map[string]any{"type": "boolean"}}}})
			if err != nil {
				return err // ErrInputRequired: the client is asked
			}
			if ans.Action != "accept" || ans.Content["ok"] != true {
				req.Result.AddText("not deployed")
				return nil
			}
			req.Result.AddText("deployed")
			return nil
		})
	if err != nil {
		panic(err)
	}
	exampleSession(s,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"deploy",`+exampleModernMeta+`}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"deploy","inputResponses":{"confirm":{"action":"accept","content":{"ok":true}}},`+exampleModernMeta+`}}`)
	// Output:
	// 1: input required: confirm elicitation/create "Deploy to production?"
	// 2: deployed (isError false)
}

// Mounting on a net/http mux beside the program's own routes; the host
// owns TLS, authentication and routing.
func ExampleServer_Handler() {
	s := densemcp.NewServer(densemcp.Implementation{Name: "mounted", Version: "1.0.0"}, nil)
	err := densemcp.AddTool(s, &densemcp.Tool{Name: "greet", Inline: true},
		func(ctx context.Context, req *densemcp.Request, in GreetIn) (GreetOut, error) {
			return GreetOut{Greeting: "hello, " + in.Name}, nil
		})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", s.Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	hs := httptest.NewServer(mux) // in production: http.ListenAndServeTLS(addr, cert, key, mux)
	defer hs.Close()

	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"name":"ada"},` + exampleModernMeta + `}}`
	req, _ := http.NewRequest("POST", hs.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", "greet")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	printMessage(answer)
	// Output:
	// 200 application/json
	// 1: {"greeting":"hello, ada"} (isError false)
}

// Graceful shutdown: when ctx ends, ListenAndServe (and ServeListeners)
// stop accepting, let running handlers answer within a grace period, then
// close every connection and return.
func ExampleServer_ServeListeners() {
	started := make(chan struct{})
	s := densemcp.NewServer(densemcp.Implementation{Name: "graceful", Version: "1.0.0"}, nil)
	err := s.AddRawTool(&densemcp.Tool{Name: "slow"}, func(ctx context.Context, req *densemcp.Request, args json.RawMessage) error {
		close(started)
		time.Sleep(100 * time.Millisecond) // work that finishes during the shutdown
		req.Result.AddText("finished")
		return nil
	})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	// In a program: ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeListeners(ctx, ln, nil) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	fmt.Fprintln(c, exampleInit)
	r.ReadBytes('\n')
	fmt.Fprintln(c, exampleInitialized)
	fmt.Fprintln(c, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}`)
	<-started
	stop() // SIGTERM
	answer, _ := r.ReadBytes('\n')
	printMessage(answer)
	fmt.Println("server returned:", <-done)
	// Output:
	// 1: finished (isError false)
	// server returned: <nil>
}

// Graceful shutdown with Server.Shutdown, as a SIGTERM handler calls it:
// the call already running is answered, a request that arrives while the
// server drains is refused (-32000 with data.reason "shutdown", so the
// client retries on another instance), and serving returns nil.
func ExampleServer_Shutdown() {
	started, release := make(chan struct{}), make(chan struct{})
	s := densemcp.NewServer(densemcp.Implementation{Name: "draining", Version: "1.0.0"}, nil)
	err := s.AddRawTool(&densemcp.Tool{Name: "slow"}, func(ctx context.Context, req *densemcp.Request, args json.RawMessage) error {
		close(started)
		<-release // work that finishes during the drain
		req.Result.AddText("finished")
		return nil
	})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.ServeListeners(context.Background(), ln, nil) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	fmt.Fprintln(c, exampleInit)
	r.ReadBytes('\n')
	fmt.Fprintln(c, exampleInitialized)
	fmt.Fprintln(c, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}`)
	<-started

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // the drain's budget
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	for s.Ready() != densemcp.ErrDraining { // what /readyz reports to the load balancer
		time.Sleep(time.Millisecond)
	}
	fmt.Fprintln(c, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow"}}`)
	refusal, _ := r.ReadBytes('\n')
	printMessage(refusal)
	close(release)
	answer, _ := r.ReadBytes('\n')
	printMessage(answer)
	fmt.Println("Shutdown:", <-shut)
	fmt.Println("serving returned:", <-served)
	// Output:
	// 2: error: server shutting down, retry on another instance
	// 1: finished (isError false)
	// Shutdown: <nil>
	// serving returned: <nil>
}

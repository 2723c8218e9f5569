package router

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// recorder is a Transport that keeps every message.
type recorder struct{ msgs []string }

func (r *recorder) Send(_ MsgKind, _, msg []byte) { r.msgs = append(r.msgs, string(msg)) }

func (r *recorder) last() string {
	if len(r.msgs) == 0 {
		return ""
	}
	return r.msgs[len(r.msgs)-1]
}

// hookEnv is a router with one session on an inbox shard the test drives.
type hookEnv struct {
	t     *testing.T
	r     *Router
	in    *shards.Inbox
	s     *Session
	out   *recorder
	dec   codec.Decoder
	m     codec.Message
	calls chan string // tools/call handler runs
}

func newHookEnv(t *testing.T) *hookEnv {
	t.Helper()
	r, _, _ := newBenchRouter(t)
	e := &hookEnv{t: t, r: r, in: shards.NewInbox(64), out: &recorder{}, calls: make(chan string, 16)}
	err := r.AddTool(Tool{Name: "slow", Inline: false}, func(req *Request, _ []byte) error {
		e.calls <- "slow"
		req.Progress(1, 2, "half")
		if v, _ := req.Context().Value(ctxKey{}).(string); v != "" {
			req.Result.AddText(v)
		} else {
			req.Result.AddText("slow done")
		}
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	e.s = r.NewSession(r.NewShard(e.in), e.out)
	return e
}

type ctxKey struct{}

func noopHook(ctx context.Context, c *Call) ([]byte, error) { return c.Continue(ctx) }

func (e *hookEnv) send(line string) {
	e.t.Helper()
	handleLine(e.r, e.s, &e.dec, &e.m, []byte(line))
}

// await runs the shard's posted tasks until the session has sent n
// messages in all.
func (e *hookEnv) await(n int) {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	for len(e.out.msgs) < n {
		select {
		case fn := <-e.in.C:
			fn()
		case <-deadline:
			e.t.Fatalf("waited for %d messages, have %q", n, e.out.msgs)
		}
	}
}

func (e *hookEnv) initLegacy() {
	e.t.Helper()
	e.send(string(lineInit))
	e.send(string(lineInitialized))
}

// The receiving hook sees every request and notification in order, with
// the outcome the router answers with, and the answers are those of a
// router without hooks.
func TestReceiveHookSeesEveryMessage(t *testing.T) {
	e := newHookEnv(t)
	var seen []string
	e.r.SetHooks(&Hooks{Receive: func(ctx context.Context, c *Call) ([]byte, error) {
		res, err := c.Continue(ctx)
		kind := "request"
		if c.ID() == nil {
			kind = "notification"
		}
		out := string(res)
		if err != nil {
			out = "error: " + err.Error()
		}
		seen = append(seen, kind+" "+c.Method()+" "+c.Era().String()+" -> "+out)
		return res, err
	}})
	e.initLegacy()
	e.send(string(lineCall))
	if got := e.out.last(); got != wantCallAnswer {
		t.Fatalf("hooked inline call answered %s", got)
	}
	e.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"nope"}}`)
	e.send(`{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	if got := e.out.last(); got != `{"jsonrpc":"2.0","id":3,"result":{}}` {
		t.Fatalf("ping answered %s", got)
	}
	want := []string{
		`request initialize legacy -> {"protocolVersion":"2025-11-25"`,
		`notification notifications/initialized legacy -> `,
		`request tools/call legacy -> {"content":[{"type":"text","text":"hello, world"}],"structuredContent":{"text":"hello, world"}}`,
		`request tools/call legacy -> error: Unknown tool: nope`,
		`request ping legacy -> {}`,
	}
	if len(seen) != len(want) {
		t.Fatalf("hook saw %d messages, want %d: %q", len(seen), len(want), seen)
	}
	for i := range want {
		if !strings.HasPrefix(seen[i], want[i]) {
			t.Errorf("message %d: saw %q, want prefix %q", i, seen[i], want[i])
		}
	}
	if !strings.Contains(e.out.msgs[2], `"code":-32602`) {
		t.Fatalf("unknown tool through the hook answered %s", e.out.msgs[2])
	}
}

// A hook that returns an error refuses the request: the handler does not
// run, a protocol method has no effect, and the client gets the error.
func TestReceiveHookRefuses(t *testing.T) {
	e := newHookEnv(t)
	refuse := map[string]bool{"initialize": true}
	e.r.SetHooks(&Hooks{Receive: func(ctx context.Context, c *Call) ([]byte, error) {
		if refuse[c.Method()] || c.ToolName() == "slow" {
			return nil, &RPCError{Code: codec.CodeForbidden, Message: "forbidden: " + c.Method()}
		}
		return c.Continue(ctx)
	}})
	e.send(string(lineInit))
	if got := e.out.last(); got != `{"jsonrpc":"2.0","id":0,"error":{"code":-32010,"message":"forbidden: initialize"}}` {
		t.Fatalf("refused initialize answered %s", got)
	}
	if e.s.initAnswer {
		t.Fatal("a refused initialize still initialized the session")
	}
	delete(refuse, "initialize")
	e.initLegacy()
	e.send(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"slow"}}`)
	e.await(3) // refused on the worker, around the handler
	if got := e.out.last(); got != `{"jsonrpc":"2.0","id":5,"error":{"code":-32010,"message":"forbidden: tools/call"}}` {
		t.Fatalf("refused call answered %s", got)
	}
	select {
	case <-e.calls:
		t.Fatal("the handler of a refused call ran")
	case <-time.After(50 * time.Millisecond):
	}
	// A refused notification is dropped.
	refuse["notifications/cancelled"] = true
	n := len(e.out.msgs)
	e.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}}`)
	if len(e.out.msgs) != n {
		t.Fatalf("a refused notification was answered: %q", e.out.msgs[n:])
	}
}

// A blocking handler's hook runs on the worker, around the handler: the
// context it passes on is the handler's, and the sending hook sees the
// progress the handler sends.
func TestHooksAroundPooledHandler(t *testing.T) {
	e := newHookEnv(t)
	var sent []string
	e.r.SetHooks(&Hooks{
		Receive: func(ctx context.Context, c *Call) ([]byte, error) {
			if c.ToolName() == "slow" {
				ctx = context.WithValue(ctx, ctxKey{}, "from middleware")
			}
			return c.Continue(ctx)
		},
		Send: func(ctx context.Context, c *Call) ([]byte, error) {
			sent = append(sent, c.Method()+" "+string(c.Params()))
			if strings.Contains(string(c.Params()), "drop me") {
				return nil, errors.New("dropped")
			}
			return c.Continue(ctx)
		},
	})
	e.initLegacy()
	e.send(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"slow","_meta":{"progressToken":"p"}}}`)
	e.await(3) // initialize, progress, answer
	if got := e.out.msgs[1]; !strings.Contains(got, `"method":"notifications/progress"`) {
		t.Fatalf("progress: %s", got)
	}
	if got := e.out.last(); got != `{"jsonrpc":"2.0","id":9,"result":{"content":[{"type":"text","text":"from middleware"}]}}` {
		t.Fatalf("pooled call through the hook answered %s", got)
	}
	if len(sent) != 1 || !strings.HasPrefix(sent[0], `notifications/progress {"progressToken":"p","progress":1`) {
		t.Fatalf("sending hook saw %q", sent)
	}
	// list_changed is unrelated to any request; the hook can drop it.
	if err := e.r.AddTool(Tool{Name: "late", Description: "drop me", Inline: true}, echoInline, false); err != nil {
		t.Fatal(err)
	}
	e.await(4)
	if got := e.out.last(); got != `{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}` {
		t.Fatalf("list_changed: %s", got)
	}
	if len(sent) != 2 || sent[1] != "notifications/tools/list_changed " {
		t.Fatalf("sending hook saw %q", sent)
	}
}

// What a hook returns is the answer: a changed result, a tool error, or an
// internal error for a result that is not JSON or for no outcome at all; a
// panicking hook fails its request and leaves the loop serving.
func TestReceiveHookOutcomes(t *testing.T) {
	e := newHookEnv(t)
	var mode string
	e.r.SetHooks(&Hooks{Receive: func(ctx context.Context, c *Call) ([]byte, error) {
		if c.Method() != "tools/call" || c.ToolName() == "nope" {
			return c.Continue(ctx)
		}
		switch mode {
		case "replace":
			return []byte(`{"content":[]}`), nil
		case "tool error":
			return c.ToolError("rate limited"), nil
		case "not json":
			return []byte(`{"content":`), nil
		case "nothing":
			return nil, nil
		case "panic":
			panic("middleware bug")
		case "twice":
			_, _ = c.Continue(ctx)
			return c.Continue(ctx)
		}
		return c.Continue(ctx)
	}})
	e.initLegacy()
	f := func(m, want string) {
		t.Helper()
		mode = m
		e.send(string(lineCall))
		if got := e.out.last(); got != want {
			t.Fatalf("%s: answered %s, want %s", m, got, want)
		}
	}
	f("replace", `{"jsonrpc":"2.0","id":42,"result":{"content":[]}}`)
	// A lookup that fails after a call the hook did not continue.
	e.send(`{"jsonrpc":"2.0","id":44,"method":"tools/call","params":{"name":"nope"}}`)
	if got := e.out.last(); got != `{"jsonrpc":"2.0","id":44,"error":{"code":-32602,"message":"Unknown tool: nope"}}` {
		t.Fatalf("unknown tool after a replaced call: %s", got)
	}
	f("tool error", `{"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":"rate limited"}],"isError":true}}`)
	f("not json", `{"jsonrpc":"2.0","id":42,"error":{"code":-32603,"message":"internal error: the middleware returned a result that is not valid JSON"}}`)
	f("nothing", `{"jsonrpc":"2.0","id":42,"error":{"code":-32603,"message":"internal error: the middleware returned neither a result nor an error"}}`)
	f("panic", `{"jsonrpc":"2.0","id":42,"error":{"code":-32603,"message":"internal error: a middleware panicked"}}`)
	f("twice", `{"jsonrpc":"2.0","id":42,"error":{"code":-32603,"message":"internal error: middleware called next twice"}}`)
	f("", wantCallAnswer)
	// A handler's panic unwinds through the middleware and fails the call.
	if err := e.r.AddTool(Tool{Name: "boom", Inline: true}, func(*Request, []byte) error { panic("handler bug") }, false); err != nil {
		t.Fatal(err)
	}
	e.await(len(e.out.msgs) + 1) // tools/list_changed
	e.send(`{"jsonrpc":"2.0","id":43,"method":"tools/call","params":{"name":"boom"}}`)
	if got := e.out.last(); got != `{"jsonrpc":"2.0","id":43,"error":{"code":-32603,"message":"internal error: the handler panicked"}}` {
		t.Fatalf("panicking handler under a hook answered %s", got)
	}
	e.send(`{"jsonrpc":"2.0","id":"p","method":"ping"}`)
	if got := e.out.last(); got != `{"jsonrpc":"2.0","id":"p","result":{}}` {
		t.Fatalf("after the hook's panic: %s", got)
	}
}

// Hooks see the modern era too, with the era's own result fields.
func TestReceiveHookModern(t *testing.T) {
	e := newHookEnv(t)
	var methods []string
	e.r.SetHooks(&Hooks{Receive: func(ctx context.Context, c *Call) ([]byte, error) {
		methods = append(methods, c.Method()+"/"+c.Era().String())
		if string(c.Arguments()) == `{"text":"no"}` {
			return c.ToolError("refused"), nil
		}
		return c.Continue(ctx)
	}})
	e.send(string(lineCallModern))
	if !strings.Contains(e.out.last(), `"text":"hello, world"`) || !strings.Contains(e.out.last(), `"resultType":"complete"`) {
		t.Fatalf("modern call through the hook: %s", e.out.last())
	}
	e.send(strings.Replace(string(lineCallModern), `"hello, world"`, `"no"`, 1))
	if got := e.out.last(); !strings.Contains(got, `"isError":true,"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo"`) {
		t.Fatalf("modern tool error: %s", got)
	}
	if strings.Join(methods, ",") != "tools/call/modern,tools/call/modern" {
		t.Fatalf("hook saw %v", methods)
	}
}

// The per-shard Call is reused, and begin resets only what a later step
// reads: what a hook sees of a message (method, tool, arguments, id) and
// the outcome it continues with never come from the message before, and a
// hook that answers on its own after one that passed a result through
// sends its own answer.
func TestHookCallKeepsNothingOfTheMessageBefore(t *testing.T) {
	e := newHookEnv(t)
	var seen []string
	short := false
	e.r.SetHooks(&Hooks{Receive: func(ctx context.Context, c *Call) ([]byte, error) {
		if c.Method() == "notifications/initialized" || c.Method() == "initialize" {
			return c.Continue(ctx)
		}
		seen = append(seen, c.Method()+" tool="+c.ToolName()+" args="+string(c.Arguments())+" id="+string(c.ID()))
		if short {
			return []byte(`{"short":true}`), nil
		}
		return c.Continue(ctx)
	}})
	e.initLegacy()
	e.send(string(lineCall)) // held, run and passed through
	if got := e.out.last(); got != wantCallAnswer {
		t.Fatalf("call answered %s", got)
	}
	e.send(`{"jsonrpc":"2.0","id":5,"method":"prompts/get","params":{"name":"none","arguments":{"p":"1"}}}`) // lookup fails
	if got := e.out.last(); !strings.Contains(got, `"id":5,"error"`) {
		t.Fatalf("unknown prompt answered %s", got)
	}
	e.send(`{"jsonrpc":"2.0","id":6,"method":"ping"}`) // routed in Continue after a captured error
	if got := e.out.last(); got != `{"jsonrpc":"2.0","id":6,"result":{}}` {
		t.Fatalf("ping after an error answered %s", got)
	}
	e.send(`{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}`)
	short = true
	e.send(string(lineCall))
	if got := e.out.last(); got != `{"jsonrpc":"2.0","id":42,"result":{"short":true}}` {
		t.Fatalf("a hook's own answer after a passed-through one: %s", got)
	}
	if len(e.out.msgs) != 5 { // initialize, 4 answers, none to the notification
		t.Fatalf("sent %d messages: %q", len(e.out.msgs), e.out.msgs)
	}
	want := []string{
		`tools/call tool=echo args={"text":"hello, world"} id=42`,
		`prompts/get tool= args={"p":"1"} id=5`,
		`ping tool= args= id=6`,
		`notifications/roots/list_changed tool= args= id=`,
		`tools/call tool=echo args={"text":"hello, world"} id=42`,
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the hook saw\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

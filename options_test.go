package densemcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
)

// The router options reach the wire through densemcp.Options: list ttlMs,
// the resource subscription limit, the client-request timeout, the busy
// retry hint, and shared requestState keys.
func TestRouterOptions(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	key := bytes.Repeat([]byte("k"), 32)
	opts := &densemcp.Options{
		ListTTL:                         1500 * time.Millisecond,
		ResourceSubscriptionsPerSession: 2,
		ClientRequestTimeout:            200 * time.Millisecond,
		RetryAfter:                      250 * time.Millisecond,
		Workers:                         1,
		StateKeys:                       [][]byte{key},
		Instructions:                    "be brief",
	}
	setup := func(s *densemcp.Server) {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.AddRawTool(&densemcp.Tool{Name: "block"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			<-release
			return nil
		}))
		must(s.AddRawTool(&densemcp.Tool{Name: "ask"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			_, err := req.Elicit(&densemcp.ElicitParams{Message: "?"})
			if err != nil {
				req.Result.AddText("elicit: " + err.Error())
			}
			return nil
		}))
		must(s.AddRawTool(&densemcp.Tool{Name: "confirm", Inline: true}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			a, err := req.ElicitAs("ok", &densemcp.ElicitParams{Message: "sure?"})
			if err != nil {
				return err
			}
			req.Result.AddText(a.Action)
			return nil
		}))
	}
	s := newTestServer(t, opts, setup)
	addr := serveTCP(t, s)

	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}`
	m := dialLines(t, addr)
	if got := m.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{` + meta + `}}`); !strings.Contains(got, `"ttlMs":1500`) {
		t.Fatalf("tools/list ttlMs: %s", got)
	}
	if got := m.roundTrip(`{"jsonrpc":"2.0","id":2,"method":"server/discover","params":{` + meta + `}}`); !strings.Contains(got, `"instructions":"be brief"`) {
		t.Fatalf("server/discover instructions: %s", got)
	}

	l := dialLines(t, addr)
	l.send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"raw","version":"1"}}}` + "\n")
	l.recv()
	l.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	for i, uri := range []string{"a://1", "a://2", "a://3"} {
		got := l.roundTrip(`{"jsonrpc":"2.0","id":` + string(rune('1'+i)) + `,"method":"resources/subscribe","params":{"uri":"` + uri + `"}}`)
		if wantErr := i == 2; strings.Contains(got, `"error"`) != wantErr {
			t.Fatalf("subscription %d of a limit of 2: %s", i+1, got)
		}
	}
	// The client never answers the elicitation: the handler's wait ends
	// after ClientRequestTimeout.
	l.send(`{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"ask"}}` + "\n")
	if got := l.recv(); !strings.Contains(got, `"method":"elicitation/create"`) {
		t.Fatalf("want the elicitation request, got %s", got)
	}
	if got := l.recv(); !strings.Contains(got, "elicit: the client did not answer in time") {
		t.Fatalf("unanswered elicitation: %s", got)
	}
	// One worker: while it blocks, another blocking call is refused with
	// the configured retry hint.
	l.send(`{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"block"}}` + "\n")
	waitFor(t, "a second blocking call refused", func() bool {
		got := l.roundTrip(`{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"block"}}`)
		return strings.Contains(got, `"retryAfterMs":250`)
	})

	// A replica with the same key opens this server's requestState.
	replica := newTestServer(t, &densemcp.Options{StateKeys: [][]byte{key}}, setup)
	r := dialLines(t, serveTCP(t, replica))
	first := decodeAnswer(t, m.roundTrip(`{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"confirm",`+meta+`}}`))
	_, state, ok := strings.Cut(string(first.Result), `"requestState":"`)
	if !ok {
		t.Fatalf("no requestState: %s", first.Result)
	}
	state, _, _ = strings.Cut(state, `"`)
	got := r.roundTrip(`{"jsonrpc":"2.0","id":21,"method":"tools/call","params":{"name":"confirm","inputResponses":{"ok":{"action":"accept"}},"requestState":"` + state + `",` + meta + `}}`)
	if !strings.Contains(got, `"text":"accept"`) {
		t.Fatalf("the replica did not open the state: %s", got)
	}
	if err := s.SetStateKeys([]byte("too short")); err == nil {
		t.Fatal("SetStateKeys took a short key")
	}
}

package densemcp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/densemcp/densemcp"
)

// Every modern result carries resultType; lists and reads carry the caching
// fields; results are otherwise identical to the legacy era's.
func TestModernResultsMatchLegacyApartFromEraFields(t *testing.T) {
	s := featureServer(t)
	addr := serveTCP(t, s)
	legacy := dialLines(t, addr)
	legacy.initLegacy()
	modern := dialLines(t, addr)
	strip := func(raw json.RawMessage) (map[string]any, map[string]any) {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		era := map[string]any{}
		for _, k := range []string{"resultType", "ttlMs", "cacheScope", "_meta"} {
			if v, ok := m[k]; ok {
				era[k] = v
				delete(m, k)
			}
		}
		return m, era
	}
	f := func(method, params string, cacheable bool) {
		t.Helper()
		mp := params
		if mp == "" {
			mp = "{" + modernMeta + "}"
		} else {
			mp = strings.TrimSuffix(params, "}") + "," + modernMeta + "}"
		}
		if params == "" {
			params = "{}"
		}
		a := decodeAnswer(t, legacy.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"`+method+`","params":`+params+`}`))
		b := decodeAnswer(t, modern.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"`+method+`","params":`+mp+`}`))
		if a.Error != nil || b.Error != nil {
			t.Fatalf("%s: %+v / %+v", method, a.Error, b.Error)
		}
		la, lera := strip(a.Result)
		mb, mera := strip(b.Result)
		if len(lera) != 0 {
			t.Fatalf("%s: legacy result carries modern fields %v", method, lera)
		}
		if mera["resultType"] != "complete" {
			t.Fatalf("%s: modern result without resultType: %s", method, b.Result)
		}
		_, hasTTL := mera["ttlMs"]
		if hasTTL != cacheable || (cacheable && mera["cacheScope"] == nil) {
			t.Fatalf("%s: caching fields %v, want present=%v", method, mera, cacheable)
		}
		x, _ := json.Marshal(la)
		y, _ := json.Marshal(mb)
		if string(x) != string(y) {
			t.Fatalf("%s differs across eras:\nlegacy %s\nmodern %s", method, x, y)
		}
	}
	f("tools/list", "", true)
	f("resources/list", "", true)
	f("resources/templates/list", "", true)
	f("resources/read", `{"uri":"test://text"}`, true)
	f("resources/read", `{"uri":"test://items/7"}`, true)
	f("prompts/list", "", true)
	f("prompts/get", `{"name":"greet","arguments":{"who":"x"}}`, false)
	f("completion/complete", `{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"who","value":"a"}}`, false)
	f("tools/call", `{"name":"echo","arguments":{"text":"same"}}`, false)
}

// A requestState the client altered is rejected; the genuine one works.
func TestModernTamperedRequestState(t *testing.T) {
	s := newTestServer(t, nil, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "confirm", Inline: true}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			a, err := req.ElicitAs("first", &densemcp.ElicitParams{Message: "one?"})
			if err != nil {
				return err
			}
			b, err := req.ElicitAs("second", &densemcp.ElicitParams{Message: "two?"})
			if err != nil {
				return err
			}
			req.Result.AddText(a.Action + "+" + b.Action)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	l := dialLines(t, serveTCP(t, s))
	meta := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}`
	call := func(extra string) rpcAnswer {
		return decodeAnswer(t, l.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"confirm",`+extra+meta+`}}`))
	}
	var r1 struct {
		ResultType    string                     `json:"resultType"`
		InputRequests map[string]json.RawMessage `json:"inputRequests"`
		RequestState  string                     `json:"requestState"`
	}
	a := call("")
	if err := json.Unmarshal(a.Result, &r1); err != nil || r1.ResultType != "input_required" || r1.InputRequests["first"] == nil || r1.RequestState == "" {
		t.Fatalf("round 1: %s %+v", a.Result, a.Error)
	}
	// Round 2 carries the first answer; round 3 needs round 2's state.
	a = call(`"inputResponses":{"first":{"action":"accept"}},"requestState":"` + r1.RequestState + `",`)
	var r2 = r1
	if err := json.Unmarshal(a.Result, &r2); err != nil || r2.InputRequests["second"] == nil || r2.RequestState == r1.RequestState {
		t.Fatalf("round 2: %s", a.Result)
	}
	for _, bad := range []string{r2.RequestState + "-TAMPERED", "x" + r2.RequestState[1:], r1.RequestState} {
		a = call(`"inputResponses":{"second":{"action":"decline"}},"requestState":"` + bad + `",`)
		if bad == r1.RequestState {
			// An older genuine state lacks the first answer: asked again.
			if a.Error != nil || !strings.Contains(string(a.Result), "input_required") {
				t.Fatalf("stale state: %s %+v", a.Result, a.Error)
			}
			continue
		}
		if a.Error == nil || a.Error.Code != -32602 {
			t.Fatalf("tampered state %q accepted: %s", bad[:10], a.Result)
		}
	}
	a = call(`"inputResponses":{"second":{"action":"decline"}},"requestState":"` + r2.RequestState + `",`)
	if a.Error != nil || !strings.Contains(string(a.Result), `accept+decline`) {
		t.Fatalf("round 3: %s %+v", a.Result, a.Error)
	}
	// A malformed answer is a protocol error, not a completed call.
	a = call(`"inputResponses":{"first":12345},`)
	if a.Error == nil || a.Error.Code != -32602 {
		t.Fatalf("non-object input response: %s", a.Result)
	}
}

// Modern logging is per request: nothing without _meta logLevel, and only
// levels at or above it with it. traceparent reaches the handler.
func TestModernLoggingAndTraceContext(t *testing.T) {
	traces := make(chan string, 2)
	s := newTestServer(t, nil, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "logs", Inline: true}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			traces <- req.TraceParent()
			req.Log(densemcp.LevelDebug, "", "d")
			req.Log(densemcp.LevelWarning, "", "w")
			req.Result.AddText("ok")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	l := dialLines(t, serveTCP(t, s))
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	got := l.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"logs","_meta":{"traceparent":"` + tp + `","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`)
	if trace := <-traces; !strings.Contains(got, `"id":1,"result"`) || trace != tp {
		t.Fatalf("without logLevel the first line must be the answer: %s (trace %q)", got, trace)
	}
	l.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"logs","_meta":{"io.modelcontextprotocol/logLevel":"info","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}` + "\n")
	first, second := l.recv(), l.recv()
	if !strings.Contains(first, `"method":"notifications/message"`) || !strings.Contains(first, `"level":"warning"`) || !strings.Contains(second, `"id":2,"result"`) {
		t.Fatalf("with logLevel info: %s then %s", first, second)
	}
}

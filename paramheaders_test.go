package densemcp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// headerServer has one tool whose region (string), priority (integer),
// debug (boolean) and cfg.zone (nested string) are mirrored into
// Mcp-Param-* headers (SEP-2243).
func headerServer(t *testing.T) *densemcp.Server {
	return newTestServer(t, nil, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "route", Inline: true, InputSchema: json.RawMessage(`{"type":"object","properties":{` +
			`"region":{"type":"string","x-mcp-header":"Region"},` +
			`"priority":{"type":"integer","x-mcp-header":"Priority"},` +
			`"debug":{"type":"boolean","x-mcp-header":"Debug"},` +
			`"cfg":{"type":"object","properties":{"zone":{"type":"string","x-mcp-header":"Zone"}}},` +
			`"query":{"type":"string"}},"required":["region"]}`)},
			func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
				req.Result.AddTextBytes(args)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Every row of the spec's server-behaviour table, on the wire: a header
// that matches (plain, Base64 sentinel, numeric forms) is accepted; a
// missing, different, badly encoded or unexpected one gets HTTP 400 with
// -32020 HeaderMismatch.
func TestParamHeadersValidated(t *testing.T) {
	url := serveHTTP(t, headerServer(t))
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	call := func(args string, headers ...string) (int, string) {
		t.Helper()
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"route","arguments":` + args + `,` + modernMeta + `}}`
		h := append([]string{"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: route"}, headers...)
		resp, got := rawHTTP(t, url, post(host, body, h...))
		return resp.StatusCode, got
	}
	accept := func(args string, headers ...string) {
		t.Helper()
		status, body := call(args, headers...)
		if status != 200 || !strings.Contains(body, `"result"`) || strings.Contains(body, `"isError":true`) {
			t.Fatalf("%s %v: %d %s, want a result", args, headers, status, body)
		}
	}
	reject := func(args, why string, headers ...string) {
		t.Helper()
		status, body := call(args, headers...)
		if status != 400 || !strings.Contains(body, `"code":-32020`) || !strings.Contains(body, why) {
			t.Fatalf("%s %v: %d %s, want 400 -32020 mentioning %q", args, headers, status, body, why)
		}
	}
	accept(`{"region":"us-west1"}`, "Mcp-Param-Region: us-west1")
	accept(`{"region":"us-west1"}`, "mcp-param-region: us-west1") // names are case-insensitive
	accept(`{"region":"Hello, 世界"}`, "Mcp-Param-Region: =?base64?SGVsbG8sIOS4lueVjA==?=")
	accept(`{"region":" padded "}`, "Mcp-Param-Region: =?base64?IHBhZGRlZCA=?=")
	accept(`{"region":"=?base64?SGk"}`, "Mcp-Param-Region: =?base64?SGk") // no suffix: literal
	accept(`{"region":"a","priority":42,"debug":false}`, "Mcp-Param-Region: a", "Mcp-Param-Priority: 42", "Mcp-Param-Debug: false")
	accept(`{"region":"a","priority":42}`, "Mcp-Param-Region: a", "Mcp-Param-Priority: 42.0") // numeric comparison
	accept(`{"region":"a","cfg":{"zone":"z1"}}`, "Mcp-Param-Region: a", "Mcp-Param-Zone: z1")
	// null: no header expected (the schema then refuses null, as a tool error).
	if status, body := call(`{"region":"a","debug":null}`, "Mcp-Param-Region: a"); status != 200 || strings.Contains(body, "-32020") {
		t.Fatalf("null argument without its header: %d %s", status, body)
	}
	accept(`{"region":"a"}`, "Mcp-Param-Region: a", "Mcp-Param-Unknown: ignored")

	reject(`{"region":"us-west1"}`, "missing Mcp-Param-Region")
	reject(`{"region":"us-west1"}`, "does not match", "Mcp-Param-Region: eu-west1")
	reject(`{"region":"Region"}`, "does not match", "Mcp-Param-Region: region")        // values are case-sensitive
	reject(`{"region":"Hello"}`, "Base64", "Mcp-Param-Region: =?base64?SGVsbG8?=")     // bad padding
	reject(`{"region":"Hello"}`, "Base64", "Mcp-Param-Region: =?base64?SGVs!!!bG8=?=") // bad alphabet
	reject(`{"region":"a","priority":7}`, "does not match", "Mcp-Param-Region: a", "Mcp-Param-Priority: 8")
	reject(`{"region":"a","debug":true}`, "does not match", "Mcp-Param-Region: a", "Mcp-Param-Debug: TRUE")
	reject(`{"region":"a","cfg":{"zone":"z1"}}`, "missing Mcp-Param-Zone", "Mcp-Param-Region: a")
	reject(`{"region":"a"}`, "no value", "Mcp-Param-Region: a", "Mcp-Param-Priority: 1")
	reject(`{"region":"a","debug":null}`, "no value", "Mcp-Param-Region: a", "Mcp-Param-Debug: true")
}

// The official Go SDK client (2026-07-28) mirrors x-mcp-header parameters
// into Mcp-Param-* headers by itself; the server accepts its calls.
func TestParamHeadersWithSDKClient(t *testing.T) {
	url := serveHTTP(t, headerServer(t))
	cs := sdkOverHTTP(t, url, "", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cs.ListTools(ctx, nil); err != nil { // the client learns the annotations
		t.Fatal(err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "route", Arguments: map[string]any{
		"region": "Hello, 世界", "priority": 3, "debug": true, "cfg": map[string]any{"zone": " z "}, "query": "not mirrored"}})
	if err != nil || res.IsError {
		t.Fatalf("tools/call: %v %+v", err, res)
	}
	if txt := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(txt, `"zone":" z "`) {
		t.Fatalf("arguments seen by the tool: %s", txt)
	}
}

// A typed tool declares its header parameters with the mcpheader struct
// tag; the server then checks them as it checks a hand-written schema's.
func TestParamHeadersFromStructTags(t *testing.T) {
	type routeArgs struct {
		Region string `json:"region" mcpheader:"Region"`
	}
	s := newTestServer(t, nil, func(s *densemcp.Server) {
		err := densemcp.AddTool(s, &densemcp.Tool{Name: "route", Inline: true}, func(_ context.Context, _ *densemcp.Request, in routeArgs) (any, error) {
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	url := serveHTTP(t, s)
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	call := func(headers ...string) (int, string) {
		t.Helper()
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"route","arguments":{"region":"eu"},` + modernMeta + `}}`
		resp, got := rawHTTP(t, url, post(host, body, append([]string{"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: route"}, headers...)...))
		return resp.StatusCode, got
	}
	if status, body := call("Mcp-Param-Region: eu"); status != 200 || !strings.Contains(body, `"result"`) {
		t.Errorf("matching header: %d %s", status, body)
	}
	if status, body := call("Mcp-Param-Region: us"); status != 400 || !strings.Contains(body, `"code":-32020`) {
		t.Errorf("different header: %d %s, want 400 -32020", status, body)
	}
	if status, body := call(); status != 400 || !strings.Contains(body, `"code":-32020`) {
		t.Errorf("missing header: %d %s, want 400 -32020", status, body)
	}
}

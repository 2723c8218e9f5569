package densemcp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/densemcp/densemcp"
)

const modernMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`

// Each modern-era rule, on the wire.
func TestModernEraRules(t *testing.T) {
	s := newTestServer(t, nil, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "needs_elicitation", Inline: true, Requires: []string{"elicitation"}},
			func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
				req.Result.AddText("ok")
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
	})
	addr := serveTCP(t, s)
	l := dialLines(t, addr)

	// The first request with modern _meta fixes the era; every result has resultType.
	a := decodeAnswer(t, l.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{`+modernMeta+`}}`))
	var disc struct {
		ResultType        string          `json:"resultType"`
		SupportedVersions []string        `json:"supportedVersions"`
		Capabilities      map[string]any  `json:"capabilities"`
		TTL               *int            `json:"ttlMs"`
		CacheScope        string          `json:"cacheScope"`
		Meta              json.RawMessage `json:"_meta"`
	}
	if err := json.Unmarshal(a.Result, &disc); err != nil || disc.ResultType != "complete" || len(disc.SupportedVersions) == 0 ||
		disc.SupportedVersions[0] != "2026-07-28" || disc.Capabilities["tools"] == nil || disc.TTL == nil || disc.CacheScope == "" ||
		!strings.Contains(string(disc.Meta), "io.modelcontextprotocol/serverInfo") {
		t.Fatalf("server/discover: %s (%v)", a.Result, err)
	}

	f := func(in string, wantCode int, wantData string) {
		t.Helper()
		a := decodeAnswer(t, l.roundTrip(in))
		if a.Error == nil || a.Error.Code != wantCode {
			t.Fatalf("%s: got %s / %+v, want code %d", in, a.Result, a.Error, wantCode)
		}
		if wantData != "" && string(a.Error.Data) != wantData {
			t.Fatalf("%s: data %s, want %s", in, a.Error.Data, wantData)
		}
	}
	// Missing _meta, missing version, missing capabilities: -32602.
	f(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, -32602, "")
	f(`{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}}}`, -32602, "")
	f(`{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`, -32602, "")
	// Unsupported version: -32022 with the supported list.
	f(`{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01","io.modelcontextprotocol/clientCapabilities":{}}}}`,
		-32022, `{"supported":["2026-07-28"],"requested":"1900-01-01"}`)
	// A tool needing a capability the client did not declare: -32021.
	f(`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"needs_elicitation",`+modernMeta+`}}`,
		-32021, `{"requiredCapabilities":{"elicitation":{}}}`)
	// Legacy-only methods do not exist in the modern era.
	f(`{"jsonrpc":"2.0","id":7,"method":"ping","params":{`+modernMeta+`}}`, -32601, "")

	withElicitation := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}`
	for _, in := range []string{
		`{"jsonrpc":"2.0","id":8,"method":"tools/list","params":{` + modernMeta + `}}`,
		`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},` + modernMeta + `}}`,
		`{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"needs_elicitation",` + withElicitation + `}}`,
		`{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"echo","arguments":{"text":1},` + modernMeta + `}}`,
	} {
		a := decodeAnswer(t, l.roundTrip(in))
		var r struct {
			ResultType string `json:"resultType"`
		}
		if a.Error != nil || json.Unmarshal(a.Result, &r) != nil || r.ResultType != "complete" {
			t.Fatalf("%s: want a result with resultType complete, got %s %+v", in, a.Result, a.Error)
		}
	}
	// List results carry the caching fields.
	a = decodeAnswer(t, l.roundTrip(`{"jsonrpc":"2.0","id":12,"method":"tools/list","params":{`+modernMeta+`}}`))
	if !strings.Contains(string(a.Result), `"ttlMs":`) || !strings.Contains(string(a.Result), `"cacheScope":"public"`) {
		t.Fatalf("tools/list lacks caching fields: %s", a.Result)
	}
	// initialize on a modern connection is not a method of this era.
	f(`{"jsonrpc":"2.0","id":13,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"},`+modernMeta+`}}`, -32601, "")
}

// Version negotiation: an unknown legacy version gets our latest.
func TestLegacyVersionNegotiation(t *testing.T) {
	addr := serveTCP(t, newTestServer(t, nil, nil))
	f := func(asked, want string) {
		t.Helper()
		l := dialLines(t, addr)
		a := decodeAnswer(t, l.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"`+asked+`","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`))
		var r struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		if err := json.Unmarshal(a.Result, &r); err != nil || r.ProtocolVersion != want {
			t.Fatalf("asked %s: got %s", asked, a.Result)
		}
		// Before notifications/initialized only ping is served.
		b := decodeAnswer(t, l.roundTrip(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`))
		if b.Error == nil || b.Error.Code != -32600 {
			t.Fatalf("tools/list before initialized: %s %+v", b.Result, b.Error)
		}
		l.expectPing()
	}
	f("2025-11-25", "2025-11-25")
	f("2025-06-18", "2025-06-18")
	f("2025-03-26", "2025-03-26")
	f("2024-11-05", "2024-11-05")
	f("2099-01-01", "2025-11-25")
}

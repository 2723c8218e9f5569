package router

import (
	"strings"
	"testing"
)

func TestHeaderParamsOf(t *testing.T) {
	ok := func(schema, want string) {
		t.Helper()
		got, err := headerParamsOf([]byte(schema))
		if err != nil {
			t.Fatalf("%s: %v", schema, err)
		}
		var parts []string
		for _, p := range got {
			parts = append(parts, p.Header+"@"+strings.Join(p.Path, "."))
		}
		if s := strings.Join(parts, " "); s != want {
			t.Fatalf("%s: got %q, want %q", schema, s, want)
		}
	}
	bad := func(schema, wantErr string) {
		t.Helper()
		_, err := headerParamsOf([]byte(schema))
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%s: error %v, want one containing %q", schema, err, wantErr)
		}
	}
	ok(`{"type":"object"}`, "")
	ok(`{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"},"q":{"type":"string"}}}`, "Mcp-Param-Region@region")
	ok(`{"type":"object","properties":{"a":{"type":"integer","x-mcp-header":"A"},"b":{"type":["boolean","null"],"x-mcp-header":"B-2"}}}`,
		"Mcp-Param-A@a Mcp-Param-B-2@b")
	// Nested through properties alone is statically reachable.
	ok(`{"type":"object","properties":{"cfg":{"type":"object","properties":{"zone":{"type":"string","x-mcp-header":"Zone"}}}}}`, "Mcp-Param-Zone@cfg.zone")
	// An x-mcp-header key inside data (const, default, enum) is not an annotation.
	ok(`{"type":"object","properties":{"o":{"type":"object","default":{"x-mcp-header":"no"}}},"const":{"x-mcp-header":"no"}}`, "")

	bad(`{"type":"object","x-mcp-header":"Root"}`, "reachable")
	bad(`{"type":"object","properties":{"a":{"type":"string","x-mcp-header":""}}}`, "empty")
	bad(`{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"Has Space"}}}`, "token")
	bad(`{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"Colon:"}}}`, "token")
	bad(`{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"Région"}}}`, "token")
	bad(`{"type":"object","properties":{"a":{"type":"string","x-mcp-header":7}}}`, "string")
	bad(`{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"X"},"b":{"type":"string","x-mcp-header":"x"}}}`, "twice")
	bad(`{"type":"object","properties":{"a":{"type":"number","x-mcp-header":"N"}}}`, "type")
	bad(`{"type":"object","properties":{"a":{"type":"object","x-mcp-header":"O"}}}`, "type")
	bad(`{"type":"object","properties":{"a":{"x-mcp-header":"Untyped"}}}`, "type")
	bad(`{"type":"object","properties":{"a":{"type":["string","integer"],"x-mcp-header":"Two"}}}`, "type")
	bad(`{"type":"object","properties":{"a":{"type":"array","items":{"type":"string","x-mcp-header":"Item"}}}}`, "reachable")
	bad(`{"type":"object","anyOf":[{"properties":{"a":{"type":"string","x-mcp-header":"A"}}}]}`, "reachable")
	bad(`{"type":"object","$defs":{"d":{"type":"string","x-mcp-header":"D"}}}`, "reachable")
}

// A tool with a bad annotation is refused at registration, with the reason.
func TestAddToolRejectsBadHeaderAnnotation(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	err := r.AddTool(Tool{Name: "bad", InputSchema: []byte(`{"type":"object","properties":{"n":{"type":"number","x-mcp-header":"N"}}}`)},
		func(*Request, []byte) error { return nil }, false)
	if err == nil || !strings.Contains(err.Error(), `tool "bad"`) || !strings.Contains(err.Error(), "x-mcp-header") {
		t.Fatalf("AddTool: %v", err)
	}
}

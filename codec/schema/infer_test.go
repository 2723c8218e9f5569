package schema

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type inferArgs struct {
	Text string   `json:"text"`
	N    int      `json:"n,omitempty"`
	Tags []string `json:"tags,omitempty"`
}

type inferRich struct {
	Name   string            `json:"name" jsonschema:"who to greet"`
	Age    *int              `json:"age,omitempty"`
	Small  uint8             `json:"small"`
	Labels map[string]string `json:"labels,omitzero"`
	Hidden string            `json:"-"`
	Nested inferArgs         `json:"nested"`
	//lint:ignore U1000 an unexported field, present to show inference skips it
	private int
}

func TestForTypeJSON(t *testing.T) {
	f := func(got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Fatalf("JSON():\n got %s\nwant %s", got, want)
		}
	}
	s, err := ForType[inferArgs]()
	if err != nil {
		t.Fatal(err)
	}
	args := `{"type":"object","properties":{"text":{"type":"string"},"n":{"type":"integer"},` +
		`"tags":{"type":["null","array"],"items":{"type":"string"}}},"required":["text"],"additionalProperties":false}`
	f(s.JSON(), args)

	// One level of pointer is removed, as the SDK does for AddTool.
	sp, err := ForType[*inferArgs]()
	if err != nil {
		t.Fatal(err)
	}
	f(sp.JSON(), args)

	rich, err := ForType[inferRich]()
	if err != nil {
		t.Fatal(err)
	}
	f(rich.JSON(), `{"type":"object","properties":{"name":{"type":"string","description":"who to greet"},`+
		`"age":{"type":["null","integer"]},"small":{"type":"integer","minimum":0,"maximum":255},`+
		`"labels":{"type":"object","additionalProperties":{"type":"string"}},"nested":`+args+`},`+
		`"required":["name","small","nested"],"additionalProperties":false}`)

	check(t, string(rich.JSON()), `{"name":"a","small":255,"nested":{"text":"t"},"age":null}`, "")
	check(t, string(rich.JSON()), `{"name":"a","small":256,"nested":{"text":"t"}}`, "/small: 256 is greater than the maximum 255")
	check(t, string(rich.JSON()), `{"name":"a","small":1,"nested":{"text":"t","x":1}}`, `/nested: unexpected property "x"`)
	check(t, string(rich.JSON()), `{"name":"a","small":1,"nested":{"text":"t"},"labels":{"k":1}}`, "/labels/k: expected string, got number")
}

func TestForTypeErrors(t *testing.T) {
	if _, err := ForType[chan int](); err == nil {
		t.Fatal("ForType[chan int] succeeded")
	}
	if _, err := ForType[map[int]string](); err == nil {
		t.Fatal("ForType[map[int]string] succeeded")
	}
}

// TestForTypeMatchesSDK checks that ForType's schema is the inputSchema the
// official Go SDK lists for a tool added with AddTool[In, Out].
func TestForTypeMatchesSDK(t *testing.T) {
	ctx := context.Background()
	server := mcp.NewServer(&mcp.Implementation{Name: "schema-test", Version: "v0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "rich"}, func(context.Context, *mcp.CallToolRequest, inferRich) (*mcp.CallToolResult, inferArgs, error) {
		return nil, inferArgs{}, nil
	})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "v0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tools) != 1 {
		t.Fatalf("got %d tools", len(res.Tools))
	}
	in, err := ForType[inferRich]()
	if err != nil {
		t.Fatal(err)
	}
	out, err := ForType[inferArgs]()
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "inputSchema", res.Tools[0].InputSchema, in.JSON())
	sameJSON(t, "outputSchema", res.Tools[0].OutputSchema, out.JSON())
}

func sameJSON(t *testing.T, what string, sdk any, ours []byte) {
	t.Helper()
	raw, err := json.Marshal(sdk)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ours, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s differs from the SDK's:\n sdk %s\nours %s", what, raw, ours)
	}
}

type headerZone struct {
	Zone string `json:"zone" mcpheader:"Zone"`
}

type headerArgs struct {
	Region string      `json:"region" mcpheader:"Region"`
	Query  string      `json:"query,omitempty"`
	Cfg    headerZone  `json:"cfg"`
	Opt    *headerZone `json:"opt,omitempty"`
	Plain  int         `mcpheader:"Plain"`
}

// The mcpheader tag becomes x-mcp-header on the field's property, at the
// root and in nested structs (through pointers too), and nowhere else.
func TestForTypeHeaderTags(t *testing.T) {
	sc, err := ForType[headerArgs]()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties map[string]struct {
			Header     *string `json:"x-mcp-header"`
			Properties map[string]struct {
				Header *string `json:"x-mcp-header"`
			} `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(sc.JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Properties
	want := func(what string, got *string, name string) {
		t.Helper()
		switch {
		case name == "" && got != nil:
			t.Errorf("%s: x-mcp-header %q, want none", what, *got)
		case name != "" && (got == nil || *got != name):
			t.Errorf("%s: x-mcp-header %v, want %q in %s", what, got, name, sc.JSON())
		}
	}
	want("region", p["region"].Header, "Region")
	want("query", p["query"].Header, "")
	want("cfg", p["cfg"].Header, "")
	want("cfg.zone", p["cfg"].Properties["zone"].Header, "Zone")
	want("opt.zone", p["opt"].Properties["zone"].Header, "Zone")
	want("Plain", p["Plain"].Header, "Plain")
}

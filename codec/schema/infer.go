package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// ForType infers the schema of T with github.com/google/jsonschema-go, the
// way the official Go SDK's AddTool[In, Out] does, and compiles it. JSON()
// is that library's own rendering, unchanged: a struct becomes
// {"type":"object", "properties":..., "required": [fields without
// omitempty/omitzero], "additionalProperties": false}, a slice field
// ["null","array"], a pointer field adds "null". Like the SDK, one level of
// pointer on T itself is removed first, so *Args and Args give the same
// object schema. ForType does not require an object: output schemas may be
// of any type; an input schema should come from a struct or a map.
func ForType[T any]() (*Schema, error) {
	t := reflect.TypeFor[T]()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	inferred, err := jsonschema.ForType(t, &jsonschema.ForOptions{})
	if err != nil {
		return nil, fmt.Errorf("cannot infer a schema for %s: %w", t, err)
	}
	headerTags(t, inferred)
	doc, err := json.Marshal(inferred)
	if err != nil {
		return nil, fmt.Errorf("cannot marshal the schema inferred for %s: %w", t, err)
	}
	return Compile(doc)
}

// HeaderTag is the struct tag that mirrors a field of a tool's arguments
// into an HTTP request header (the x-mcp-header extension keyword):
//
//	type RouteArgs struct {
//		Region string `json:"region" mcpheader:"Region"`
//	}
//
// gives the region property "x-mcp-header": "Region", so clients send it
// as Mcp-Param-Region too. It applies to fields reached from the arguments
// struct through struct fields (the keyword is allowed only on properties
// reachable through "properties" alone); the router checks the name.
const HeaderTag = "mcpheader"

// headerTags copies HeaderTag tags of struct type t's fields into the
// matching properties of s, the schema jsonschema-go inferred for t.
func headerTags(t reflect.Type, s *jsonschema.Schema) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || s == nil {
		return
	}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" && !strings.Contains(tag, ",") {
				continue
			}
			if n != "" {
				name = n
			}
		}
		p := s.Properties[name]
		if p == nil {
			continue
		}
		if h, ok := f.Tag.Lookup(HeaderTag); ok {
			if p.Extra == nil {
				p.Extra = make(map[string]any)
			}
			p.Extra["x-mcp-header"] = h
		}
		headerTags(f.Type, p)
	}
}

package router

import (
	"fmt"
	"strings"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// Custom headers from tool parameters (SEP-2243, 2026-07-28 Streamable
// HTTP): a property of a tool's inputSchema may carry "x-mcp-header":
// "Region"; a modern client then mirrors the argument's value into an
// "Mcp-Param-Region" request header, so load balancers and gateways can
// route on it without parsing the body. The server checks each mirrored
// header against the body (engine: -32020 and HTTP 400 on disagreement).
// Annotations are checked once, when the tool is registered.

// HeaderParam is one tool parameter mirrored into a request header.
type HeaderParam struct {
	// Header is the full header name, "Mcp-Param-" + the annotation.
	Header string
	// Path is the chain of property names from the arguments object to
	// the parameter (one element for a top-level parameter).
	Path []string
}

// headerPrefix begins every custom parameter header.
const headerPrefix = "Mcp-Param-"

// ToolHeaderParams returns the mirrored parameters of tool name as shard
// sh sees its catalog, nil if the tool is unknown or has none. Shard
// goroutine; allocates nothing (the transport's header check calls it for
// every modern tools/call).
func (r *Router) ToolHeaderParams(sh *shards.Shard, name []byte) []HeaderParam {
	if e := r.catalogOf(sh).byName[string(name)]; e != nil {
		return e.headers
	}
	return nil
}

// headerParamsOf finds the x-mcp-header annotations of an input schema and
// checks the spec's constraints on them: a non-empty token (RFC 9110
// tchar), unique regardless of case, on a string, integer or boolean
// property reachable from the root through "properties" alone.
func headerParamsOf(schemaDoc []byte) ([]HeaderParam, error) {
	var out []HeaderParam
	seen := map[string]bool{}
	var walk func(doc []byte, path []string, static bool) error
	walk = func(doc []byte, path []string, static bool) error {
		if !codec.IsObject(doc) {
			return nil // true/false schemas and non-schema values
		}
		var err error
		codec.ObjectEach(doc, func(k, v []byte) bool {
			switch key := plainKey(k); key {
			case "x-mcp-header":
				err = addHeaderParam(&out, seen, doc, v, path, static)
			case "properties":
				codec.ObjectEach(v, func(pk, pv []byte) bool {
					name := plainKey(pk)
					p := append(append([]string(nil), path...), name)
					err = walk(pv, p, static)
					return err == nil
				})
			case "items", "additionalProperties", "not", "if", "then", "else", "contains",
				"propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema":
				err = walk(v, nil, false)
			case "prefixItems", "allOf", "anyOf", "oneOf":
				codec.ArrayEach(v, func(item []byte) bool {
					err = walk(item, nil, false)
					return err == nil
				})
			case "$defs", "definitions", "patternProperties", "dependentSchemas":
				codec.ObjectEach(v, func(_, sub []byte) bool {
					err = walk(sub, nil, false)
					return err == nil
				})
			}
			// Other keywords (const, enum, default, examples, unknown
			// annotations) hold data, not schemas: an "x-mcp-header" key
			// inside them is not an annotation.
			return err == nil
		})
		return err
	}
	if err := walk(schemaDoc, nil, true); err != nil {
		return nil, err
	}
	return out, nil
}

func addHeaderParam(out *[]HeaderParam, seen map[string]bool, prop, v []byte, path []string, static bool) error {
	if !static || len(path) == 0 {
		return fmt.Errorf("x-mcp-header is allowed only on a property reachable from the root through \"properties\" alone")
	}
	where := strings.Join(path, ".")
	if !codec.IsString(v) {
		return fmt.Errorf("x-mcp-header of %q must be a string", where)
	}
	raw, err := codec.Unquote(nil, v)
	if err != nil || len(raw) == 0 {
		return fmt.Errorf("x-mcp-header of %q must not be empty", where)
	}
	for _, c := range raw {
		if !isTchar(c) {
			return fmt.Errorf("x-mcp-header %q of %q is not an HTTP token (RFC 9110 tchar)", raw, where)
		}
	}
	fold := strings.ToLower(string(raw))
	if seen[fold] {
		return fmt.Errorf("x-mcp-header %q of %q is used twice (names are compared without case)", raw, where)
	}
	seen[fold] = true
	if !primitiveHeaderType(prop) {
		return fmt.Errorf("x-mcp-header of %q needs \"type\" string, integer or boolean", where)
	}
	*out = append(*out, HeaderParam{Header: headerPrefix + string(raw), Path: path})
	return nil
}

// primitiveHeaderType reports whether a property schema's type is one a
// header can carry: string, integer or boolean (number is excluded by the
// spec), possibly alongside "null".
func primitiveHeaderType(prop []byte) bool {
	t, ok := codec.ObjectField(prop, "type")
	if !ok {
		return false
	}
	okType := func(s []byte) bool {
		switch string(s) {
		case `"string"`, `"integer"`, `"boolean"`:
			return true
		}
		return false
	}
	if codec.IsString(t) {
		return okType(t)
	}
	n, good := 0, true
	codec.ArrayEach(t, func(e []byte) bool {
		switch {
		case okType(e):
			n++
		case string(e) == `"null"`:
		default:
			good = false
		}
		return good
	})
	return good && n == 1
}

// plainKey returns an ObjectEach key as text (unescaping a quoted one).
func plainKey(k []byte) string {
	if len(k) > 0 && k[0] == '"' {
		u, err := codec.Unquote(nil, k)
		if err != nil {
			return ""
		}
		return string(u)
	}
	return string(k)
}

// isTchar reports whether c may appear in an HTTP token (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

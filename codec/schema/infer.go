package schema

import (
	"encoding/json"
	"fmt"
	"reflect"

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
	doc, err := json.Marshal(inferred)
	if err != nil {
		return nil, fmt.Errorf("cannot marshal the schema inferred for %s: %w", t, err)
	}
	return Compile(doc)
}

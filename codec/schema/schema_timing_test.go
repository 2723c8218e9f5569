package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

// nestedSchema is a tool input with $defs, $ref, arrays of objects, enums,
// patterns and bounds: the shape of a realistic non-trivial inputSchema.
const nestedSchema = `{
  "type": "object",
  "$defs": {
    "address": {
      "type": "object",
      "properties": {
        "street": {"type": "string", "minLength": 1},
        "city": {"type": "string"},
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"}
      },
      "required": ["street", "city"],
      "additionalProperties": false
    },
    "item": {
      "type": "object",
      "properties": {
        "sku": {"type": "string"},
        "qty": {"type": "integer", "minimum": 1, "maximum": 1000},
        "price": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01}
      },
      "required": ["sku", "qty"]
    }
  },
  "properties": {
    "customer": {"type": "string", "maxLength": 64},
    "shipping": {"$ref": "#/$defs/address"},
    "billing": {"anyOf": [{"$ref": "#/$defs/address"}, {"type": "null"}]},
    "items": {"type": "array", "items": {"$ref": "#/$defs/item"}, "minItems": 1, "uniqueItems": true},
    "priority": {"enum": ["low", "normal", "high"]},
    "notes": {"type": ["string", "null"]}
  },
  "required": ["customer", "shipping", "items"],
  "additionalProperties": false
}`

const nestedInstance = `{"customer":"Ada Lovelace","shipping":{"street":"12 Analytical Way","city":"London","zip":"12345"},` +
	`"billing":null,"items":[{"sku":"A-1","qty":2,"price":19.99},{"sku":"B-2","qty":1,"price":5.5},` +
	`{"sku":"C-3","qty":10}],"priority":"high","notes":"leave at the door"}`

func BenchmarkValidateSmall(b *testing.B) {
	s, err := ForType[allocArgsBench]()
	if err != nil {
		b.Fatal(err)
	}
	benchmarkValidate(b, s, []byte(`{"text":"hello","n":3,"tags":["a","b"]}`))
}

func BenchmarkValidateNested(b *testing.B) {
	s, err := Compile([]byte(nestedSchema))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkValidate(b, s, []byte(nestedInstance))
}

func benchmarkValidate(b *testing.B, s *Schema, instance []byte) {
	if err := s.Validate(instance); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(instance)))
	for b.Loop() {
		if s.Validate(instance) != nil {
			b.Fatal("BUG: valid instance rejected")
		}
	}
}

type allocArgsBench struct {
	Text string   `json:"text"`
	N    int      `json:"n,omitempty"`
	Tags []string `json:"tags,omitempty"`
}

// The same two validations with github.com/google/jsonschema-go (decode
// into any, then Validate), the official Go SDK's path, for the ratio.

func BenchmarkOracleSmall(b *testing.B) {
	s, err := ForType[allocArgsBench]()
	if err != nil {
		b.Fatal(err)
	}
	benchmarkOracle(b, oracle(b, string(s.JSON())), []byte(`{"text":"hello","n":3,"tags":["a","b"]}`))
}

func BenchmarkOracleNested(b *testing.B) {
	// The oracle divides in float64 and rejects 19.99 as a multiple of 0.01,
	// so it runs without that keyword.
	schema := strings.Replace(nestedSchema, `, "multipleOf": 0.01`, "", 1)
	benchmarkOracle(b, oracle(b, schema), []byte(nestedInstance))
}

func benchmarkOracle(b *testing.B, r *jsonschema.Resolved, instance []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(instance)))
	for b.Loop() {
		var v any
		if err := json.Unmarshal(instance, &v); err != nil {
			b.Fatal(err)
		}
		if err := r.Validate(v); err != nil {
			b.Fatal(err)
		}
	}
}

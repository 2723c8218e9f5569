//go:build !race

package schema

import "testing"

// The race detector instruments sync.Pool and allocates; these tests prove
// the valid path allocates nothing in a normal build.

type allocArgs struct {
	Text string   `json:"text"`
	N    int      `json:"n,omitempty"`
	Tags []string `json:"tags,omitempty"`
}

func TestValidateAllocsInferred(t *testing.T) {
	s, err := ForType[allocArgs]()
	if err != nil {
		t.Fatal(err)
	}
	instance := []byte(`{"text":"hello","n":3,"tags":["a","b"]}`)
	if err := s.Validate(instance); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { _ = s.Validate(instance) }); n != 0 {
		t.Fatalf("Validate allocates %v times per valid call, want 0", n)
	}
}

func TestValidateAllocsKeywords(t *testing.T) {
	f := func(schema, instance string) {
		t.Helper()
		s, err := Compile([]byte(schema))
		if err != nil {
			t.Fatal(err)
		}
		raw := []byte(instance)
		if err := s.Validate(raw); err != nil {
			t.Fatalf("schema %s, instance %s: %v", schema, instance, err)
		}
		if n := testing.AllocsPerRun(200, func() { _ = s.Validate(raw) }); n != 0 {
			t.Fatalf("schema %s, instance %s: %v allocations per valid call, want 0", schema, instance, n)
		}
	}
	f(nestedSchema, nestedInstance)
	f(`{"enum":["a","b",{"k":[1]}]}`, `{"k":[1.0]}`)
	f(`{"const":"\u00e9"}`, `"\u00e9"`)
	f(`{"properties":{"é":{"type":"integer"}},"required":["é"]}`, `{"\u00e9":1}`)
	f(`{"pattern":"^a+$","minLength":1,"maxLength":9}`, `"a\u0061a"`)
	f(`{"patternProperties":{"^x-":{"type":"string"}},"propertyNames":{"maxLength":4},"additionalProperties":false}`, `{"x-a":"1","x-bb":"2"}`)
	f(`{"uniqueItems":true}`, longArray(100, -1, -1))
	f(`{"uniqueItems":true,"contains":{"const":3},"maxContains":1}`, `[1,2,3,[1],{"a":1}]`)
	f(`{"minimum":-1e400,"maximum":1e400,"multipleOf":7}`, `700000000000000000000000000000000000007`)
	f(`{"anyOf":[{"type":"string"},{"type":"integer"}],"oneOf":[{"minimum":1},{"maximum":0}],"not":{"const":5}}`, `3`)
	f(`{"if":{"required":["a"]},"then":{"required":["b"]},"else":{"maxProperties":0}}`, `{"a":1,"b":2}`)
	f(`{"dependentRequired":{"a":["b"]},"dependentSchemas":{"b":{"minProperties":2}}}`, `{"a":1,"b":2}`)
}

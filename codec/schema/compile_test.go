package schema

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	f := func(schema string, sentinel error, want string) {
		t.Helper()
		s, err := Compile([]byte(schema))
		if err == nil {
			t.Fatalf("Compile(%s) succeeded, want %v", schema, sentinel)
		}
		if s != nil {
			t.Fatalf("Compile(%s) returned a schema with error %v", schema, err)
		}
		if !errors.Is(err, sentinel) {
			t.Fatalf("Compile(%s): %v, want errors.Is %v", schema, err, sentinel)
		}
		if got := err.Error(); got != want {
			t.Fatalf("Compile(%s):\n got %q\nwant %q", schema, got, want)
		}
	}
	f(`{"type":`, ErrInvalidSchema, "schema document is not valid JSON: invalid JSON Schema")
	f(`[]`, ErrInvalidSchema, "schema document must be an object or a boolean: invalid JSON Schema")
	f(`{"$schema":"http://json-schema.org/draft-04/schema#"}`, ErrInvalidSchema,
		`$schema "http://json-schema.org/draft-04/schema#": only draft 2020-12 and draft-07 are supported: invalid JSON Schema`)
	f(`{"type":"str"}`, ErrInvalidSchema, `schema #: type "str" is not a JSON Schema type: invalid JSON Schema`)
	f(`{"type":1}`, ErrInvalidSchema, `schema #: type must be a type name or an array of type names: invalid JSON Schema`)
	f(`{"properties":{"a":{"minLength":-1}}}`, ErrInvalidSchema, `schema #/properties/a: minLength must be a non-negative integer: invalid JSON Schema`)
	f(`{"maxItems":1.5}`, ErrInvalidSchema, `schema #: maxItems must be a non-negative integer: invalid JSON Schema`)
	f(`{"minimum":"1"}`, ErrInvalidSchema, `schema #: minimum must be a number: invalid JSON Schema`)
	f(`{"multipleOf":0}`, ErrInvalidSchema, `schema #: multipleOf must be a number greater than 0: invalid JSON Schema`)
	f(`{"multipleOf":1.23456789012345678901}`, ErrInvalidSchema, `schema #: multipleOf has more than 19 significant digits: invalid JSON Schema`)
	f(`{"items":[{}]}`, ErrInvalidSchema, `schema #: items must be a schema in draft 2020-12 (an array of schemas is prefixItems): invalid JSON Schema`)
	f(`{"allOf":[]}`, ErrInvalidSchema, `schema #: allOf must not be empty: invalid JSON Schema`)
	f(`{"anyOf":{}}`, ErrInvalidSchema, `schema #: anyOf must be an array of schemas: invalid JSON Schema`)
	f(`{"not":1}`, ErrInvalidSchema, `schema #/not: must be an object or a boolean: invalid JSON Schema`)
	f(`{"required":"a"}`, ErrInvalidSchema, `schema #: required must be an array of strings: invalid JSON Schema`)
	f(`{"dependentRequired":{"a":"b"}}`, ErrInvalidSchema, `schema #: dependentRequired must be an array of strings: invalid JSON Schema`)
	f(`{"dependentSchemas":[]}`, ErrInvalidSchema, `schema #: dependentSchemas must be an object: invalid JSON Schema`)
	f(`{"enum":1}`, ErrInvalidSchema, `schema #: enum must be an array: invalid JSON Schema`)
	f(`{"uniqueItems":1}`, ErrInvalidSchema, `schema #: uniqueItems must be a boolean: invalid JSON Schema`)
	f(`{"type":"string","type":"number"}`, ErrInvalidSchema, `schema #: duplicate keyword "type": invalid JSON Schema`)
	f(`{"properties":{"a":{},"\u0061":{}}}`, ErrInvalidSchema, `schema #: properties has "a" twice: invalid JSON Schema`)
	f(`{"pattern":"(?=a)"}`, ErrUnsupportedPattern,
		"schema #: pattern \"(?=a)\": error parsing regexp: invalid or unsupported Perl syntax: `(?=`: regular expression not supported by RE2")
	f(`{"patternProperties":{"(a)\\1":{}}}`, ErrUnsupportedPattern,
		"schema #: patternProperties \"(a)\\\\1\": error parsing regexp: invalid escape sequence: `\\1`: regular expression not supported by RE2")
	f(`{"$ref":"other.json#/a"}`, ErrUnsupportedRef, `schema #: $ref "other.json#/a": only references within this document are supported: unsupported or unresolvable $ref`)
	f(`{"$ref":"#/$defs/missing"}`, ErrUnsupportedRef, `schema #: $ref "#/$defs/missing": no such location: unsupported or unresolvable $ref`)
	f(`{"$ref":"#nope"}`, ErrUnsupportedRef, `schema #: $ref "#nope": no $anchor "nope": unsupported or unresolvable $ref`)
	f(`{"$defs":{"x":{"$id":"x.json","$ref":"#/a"}}}`, ErrUnsupportedRef,
		`schema #/$defs/x: $ref "#/a" inside a subschema with its own $id: unsupported or unresolvable $ref`)
	f(`{"$ref":"#"}`, ErrRefCycle, `schema #: $ref cycle that consumes no input`)
	f(`{"$defs":{"a":{"allOf":[{"$ref":"#/$defs/b"}]},"b":{"anyOf":[{"not":{"$ref":"#/$defs/a"}}]}}}`, ErrRefCycle,
		`schema #/$defs/a: $ref cycle that consumes no input`)
	f(strings.Repeat(`{"not":`, maxSchemaDepth+2)+`{}`+strings.Repeat(`}`, maxSchemaDepth+2), ErrInvalidSchema,
		"schema #"+strings.Repeat("/not", maxSchemaDepth+1)+": nested deeper than 128: invalid JSON Schema")
}

func TestCompileAccepts(t *testing.T) {
	f := func(schema string) {
		t.Helper()
		if _, err := Compile([]byte(schema)); err != nil {
			t.Fatalf("Compile(%s): %v", schema, err)
		}
	}
	f(`true`)
	f(`false`)
	f(` {} `)
	f(`{"$schema":"https://json-schema.org/draft/2020-12/schema"}`)
	f(`{"$schema":"https://json-schema.org/draft/2020-12/schema#"}`)
	f(`{"$schema":"http://json-schema.org/draft-07/schema#"}`)
	f(`{"$schema":"https://json-schema.org/draft-07/schema"}`)
	// Recursion that consumes input is fine.
	f(`{"properties":{"next":{"$ref":"#"}}}`)
	f(`{"$defs":{"list":{"anyOf":[{"type":"null"},{"items":{"$ref":"#/$defs/list"}}]}},"$ref":"#/$defs/list"}`)
	// Not enforced keywords compile.
	f(`{"unevaluatedProperties":false,"$dynamicRef":"#meta","format":"uri","title":"t","description":"d","default":1,"examples":[1],"x-vendor":{"type":7}}`)
	// Embedded $id without refs inside is fine.
	f(`{"properties":{"a":{"$id":"https://example.com/a","type":"string"}}}`)
	// ECMA \u escapes are rewritten for RE2.
	f(`{"pattern":"^[\\u0000-\\u007f]*$"}`)
}

func TestJSONKeepsDocument(t *testing.T) {
	doc := []byte(` {"type": "object",  "title": "x"} `)
	s, err := Compile(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := string(doc)
	doc[2] = 'X' // the caller may reuse its buffer
	if got := string(s.JSON()); got != want {
		t.Fatalf("JSON() = %q, want %q", got, want)
	}
	if !bytes.Equal(s.JSON(), []byte(want)) {
		t.Fatal("JSON changed")
	}
}

func TestTranslatePattern(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := translatePattern(in); got != want {
			t.Fatalf("translatePattern(%q) = %q, want %q", in, got, want)
		}
	}
	f(`abc`, `abc`)
	f(`\u00e9`, `\x{e9}`)
	f(`[\u0000-\u007F]`, `[\x{0}-\x{7f}]`)
	f(`\ud83d\ude00`, `\x{1f600}`)
	f(`\\u0041`, `\\u0041`)
	f(`\u12`, `\u12`)
	f(`\d\u0041`, `\d\x{41}`)
}

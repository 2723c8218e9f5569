package schema

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// check compiles schema, validates instance and compares the error text
// with want ("" means valid). It also checks the Keyword of a failure.
func check(t *testing.T, schema, instance, want string) {
	t.Helper()
	s, err := Compile([]byte(schema))
	if err != nil {
		t.Fatalf("Compile(%s): %v", schema, err)
	}
	err = s.Validate([]byte(instance))
	if want == "" {
		if err != nil {
			t.Fatalf("schema %s, instance %s: unexpected error %q", schema, instance, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("schema %s, instance %s: valid, want error %q", schema, instance, want)
	}
	if got := err.Error(); got != want {
		t.Fatalf("schema %s, instance %s:\n got error %q\nwant error %q", schema, instance, got, want)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %T is not a *ValidationError", err)
	}
}

func TestType(t *testing.T) {
	f := func(schema, instance, want string) { t.Helper(); check(t, schema, instance, want) }
	f(`{"type":"string"}`, `"x"`, "")
	f(`{"type":"string"}`, `1`, "expected string, got number")
	f(`{"type":"number"}`, `1.5`, "")
	f(`{"type":"number"}`, `-0`, "")
	f(`{"type":"number"}`, `"1"`, "expected number, got string")
	f(`{"type":"integer"}`, `1`, "")
	f(`{"type":"integer"}`, `1.0`, "")
	f(`{"type":"integer"}`, `1e3`, "")
	f(`{"type":"integer"}`, `1.5e1`, "")
	f(`{"type":"integer"}`, `12345678901234567890123`, "")
	f(`{"type":"integer"}`, `1.5`, "expected integer, got number")
	f(`{"type":"integer"}`, `1e-1`, "expected integer, got number")
	f(`{"type":"integer"}`, `100000000000000000000.5`, "expected integer, got number")
	f(`{"type":"boolean"}`, `false`, "")
	f(`{"type":"boolean"}`, `null`, "expected boolean, got null")
	f(`{"type":"null"}`, `null`, "")
	f(`{"type":"array"}`, `[]`, "")
	f(`{"type":"object"}`, `[]`, "expected object, got array")
	f(`{"type":"object"}`, ` {} `, "")
	f(`{"type":["null","array"]}`, `null`, "")
	f(`{"type":["null","array"]}`, `"x"`, "expected null or array, got string")
	f(`{"type":["string","number","null"]}`, `{}`, "expected one of string, number, null, got object")
	f(`{"type":["integer","string"]}`, `2.5`, "expected integer or string, got number")
	f(`{"type":[]}`, `1`, "expected nothing, got number")
}

func TestEnumConst(t *testing.T) {
	f := func(schema, instance, want string) { t.Helper(); check(t, schema, instance, want) }
	f(`{"enum":["a","b"]}`, `"a"`, "")
	f(`{"enum":["a","b"]}`, `"\u0062"`, "")
	f(`{"enum":["a\nb"]}`, `"a\u000ab"`, "")
	f(`{"enum":["a","b"]}`, `"c"`, `value "c" is not one of ["a","b"]`)
	f(`{"enum":[1, null, {"a":[1,2]}]}`, `1.0`, "")
	f(`{"enum":[1, null, {"a":[1,2]}]}`, `null`, "")
	f(`{"enum":[1, null, {"a":[1,2]}]}`, `{ "a" : [ 1 , 2e0 ] }`, "")
	f(`{"enum":[1, null, {"a":[1,2]}]}`, `{"a":[2,1]}`, `value {"a":[2,1]} is not one of [1,null,{"a":[1,2]}]`)
	f(`{"enum":[1]}`, `true`, `value true is not one of [1]`)
	f(`{"enum":[]}`, `1`, `value 1 is not one of []`)
	f(`{"enum":[false]}`, `0`, `value 0 is not one of [false]`)
	f(`{"const":{"a":1,"b":[true,"x"]}}`, `{"b":[true,"x"],"a":1}`, "")
	f(`{"const":{"a":1,"b":[true,"x"]}}`, `{"b":[true,"x"],"a":1,"c":1}`, `value {"b":[true,"x"],"a":1,"c":1} must be {"a":1,"b":[true,"x"]}`)
	f(`{"const":null}`, `null`, "")
	f(`{"const":null}`, `0`, `value 0 must be null`)
	f(`{"const":10}`, `1e1`, "")
	f(`{"const":10}`, `10.000000000000000001`, `value 10.000000000000000001 must be 10`)
	f(`{"const":9007199254740993}`, `9007199254740992`, `value 9007199254740992 must be 9007199254740993`)
	f(`{"const":"é"}`, `"\u00e9"`, "")
	f(`{"const":"😀"}`, `"\ud83d\ude00"`, "")
	f(`{"const":[1,2]}`, `[1,2,3]`, `value [1,2,3] must be [1,2]`)
	f(`{"const":[1,2,3]}`, `[1,2]`, `value [1,2] must be [1,2,3]`)
}

func TestNumbers(t *testing.T) {
	f := func(schema, instance, want string) { t.Helper(); check(t, schema, instance, want) }
	f(`{"minimum":1}`, `1`, "")
	f(`{"minimum":1}`, `0.999`, "0.999 is less than the minimum 1")
	f(`{"minimum":1}`, `"0"`, "") // numeric keywords ignore other types
	f(`{"minimum":-5}`, `-5.0`, "")
	f(`{"minimum":-5}`, `-5.01`, "-5.01 is less than the minimum -5")
	f(`{"minimum":0}`, `-0`, "")
	f(`{"minimum":9007199254740993}`, `9007199254740992`, "9007199254740992 is less than the minimum 9007199254740993")
	f(`{"maximum":1e2}`, `100`, "")
	f(`{"maximum":1e2}`, `100.0000000000000000001`, "100.0000000000000000001 is greater than the maximum 1e2")
	f(`{"maximum":1e2}`, `1e400`, "1e400 is greater than the maximum 1e2")
	f(`{"minimum":1e-400}`, `0`, "0 is less than the minimum 1e-400")
	f(`{"exclusiveMinimum":0}`, `0.0001`, "")
	f(`{"exclusiveMinimum":0}`, `0`, "0 must be greater than 0")
	f(`{"exclusiveMaximum":10}`, `9.99`, "")
	f(`{"exclusiveMaximum":10}`, `10.0`, "10.0 must be less than 10")
	f(`{"multipleOf":3}`, `9`, "")
	f(`{"multipleOf":3}`, `-9`, "")
	f(`{"multipleOf":3}`, `0`, "")
	f(`{"multipleOf":3}`, `9e30`, "")
	f(`{"multipleOf":3}`, `10`, "10 is not a multiple of 3")
	f(`{"multipleOf":3}`, `3.3`, "3.3 is not a multiple of 3")
	f(`{"multipleOf":0.1}`, `0.3`, "")
	f(`{"multipleOf":0.1}`, `0.35`, "0.35 is not a multiple of 0.1")
	f(`{"multipleOf":0.01}`, `19.99`, "")
	f(`{"multipleOf":1.5}`, `4.5`, "")
	f(`{"multipleOf":1.5}`, `4`, "4 is not a multiple of 1.5")
	f(`{"multipleOf":7}`, `100000000000000000000000000000000000000000000000000000000000001`, "100000000000000000000000000000000000000000000000000000000000001 is not a multiple of 7")
	f(`{"multipleOf":7}`, `7000000000000000000000000000000000000000000000000000000000000007`, "")
	f(`{"multipleOf":9999999999999999999}`, `99999999999999999990000`, "")
	f(`{"multipleOf":1e-20}`, `1.00000000000000000001`, "")
	f(`{"multipleOf":1}`, `1e-10`, "1e-10 is not a multiple of 1")
}

func TestStrings(t *testing.T) {
	f := func(schema, instance, want string) { t.Helper(); check(t, schema, instance, want) }
	f(`{"minLength":2}`, `"ab"`, "")
	f(`{"minLength":2}`, `"a"`, "string must have at least 2 characters, has 1")
	f(`{"minLength":2}`, `"é"`, "string must have at least 2 characters, has 1") // 2 bytes, 1 code point
	f(`{"minLength":2}`, `"\ud83d\ude00"`, "string must have at least 2 characters, has 1")
	f(`{"minLength":2}`, `3`, "")
	f(`{"maxLength":1}`, `"\u00e9"`, "")
	f(`{"maxLength":1}`, `"😀"`, "")
	f(`{"maxLength":1}`, `"\n\t"`, "string must have at most 1 character, has 2")
	f(`{"maxLength":0}`, `""`, "")
	f(`{"minLength":1.0}`, `""`, "string must have at least 1 character, has 0")
	f(`{"pattern":"^[a-z]+$"}`, `"abc"`, "")
	f(`{"pattern":"^[a-z]+$"}`, `"ab1"`, `"ab1" does not match the pattern "^[a-z]+$"`)
	f(`{"pattern":"b"}`, `"abc"`, "") // patterns are not anchored
	f(`{"pattern":"^a\\nb$"}`, `"a\nb"`, "")
	f(`{"pattern":"^\\u00e9$"}`, `"é"`, "")
	f(`{"pattern":"^\\ud83d\\ude00$"}`, `"\ud83d\ude00"`, "")
	f(`{"pattern":"^\\d{3}$"}`, `"12"`, `"12" does not match the pattern "^\\d{3}$"`)
	f(`{"pattern":"^x"}`, `null`, "")
	f(`{"format":"email"}`, `"not an email"`, "") // format is an annotation
}

func TestArrays(t *testing.T) {
	f := func(schema, instance, want string) { t.Helper(); check(t, schema, instance, want) }
	f(`{"items":{"type":"string"}}`, `["a","b"]`, "")
	f(`{"items":{"type":"string"}}`, `["a",2]`, "/1: expected string, got number")
	f(`{"items":{"type":"string"}}`, `{"0":1}`, "")
	f(`{"prefixItems":[{"type":"string"},{"type":"integer"}]}`, `["a",1,{}]`, "")
	f(`{"prefixItems":[{"type":"string"},{"type":"integer"}]}`, `["a"]`, "")
	f(`{"prefixItems":[{"type":"string"},{"type":"integer"}]}`, `["a",1.5]`, "/1: expected integer, got number")
	f(`{"prefixItems":[{"type":"string"}],"items":{"type":"integer"}}`, `["a",1,"b"]`, "/2: expected integer, got string")
	f(`{"prefixItems":[{},{}],"items":false}`, `[1,2]`, "")
	f(`{"prefixItems":[{},{}],"items":false}`, `[1,2,3,4]`, "array must have at most 2 items, has 4")
	f(`{"items":false}`, `[]`, "")
	f(`{"prefixItems":[false]}`, `[1]`, "/0: no value is allowed here")
	f(`{"minItems":2}`, `[1]`, "array must have at least 2 items, has 1")
	f(`{"maxItems":1}`, `[1,2]`, "array must have at most 1 item, has 2")
	f(`{"maxItems":1}`, `[[1,2]]`, "")
	f(`{"uniqueItems":true}`, `[1,"1",[1],{"a":1},true,null]`, "")
	f(`{"uniqueItems":true}`, `[1,2,1.0]`, "array items 0 and 2 are equal")
	f(`{"uniqueItems":true}`, `[{"a":1,"b":2},{"b":2,"a":1}]`, "array items 0 and 1 are equal")
	f(`{"uniqueItems":true}`, `["x","\u0078"]`, "array items 0 and 1 are equal")
	f(`{"uniqueItems":true}`, `[[1,2],[2,1]]`, "")
	f(`{"uniqueItems":false}`, `[1,1]`, "")
	f(`{"uniqueItems":true}`, longArray(40, -1, -1), "")
	f(`{"uniqueItems":true}`, longArray(40, 31, 12), "array items 12 and 31 are equal")
	f(`{"contains":{"type":"string"}}`, `[1,"a"]`, "")
	f(`{"contains":{"type":"string"}}`, `[1,2]`, "array must have at least 1 item matching the contains schema, has 0")
	f(`{"contains":{"type":"string"}}`, `[]`, "array must have at least 1 item matching the contains schema, has 0")
	f(`{"contains":{"type":"string"},"minContains":2}`, `["a",1,"b"]`, "")
	f(`{"contains":{"type":"string"},"minContains":2}`, `["a",1]`, "array must have at least 2 items matching the contains schema, has 1")
	f(`{"contains":{"type":"string"},"minContains":0}`, `[1]`, "")
	f(`{"contains":{"type":"string"},"maxContains":1}`, `["a",1,"b"]`, "array must have at most 1 item matching the contains schema, has 2")
	f(`{"minContains":5}`, `[1]`, "") // no effect without contains
}

// longArray renders n distinct integers, with item dup set equal to item
// orig when both are non-negative.
func longArray(n, dup, orig int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		v := i
		if i == dup {
			v = orig
		}
		b.WriteString(`{"k":[` + strconv.Itoa(v) + `]}`)
	}
	b.WriteByte(']')
	return b.String()
}

func TestObjects(t *testing.T) {
	f := func(schema, instance, want string) { t.Helper(); check(t, schema, instance, want) }
	props := `{"properties":{"a":{"type":"string"},"b/c~d":{"type":"integer"}}`
	f(props+`}`, `{"a":"x","b/c~d":1,"z":null}`, "")
	f(props+`}`, `{"a":1}`, "/a: expected string, got number")
	f(props+`}`, `{"b/c~d":"1"}`, "/b~1c~0d: expected integer, got string")
	f(props+`}`, `{"\u0061":1}`, "/a: expected string, got number")
	f(props+`,"additionalProperties":false}`, `{"a":"x"}`, "")
	f(props+`,"additionalProperties":false}`, `{"a":"x","zz":1}`, `unexpected property "zz"`)
	f(props+`,"additionalProperties":{"type":"boolean"}}`, `{"a":"x","zz":true}`, "")
	f(props+`,"additionalProperties":{"type":"boolean"}}`, `{"a":"x","zz":1}`, "/zz: expected boolean, got number")
	f(`{"patternProperties":{"^x-":{"type":"string"},"y$":{"minLength":2}},"additionalProperties":false}`, `{"x-a":"1","ay":"12","x-y":"12"}`, "")
	f(`{"patternProperties":{"^x-":{"type":"string"},"y$":{"minLength":2}},"additionalProperties":false}`, `{"x-y":"1"}`, "/x-y: string must have at least 2 characters, has 1")
	f(`{"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false}`, `{"y":1}`, `unexpected property "y"`)
	f(`{"propertyNames":{"maxLength":3}}`, `{"abc":1,"de":2}`, "")
	f(`{"propertyNames":{"maxLength":3}}`, `{"abcd":1}`, `property name "abcd" is invalid: string must have at most 3 characters, has 4`)
	f(`{"propertyNames":{"pattern":"^[a-z]+$"}}`, `{"a\u0031":1}`, `property name "a1" is invalid: "a1" does not match the pattern "^[a-z]+$"`)
	f(`{"propertyNames":false}`, `{}`, "")
	f(`{"required":["a","b"]}`, `{"b":1,"a":2}`, "")
	f(`{"required":["a","b"]}`, `{"b":1}`, `missing required property "a"`)
	f(`{"required":["a"]}`, `{"\u0061":1}`, "")
	f(`{"required":["a"]}`, `[]`, "")
	f(`{"required":[]}`, `{}`, "")
	f(`{"minProperties":1}`, `{}`, "object must have at least 1 property, has 0")
	f(`{"maxProperties":1}`, `{"a":1,"b":2}`, "object must have at most 1 property, has 2")
	f(`{"dependentRequired":{"card":["billing","cvv"]}}`, `{"card":1,"billing":2,"cvv":3}`, "")
	f(`{"dependentRequired":{"card":["billing","cvv"]}}`, `{"x":1}`, "")
	f(`{"dependentRequired":{"card":["billing","cvv"]}}`, `{"card":1,"billing":2}`, `property "cvv" is required when "card" is present`)
	f(`{"dependentSchemas":{"card":{"required":["cvv"]}}}`, `{"card":1}`, `missing required property "cvv"`)
	f(`{"dependentSchemas":{"card":{"required":["cvv"]}}}`, `{"cvv":1}`, "")
	f(`{"properties":{"a":{"properties":{"b":{"items":{"const":1}}}}}}`, `{"a":{"b":[1,1,2]}}`, "/a/b/2: value 2 must be 1")
}

func TestApplicators(t *testing.T) {
	f := func(schema, instance, want string) { t.Helper(); check(t, schema, instance, want) }
	f(`{"allOf":[{"type":"integer"},{"minimum":2}]}`, `3`, "")
	f(`{"allOf":[{"type":"integer"},{"minimum":2}]}`, `1`, "1 is less than the minimum 2")
	f(`{"anyOf":[{"type":"string"},{"type":"integer"}]}`, `1`, "")
	f(`{"anyOf":[{"type":"string"},{"type":"integer"}]}`, `1.5`,
		"value does not match any alternative of anyOf: (0) expected string, got number; (1) expected integer, got number")
	f(`{"properties":{"p":{"anyOf":[{"required":["x"]},{"properties":{"y":{"type":"null"}}}]}}}`, `{"p":{"y":1}}`,
		`/p: value does not match any alternative of anyOf: (0) missing required property "x"; (1) /y: expected null, got number`)
	f(`{"oneOf":[{"type":"string"},{"type":"integer"}]}`, `1`, "")
	f(`{"oneOf":[{"type":"number"},{"type":"integer"}]}`, `1`, "value matches alternatives 0 and 1 of oneOf, but must match exactly one")
	f(`{"oneOf":[{"type":"number"},{"type":"integer"}]}`, `1.5`, "")
	f(`{"oneOf":[{"type":"null"}]}`, `1`, "value does not match any alternative of oneOf: (0) expected null, got number")
	f(`{"not":{"type":"string"}}`, `1`, "")
	f(`{"not":{"type":"string"}}`, `"x"`, `value must not match the schema in "not"`)
	f(`{"if":{"properties":{"kind":{"const":"a"}}},"then":{"required":["a"]},"else":{"required":["b"]}}`, `{"kind":"a","a":1}`, "")
	f(`{"if":{"properties":{"kind":{"const":"a"}}},"then":{"required":["a"]},"else":{"required":["b"]}}`, `{"kind":"a"}`, `missing required property "a"`)
	f(`{"if":{"properties":{"kind":{"const":"a"}}},"then":{"required":["a"]},"else":{"required":["b"]}}`, `{"kind":"c"}`, `missing required property "b"`)
	f(`{"if":{"type":"string"}}`, `1`, "")
	f(`{"then":false}`, `1`, "")
	f(`true`, `{"anything":[1]}`, "")
	f(`false`, `null`, "no value is allowed here")
	f(`{}`, `[1,{}]`, "")
	f(`{"properties":{"a":false}}`, `{"a":1}`, "/a: no value is allowed here")
	f(`{"anyOf":[{"not":{"anyOf":[{"type":"string"}]}}]}`, `1`, "")
}

func TestRefs(t *testing.T) {
	f := func(schema, instance, want string) { t.Helper(); check(t, schema, instance, want) }
	tree := `{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}},"$ref":"#/$defs/node"}`
	f(tree, `{"v":1,"kids":[{"v":2},{"v":3,"kids":[{"v":4}]}]}`, "")
	f(tree, `{"v":1,"kids":[{"v":2},{"v":3,"kids":[{"v":"4"}]}]}`, "/kids/1/kids/0/v: expected integer, got string")
	f(tree, `{"v":1,"kids":[{}]}`, `/kids/0: missing required property "v"`)
	f(`{"properties":{"self":{"$ref":"#"}},"type":"object"}`, `{"self":{"self":{}}}`, "")
	f(`{"properties":{"self":{"$ref":"#"}},"type":"object"}`, `{"self":{"self":1}}`, "/self/self: expected object, got number")
	f(`{"definitions":{"s":{"type":"string"}},"items":{"$ref":"#/definitions/s"}}`, `["a",1]`, "/1: expected string, got number")
	f(`{"$defs":{"s":{"$anchor":"str","type":"string"}},"items":{"$ref":"#str"}}`, `[1]`, "/0: expected string, got number")
	f(`{"$defs":{"a b":{"type":"string"},"c/d":{"type":"null"}},"prefixItems":[{"$ref":"#/$defs/a%20b"},{"$ref":"#/$defs/c~1d"}]}`, `["x",null]`, "")
	f(`{"$defs":{"a b":{"type":"string"},"c/d":{"type":"null"}},"prefixItems":[{"$ref":"#/$defs/a%20b"},{"$ref":"#/$defs/c~1d"}]}`, `["x",1]`, "/1: expected null, got number")
	f(`{"$id":"https://example.com/s.json","$defs":{"s":{"type":"string"}},"items":{"$ref":"https://example.com/s.json#/$defs/s"}}`, `[1]`, "/0: expected string, got number")
	f(`{"properties":{"a":{"type":"string"}},"items":{"$ref":"#/properties/a"}}`, `[1]`, "/0: expected string, got number")
	f(`{"x-custom":{"type":"string"},"items":{"$ref":"#/x-custom"}}`, `[1]`, "/0: expected string, got number")
	f(`{"enum":[{"type":"string"}, 1],"not":{"$ref":"#/enum/0"}}`, `1`, "")
	// 2020-12: $ref siblings apply.
	f(`{"$defs":{"s":{"type":"string"}},"$ref":"#/$defs/s","maxLength":1}`, `"ab"`, "string must have at most 1 character, has 2")
	// Nesting deeper than maxDepth fails cleanly instead of overflowing the stack.
	deep := strings.Repeat("[", maxDepth+10) + strings.Repeat("]", maxDepth+10)
	f(`{"items":{"$ref":"#"}}`, deep, strings.Repeat("/0", maxDepth/2)+": "+depthMessage) // items + $ref: two applications per level
}

func TestDepthLimitInsideNot(t *testing.T) {
	// A depth failure inside a quietly tried subschema must not turn into a
	// "not" success: it fails the whole call.
	s, err := Compile([]byte(`{"not":{"items":{"$ref":"#/not"},"minItems":5}}`))
	if err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat("[", maxDepth+10) + strings.Repeat("]", maxDepth+10)
	err = s.Validate([]byte(deep))
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Keyword != "" || ve.Message != depthMessage {
		t.Fatalf("got %v, want the depth limit error", err)
	}
}

func TestDraft07(t *testing.T) {
	f := func(schema, instance, want string) { t.Helper(); check(t, schema, instance, want) }
	d7 := `"$schema":"http://json-schema.org/draft-07/schema#",`
	f(`{`+d7+`"items":[{"type":"string"},{"type":"integer"}]}`, `["a",1,null]`, "")
	f(`{`+d7+`"items":[{"type":"string"},{"type":"integer"}]}`, `["a","b"]`, "/1: expected integer, got string")
	f(`{`+d7+`"items":[{"type":"string"}],"additionalItems":false}`, `["a","b"]`, "array must have at most 1 item, has 2")
	f(`{`+d7+`"items":{"type":"string"},"additionalItems":false}`, `["a","b"]`, "")
	// prefixItems is not a draft-07 keyword.
	f(`{`+d7+`"prefixItems":[{"type":"string"}]}`, `[1]`, "")
	// draft-07 ignores the siblings of $ref.
	f(`{`+d7+`"definitions":{"s":{"type":"string"}},"properties":{"a":{"$ref":"#/definitions/s","maxLength":1}}}`, `{"a":"long"}`, "")
	f(`{`+d7+`"definitions":{"s":{"type":"string"}},"properties":{"a":{"$ref":"#/definitions/s"}}}`, `{"a":1}`, "/a: expected string, got number")
	f(`{`+d7+`"definitions":{"s":{"$id":"#str","type":"string"}},"items":{"$ref":"#str"}}`, `[1]`, "/0: expected string, got number")
	f(`{`+d7+`"dependencies":{"a":["b"],"c":{"required":["d"]}}}`, `{"a":1}`, `property "b" is required when "a" is present`)
	f(`{`+d7+`"dependencies":{"a":["b"],"c":{"required":["d"]}}}`, `{"c":1}`, `missing required property "d"`)
	f(`{`+d7+`"dependencies":{"a":["b"],"c":{"required":["d"]}}}`, `{"a":1,"b":2,"c":3,"d":4}`, "")
	f(`{"$schema":"https://json-schema.org/draft/2020-12/schema","dependencies":{"a":["b"]}}`, `{"a":1}`, "")
}

func TestErrorLocation(t *testing.T) {
	s, err := Compile([]byte(`{"properties":{"text":{"type":"string"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Validate([]byte(`{"text":3}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v", err)
	}
	want := ValidationError{InstancePath: "/text", Keyword: "type", Message: "expected string, got number"}
	if *ve != want {
		t.Fatalf("got %+v, want %+v", *ve, want)
	}
	if ve.Error() != "/text: expected string, got number" {
		t.Fatalf("Error() = %q", ve.Error())
	}
}

func TestMessagesTruncate(t *testing.T) {
	long := strings.Repeat("x", 100)
	check(t, `{"enum":["a"]}`, `"`+long+`"`, `value "`+strings.Repeat("x", maxDescribed)+`…" is not one of ["a"]`)
}

func TestValidateConcurrent(t *testing.T) {
	s, err := Compile([]byte(nestedSchema))
	if err != nil {
		t.Fatal(err)
	}
	valid := []byte(nestedInstance)
	invalid := []byte(strings.Replace(nestedInstance, `"qty":10`, `"qty":0`, 1))
	const want = "/items/2/qty: 0 is less than the minimum 1"
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if err := s.Validate(valid); err != nil {
					t.Errorf("valid instance: %v", err)
					return
				}
				if err := s.Validate(invalid); err == nil || err.Error() != want {
					t.Errorf("invalid instance: got %v, want %s", err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

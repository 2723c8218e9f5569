package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
)

// The oracle is github.com/google/jsonschema-go (the validator the official
// Go SDK uses): Resolve the schema, decode the instance into any with
// encoding/json, Validate. Only verdicts are compared; messages differ.
//
// Where the oracle departs from the specification our result is the
// specified one and the case is skipped (table) or filtered (fuzz):
//   - it decodes numbers to float64, so integers beyond 2^53 and decimals
//     without an exact binary value (0.1) are compared after rounding;
//   - multipleOf divides in float64: 0.3 is not a multiple of 0.1 there,
//     and 2^60 is "a multiple of 3";
//   - numbers beyond float64's range (1e400) fail to decode at all.

func oracle(t testing.TB, schema string) *jsonschema.Resolved {
	t.Helper()
	var s jsonschema.Schema
	if err := json.Unmarshal([]byte(schema), &s); err != nil {
		t.Fatalf("oracle cannot read %s: %v", schema, err)
	}
	r, err := s.Resolve(nil)
	if err != nil {
		t.Fatalf("oracle cannot resolve %s: %v", schema, err)
	}
	return r
}

// oracleVerdict decodes instance and validates it; skip reports an
// instance the oracle cannot judge to the specification (see above).
func oracleVerdict(r *jsonschema.Resolved, instance []byte) (valid, skip bool) {
	if !comparable(instance) {
		return false, true
	}
	var v any
	if err := json.Unmarshal(instance, &v); err != nil {
		return false, true
	}
	return r.Validate(v) == nil, false
}

// float64Exact bounds the numbers compared with the oracle: below 2^50 a
// float64 holds every integer exactly and float division by a small
// integer cannot round a fraction away.
const float64Exact = 1 << 50

// comparable reports that instance is strict JSON (valid UTF-8, no
// duplicate keys) whose every number is exactly a float64 below
// float64Exact in magnitude.
func comparable(instance []byte) bool {
	if !json.Valid(instance) || !utf8.Valid(instance) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(instance))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // next string token is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].key
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				stack = append(stack, frame{object: true, keys: map[string]bool{}, key: true})
				continue
			case '[':
				stack = append(stack, frame{})
				continue
			default:
				stack = stack[:top]
				top--
			}
		case string:
			if isKey {
				if stack[top].keys[tok] {
					return false
				}
				stack[top].keys[tok] = true
				stack[top].key = false
				continue
			}
		case json.Number:
			if !exactFloat(tok.String()) {
				return false
			}
		}
		if top >= 0 && stack[top].object {
			stack[top].key = true // a value ended: a key comes next
		}
	}
}

func exactFloat(s string) bool {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Abs(f) >= float64Exact {
		return false
	}
	return new(big.Rat).SetFloat64(f).Cmp(r) == 0
}

type diffCase struct {
	schema, instance string
}

var diffCases = []diffCase{
	{`{"type":"integer"}`, `1.0`},
	{`{"type":"integer"}`, `1.5`},
	{`{"type":["null","array"],"items":{"type":"string"}}`, `null`},
	{`{"type":["null","array"],"items":{"type":"string"}}`, `["a",1]`},
	{`{"enum":["a",1,{"k":[true]}]}`, `{"k":[true]}`},
	{`{"enum":["a",1,{"k":[true]}]}`, `1.0`},
	{`{"enum":["a",1,{"k":[true]}]}`, `"b"`},
	{`{"const":{"a":1,"b":2}}`, `{"b":2,"a":1}`},
	{`{"const":{"a":1,"b":2}}`, `{"b":2}`},
	{`{"minimum":1.5,"exclusiveMaximum":10}`, `1.5`},
	{`{"minimum":1.5,"exclusiveMaximum":10}`, `10`},
	{`{"multipleOf":0.5}`, `2.5`},
	{`{"multipleOf":0.5}`, `2.25`},
	{`{"minLength":2,"maxLength":3}`, `"😀😀"`},
	{`{"minLength":2,"maxLength":3}`, `"\u00e9"`},
	{`{"pattern":"^[a-z]+\\d$"}`, `"abc1"`},
	{`{"pattern":"^[a-z]+\\d$"}`, `"abc"`},
	{`{"prefixItems":[{"type":"string"}],"items":{"type":"integer"}}`, `["a",1,2]`},
	{`{"prefixItems":[{"type":"string"}],"items":false}`, `["a",1]`},
	{`{"minItems":1,"maxItems":2,"uniqueItems":true}`, `[{"a":1},{"a":1.0}]`},
	{`{"uniqueItems":true}`, `[1,"1",[1]]`},
	{`{"contains":{"const":2},"minContains":2,"maxContains":3}`, `[2,2,1]`},
	{`{"contains":{"const":2},"minContains":2,"maxContains":3}`, `[2,2,2,2]`},
	{`{"properties":{"a":{"type":"string"}},"patternProperties":{"^x":{"type":"integer"}},"additionalProperties":false}`, `{"a":"s","x1":1}`},
	{`{"properties":{"a":{"type":"string"}},"patternProperties":{"^x":{"type":"integer"}},"additionalProperties":false}`, `{"a":"s","y":1}`},
	{`{"propertyNames":{"pattern":"^[a-z]+$"},"minProperties":1,"maxProperties":2}`, `{"ab":1}`},
	{`{"propertyNames":{"pattern":"^[a-z]+$"},"minProperties":1,"maxProperties":2}`, `{"A":1}`},
	{`{"required":["a"],"dependentRequired":{"a":["b"]}}`, `{"a":1,"b":2}`},
	{`{"required":["a"],"dependentRequired":{"a":["b"]}}`, `{"a":1}`},
	{`{"allOf":[{"type":"number"},{"maximum":3}],"not":{"const":2}}`, `2`},
	{`{"allOf":[{"type":"number"},{"maximum":3}],"not":{"const":2}}`, `1`},
	{`{"anyOf":[{"type":"string"},{"minimum":3}]}`, `2`},
	{`{"oneOf":[{"type":"integer"},{"minimum":3}]}`, `4`},
	{`{"oneOf":[{"type":"integer"},{"minimum":3}]}`, `3.5`},
	{`{"if":{"required":["a"]},"then":{"required":["b"]},"else":{"required":["c"]}}`, `{"a":1}`},
	{`{"if":{"required":["a"]},"then":{"required":["b"]},"else":{"required":["c"]}}`, `{"c":1}`},
	{`{"$defs":{"n":{"type":"object","properties":{"k":{"items":{"$ref":"#/$defs/n"}}}}},"$ref":"#/$defs/n"}`, `{"k":[{"k":[]},{"k":[{}]}]}`},
	{`{"$defs":{"n":{"type":"object","properties":{"k":{"items":{"$ref":"#/$defs/n"}}}}},"$ref":"#/$defs/n"}`, `{"k":[{"k":[1]}]}`},
	{`{"$schema":"http://json-schema.org/draft-07/schema#","items":[{"type":"string"}],"additionalItems":{"type":"integer"}}`, `["a",1,"b"]`},
	{`{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"s":{"type":"string"}},"properties":{"a":{"$ref":"#/definitions/s"}}}`, `{"a":1}`},
	{`false`, `1`},
	{`true`, `{"x":[null]}`},
	// Skipped: the oracle compares float64 values, not the JSON numbers.
	// {`{"multipleOf":0.1}`, `0.3`}: 0.3/0.1 = 2.9999999999999996 in float64.
	// {`{"minimum":9007199254740993}`, `9007199254740992`}: both decode to 2^53.
}

func TestDifferential(t *testing.T) {
	for _, c := range diffCases {
		s, err := Compile([]byte(c.schema))
		if err != nil {
			t.Fatalf("Compile(%s): %v", c.schema, err)
		}
		want, skip := oracleVerdict(oracle(t, c.schema), []byte(c.instance))
		if skip {
			t.Fatalf("case %s / %s is outside the oracle's range; move it to the skipped list", c.schema, c.instance)
		}
		err = s.Validate([]byte(c.instance))
		if got := err == nil; got != want {
			t.Errorf("schema %s, instance %s: valid=%v (%v), oracle valid=%v", c.schema, c.instance, got, err, want)
		}
	}
}

// fuzzArgs is the struct whose inferred schema the fuzz target checks.
type fuzzArgs struct {
	Text  string            `json:"text"`
	N     int               `json:"n,omitempty"`
	Tags  []string          `json:"tags,omitempty"`
	Ratio *float64          `json:"ratio,omitempty"`
	Meta  map[string]string `json:"meta,omitempty"`
	Inner struct {
		On bool `json:"on"`
	} `json:"inner,omitzero"`
}

// fuzzSchemas cover every supported keyword between them.
var fuzzSchemas = []string{
	inferred[fuzzArgs](),
	`{"type":"object","properties":{"n":{"type":"integer","minimum":-10,"exclusiveMaximum":1000,"multipleOf":3},` +
		`"f":{"type":"number","exclusiveMinimum":-1.5,"maximum":2.25,"multipleOf":0.25},` +
		`"s":{"type":"string","minLength":1,"maxLength":5,"pattern":"^[a-z]*$"},` +
		`"e":{"enum":["a",1,null,[1,{"x":true}]]},"c":{"const":{"k":[1,"v"]}}},` +
		`"additionalProperties":{"type":["boolean","null","string"]},"propertyNames":{"maxLength":3},"maxProperties":4}`,
	`{"type":"array","prefixItems":[{"type":"string"},{"type":["integer","null"]}],"items":{"type":["integer","array","object","string"]},` +
		`"uniqueItems":true,"contains":{"type":"integer"},"minContains":1,"maxContains":3,"maxItems":24}`,
	`{"$defs":{"v":{"anyOf":[{"type":"string","maxLength":2},{"type":"array","items":{"$ref":"#/$defs/v"},"maxItems":3}]}},` +
		`"$ref":"#/$defs/v","not":{"const":"x"}}`,
	`{"oneOf":[{"type":"integer"},{"minimum":2},{"type":"object","required":["a"]}],` +
		`"if":{"type":"object","required":["k"]},"then":{"properties":{"k":{"const":"v"}}},"else":{"maxProperties":2}}`,
	`{"type":"object","patternProperties":{"^x-":{"type":"string"},"[0-9]":{"type":"number"}},"additionalProperties":false,` +
		`"dependentRequired":{"x-a":["x-b"]},"dependentSchemas":{"x-c":{"required":["1"]}},"minProperties":1}`,
}

func inferred[T any]() string {
	s, err := ForType[T]()
	if err != nil {
		panic(err)
	}
	return string(s.JSON())
}

var fuzzSeeds = []string{
	`{"text":"hello","n":3,"tags":["a","b"]}`,
	`{"text":"x","ratio":null,"meta":{"a":"b"},"inner":{"on":true}}`,
	`{"text":"x","inner":{}}`,
	`{"text":1}`,
	`{"n":3,"f":0.75,"s":"abc","e":[1,{"x":true}],"c":{"k":[1,"v"]}}`,
	`{"n":1000,"f":2.5,"s":"ABC","e":2,"c":{"k":[1]}}`,
	`{"abcd":true}`,
	`["a",null,1,[1],{"a":1},1.0]`,
	`["a",1,2,3,4]`,
	`["a",1,{"x":1},{"x":1}]`,
	`["ab",["x",["y"]]]`,
	`"x"`,
	`[[[[["abc"]]]]]`,
	`{"k":"v","a":1}`,
	`{"k":"w"}`,
	`5`,
	`2.5`,
	`{"x-a":"s","x-b":"t","x-c":"u","1":2}`,
	`{"x-a":"s"}`,
	`{"x-c":"u"}`,
	`{"9":"u"}`,
	`{}`,
	`null`,
	`{"text":"\ud83d\ude00\u0000","tags":["\u0061"]}`,
	`{"a":1,"a":2}`,
	`{"text":"x","n":9007199254740993}`,
	`[1e400]`,
	`{"text":`,
}

func FuzzValidate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	ours := make([]*Schema, len(fuzzSchemas))
	theirs := make([]*jsonschema.Resolved, len(fuzzSchemas))
	for i, doc := range fuzzSchemas {
		s, err := Compile([]byte(doc))
		if err != nil {
			f.Fatalf("Compile(%s): %v", doc, err)
		}
		ours[i], theirs[i] = s, oracle(f, doc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The bytes are tried as an instance themselves, and as the choices
		// of a generator that builds valid JSON from the schemas' own
		// vocabulary: random bytes are rarely valid JSON, and even more
		// rarely an object that reaches past "required".
		generated := (&instanceGen{choices: data}).value(nil, 0)
		edited := (&instanceGen{choices: data}).edit()
		for _, instance := range [][]byte{data, generated, edited} {
			for i := range ours {
				err := ours[i].Validate(instance) // must not panic on any bytes
				want, skip := oracleVerdict(theirs[i], instance)
				if skip {
					continue
				}
				if got := err == nil; got != want {
					t.Fatalf("schema %s\ninstance %s\nvalid=%v (%v), oracle valid=%v", fuzzSchemas[i], instance, got, err, want)
				}
			}
		}
	})
}

// instanceGen turns fuzz bytes into one JSON value.
type instanceGen struct {
	choices []byte
	next    int
}

// maxGenDepth keeps generated instances small enough to shrink well.
const maxGenDepth = 4

var (
	genKeys = []string{`"text"`, `"n"`, `"tags"`, `"ratio"`, `"meta"`, `"inner"`, `"on"`, `"f"`, `"s"`, `"e"`, `"c"`,
		`"k"`, `"a"`, `"x"`, `"x-a"`, `"x-b"`, `"x-c"`, `"1"`, `"9"`, `"abcd"`, `"\u0074ext"`, `"x-\u0031"`}
	genStrings = []string{`""`, `"a"`, `"ab"`, `"abc"`, `"abcd"`, `"ABC"`, `"x"`, `"v"`, `"w"`, `"😀"`, `"\u0061"`,
		`"\ud83d\ude00"`, `"a\nb"`, `"hello"`, `"abcdef"`, `"\ud800"`}
	genNumbers = []string{`0`, `-0`, `1`, `1.0`, `2`, `2.5`, `3`, `-10`, `-11`, `999`, `1000`, `1e2`, `0.25`, `0.75`,
		`-1.5`, `-1.25`, `2.25`, `2.5e0`, `4`, `6`, `7`, `0.1`, `9007199254740993`, `1e400`, `-9.75`, `12e-1`}
)

// validBases are instances valid against some fuzz schema; edit replaces
// one value inside one of them, so most results are nearly valid and the
// fuzzer exercises deep keywords rather than the first type check.
var validBases = []string{
	`{"text":"hello","n":3,"tags":["a","b"],"ratio":0.5,"meta":{"a":"b"},"inner":{"on":true}}`,
	`{"n":3,"f":0.75,"s":"abc","e":[1,{"x":true}]}`,
	`{"c":{"k":[1,"v"]},"abc":true,"n":-9}`,
	`["a",null,1,[1],{"a":1},"x"]`,
	`["ab",["x",["y"]]]`,
	`{"k":"v","a":1}`,
	`{"x-a":"s","x-b":"t","x-c":"u","1":2}`,
}

func (g *instanceGen) edit() []byte {
	base := []byte(validBases[g.choose(len(validBases))])
	spans := valueSpans(base, 0, nil)
	span := spans[g.choose(len(spans))]
	out := append([]byte(nil), base[:span[0]]...)
	out = g.value(out, 1)
	return append(out, base[span[1]:]...)
}

// valueSpans lists the [start, end) offsets of v (at offset off) and of
// every value nested in it.
func valueSpans(v []byte, off int, spans [][2]int) [][2]int {
	spans = append(spans, [2]int{off, off + len(v)})
	sub := func(e []byte) { spans = valueSpans(e, off+int(cap(v)-cap(e)), spans) }
	switch valueKind(v) {
	case kindArray:
		it := newElements(v)
		for e, ok := it.next(); ok; e, ok = it.next() {
			sub(e)
		}
	case kindObject:
		it := newMembers(v)
		for _, e, ok := it.next(); ok; _, e, ok = it.next() {
			sub(e)
		}
	}
	return spans
}

func (g *instanceGen) choose(n int) int {
	if g.next >= len(g.choices) {
		return 0
	}
	c := g.choices[g.next]
	g.next++
	return int(c) % n
}

func (g *instanceGen) value(out []byte, depth int) []byte {
	kinds := 8
	if depth >= maxGenDepth {
		kinds = 4
	}
	switch g.choose(kinds) {
	case 0:
		return append(out, "null"...)
	case 1:
		return append(out, [...]string{"true", "false"}[g.choose(2)]...)
	case 2:
		return append(out, genNumbers[g.choose(len(genNumbers))]...)
	case 3:
		return append(out, genStrings[g.choose(len(genStrings))]...)
	case 4, 5:
		out = append(out, '[')
		for i := range g.choose(6) {
			if i > 0 {
				out = append(out, ',')
			}
			out = g.value(out, depth+1)
		}
		return append(out, ']')
	}
	out = append(out, '{')
	used := map[int]bool{}
	for range g.choose(6) {
		k := g.choose(len(genKeys))
		if used[k] {
			continue
		}
		if len(used) > 0 {
			out = append(out, ',')
		}
		used[k] = true
		out = append(append(out, genKeys[k]...), ':')
		out = g.value(out, depth+1)
	}
	return append(out, '}')
}

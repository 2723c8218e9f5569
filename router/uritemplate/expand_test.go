package uritemplate

import (
	"errors"
	"testing"
)

// rfcVars is the variable set of RFC 6570 §3.2.
var rfcVars = map[string]any{
	"count":      []string{"one", "two", "three"},
	"dom":        []string{"example", "com"},
	"dub":        "me/too",
	"hello":      "Hello World!",
	"half":       "50%",
	"var":        "value",
	"who":        "fred",
	"base":       "http://example.com/home/",
	"path":       "/foo/bar",
	"list":       []string{"red", "green", "blue"},
	"keys":       map[string]string{"semi": ";", "dot": ".", "comma": ","},
	"v":          "6",
	"x":          "1024",
	"y":          "768",
	"empty":      "",
	"empty_keys": map[string]string{},
	"undef":      nil,
}

func expandRFC(t *testing.T) func(tmpl, want string) {
	return func(tmpl, want string) {
		t.Helper()
		tp, err := Parse(tmpl)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tmpl, err)
		}
		got, err := tp.Expand(rfcVars)
		if err != nil {
			t.Fatalf("Expand(%q): %v", tmpl, err)
		}
		if got != want {
			t.Fatalf("Expand(%q) = %q, want %q", tmpl, got, want)
		}
	}
}

// The RFC allows any order for associative arrays; Expand sorts the keys, so
// "keys" always expands as comma, dot, semi.

func TestExpandLevel1(t *testing.T) {
	f := expandRFC(t)
	f("{var}", "value")
	f("{hello}", "Hello%20World%21")
}

func TestExpandLevel2(t *testing.T) {
	f := expandRFC(t)
	f("{+var}", "value")
	f("{+hello}", "Hello%20World!")
	f("{+path}/here", "/foo/bar/here")
	f("here?ref={+path}", "here?ref=/foo/bar")
	f("X{#var}", "X#value")
	f("X{#hello}", "X#Hello%20World!")
}

func TestExpandLevel3(t *testing.T) {
	f := expandRFC(t)
	f("map?{x,y}", "map?1024,768")
	f("{x,hello,y}", "1024,Hello%20World%21,768")
	f("{+x,hello,y}", "1024,Hello%20World!,768")
	f("{+path,x}/here", "/foo/bar,1024/here")
	f("{#x,hello,y}", "#1024,Hello%20World!,768")
	f("{#path,x}/here", "#/foo/bar,1024/here")
	f("X{.var}", "X.value")
	f("X{.x,y}", "X.1024.768")
	f("{/var}", "/value")
	f("{/var,x}/here", "/value/1024/here")
	f("{;x,y}", ";x=1024;y=768")
	f("{;x,y,empty}", ";x=1024;y=768;empty")
	f("{?x,y}", "?x=1024&y=768")
	f("{?x,y,empty}", "?x=1024&y=768&empty=")
	f("?fixed=yes{&x}", "?fixed=yes&x=1024")
	f("{&x,y,empty}", "&x=1024&y=768&empty=")
}

func TestExpandLevel4(t *testing.T) {
	f := expandRFC(t)
	f("{var:3}", "val")
	f("{var:30}", "value")
	f("{list}", "red,green,blue")
	f("{list*}", "red,green,blue")
	f("{keys}", "comma,%2C,dot,.,semi,%3B")
	f("{keys*}", "comma=%2C,dot=.,semi=%3B")
	f("{+path:6}/here", "/foo/b/here")
	f("{+list}", "red,green,blue")
	f("{+list*}", "red,green,blue")
	f("{+keys}", "comma,,,dot,.,semi,;")
	f("{+keys*}", "comma=,,dot=.,semi=;")
	f("{#path:6}/here", "#/foo/b/here")
	f("{#list}", "#red,green,blue")
	f("{#list*}", "#red,green,blue")
	f("{#keys}", "#comma,,,dot,.,semi,;")
	f("{#keys*}", "#comma=,,dot=.,semi=;")
	f("X{.var:3}", "X.val")
	f("X{.list}", "X.red,green,blue")
	f("X{.list*}", "X.red.green.blue")
	f("X{.keys}", "X.comma,%2C,dot,.,semi,%3B")
	f("X{.keys*}", "X.comma=%2C.dot=..semi=%3B")
	f("{/var:1,var}", "/v/value")
	f("{/list}", "/red,green,blue")
	f("{/list*}", "/red/green/blue")
	f("{/list*,path:4}", "/red/green/blue/%2Ffoo")
	f("{/keys}", "/comma,%2C,dot,.,semi,%3B")
	f("{/keys*}", "/comma=%2C/dot=./semi=%3B")
	f("{;hello:5}", ";hello=Hello")
	f("{;list}", ";list=red,green,blue")
	f("{;list*}", ";list=red;list=green;list=blue")
	f("{;keys}", ";keys=comma,%2C,dot,.,semi,%3B")
	f("{;keys*}", ";comma=%2C;dot=.;semi=%3B")
	f("{?var:3}", "?var=val")
	f("{?list}", "?list=red,green,blue")
	f("{?list*}", "?list=red&list=green&list=blue")
	f("{?keys}", "?keys=comma,%2C,dot,.,semi,%3B")
	f("{?keys*}", "?comma=%2C&dot=.&semi=%3B")
	f("{&var:3}", "&var=val")
	f("{&list}", "&list=red,green,blue")
	f("{&list*}", "&list=red&list=green&list=blue")
	f("{&keys}", "&keys=comma,%2C,dot,.,semi,%3B")
	f("{&keys*}", "&comma=%2C&dot=.&semi=%3B")
}

// TestExpandSections covers the per-operator examples of RFC 6570 §3.2.1 to
// §3.2.9 not already in the level tests.
func TestExpandSections(t *testing.T) {
	f := expandRFC(t)
	// §3.2.1 Variable Expansion
	f("{count}", "one,two,three")
	f("{count*}", "one,two,three")
	f("{/count}", "/one,two,three")
	f("{/count*}", "/one/two/three")
	f("{;count}", ";count=one,two,three")
	f("{;count*}", ";count=one;count=two;count=three")
	f("{?count}", "?count=one,two,three")
	f("{?count*}", "?count=one&count=two&count=three")
	f("{&count*}", "&count=one&count=two&count=three")
	// §3.2.2 Simple String Expansion
	f("{half}", "50%25")
	f("O{empty}X", "OX")
	f("O{undef}X", "OX")
	f("?{x,empty}", "?1024,")
	f("?{x,undef}", "?1024")
	f("?{undef,y}", "?768")
	// §3.2.3 Reserved Expansion
	f("{+half}", "50%25")
	f("{base}index", "http%3A%2F%2Fexample.com%2Fhome%2Findex")
	f("{+base}index", "http://example.com/home/index")
	f("O{+empty}X", "OX")
	f("O{+undef}X", "OX")
	f("up{+path}{var}/here", "up/foo/barvalue/here")
	// §3.2.4 Fragment Expansion
	f("{#half}", "#50%25")
	f("foo{#empty}", "foo#")
	f("foo{#undef}", "foo")
	// §3.2.5 Label Expansion with Dot-Prefix
	f("{.who}", ".fred")
	f("{.who,who}", ".fred.fred")
	f("{.half,who}", ".50%25.fred")
	f("www{.dom*}", "www.example.com")
	f("X{.empty}", "X.")
	f("X{.undef}", "X")
	f("X{.empty_keys}", "X")
	f("X{.empty_keys*}", "X")
	// §3.2.6 Path Segment Expansion
	f("{/who}", "/fred")
	f("{/who,who}", "/fred/fred")
	f("{/half,who}", "/50%25/fred")
	f("{/who,dub}", "/fred/me%2Ftoo")
	f("{/var,empty}", "/value/")
	f("{/var,undef}", "/value")
	// §3.2.7 Path-Style Parameter Expansion
	f("{;who}", ";who=fred")
	f("{;half}", ";half=50%25")
	f("{;empty}", ";empty")
	f("{;v,empty,who}", ";v=6;empty;who=fred")
	f("{;v,bar,who}", ";v=6;who=fred")
	f("{;x,y,undef}", ";x=1024;y=768")
	// §3.2.8 Form-Style Query Expansion
	f("{?who}", "?who=fred")
	f("{?half}", "?half=50%25")
	f("{?x,y,undef}", "?x=1024&y=768")
	// §3.2.9 Form-Style Query Continuation
	f("{&who}", "&who=fred")
	f("{&half}", "&half=50%25")
	f("{&x,y,undef}", "&x=1024&y=768")
}

func TestExpandEncoding(t *testing.T) {
	f := func(tmpl string, vars map[string]any, want string) {
		t.Helper()
		got, err := mustParse(t, tmpl).Expand(vars)
		if err != nil || got != want {
			t.Fatalf("Expand(%q, %v) = %q, %v; want %q", tmpl, vars, got, err, want)
		}
	}
	// Non-ASCII is encoded as UTF-8, invalid UTF-8 byte by byte.
	f("{v}", map[string]any{"v": "é€"}, "%C3%A9%E2%82%AC")
	f("{+v}", map[string]any{"v": "é"}, "%C3%A9")
	f("{v}", map[string]any{"v": "a\xffb"}, "a%FFb")
	// Prefixes count characters, not bytes.
	f("{v:2}", map[string]any{"v": "éèê"}, "%C3%A9%C3%A8")
	// Reserved expansion keeps pct-triplets, encodes a lone '%'.
	f("{+v}", map[string]any{"v": "a%2Fb%zz%4"}, "a%2Fb%25zz%254")
	f("{v}", map[string]any{"v": "a%2F"}, "a%252F")
	// Literals: non-ASCII encoded, pct-encoded copied.
	f("é/{v}%20x", map[string]any{"v": "1"}, "%C3%A9/1%20x")
	// Undefined values.
	f("a{v}b{/w}{?x}", map[string]any{"v": []string{}, "w": map[string]string(nil)}, "ab")
	f("{?v}", nil, "")
	// Exploded maps: named empty value uses ifemp.
	f("{?m*}", map[string]any{"m": map[string]string{"a": "", "b": "1"}}, "?a=&b=1")
	f("{;m*}", map[string]any{"m": map[string]string{"a": "", "b": "1"}}, ";a;b=1")
	f("{m*}", map[string]any{"m": map[string]string{"a": ""}}, "a=")
	f("{;l*}", map[string]any{"l": []string{"", "x"}}, ";l;l=x")
	// Adjacent query expressions with the first undefined.
	f("{?a}{&b}", map[string]any{"b": "1"}, "&b=1")
}

func TestExpandErrors(t *testing.T) {
	f := func(tmpl string, vars map[string]any, want error) {
		t.Helper()
		_, err := mustParse(t, tmpl).Expand(vars)
		if !errors.Is(err, want) {
			t.Fatalf("Expand(%q) error = %v, want %v", tmpl, err, want)
		}
	}
	f("{keys:1}", rfcVars, ErrPrefixComposite)
	f("{+keys:1}", rfcVars, ErrPrefixComposite)
	f("{list:1}", rfcVars, ErrPrefixComposite)
	f("{v}", map[string]any{"v": 6}, ErrValueType)
	f("{v}", map[string]any{"v": []any{"a"}}, ErrValueType)
}

func mustParse(t testing.TB, s string) *Template {
	t.Helper()
	tp, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return tp
}

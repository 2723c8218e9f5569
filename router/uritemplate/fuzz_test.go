package uritemplate

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// fuzzTemplates is FuzzMatch's template set: the MCP shapes plus every
// operator, modifier and adjacency the matching rules treat specially.
var fuzzTemplates = []string{
	"test://template/{id}/data",
	"file:///{+path}",
	"users/{id}",
	"search{?q,lang}",
	"search{?q}{&lang,page}",
	"search?fixed=yes{&x}",
	"{name}.json",
	"{name}{.ext}",
	"www{.dom*}",
	"repo{/owner,name}{/path*}{?ref}",
	"{/a,b}/end{?q}",
	"{;x,y}{;z}/z",
	"{?tag*}",
	"{?q}=x{y}",
	"{+base}{?q}#{frag}",
	"{+dir}/x{#f}",
	"{a}x{b}x{c}",
	"{a}3b{c}",
	"{x,y}-{z:3}",
	"{.a,b}{/c}",
	"{+a,b}",
	"é/{x}",
	"{?" + joinNames(10, "") + "}",
}

// roundTrip asserts the package's guarantee: Match(Expand(vars)) == vars.
func roundTrip(t *testing.T, tp *Template, vars map[string]string) {
	t.Helper()
	in := make(map[string]any, len(vars))
	for k, v := range vars {
		in[k] = v
	}
	uri, err := tp.Expand(in)
	if err != nil {
		t.Fatalf("%q: Expand(%q): %v", tp, vars, err)
	}
	got, ok := tp.Match(uri)
	if !ok || !maps.Equal(got, vars) {
		t.Fatalf("%q: Match(Expand(%q) = %q) = %q, %v", tp, vars, uri, got, ok)
	}
}

// checkMatch runs Match and MatchInto on uri, checks they agree, and checks
// the round trip when a template's variables each occur once.
func checkMatch(t *testing.T, tp *Template, uri string) {
	t.Helper()
	got, ok := tp.Match(uri)
	pairs, ok2 := tp.MatchInto(uri, []Var{{"x", "y"}})
	if ok != ok2 || pairs[0] != (Var{"x", "y"}) || ok && len(pairs)-1 != len(got) {
		t.Fatalf("%q on %q: Match = %v, %v; MatchInto = %v, %v", tp, uri, got, ok, pairs, ok2)
	}
	for _, p := range pairs[1:] {
		if got[p.Name] != p.Value {
			t.Fatalf("%q on %q: Match = %q; MatchInto = %q", tp, uri, got, pairs)
		}
	}
	if ok && singleUse(tp) {
		roundTrip(t, tp, got)
	}
}

func singleUse(tp *Template) bool {
	n := 0
	for _, p := range tp.parts {
		n += len(p.vars)
	}
	return n == len(tp.names)
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzTemplates {
		f.Add(s)
	}
	for _, s := range []string{
		"", "{", "}", "{}", "{a", "{=a}", "{a:0}", "{a:9999}", "{a*}{b:3}", "%2", "%20{a}",
		"{a.b.c}", "{.a.}", "{x,y}{y,x}", "{var:3}/{var}", "a\xff", "\u00a0{+x}", "{;a}{;b}{?c}{&d}",
		"{/a*}{/b}", "{#a}{#b}", "{a}{b}", "{?a}{?b}", "{&a}{?b}",
	} {
		f.Add(s)
	}
	values := []string{"", "a", "x.y", "a/b", "é%2F", "%41", "=&;,?#", "a b"}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := Parse(s)
		if err != nil {
			if tp != nil {
				t.Fatalf("Parse(%q) returned a template and %v", s, err)
			}
			return
		}
		if tp.String() != s {
			t.Fatalf("String() = %q, want %q", tp.String(), s)
		}
		tp2, err := Parse(tp.String())
		if err != nil || !slices.Equal(tp2.Vars(), tp.Vars()) {
			t.Fatalf("re-Parse(%q) = %v, %v", s, tp2, err)
		}
		names := tp.Vars()
		if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
			t.Fatalf("Vars(%q) = %q has repeats", s, names)
		}
		in := map[string]any{}
		for i, name := range names {
			in[name] = values[(i+len(s))%len(values)]
		}
		uri, err := tp.Expand(in)
		if err != nil {
			t.Fatalf("Expand(%q, strings): %v", s, err)
		}
		checkMatch(t, tp, uri)
		checkMatch(t, tp, s)
	})
}

func FuzzMatch(f *testing.F) {
	for i, s := range fuzzTemplates {
		tp := mustParse(f, s)
		for _, vars := range []map[string]any{
			{},
			rfcVars,
			{"id": "1", "path": "a/b", "q": "x y", "lang": "en", "name": "n.v", "ext": "txt",
				"dom": []string{"example", "com"}, "owner": "o", "ref": "main",
				"tag": []string{"a", "b"}, "a": "1", "b": "2", "c": "3", "x": "%", "y": "é", "z": "zzzz"},
		} {
			uri, err := tp.Expand(vars)
			if err == nil {
				f.Add(uint8(i), uri)
			}
		}
	}
	for _, uri := range []string{
		"", "/", "?", "#", "%", "%zz", "a%2Fb/x", "a%2Eb.c", "?q=1&q=2", ";x=1;x=1/z", "x:3b", "%2541",
		"test://template//data", "search&lang=en", "www.example.com", "repo/o/n/a/b?ref=1",
	} {
		for i := range fuzzTemplates {
			f.Add(uint8(i), uri)
		}
	}
	templates := make([]*Template, len(fuzzTemplates))
	for i, s := range fuzzTemplates {
		templates[i] = mustParse(f, s)
	}
	f.Fuzz(func(t *testing.T, i uint8, uri string) {
		checkMatch(t, templates[int(i)%len(templates)], uri)
	})
}

// genTemplate builds a template from seed: up to six parts, literals chosen
// among the bytes the matching rules treat specially, expressions of every
// operator with one to three variables, each used once, some exploded or
// prefixed. Parse must accept all of them.
func genTemplate(seed uint64) string {
	r := rand.New(rand.NewPCG(seed, seed>>32|1))
	ops := []string{"", "+", "#", ".", "/", ";", "?", "&"}
	lits := []string{"x", "/", ".", "?", "#", "=", "&", ";", ",", "3", "%41", "ab", "/x", "é", "-"}
	var b strings.Builder
	v := 0
	for n := 1 + r.IntN(6); n > 0; n-- {
		if r.IntN(2) == 0 {
			b.WriteString(lits[r.IntN(len(lits))])
			continue
		}
		b.WriteString("{" + ops[r.IntN(len(ops))])
		for k := 1 + r.IntN(3); k > 0; k-- {
			b.WriteByte(byte('a' + v))
			v++
			switch r.IntN(4) {
			case 0:
				b.WriteString("*")
			case 1:
				b.WriteString(":2")
			}
			if k > 1 {
				b.WriteByte(',')
			}
		}
		b.WriteByte('}')
	}
	return b.String()
}

// genURI builds a URI from seed out of the pieces that stress the rules.
func genURI(seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 5))
	pieces := []string{"a", "b", "x", "3", "/", ".", "?", "#", "=", "&", ";", ",", "%2F", "%2E",
		"%41", "%25", "%", "%3D", "%26", "%2C", "-", "é", "%C3%A9", "ab", "c=1", "/x", "A"}
	var b strings.Builder
	for n := r.IntN(12); n > 0; n-- {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// FuzzGeneratedTemplate checks the round-trip guarantee on templates built by
// genTemplate, which reach combinations FuzzParse's byte mutations rarely do.
func FuzzGeneratedTemplate(f *testing.F) {
	for seed := range uint64(64) {
		f.Add(seed, genURI(seed))
	}
	f.Fuzz(func(t *testing.T, seed uint64, uri string) {
		checkMatch(t, mustParse(t, genTemplate(seed)), uri)
	})
}

// TestGeneratedTemplatesRoundTrip runs the generator with generated URIs,
// so plain go test covers many more combinations than the fuzz seeds.
func TestGeneratedTemplatesRoundTrip(t *testing.T) {
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	for seed := range uint64(n) {
		tp := mustParse(t, genTemplate(seed))
		checkMatch(t, tp, genURI(seed))
		checkMatch(t, tp, genURI(seed+1<<40))
	}
}

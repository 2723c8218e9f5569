package uritemplate

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// matchF returns an f-test: want nil means uri must not match.
func matchF(t *testing.T) func(tmpl, uri string, want map[string]string) {
	return func(tmpl, uri string, want map[string]string) {
		t.Helper()
		tp := mustParse(t, tmpl)
		got, ok := tp.Match(uri)
		if want == nil {
			if ok {
				t.Fatalf("%q matched %q with %q, want no match", tmpl, uri, got)
			}
			return
		}
		if !ok {
			t.Fatalf("%q did not match %q, want %q", tmpl, uri, want)
		}
		if !maps.Equal(got, want) {
			t.Fatalf("%q on %q = %q, want %q", tmpl, uri, got, want)
		}
	}
}

type vars = map[string]string

func TestMatchMCP(t *testing.T) {
	f := matchF(t)
	f("test://template/{id}/data", "test://template/123/data", vars{"id": "123"})
	f("test://template/{id}/data", "test://template/123/data/", nil)
	f("test://template/{id}/data", "test://template/1/2/data", nil)
	f("test://template/{id}/data", "test://template//data", vars{"id": ""})
	f("test://template/{id}/data", "test://other/123/data", nil)
	f("file:///{+path}", "file:///a/b/c/d.txt", vars{"path": "a/b/c/d.txt"})
	f("file:///{+path}", "file:///", vars{"path": ""})
	f("file:///{+path}", "file:///dir/a b?x#y", vars{"path": "dir/a b?x#y"})
	f("file:///{+path}", "file://x", nil)
	f("users/{id}", "users/a/b", nil)
	f("users/{id}", "users/a", vars{"id": "a"})
	f("users/{id}", "users/", vars{"id": ""})
	f("users/{id}", "users/a?b", nil)
	f("users/{id}", "users/a#b", nil)
	f("users/{id}", "users/a:b@c;d=e,f", vars{"id": "a:b@c;d=e,f"})
}

func TestMatchQuery(t *testing.T) {
	f := matchF(t)
	f("search{?q,lang}", "search", vars{})
	f("search{?q,lang}", "search?q=go", vars{"q": "go"})
	f("search{?q,lang}", "search?q=go&lang=en", vars{"q": "go", "lang": "en"})
	f("search{?q,lang}", "search?lang=en&q=go", vars{"q": "go", "lang": "en"})
	f("search{?q,lang}", "search?q=hello%20world%26more", vars{"q": "hello world&more"})
	f("search{?q,lang}", "search?q=go&page=2&x", vars{"q": "go"}) // unknown ignored
	f("search{?q,lang}", "search?q", vars{"q": ""})
	f("search{?q,lang}", "search?q=", vars{"q": ""})
	f("search{?q,lang}", "search?", vars{})
	f("search{?q,lang}", "search?q=a&q=a", vars{"q": "a"})
	f("search{?q,lang}", "search?q=a&q=b", nil)
	f("search{?q,lang}", "search?q=a=b", vars{"q": "a=b"})
	f("search{?q,lang}", "search?q=a/b", vars{"q": "a/b"})
	f("search{?q,lang}", "search?q=a#frag", nil)
	f("search{?q,lang}", "search/x", nil)
	f("search{?q}{&lang}", "search?lang=en&q=go", vars{"q": "go", "lang": "en"})
	f("search{?q}{&lang}", "search&lang=en", vars{"lang": "en"})
	f("search?fixed=yes{&x}", "search?fixed=yes&x=1", vars{"x": "1"})
	f("search?fixed=yes{&x}", "search?x=1&fixed=yes", nil)
	f("{?tag*}", "?tag=a&tag=b%2Cc&other=1", vars{"tag": "a,b,c"})
	f("{?keys*}", "?semi=%3B&dot=.", vars{})
	f("{?list}", "?list=red,green,blue", vars{"list": "red,green,blue"})
	f("{?q}#{frag}", "?q=1#top", vars{"q": "1", "frag": "top"})
	f("{?var:3}", "?var=val", vars{"var": "val"})
	f("{?var:3}", "?var=value", nil)
}

func TestMatchOperators(t *testing.T) {
	f := matchF(t)
	// Simple, several variables.
	f("map?{x,y}", "map?1024,768", vars{"x": "1024", "y": "768"})
	f("map?{x,y}", "map?1024", vars{"x": "1024"})
	f("map?{x,y}", "map?1024,768,1", vars{"x": "1024", "y": "768,1"})
	f("{list}", "red,green,blue", vars{"list": "red,green,blue"})
	// Suffix literal: the run ends where the final literal starts.
	f("{name}.json", "report.v2.json", vars{"name": "report.v2"})
	f("{name}.json", "a/b.json", nil)
	f("{name}.json", ".json", vars{"name": ""})
	f("{name}.json", "json", nil)
	// Label.
	f("{name}{.ext}", "report.txt", vars{"name": "report", "ext": "txt"})
	f("{name}{.ext}", "report", vars{"name": "report"})
	f("{name}{.ext}", "a.tar.gz", vars{"name": "a", "ext": "tar.gz"})
	f("www{.dom*}", "www.example.com", vars{"dom": "example.com"})
	f("X{.x,y}", "X.1024.768", vars{"x": "1024", "y": "768"})
	f("X{.empty}", "X.", vars{"empty": ""})
	f("{.a}.json", ".json", vars{}) // no room for {.a} before the literal
	// Path segments.
	f("{/var}", "/value", vars{"var": "value"})
	f("{/var}", "/a/b", nil)
	f("{/var,x}/here", "/value/1024/here", vars{"var": "value", "x": "1024"})
	f("{/path*}", "/a/b/c", vars{"path": "a/b/c"})
	f("repo{/path*}{?ref}", "repo/a/b?ref=main", vars{"path": "a/b", "ref": "main"})
	f("{/a,b*}", "/x/y/z", vars{"a": "x", "b": "y/z"})
	f("{/who,dub}", "/fred/me%2Ftoo", vars{"who": "fred", "dub": "me/too"})
	f("{/a}{/b}", "/x/y", vars{"a": "x", "b": "y"})
	f("{/a,b}{/c*}", "/x/y/z/w", vars{"a": "x", "b": "y", "c": "z/w"})
	f("{/a,b}{/c}", "/1/2/3", vars{"a": "1", "b": "2", "c": "3"})
	f("{/a,b}/end", "/x/y/end", vars{"a": "x", "b": "y"})
	f("{/a,b}/end", "/x/end", vars{"a": "x"}) // anchored at the final literal
	f("{/a,b}/end{?q}", "/x/end", nil)        // {/a,b} takes two segments when it can
	// Path-style parameters.
	f("{;x,y,empty}", ";x=1024;y=768;empty", vars{"x": "1024", "y": "768", "empty": ""})
	f("{;x,y}", ";y=768;x=1024", vars{"x": "1024", "y": "768"})
	f("{;x}{;y}/z", ";y=2;x=1/z", vars{"x": "1", "y": "2"})
	f("{;list*}", ";list=red;list=green", vars{"list": "red,green"})
	// Reserved and fragment.
	f("{+path}/here", "/foo/bar/here", vars{"path": "/foo/bar"})
	f("here?ref={+path}", "here?ref=/foo/bar", vars{"path": "/foo/bar"})
	f("{+base}{?q}", "http://x/y?q=1", vars{"base": "http://x/y", "q": "1"})
	f("{+x,hello,y}", "1024,Hello%20World!,768", vars{"x": "1024", "hello": "Hello World!", "y": "768"})
	f("X{#var}", "X#value", vars{"var": "value"})
	f("X{#var}", "X", vars{})
	f("{#path,x}/here", "#/foo/bar,1024/here", vars{"path": "/foo/bar", "x": "1024"})
	f("{#f}", "#a#b/c?d", vars{"f": "a#b/c?d"})
	// Prefix modifiers and repeated variables.
	f("{var:3}", "val", vars{"var": "val"})
	f("{var:3}", "va", vars{"var": "va"})
	f("{var:3}", "value", nil)
	f("{var:2}", "%C3%A9%C3%A8", vars{"var": "éè"})
	f("{var:3}/{var}", "val/value", vars{"var": "value"})
	f("{var}/{var:3}", "value/val", vars{"var": "value"})
	f("{var:3}/{var}", "va/value", nil)
	f("{var}/{var}", "a/a", vars{"var": "a"})
	f("{var}/{var}", "a/b", nil)
	f("{/var:1,var}", "/v/value", vars{"var": "value"})
	// Non-ASCII literals match their encoded form.
	f("é/{x}", "%C3%A9/1", vars{"x": "1"})
}

func TestMatchDecoding(t *testing.T) {
	f := matchF(t)
	f("test://template/{id}/data", "test://template/a%20b%2Fc%2f/data", vars{"id": "a b/c/"})
	f("{id}", "%E2%82%AC", vars{"id": "€"})
	f("{id}", "%ff", vars{"id": "\xff"})
	f("{id}", "a%zz", nil)
	f("{id}", "a%2", nil)
	f("{id}", "a%", nil)
	f("{id}", "%2541", vars{"id": "%41"})
	f("{+path}", "a%20b", vars{"path": "a b"})
	f("{+path}", "50%25", vars{"path": "50%"})
	f("{?q}", "?q=%", nil)
}

// TestMatchRefusesUnstable: values that would split differently when
// expanded again.
func TestMatchRefusesUnstable(t *testing.T) {
	f := matchF(t)
	f("{+dir}/x", "a/x", vars{"dir": "a"})
	f("{+dir}/x{?q}", "a%2Fb/x", nil) // re-expanded, {+dir} would end at the '/'
	f("{name}{.ext}", "a%2Eb.c", nil)
	f("{name}{.ext}", "a%2Eb", nil)
	f("{.a,b}", ".x%2Ey.z", nil)
	f("{+a,b}", "x%2Cy,z", nil)
	f("{+a,b}", "x,y%2Cz", vars{"a": "x", "b": "y,z"})
	f("{+p}", "%2541", nil) // "%41" would be copied, then decoded to "A"
	f("{a}x{b}", "%78x1", nil)
	f("{a}3b{c}", "x:3b", nil)          // ':' re-encodes to %3A, which holds the '3'
	f("{a}3b", "x:3b", vars{"a": "x:"}) // a final literal anchors the run
	f("{?q}=x{y}", "?q=x", nil)         // Expand writes "q=", whose '=' would end the run
	f("{?q}=x", "?q=x", vars{"q": ""})
}

// TestMatchDocExamples checks every example the package documentation gives.
func TestMatchDocExamples(t *testing.T) {
	f := matchF(t)
	f("test://template/{id}/data", "test://template/123/data", vars{"id": "123"})
	f("users/{id}", "users/a/b", nil)
	f("{name}{.ext}", "a.b", vars{"name": "a", "ext": "b"})
	f("{/a,b}{/c}", "/1/2/3", vars{"a": "1", "b": "2", "c": "3"})
	f("{/a,b}", "/1/2/3", nil)
	f("{name}.json", "report.v2.json", vars{"name": "report.v2"})
	f("{/path*}", "/a/b/c", vars{"path": "a/b/c"})
	f("{list}", "red,green,blue", vars{"list": "red,green,blue"})
	f("{x,y}", "768", vars{"x": "768"})
	f("users/{id}", "users/", vars{"id": ""})
	f("{?q}{&lang}", "?lang=en&q=x", vars{"q": "x", "lang": "en"})
	f("{;a}{;b}", ";b=2;a=1", vars{"a": "1", "b": "2"})
	f("search{?q}", "search?q=x&page=2", vars{"q": "x"})
	f("{?tag*}", "?tag=a&tag=b", vars{"tag": "a,b"})
	f("{?keys*}", "?a=1", vars{})
	f("{var:3}/{var}", "val/value", vars{"var": "value"})
	f("{+dir}/{name}", "a%2Fb/c", nil)
	f("{name}{.ext}", "a%2Eb.c", nil)
	f("{+p}", "%2541", nil)
	f("{/dir}{+rest}", "%2Fx", nil)
	f("{/dir}{+rest}", "/d/x", vars{"dir": "d", "rest": "/x"})
	f("{+a}{;b}{+c}", "x;/y", nil)
	f("{?a}{?b}", "?x?b=1", nil)
}

func TestMatchInto(t *testing.T) {
	tp := mustParse(t, "test://template/{id}/data{?v}")
	dst := []Var{{"keep", "me"}}
	got, ok := tp.MatchInto("test://template/7/data?v=2", dst)
	if !ok || !slices.Equal(got, []Var{{"keep", "me"}, {"id", "7"}, {"v", "2"}}) {
		t.Fatalf("MatchInto = %v, %v", got, ok)
	}
	got, ok = tp.MatchInto("test://template/7/nope", dst)
	if ok || !slices.Equal(got, dst) {
		t.Fatalf("failed MatchInto = %v, %v; want dst unchanged", got, ok)
	}
}

// TestMatchRoundTrip: Match(Expand(v)) == v for generated values without
// reserved characters.
func TestMatchRoundTrip(t *testing.T) {
	templates := []string{
		"test://template/{id}/data",
		"file:///{+path}",
		"search{?q,lang}",
		"search{?q}{&lang,page}",
		"{name}.json",
		"{name}{.ext}",
		"repo{/owner,name}{/path*}",
		"{;a,b}",
		"x{a,b}y",
		"doc{#frag}",
		"{a}-{b}:{c}",
	}
	// Unreserved characters except the literals' first characters, plus
	// characters Expand must encode.
	alphabet := []rune("abcXYZ019_~ é€%")
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		var b strings.Builder
		for n := rng.IntN(6); n > 0; n-- {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for _, tmpl := range templates {
		tp := mustParse(t, tmpl)
		for range 200 {
			want := vars{}
			in := map[string]any{}
			for _, name := range tp.Vars() {
				v := word()
				if strings.HasPrefix(tmpl, "file") || strings.HasPrefix(tmpl, "doc") {
					v = strings.ReplaceAll(v, "%", "") // + and # copy pct-triplets
				}
				want[name], in[name] = v, v
			}
			uri, err := tp.Expand(in)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := tp.Match(uri)
			if !ok || !maps.Equal(got, want) {
				t.Fatalf("%q: Match(%q) = %q, %v; want %q", tmpl, uri, got, ok, want)
			}
		}
	}
}

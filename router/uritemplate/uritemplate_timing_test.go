package uritemplate

import "testing"

func benchmarkMatchInto(b *testing.B, tmpl, uri string) {
	tp := mustParse(b, tmpl)
	dst := make([]Var, 0, 8)
	if _, ok := tp.MatchInto(uri, dst); !ok {
		b.Fatalf("%q does not match %q", tmpl, uri)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(uri)))
	for b.Loop() {
		tp.MatchInto(uri, dst)
	}
}

// BenchmarkMatchSimple: the conformance suite's resource template.
func BenchmarkMatchSimple(b *testing.B) {
	benchmarkMatchInto(b, "test://template/{id}/data", "test://template/123/data")
}

// BenchmarkMatchQuery: parameters out of template order, one to decode.
func BenchmarkMatchQuery(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		benchmarkMatchInto(b, "search{?q,lang}", "search?lang=en&q=golang")
	})
	b.Run("decode", func(b *testing.B) {
		benchmarkMatchInto(b, "search{?q,lang}", "search?lang=en&q=hello%20world")
	})
}

func BenchmarkMatchMap(b *testing.B) {
	tp := mustParse(b, "test://template/{id}/data")
	const uri = "test://template/123/data"
	b.ReportAllocs()
	b.SetBytes(int64(len(uri)))
	for b.Loop() {
		tp.Match(uri)
	}
}

func BenchmarkMatchPath(b *testing.B) {
	benchmarkMatchInto(b, "file:///{+path}", "file:///home/user/projects/densemcp/router/uritemplate/match.go")
}

func BenchmarkExpand(b *testing.B) {
	tp := mustParse(b, "test://template/{id}/data{?q,lang}")
	vars := map[string]any{"id": "123", "q": "hello world", "lang": "en"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.Expand(vars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	const tmpl = "repo{/owner,name}{/path*}{?ref,q,lang}"
	b.ReportAllocs()
	b.SetBytes(int64(len(tmpl)))
	for b.Loop() {
		if _, err := Parse(tmpl); err != nil {
			b.Fatal(err)
		}
	}
}

//go:build !race

package uritemplate

import "testing"

// TestMatchIntoZeroAllocs: resources/read matches every request URI, so the
// steady state (room in dst, no %-escapes to decode) must not allocate.
func TestMatchIntoZeroAllocs(t *testing.T) {
	f := func(tmpl, uri string, wantOK bool) {
		t.Helper()
		tp := mustParse(t, tmpl)
		dst := make([]Var, 0, 8)
		if _, ok := tp.MatchInto(uri, dst); ok != wantOK {
			t.Fatalf("MatchInto(%q, %q) ok = %v", tmpl, uri, ok)
		}
		if n := testing.AllocsPerRun(100, func() { tp.MatchInto(uri, dst) }); n != 0 {
			t.Fatalf("MatchInto(%q, %q) allocates %v times", tmpl, uri, n)
		}
	}
	f("test://template/{id}/data", "test://template/123/data", true)
	f("file:///{+path}", "file:///home/user/notes.txt", true)
	f("search{?q,lang}", "search?lang=en&q=golang", true)
	f("search{?"+joinNames(10, "")+"}", "search?v9=1&v0=2", true)
	f("repo{/owner,name}{/path*}{?ref}", "repo/o/n/a/b?ref=main", true)
	f("{name}{.ext}", "report.txt", true)
	f("test://template/{id}/data", "test://template/nope", false)
}

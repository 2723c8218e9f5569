package uritemplate

import (
	"fmt"
	"strings"
	"testing"
)

// stepsPerByte is the C in the bound steps <= C * len(uri) * parts the
// linear-time tests assert. The matcher looks at each URI byte a small,
// fixed number of times (scan, split, decode, up to three value checks), so
// the tighter bound steps <= linearC * (len(uri) + len(template)), with no
// factor for the template's size, is asserted as well.
const (
	stepsPerByte = 4
	linearC      = 8
)

// joinVars returns prefix + "{v0}" + sep + "{v1}" + ... for n variables, with
// op written inside each brace.
func joinVars(op string, n int, sep string) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		fmt.Fprintf(&b, "{%sv%d}", op, i)
	}
	return b.String()
}

func TestMatchLinearSteps(t *testing.T) {
	const size = 100 << 10
	xa := strings.Repeat("xa", size/2)
	aax := strings.Repeat("aax", size/3)
	f := func(tmpl, uri string) {
		t.Helper()
		tp := mustParse(t, tmpl)
		steps, ok := tp.matchSteps(uri)
		if ok {
			t.Fatalf("%.40q... unexpectedly matched a %d-byte URI", tmpl, len(uri))
		}
		if bound := stepsPerByte * len(uri) * len(tp.parts); steps > bound {
			t.Fatalf("%.40q...: %d steps on %d bytes, above C*len(uri)*parts = %d", tmpl, steps, len(uri), bound)
		}
		if bound := linearC * (len(uri) + len(tmpl)); steps > bound {
			t.Fatalf("%.40q...: %d steps on %d bytes, above linear bound %d", tmpl, steps, len(uri), bound)
		}
	}
	// The classic: 50 adjacent variables separated by the same 1-byte
	// literal, which a backtracking matcher explores in ~len(uri)^50 ways.
	adjacent := joinVars("", 50, "x")
	f(adjacent, strings.Repeat("a", size))
	f(adjacent, xa+"/")
	f(adjacent, aax+"/")
	f(adjacent, strings.Repeat("x", size)+"/")
	f(adjacent+"x!", xa)
	f(joinVars("+", 50, "x")+"x!", xa)
	f(joinVars("+", 50, "x")+"/{id}", xa)
	f(joinVars("#", 50, "x")+"x!", "#"+xa)
	f(joinVars(".", 50, "x")+"!", "."+strings.Repeat(".xa", size/3))
	f(joinVars("/", 50, "x")+"!", strings.Repeat("/ax", size/3))
	f(joinVars("", 50, "")+"x!", xa)
	// Many variables in one expression, with and without explode.
	f("{"+joinNames(50, "")+"}/", xa)
	f("{/"+joinNames(50, "")+"}!", strings.Repeat("/a", size/2))
	f("{/"+joinNames(50, "*")+"}!", strings.Repeat("/a", size/2))
	f("{."+joinNames(50, "")+"}!", strings.Repeat(".a", size/2))
	// Query groups: many parameters, repeats of an exploded variable, and
	// big groups (looked up through the index).
	f("{?"+joinNames(50, "")+"}!", "?"+strings.Repeat("v1=a&", size/5))
	f("{?"+joinNames(4, "")+"}!", "?"+strings.Repeat("zz=a&", size/5))
	f("{?v0*}!", "?"+strings.Repeat("v0=a&", size/5))
	f("{;"+joinNames(50, "")+"}!", ";"+strings.Repeat("v1=a;", size/5))
	f(joinVars("?", 25, "")+joinVars("&", 25, "")+"!", "?"+strings.Repeat("v30=a&", size/6))
	// Prefix modifiers and repeated variables.
	f("{v:9999}x{v}x{v:3}!", strings.Repeat("a", size/2)+"x"+strings.Repeat("a", size/2))
	f("{v}/{v}/{v}x", strings.Repeat("a", size/3)+"/"+strings.Repeat("a", size/3)+"/"+strings.Repeat("a", size/3))
	// Decoding everywhere.
	f(adjacent+"!", strings.Repeat("%41x", size/4))
	f("{+p}/x{q}", strings.Repeat("%2F", size/3)+"/x")
}

func joinNames(n int, modifier string) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("v%d%s", i, modifier)
	}
	return strings.Join(names, ",")
}

// TestMatchStepsScaleLinearly doubles the URI and checks the work doubles,
// not squares.
func TestMatchStepsScaleLinearly(t *testing.T) {
	tp := mustParse(t, joinVars("", 50, "x")+"x!")
	small, _ := tp.matchSteps(strings.Repeat("xa", 10_000))
	large, _ := tp.matchSteps(strings.Repeat("xa", 20_000))
	if large > 2*small+1000 {
		t.Fatalf("steps grew from %d to %d when the URI doubled", small, large)
	}
}

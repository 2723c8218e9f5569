package uritemplate

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	f := func(tmpl string, wantVars ...string) {
		t.Helper()
		tp := mustParse(t, tmpl)
		if tp.String() != tmpl {
			t.Fatalf("String() = %q, want %q", tp.String(), tmpl)
		}
		if got := tp.Vars(); !slices.Equal(got, wantVars) {
			t.Fatalf("Vars(%q) = %q, want %q", tmpl, got, wantVars)
		}
	}
	f("")
	f("test://template/static")
	f("test://template/{id}/data", "id")
	f("file:///{+path}", "path")
	f("{a,b}{+c}{#d}{.e}{/f}{;g}{?h}{&i}", "a", "b", "c", "d", "e", "f", "g", "h", "i")
	f("{var:3}/{var}{?var*}", "var")
	f("{x,y}{y,x}", "x", "y")
	f("{a.b_C9}{%20x}{a.%41}", "a.b_C9", "%20x", "a.%41")
	f("{v:1}{v:9999}", "v")
	f("%20é{x}\U000E1000", "x")
	f("!#$&()*+,-./09:;=?@AZ[]_az~", nil...)
	f("{"+strings.Repeat("v,", MaxVariables-1)+"v}", "v")
}

func TestVarsIsACopy(t *testing.T) {
	tp := mustParse(t, "{a}{b}")
	tp.Vars()[0] = "z"
	if tp.Vars()[0] != "a" {
		t.Fatal("Vars exposes the template's names")
	}
}

func TestParseErrors(t *testing.T) {
	f := func(tmpl string, want error) {
		t.Helper()
		tp, err := Parse(tmpl)
		if !errors.Is(err, want) {
			t.Fatalf("Parse(%q) = %v, %v; want %v", tmpl, tp, err, want)
		}
	}
	// Expressions.
	f("{", ErrMalformed)
	f("a{b", ErrMalformed)
	f("a}b", ErrMalformed)
	f("{}", ErrMalformed)
	f("{+}", ErrMalformed)
	f("{a,}", ErrMalformed)
	f("{,a}", ErrMalformed)
	f("{a{b}}", ErrMalformed)
	f("{ a}", ErrMalformed)
	f("{a-b}", ErrMalformed)
	f("{.a.}", ErrMalformed)
	f("{a..b}", ErrMalformed)
	f("{%2}", ErrMalformed)
	f("{%zz}", ErrMalformed)
	// Reserved operators (RFC 6570 §2.2).
	for _, op := range "=,!@|" {
		f("{"+string(op)+"a}", ErrMalformed)
	}
	// Modifiers.
	f("{a:0}", ErrMalformed)
	f("{a:01}", ErrMalformed)
	f("{a:10000}", ErrMalformed)
	f("{a:}", ErrMalformed)
	f("{a:1x}", ErrMalformed)
	f("{a:3*}", ErrMalformed)
	f("{a*:3}", ErrMalformed)
	f("{a**}", ErrMalformed)
	f("{*}", ErrMalformed)
	// Literals.
	f("a b", ErrMalformed)
	f("a%2", ErrMalformed)
	f("a%zz", ErrMalformed)
	f("a'b", ErrMalformed)
	f("a\"b", ErrMalformed)
	f("a<b>", ErrMalformed)
	f("a\\b", ErrMalformed)
	f("a^b", ErrMalformed)
	f("a`b", ErrMalformed)
	f("a|b", ErrMalformed)
	f("a\nb", ErrMalformed)
	f("a\x7f", ErrMalformed)
	f("a\xff", ErrMalformed)
	f("a\u0085", ErrMalformed)     // C1 control, not a ucschar
	f("a\uFDD0", ErrMalformed)     // noncharacter
	f("a\U0001FFFE", ErrMalformed) // noncharacter
	f("a\U000E0001", ErrMalformed) // tag character, below ucschar's %xE1000
	// Limits.
	f(strings.Repeat("a", MaxTemplateLength+1), ErrTooLong)
	f("{"+strings.Repeat("v,", MaxVariables)+"v}", ErrTooManyVariables)
}

func TestParseMaxLength(t *testing.T) {
	mustParse(t, strings.Repeat("a", MaxTemplateLength))
}

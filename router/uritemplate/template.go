package uritemplate

import "slices"

// Template is a parsed RFC 6570 URI template. It is immutable after Parse and
// safe for concurrent use.
type Template struct {
	raw   string
	parts []part      // for Expand: literals and expressions as written
	match []matchPart // for Match: adjacent named expressions merged
	names []string    // distinct variable names in order of appearance
}

// Var is one variable recovered by MatchInto.
type Var struct{ Name, Value string }

// String returns the template as given to Parse.
func (t *Template) String() string { return t.raw }

// Vars returns the variable names in order of first appearance, each once.
// It is what completion/complete offers for a resource template's arguments.
func (t *Template) Vars() []string { return slices.Clone(t.names) }

// part is a literal (op == nil) or an expression.
type part struct {
	literal string // the literal's expansion: non-ASCII characters pct-encoded
	op      *operator
	vars    []varSpec
}

// varSpec is one variable of an expression.
type varSpec struct {
	name    string
	id      int  // index into Template.names
	prefix  int  // {var:N}; 0 when absent
	explode bool // {var*}
	// join (match parts only): repeated parameters of this exploded variable
	// in one named group are collected as a list. Off when the name occurs
	// twice in the group, where repeats must instead agree.
	join bool
}

// operator holds RFC 6570 Appendix A's table for one expression type.
type operator struct {
	char     byte // the operator as written; 0 for simple string expansion
	first    byte // prefix of a non-empty expansion; 0 for none
	sep      byte // between values
	named    bool // values are written name=value
	ifemp    bool // an empty named value is written "name=" (else "name")
	reserved bool // reserved characters and pct-triplets pass unencoded
	// stops end a run of this operator in Match: simple and label values
	// stay inside one path segment, query values inside the query.
	stops byteSet
	seps  byteSet // {sep}
}

var (
	opSimple    = newOperator(0, 0, ',', false, false, false, "/?#")
	opReserved  = newOperator('+', 0, ',', false, false, true, "")
	opFragment  = newOperator('#', '#', ',', false, false, true, "")
	opLabel     = newOperator('.', '.', '.', false, false, false, "/?#")
	opPath      = newOperator('/', '/', '/', false, false, false, "?#")
	opPathParam = newOperator(';', ';', ';', true, false, false, "/?#")
	opQuery     = newOperator('?', '?', '&', true, true, false, "#")
	opQueryCont = newOperator('&', '&', '&', true, true, false, "#")
)

func newOperator(char, first, sep byte, named, ifemp, reserved bool, stops string) *operator {
	op := &operator{char: char, first: first, sep: sep, named: named, ifemp: ifemp, reserved: reserved}
	op.stops.addString(stops)
	op.seps.add(sep)
	return op
}

// operatorFor returns the operator written as c, or nil.
func operatorFor(c byte) *operator {
	switch c {
	case '+':
		return opReserved
	case '#':
		return opFragment
	case '.':
		return opLabel
	case '/':
		return opPath
	case ';':
		return opPathParam
	case '?':
		return opQuery
	case '&':
		return opQueryCont
	}
	return nil
}

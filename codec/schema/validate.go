package schema

import "sync"

// maxDepth bounds nested schema applications during one Validate: each
// step into an array item or object member and each $ref, allOf, anyOf,
// oneOf, not, if/then/else or dependentSchemas counts one. A recursive
// schema ($ref to an ancestor) follows the instance down, so this also
// bounds instance nesting; past it Validate fails with a ValidationError
// instead of growing the stack. A recursive schema spends two per level
// (the item and the $ref), so 512 still admits arguments nested 256 deep.
const maxDepth = 512

// validator is the state of one Validate call. It is pooled so that a
// valid instance costs no allocation: the error path and the scratch
// buffers are reused across calls.
type validator struct {
	path    []pathSegment // instance location, kept only while errors are reported
	scratch []byte        // decoded strings (escaped names, pattern subjects)
	items   []hashedItem  // uniqueItems hashes for long arrays
	quiet   int           // > 0 inside anyOf, oneOf, not, if, contains, propertyNames
	depth   int
	err     *ValidationError // the first reported violation
	abort   *ValidationError // the depth limit (or errNoScratch): fails the whole call
	// first marks the pass on the stack (see Validate): it has no scratch
	// buffers, and stops with errNoScratch where it would need one.
	first bool
}

// errNoScratch stops a first pass that would need scratch space; the pooled
// pass then decides.
var errNoScratch = &ValidationError{Message: "schema: internal: first pass needs scratch space"}

// haveScratch reports whether v may use its scratch buffers; a first pass
// stops instead (growing them on the stack's validator would allocate on
// every call).
func (v *validator) haveScratch() bool {
	if v.first {
		v.abort = errNoScratch
		return false
	}
	return true
}

// pathSegment is an object member (key token, quotes included) or an
// array index (key nil).
type pathSegment struct {
	key   []byte
	index int
}

var validators = sync.Pool{New: func() any { return new(validator) }}

// maxPooledScratch keeps one huge instance from pinning a large buffer in
// the pool forever.
const maxPooledScratch = 64 << 10

// Validate reports the first violation of the schema by instance as a
// *ValidationError, or nil when instance is valid. instance must be one
// valid, strict JSON text (the codec guarantees it: UTF-8, no duplicate
// keys); surrounding whitespace is allowed. Validate allocates nothing
// when the instance is valid, and is safe for concurrent use.
func (s *Schema) Validate(instance []byte) error {
	inst := trimValue(instance)
	// First a quiet pass with a validator on the stack: it keeps no
	// instance path and builds no message, and needs no pool round trip
	// (a third of the cost of validating a small argument object). Quiet
	// checks give the same verdicts as loud ones, so a valid instance is
	// done here. Anything else (a violation, the depth limit, a need for
	// scratch space) is decided again by the loud pooled pass below, which
	// explains it exactly as before.
	first := validator{quiet: 1, first: true}
	if first.validate(s.root, inst) && first.abort == nil {
		return nil
	}
	v := validators.Get().(*validator)
	ok := v.validate(s.root, inst)
	err := v.abort
	if err == nil && !ok {
		err = v.err
		if err == nil {
			panic("BUG: schema: validation failed without a reported error")
		}
	}
	v.reset()
	validators.Put(v)
	if err != nil {
		return err
	}
	return nil
}

func (v *validator) reset() {
	clear(v.path[:cap(v.path)]) // drop references to the instance
	v.path = v.path[:0]
	if cap(v.scratch) > maxPooledScratch {
		v.scratch = nil
	}
	if cap(v.items) > maxPooledScratch/16 {
		v.items = nil
	}
	v.quiet, v.depth, v.err, v.abort = 0, 0, nil, nil
}

// loud reports whether a failure here is final and must be explained. In
// quiet mode (trying alternatives) a failure is an ordinary answer, so no
// message is built and nothing allocates. Checks are written as
// `return v.loud() && v.fail(...)`: the message is built only when loud.
func (v *validator) loud() bool { return v.quiet == 0 }

// fail records the violation at the current instance location.
func (v *validator) fail(keyword, message string) bool {
	v.err = &ValidationError{InstancePath: v.pointer(), Keyword: keyword, Message: message}
	return false
}

func (v *validator) pushKey(key []byte) {
	if v.quiet == 0 {
		v.path = append(v.path, pathSegment{key: key})
	}
}

func (v *validator) pushIndex(i int) {
	if v.quiet == 0 {
		v.path = append(v.path, pathSegment{index: i})
	}
}

func (v *validator) pop() {
	if v.quiet == 0 {
		v.path = v.path[:len(v.path)-1]
	}
}

// valid runs n quietly: a yes/no question that never reports.
func (v *validator) valid(n *node, inst []byte) bool {
	v.quiet++
	ok := v.validate(n, inst)
	v.quiet--
	return ok
}

// validate applies schema n to the value inst.
func (v *validator) validate(n *node, inst []byte) bool {
	if n.always {
		return true
	}
	// A schema that only names types (most properties of a tool's
	// arguments: {"type":"string"}) is decided here when the value has one
	// of them; apply would find the same after testing every keyword. At
	// the depth limit, and on a type mismatch, the full path below decides.
	if n.typeOnly && v.depth < maxDepth && v.abort == nil && n.types.allows(valueKind(inst), inst) {
		return true
	}
	if v.abort != nil {
		return false
	}
	if n.never {
		return v.loud() && v.fail("false", "no value is allowed here")
	}
	if v.depth == maxDepth {
		v.abort = &ValidationError{InstancePath: v.pointer(), Message: depthMessage}
		return false
	}
	v.depth++
	ok := v.apply(n, inst)
	v.depth--
	return ok
}

func (v *validator) apply(n *node, inst []byte) bool {
	if n.ref != nil && !v.validate(n.ref, inst) {
		return false
	}
	kind := valueKind(inst)
	if n.hasType && !n.types.allows(kind, inst) {
		return v.loud() && v.fail("type", "expected "+n.typeText+", got "+kindName(kind))
	}
	if n.hasEnum && !inEnum(n.enum, inst) {
		return v.loud() && v.fail("enum", "value "+describe(inst)+" is not one of "+n.enumText)
	}
	if n.constVal != nil && !equalLiteral(n.constVal, inst) {
		return v.loud() && v.fail("const", "value "+describe(inst)+" must be "+compactText(n.constVal.raw))
	}
	switch {
	case kind == kindNumber && n.checksNumber:
		if !v.checkNumber(n, inst) {
			return false
		}
	case kind == kindString && n.checksString:
		if !v.checkString(n, inst) {
			return false
		}
	case kind == kindArray && n.checksArray:
		if !v.checkArray(n, inst) {
			return false
		}
	case kind == kindObject && n.checksObject:
		if !v.checkObject(n, inst) {
			return false
		}
	}
	if !n.appliesInPlace {
		return true
	}
	return v.applyInPlace(n, inst)
}

// allows reports whether a value of kind is one of the types; a number is
// an "integer" when its fractional part is zero (1.0 and 1e3 are). It runs
// for every validated value: all but numbers are one table lookup, small
// enough to inline.
func (t typeSet) allows(kind jsonKind, inst []byte) bool {
	if kind != kindNumber {
		return t&kindTypes[kind&7] != 0
	}
	return t.allowsNumber(inst)
}

// kindTypes is the type each kind but kindNumber satisfies (kindInvalid none).
var kindTypes = [8]typeSet{
	kindNull:   typeNull,
	kindTrue:   typeBoolean,
	kindFalse:  typeBoolean,
	kindString: typeString,
	kindArray:  typeArray,
	kindObject: typeObject,
}

// allowsNumber is allows for a number.
func (t typeSet) allowsNumber(inst []byte) bool {
	if t&typeNumber != 0 {
		return true
	}
	if t&typeInteger == 0 {
		return false
	}
	d := parseDecimal(inst)
	return d.isInteger()
}

func inEnum(enum []literal, inst []byte) bool {
	for i := range enum {
		if equalLiteral(&enum[i], inst) {
			return true
		}
	}
	return false
}

// equalLiteral compares a value with an enum or const literal; the common
// case, an unescaped string against a string literal, is a byte compare.
func equalLiteral(lit *literal, inst []byte) bool {
	if lit.kind == kindString && valueKind(inst) == kindString {
		content := stringContent(inst)
		if !hasEscape(content) {
			return string(content) == string(lit.text)
		}
	}
	return equalJSON(lit.raw, inst)
}

// applyInPlace applies allOf, anyOf, oneOf, not and if/then/else. The
// alternatives of anyOf and oneOf, the not schema and the if condition are
// tried quietly; the chosen then/else branch and allOf report their own
// violations.
func (v *validator) applyInPlace(n *node, inst []byte) bool {
	for _, s := range n.allOf {
		if !v.validate(s, inst) {
			return false
		}
	}
	if n.anyOf != nil && !v.anyOf(n, inst) {
		return false
	}
	if n.oneOf != nil && !v.oneOf(n, inst) {
		return false
	}
	if n.not != nil && v.valid(n.not, inst) {
		return v.loud() && v.fail("not", "value must not match the schema in \"not\"")
	}
	if n.ifNode != nil {
		branch := n.elseNode
		if v.valid(n.ifNode, inst) {
			branch = n.thenNode
		}
		if branch != nil && !v.validate(branch, inst) {
			return false
		}
	}
	return true
}

func (v *validator) anyOf(n *node, inst []byte) bool {
	for _, s := range n.anyOf {
		if v.valid(s, inst) {
			return true
		}
	}
	return v.loud() && v.fail("anyOf", "value does not match any alternative of anyOf: "+v.explainAll(n.anyOf, inst))
}

func (v *validator) oneOf(n *node, inst []byte) bool {
	first := -1
	for i, s := range n.oneOf {
		if !v.valid(s, inst) {
			continue
		}
		if first >= 0 {
			return v.loud() && v.fail("oneOf", oneOfMessage(first, i))
		}
		first = i
	}
	if first < 0 {
		return v.loud() && v.fail("oneOf", "value does not match any alternative of oneOf: "+v.explainAll(n.oneOf, inst))
	}
	return true
}

package schema

import "regexp"

// node is one compiled schema. Absent keywords are zero values (nil
// pointers, empty slices) or -1 for absent upper bounds, so validation only
// tests what the schema says. Nodes are immutable after Compile and shared
// by all goroutines.
type node struct {
	// always and never are the boolean schemas true and false; always is also
	// set for an object schema without any assertion ({} or annotations only).
	always, never bool

	ref *node // $ref target, resolved after the whole document is compiled

	hasType  bool
	types    typeSet
	typeText string // the schema's type list in words, for messages

	enum     []literal
	hasEnum  bool
	enumText string
	constVal *literal

	// Numbers: exact decimal bounds taken from the schema text.
	minimum, maximum, exclusiveMinimum, exclusiveMaximum *decimal
	multipleOf                                           *divisor

	// Strings.
	minLength, maxLength int // maxLength -1: absent
	pattern              *regexp.Regexp
	patternText          string

	// Arrays. For draft-07 an items array is stored as prefixItems and
	// additionalItems as items.
	prefixItems              []*node
	items                    *node
	minItems, maxItems       int
	uniqueItems              bool
	contains                 *node
	minContains, maxContains int

	// Objects.
	names             map[string]nameEntry // properties plus names required somewhere
	nameList          []namedEntry         // names as a list, when it has at most maxListedNames
	patternProperties []patternProperty
	additional        *node
	propertyNames     *node
	minProperties     int
	maxProperties     int
	required          []trackedName
	dependentRequired []dependency
	dependentSchemas  []dependentSchema

	// In-place applicators: they apply to the same instance.
	allOf, anyOf, oneOf []*node
	not                 *node
	ifNode              *node
	thenNode, elseNode  *node

	// Which kind-specific checks exist, so a value skips the others.
	checksNumber, checksString, checksArray, checksObject, walksMembers bool

	appliesInPlace bool // an in-place applicator or $ref
	typeOnly       bool // "type" is the only assertion
}

// typeSet is the set of JSON Schema type names a "type" keyword allows.
type typeSet uint8

const (
	typeNull typeSet = 1 << iota
	typeBoolean
	typeObject
	typeArray
	typeNumber
	typeString
	typeInteger
)

// typeNames maps the JSON Schema type names to their bits.
var typeNames = map[string]typeSet{
	"null":    typeNull,
	"boolean": typeBoolean,
	"object":  typeObject,
	"array":   typeArray,
	"number":  typeNumber,
	"string":  typeString,
	"integer": typeInteger,
}

// literal is an enum or const value from the schema text.
type literal struct {
	raw  []byte
	kind jsonKind
	text []byte // decoded text when kind is kindString
}

// nameEntry is what a member name means to one object schema: its
// properties subschema if any, and its bit in the presence set when a
// required, dependentRequired or dependentSchemas keyword names it.
type nameEntry struct {
	prop *node
	bit  int // -1: presence not tracked
}

// namedEntry is a nameEntry with its name, for nameList.
type namedEntry struct {
	name string
	nameEntry
}

// maxListedNames is how many names an object schema may have for its
// members to be looked up by a scan of nameList instead of the map: a tool's
// arguments have a handful of properties, and comparing a few lengths and
// one short name costs a fraction of hashing the name for the map (the
// lookup runs for every member of every call's arguments).
const maxListedNames = 8

// lookup returns what the member name means to n.
func (n *node) lookup(name []byte) (nameEntry, bool) {
	if n.nameList == nil {
		e, ok := n.names[string(name)]
		return e, ok
	}
	for i := range n.nameList {
		if e := &n.nameList[i]; len(e.name) == len(name) && e.name == string(name) {
			return e.nameEntry, true
		}
	}
	return nameEntry{}, false
}

type trackedName struct {
	name string
	bit  int
}

type patternProperty struct {
	re   *regexp.Regexp
	node *node
}

type dependency struct {
	trackedName
	required []trackedName
}

type dependentSchema struct {
	trackedName
	node *node
}

// maxTrackedNames bounds the distinct names that required,
// dependentRequired and dependentSchemas of one object schema may mention:
// presence is tracked in a fixed bit set on the stack, so a valid object
// costs no allocation. 256 is far beyond any tool's input schema.
const maxTrackedNames = 256

// maxPatternProperties bounds patternProperties per schema: the matches of
// one member name are kept in a uint64 bit mask.
const maxPatternProperties = 64

// presence is the set of tracked names seen in one object instance.
type presence [maxTrackedNames / 64]uint64

func (p *presence) set(bit int)      { p[bit>>6] |= 1 << (bit & 63) }
func (p *presence) has(bit int) bool { return p[bit>>6]&(1<<(bit&63)) != 0 }

// finish derives the per-kind flags and the name list, and marks
// assertion-free schemas.
func (n *node) finish() {
	if len(n.names) > 0 && len(n.names) <= maxListedNames {
		n.nameList = make([]namedEntry, 0, len(n.names))
		for name, e := range n.names {
			n.nameList = append(n.nameList, namedEntry{name, e})
		}
	}
	n.checksNumber = n.minimum != nil || n.maximum != nil || n.exclusiveMinimum != nil ||
		n.exclusiveMaximum != nil || n.multipleOf != nil
	n.checksString = n.minLength > 0 || n.maxLength >= 0 || n.pattern != nil
	n.checksArray = n.prefixItems != nil || n.items != nil || n.minItems > 0 || n.maxItems >= 0 ||
		n.uniqueItems || n.contains != nil
	n.walksMembers = n.names != nil || n.patternProperties != nil || n.additional != nil ||
		n.propertyNames != nil
	n.checksObject = n.walksMembers || n.minProperties > 0 || n.maxProperties >= 0 ||
		n.required != nil || n.dependentRequired != nil || n.dependentSchemas != nil
	n.appliesInPlace = n.ref != nil || n.allOf != nil || n.anyOf != nil || n.oneOf != nil ||
		n.not != nil || n.ifNode != nil
	n.always = !n.never && !n.hasType && !n.hasEnum && n.constVal == nil && !n.appliesInPlace &&
		!n.checksNumber && !n.checksString && !n.checksArray && !n.checksObject
	n.typeOnly = !n.never && n.hasType && !n.hasEnum && n.constVal == nil && !n.appliesInPlace &&
		!n.checksNumber && !n.checksString && !n.checksArray && !n.checksObject
}

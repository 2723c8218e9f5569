package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Schema is a compiled JSON Schema. It is immutable after Compile and safe
// for concurrent use.
type Schema struct {
	doc  []byte
	root *node
}

// JSON returns the schema document exactly as it was compiled, for
// tools/list. The caller must not modify it.
func (s *Schema) JSON() []byte { return s.doc }

// maxSchemaDepth bounds the nesting of subschemas in a document, so
// compiling a hostile or generated document cannot exhaust the stack.
const maxSchemaDepth = 128

// dialect is the JSON Schema draft a document is read as.
type dialect uint8

const (
	draft2020 dialect = iota
	draft07
)

// Compile compiles a JSON Schema document. The dialect is 2020-12 when
// $schema is absent (the MCP default) or names 2020-12; draft-07 documents
// ($schema http(s)://json-schema.org/draft-07/schema[#]) are read with
// draft-07 rules where they differ: an items array is prefixItems,
// additionalItems applies after it, dependencies is split into
// dependentRequired and dependentSchemas, "$id": "#name" is an anchor, and
// the siblings of $ref are ignored. Any other $schema is ErrInvalidSchema.
// The document is copied; JSON returns the copy.
func Compile(doc []byte) (*Schema, error) {
	if !json.Valid(doc) {
		return nil, fmt.Errorf("schema document is not valid JSON: %w", ErrInvalidSchema)
	}
	doc = bytes.Clone(doc)
	c := &compiler{doc: trimValue(doc), nodes: map[string]*node{}, anchors: map[string]*node{}}
	if err := c.readRoot(); err != nil {
		return nil, err
	}
	root, err := c.compile(c.doc, "", 0, false)
	if err != nil {
		return nil, err
	}
	if err := c.resolveRefs(); err != nil {
		return nil, err
	}
	for _, n := range c.all {
		n.finish()
	}
	if err := c.checkCycles(); err != nil {
		return nil, err
	}
	return &Schema{doc: doc, root: root}, nil
}

// compiler holds the state of one Compile.
type compiler struct {
	doc     []byte
	draft   dialect
	rootID  string           // root $id without fragment; refs to it are local
	nodes   map[string]*node // every compiled schema by its JSON Pointer
	anchors map[string]*node
	all     []*node  // every compiled schema, in compilation order
	ptrs    []string // the JSON Pointer of each of all
	refs    []pendingRef
}

// pendingRef is a $ref seen during compilation, resolved once every
// location it could name has been compiled.
type pendingRef struct {
	from *node
	ref  string
	at   string
}

// readRoot picks the dialect and the root $id.
func (c *compiler) readRoot() error {
	switch valueKind(c.doc) {
	case kindTrue, kindFalse:
		return nil
	case kindObject:
	default:
		return fmt.Errorf("schema document must be an object or a boolean: %w", ErrInvalidSchema)
	}
	if raw, ok := lookupMember(c.doc, []byte("$schema")); ok {
		s, ok := decodeString(raw)
		if !ok {
			return fmt.Errorf("$schema must be a string: %w", ErrInvalidSchema)
		}
		switch strings.TrimSuffix(s, "#") {
		case "https://json-schema.org/draft/2020-12/schema":
			c.draft = draft2020
		case "http://json-schema.org/draft-07/schema", "https://json-schema.org/draft-07/schema":
			c.draft = draft07
		default:
			return fmt.Errorf("$schema %q: only draft 2020-12 and draft-07 are supported: %w", s, ErrInvalidSchema)
		}
	}
	if raw, ok := lookupMember(c.doc, []byte("$id")); ok {
		s, ok := decodeString(raw)
		if !ok {
			return fmt.Errorf("$id must be a string: %w", ErrInvalidSchema)
		}
		c.rootID, _, _ = strings.Cut(s, "#")
	}
	return nil
}

// compile compiles the schema at raw, found at JSON Pointer ptr. embedded
// is true inside a subschema with its own $id, where fragment refs would
// be relative to that resource.
func (c *compiler) compile(raw []byte, ptr string, depth int, embedded bool) (*node, error) {
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("schema %s: nested deeper than %d: %w", where(ptr), maxSchemaDepth, ErrInvalidSchema)
	}
	n := &node{minLength: 0, maxLength: -1, maxItems: -1, minContains: 1, maxContains: -1, maxProperties: -1}
	c.nodes[ptr] = n
	c.all = append(c.all, n)
	c.ptrs = append(c.ptrs, ptr)
	switch valueKind(raw) {
	case kindTrue:
		return n, nil
	case kindFalse:
		n.never = true
		return n, nil
	case kindObject:
	default:
		return nil, fmt.Errorf("schema %s: must be an object or a boolean: %w", where(ptr), ErrInvalidSchema)
	}
	kw, err := readKeywords(raw, ptr)
	if err != nil {
		return nil, err
	}
	sc := &scope{c: c, n: n, kw: kw, ptr: ptr, depth: depth, embedded: embedded}
	return n, sc.compileKeywords()
}

// compileKeywords compiles the keywords of one schema object, one concern
// per step; the core step goes first because an embedded $id changes how
// the others' subschemas are read.
func (s *scope) compileKeywords() error {
	for _, step := range [...]func() error{
		s.compileCore,
		s.compileAssertions,
		s.compileNumber,
		s.compileString,
		s.compileArray,
		s.compileObject,
		s.compileApplicators,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// readKeywords maps each keyword of a schema object to its raw value.
func readKeywords(raw []byte, ptr string) (map[string][]byte, error) {
	kw := map[string][]byte{}
	it := newMembers(raw)
	for {
		key, val, ok := it.next()
		if !ok {
			return kw, nil
		}
		name := string(appendUnescaped(nil, stringContent(key)))
		if _, dup := kw[name]; dup {
			return nil, fmt.Errorf("schema %s: duplicate keyword %q: %w", where(ptr), name, ErrInvalidSchema)
		}
		kw[name] = val
	}
}

// scope is one schema object being compiled.
type scope struct {
	c        *compiler
	n        *node
	kw       map[string][]byte
	ptr      string
	depth    int
	embedded bool
	tracked  int // presence bits handed out
}

// errorf reports a keyword whose value has the wrong shape.
func (s *scope) errorf(keyword, format string, args ...any) error {
	return s.failf(ErrInvalidSchema, keyword, format, args...)
}

// failf reports a keyword this compiler rejects, wrapping sentinel.
func (s *scope) failf(sentinel error, keyword, format string, args ...any) error {
	return fmt.Errorf("schema %s: %s %s: %w", where(s.ptr), keyword, fmt.Sprintf(format, args...), sentinel)
}

// ignored reports the draft-07 rule that a $ref's siblings are ignored.
func (s *scope) ignored() bool {
	_, hasRef := s.kw["$ref"]
	return hasRef && s.c.draft == draft07
}

// sub compiles the subschema under keyword, or returns nil when absent.
func (s *scope) sub(keyword string) (*node, error) {
	raw, ok := s.kw[keyword]
	if !ok {
		return nil, nil
	}
	return s.c.compile(raw, s.ptr+"/"+escapePointer(keyword), s.depth+1, s.embedded)
}

// subList compiles an array of subschemas; nonEmpty rejects [].
func (s *scope) subList(keyword string, nonEmpty bool) ([]*node, error) {
	raw, ok := s.kw[keyword]
	if !ok {
		return nil, nil
	}
	if valueKind(raw) != kindArray {
		return nil, s.errorf(keyword, "must be an array of schemas")
	}
	list := []*node{}
	it := newElements(raw)
	for i := 0; ; i++ {
		e, ok := it.next()
		if !ok {
			break
		}
		n, err := s.c.compile(e, s.ptr+"/"+escapePointer(keyword)+"/"+strconv.Itoa(i), s.depth+1, s.embedded)
		if err != nil {
			return nil, err
		}
		list = append(list, n)
	}
	if nonEmpty && len(list) == 0 {
		return nil, s.errorf(keyword, "must not be empty")
	}
	return list, nil
}

// subMap compiles an object of subschemas, calling add for each member.
func (s *scope) subMap(keyword string, add func(name string, n *node) error) error {
	raw, ok := s.kw[keyword]
	if !ok {
		return nil
	}
	if valueKind(raw) != kindObject {
		return s.errorf(keyword, "must be an object of schemas")
	}
	seen := map[string]bool{}
	it := newMembers(raw)
	for {
		key, val, ok := it.next()
		if !ok {
			return nil
		}
		name := string(appendUnescaped(nil, stringContent(key)))
		if seen[name] {
			return s.errorf(keyword, "has %q twice", name)
		}
		seen[name] = true
		n, err := s.c.compile(val, s.ptr+"/"+escapePointer(keyword)+"/"+escapePointer(name), s.depth+1, s.embedded)
		if err != nil {
			return err
		}
		if err := add(name, n); err != nil {
			return err
		}
	}
}

// count reads a non-negative integer keyword (minLength, maxItems, ...).
// 2.0 is accepted as 2; values beyond the int range saturate.
func (s *scope) count(keyword string, dst *int) error {
	raw, ok := s.kw[keyword]
	if !ok {
		return nil
	}
	if valueKind(raw) != kindNumber {
		return s.errorf(keyword, "must be a non-negative integer")
	}
	d := parseDecimal(raw)
	if d.sign() < 0 || !d.isInteger() {
		return s.errorf(keyword, "must be a non-negative integer")
	}
	*dst = d.saturatedInt()
	return nil
}

// where names a schema location in compile errors.
func where(ptr string) string {
	if ptr == "" {
		return "#"
	}
	return "#" + ptr
}

// escapePointer escapes a name as a JSON Pointer token (RFC 6901).
func escapePointer(name string) string {
	if !strings.ContainsAny(name, "~/") {
		return name
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
}

// decodeString decodes a JSON string value.
func decodeString(raw []byte) (string, bool) {
	if valueKind(raw) != kindString {
		return "", false
	}
	return string(appendUnescaped(nil, stringContent(raw))), true
}

package schema

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// resolveRefs points every $ref at its target. Targets are "#" (the root),
// "#/json/pointer" and "#name" ($anchor, or draft-07 "$id": "#name"), alone
// or after the root's own $id. A pointer to a location that was not
// compiled as a schema (under enum, an unknown keyword, a draft-07 $ref's
// sibling) is compiled on demand. Anything else — another document, a
// relative URI — is ErrUnsupportedRef: there is no loader, on purpose.
func (c *compiler) resolveRefs() error {
	for len(c.refs) > 0 {
		r := c.refs[0]
		c.refs = c.refs[1:]
		target, err := c.resolve(r.ref)
		if err != nil {
			return fmt.Errorf("schema %s: $ref %q: %w", where(r.at), r.ref, err)
		}
		r.from.ref = target
	}
	return nil
}

func (c *compiler) resolve(ref string) (*node, error) {
	base, frag, _ := strings.Cut(ref, "#")
	if base != "" && base != c.rootID {
		return nil, fmt.Errorf("only references within this document are supported: %w", ErrUnsupportedRef)
	}
	frag, err := url.PathUnescape(frag)
	if err != nil {
		return nil, fmt.Errorf("bad percent-encoding: %w", ErrUnsupportedRef)
	}
	if frag == "" {
		return c.nodes[""], nil
	}
	if !strings.HasPrefix(frag, "/") {
		if n := c.anchors[frag]; n != nil {
			return n, nil
		}
		return nil, fmt.Errorf("no $anchor %q: %w", frag, ErrUnsupportedRef)
	}
	if n := c.nodes[frag]; n != nil {
		return n, nil
	}
	raw, ok := locate(c.doc, frag)
	if !ok {
		return nil, fmt.Errorf("no such location: %w", ErrUnsupportedRef)
	}
	return c.compile(raw, frag, pointerDepth(frag), false)
}

// locate finds the value at a JSON Pointer in the document.
func locate(doc []byte, ptr string) ([]byte, bool) {
	v := doc
	for _, tok := range strings.Split(ptr, "/")[1:] {
		name := strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch valueKind(v) {
		case kindObject:
			found := false
			it := newMembers(v)
			for {
				key, val, ok := it.next()
				if !ok {
					break
				}
				if string(appendUnescaped(nil, stringContent(key))) == name {
					v, found = val, true
					break
				}
			}
			if !found {
				return nil, false
			}
		case kindArray:
			i, err := strconv.Atoi(name)
			if err != nil || i < 0 || strconv.Itoa(i) != name {
				return nil, false
			}
			it := newElements(v)
			var e []byte
			ok := true
			for k := 0; k <= i && ok; k++ {
				e, ok = it.next()
			}
			if !ok {
				return nil, false
			}
			v = e
		default:
			return nil, false
		}
	}
	return v, true
}

func pointerDepth(ptr string) int { return strings.Count(ptr, "/") }

// checkCycles rejects schemas that reach themselves through keywords that
// apply to the same instance. Such a loop never consumes input, so
// validation would recurse until the depth limit on every call; it is a
// schema bug and is reported once, at Compile.
func (c *compiler) checkCycles() error {
	const (
		unvisited = iota
		active
		done
	)
	state := map[*node]int{}
	var visit func(n *node) bool
	visit = func(n *node) bool {
		switch state[n] {
		case active:
			return false
		case done:
			return true
		}
		state[n] = active
		for _, next := range n.inPlace() {
			if !visit(next) {
				return false
			}
		}
		state[n] = done
		return true
	}
	for i, n := range c.all {
		if !visit(n) {
			return fmt.Errorf("schema %s: %w", where(c.ptrs[i]), ErrRefCycle)
		}
	}
	return nil
}

// inPlace lists the subschemas applied to the same instance as n.
func (n *node) inPlace() []*node {
	var list []*node
	if n.ref != nil {
		list = append(list, n.ref)
	}
	list = append(list, n.allOf...)
	list = append(list, n.anyOf...)
	list = append(list, n.oneOf...)
	for _, d := range n.dependentSchemas {
		list = append(list, d.node)
	}
	for _, s := range [...]*node{n.not, n.ifNode, n.thenNode, n.elseNode} {
		if s != nil {
			list = append(list, s)
		}
	}
	return list
}

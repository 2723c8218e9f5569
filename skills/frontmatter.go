package skills

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/densemcp/densemcp/codec"
	yaml "go.yaml.in/yaml/v3"
)

// Bounds on what a frontmatter block may expand to: aliases can make a
// small YAML document enormous ("billion laughs").
const (
	maxFrontmatterBytes = 64 << 10
	maxYAMLDepth        = 64
	maxYAMLNodes        = 10_000
)

// Frontmatter extracts SKILL.md's YAML frontmatter and renders it as a JSON
// object, every field as written, keys in the author's order. Scalars keep
// YAML 1.2's core meaning (a date stays a string). It also returns the
// name, which must be a string, as the description must be.
func Frontmatter(md []byte) (json.RawMessage, string, error) {
	block, err := frontmatterBlock(md)
	if err != nil {
		return nil, "", err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(block, &doc); err != nil {
		return nil, "", fmt.Errorf("frontmatter: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, "", errors.New("frontmatter: must be a YAML mapping")
	}
	c := converter{}
	out, err := c.value(nil, doc.Content[0], 0)
	if err != nil {
		return nil, "", fmt.Errorf("frontmatter: %w", err)
	}
	name, _ := codec.ObjectField(out, "name")
	desc, _ := codec.ObjectField(out, "description")
	if !codec.IsString(name) || !codec.IsString(desc) {
		return nil, "", errors.New("frontmatter: name and description must be strings")
	}
	n, err := codec.Unquote(nil, name)
	if err != nil {
		return nil, "", err
	}
	return out, string(n), nil
}

// frontmatterBlock returns the text between the opening "---" line and the
// next line that is exactly "---" (a UTF-8 BOM and CRLF tolerated).
func frontmatterBlock(md []byte) ([]byte, error) {
	md = bytes.TrimPrefix(md, []byte("\xef\xbb\xbf"))
	first, rest, ok := bytes.Cut(md, []byte("\n"))
	if !ok || string(bytes.TrimRight(first, "\r")) != "---" {
		return nil, ErrNoFrontmatter
	}
	var block []byte
	for len(rest) > 0 {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		if string(bytes.TrimRight(line, " \t\r")) == "---" {
			if len(block) > maxFrontmatterBytes {
				return nil, fmt.Errorf("frontmatter: longer than %d bytes", maxFrontmatterBytes)
			}
			return block, nil
		}
		block = append(block, line...)
		block = append(block, '\n')
		rest = next
	}
	return nil, ErrNoFrontmatter
}

// converter renders a YAML node tree as JSON.
type converter struct{ nodes int }

func (c *converter) value(dst []byte, n *yaml.Node, depth int) ([]byte, error) {
	if c.nodes++; c.nodes > maxYAMLNodes || depth > maxYAMLDepth {
		return nil, errors.New("too large or too deep (aliases?)")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.value(dst, n.Alias, depth+1)
	case yaml.MappingNode:
		dst = append(dst, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				dst = append(dst, ',')
			}
			k := n.Content[i]
			for k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return nil, errors.New("a mapping key must be a scalar")
			}
			dst = codec.AppendString(dst, k.Value)
			dst = append(dst, ':')
			var err error
			if dst, err = c.value(dst, n.Content[i+1], depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case yaml.SequenceNode:
		dst = append(dst, '[')
		for i, e := range n.Content {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = c.value(dst, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case yaml.ScalarNode:
		return scalar(dst, n), nil
	}
	return nil, fmt.Errorf("unsupported YAML node kind %d", n.Kind)
}

// scalar renders a YAML scalar: null, booleans and finite numbers as JSON
// values, everything else (timestamps included) as a string.
func scalar(dst []byte, n *yaml.Node) []byte {
	switch n.ShortTag() {
	case "!!null":
		return append(dst, "null"...)
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return strconv.AppendBool(dst, b)
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return strconv.AppendInt(dst, i, 10)
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return strconv.AppendFloat(dst, f, 'g', -1, 64)
		}
	}
	return codec.AppendString(dst, n.Value)
}

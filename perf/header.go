//go:build linux

package perf

import (
	"fmt"
	"strings"
)

// Bounds on --header: a run's extra fields go into every request head, and a server's
// head limit (densemcp's 8 KiB, net/http's 1 MiB) must still leave room for the
// generator's own fields.
const (
	// MaxHeaders bounds how many --header flags a run takes.
	MaxHeaders = 32
	// MaxHeaderBytes bounds the extra fields of every request head together, as sent
	// ("Name: value\r\n" each).
	MaxHeaderBytes = 4096
)

// generatorFields are the header fields the generator writes itself. A second copy from
// --header would break the framing (Host, Content-Length, Transfer-Encoding), the
// connection's life (Connection, Upgrade, Expect) or contradict the era's own fields, so
// such a name is refused rather than sent twice.
var generatorFields = []string{
	"Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade",
	"Expect", "TE", "Trailer", "Content-Type", "Accept",
	"Mcp-Session-Id", "MCP-Protocol-Version", "Mcp-Method", "Mcp-Name",
}

// buildHeaders checks Headers and renders them into c.headerBlock: "Name: value\r\n" for
// each, in order, appended to every HTTP request of the run.
func (c *Config) buildHeaders() error {
	c.headerBlock = nil
	if len(c.Headers) == 0 {
		return nil
	}
	if c.Target == TargetTCP {
		return fmt.Errorf("%w: --header is for HTTP targets (--target http or http-modern)", ErrBadFlag)
	}
	if len(c.Headers) > MaxHeaders {
		return fmt.Errorf("%w: %d --header flags (at most %d)", ErrOutOfBounds, len(c.Headers), MaxHeaders)
	}
	var b []byte
	for _, h := range c.Headers {
		name, value, err := parseHeader(h)
		if err != nil {
			return err
		}
		b = append(b, name...)
		b = append(b, ": "...)
		b = append(b, value...)
		b = append(b, "\r\n"...)
	}
	if len(b) > MaxHeaderBytes {
		return fmt.Errorf("%w: --header fields are %d bytes (at most %d)", ErrOutOfBounds, len(b), MaxHeaderBytes)
	}
	c.headerBlock = b
	return nil
}

// parseHeader splits "Name: value" and checks both as RFC 9110 says: the name a token, the
// value visible characters, spaces and tabs only (no CR, LF or NUL, so nothing can end the
// field or the head early), without the whitespace around it.
func parseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("%w: --header %q (want 'Name: value')", ErrBadFlag, s)
	}
	if !isToken(name) {
		return "", "", fmt.Errorf("%w: --header %q: %q is not a field name", ErrBadFlag, s, name)
	}
	for _, g := range generatorFields {
		if strings.EqualFold(name, g) {
			return "", "", fmt.Errorf("%w: --header %q: the generator sets %s itself", ErrBadFlag, s, g)
		}
	}
	value = strings.Trim(value, " \t")
	for i := 0; i < len(value); i++ {
		if ch := value[i]; ch < 0x20 && ch != '\t' || ch == 0x7f {
			return "", "", fmt.Errorf("%w: --header %q: the value holds a control character (%#02x)", ErrBadFlag, s, ch)
		}
	}
	return name, value, nil
}

// isToken reports whether s is an RFC 9110 token: one or more tchar.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", ch) >= 0) {
			return false
		}
	}
	return true
}

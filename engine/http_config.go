package engine

import (
	"bytes"
	"net"
	"strings"
	"time"

	"github.com/densemcp/densemcp/codec/http1"
)

// Defaults of the Streamable HTTP transport.
const (
	// DefaultEndpoint is the MCP endpoint path.
	DefaultEndpoint = "/mcp"
	// DefaultSessionIdleTTL: a legacy session with no request and no open
	// stream for this long is evicted; its id then gets 404 and the client
	// initializes again.
	DefaultSessionIdleTTL = 10 * time.Minute
	// DefaultMaxSessions bounds live legacy HTTP sessions; initialize past
	// it gets 503 with Retry-After.
	DefaultMaxSessions = 100_000
	// DefaultHeartbeat: an idle SSE stream gets a comment this often, so
	// proxies and clients see it alive.
	DefaultHeartbeat = 15 * time.Second
	// DefaultSSERetryMs is the retry hint (SEP-1699) on priming events.
	DefaultSSERetryMs = 1000
)

// HTTPConfig configures Streamable HTTP. Zero fields take their defaults.
type HTTPConfig struct {
	// Endpoint is the path of the MCP endpoint (default /mcp).
	Endpoint string
	// MaxHeaderBytes (431 past it) and MaxBodyBytes (413 past it).
	MaxHeaderBytes int
	MaxBodyBytes   int
	// AllowedHosts are Host names accepted besides the loopback names, and
	// AllowedOrigins are Origins (scheme://host[:port]) accepted besides
	// loopback ones. Validation (403 otherwise) is on by default when the
	// listener is bound to a loopback address, against DNS rebinding.
	AllowedHosts   []string
	AllowedOrigins []string
	// HostCheck forces Host/Origin validation on (true) or off (false)
	// regardless of the bind address; nil means "on for loopback binds".
	HostCheck *bool
	// CORSOrigins are Origins sent CORS headers; none by default.
	CORSOrigins []string
	// SessionIdleTTL and MaxSessions bound legacy sessions.
	SessionIdleTTL time.Duration
	MaxSessions    int
	// Heartbeat is the idle SSE comment interval.
	Heartbeat time.Duration
	// Auth, if set, authorizes every MCP request (401/403 before the
	// router runs) and serves the protected resource metadata; package
	// auth implements it. nil: no authorization.
	Auth Authorizer
	// ReplayEvents, if > 0, keeps that many events per SSE stream of a legacy
	// session so a client reconnecting with Last-Event-ID gets what it
	// missed; 0 (default) keeps none and sends no event ids.
	ReplayEvents int
}

func (c *HTTPConfig) setDefaults(addr string) {
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = http1.DefaultMaxHeaderBytes
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = http1.DefaultMaxBodyBytes
	}
	if c.SessionIdleTTL <= 0 {
		c.SessionIdleTTL = DefaultSessionIdleTTL
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.HostCheck == nil {
		on := isLoopbackAddr(addr)
		c.HostCheck = &on
	}
}

// isLoopbackAddr reports whether a listen address is on loopback.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostAllowed checks a Host header value (name[:port]). It runs on every
// request, so the usual loopback names are matched without allocating.
func (c *HTTPConfig) hostAllowed(host []byte) bool {
	if !*c.HostCheck {
		return true
	}
	name := hostNameBytes(host)
	switch string(name) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	if bytes.EqualFold(name, []byte("localhost")) {
		return true
	}
	for _, h := range c.AllowedHosts {
		if bytes.EqualFold([]byte(h), name) || bytes.EqualFold([]byte(h), host) {
			return true
		}
	}
	return isLoopbackName(string(name))
}

// hostNameBytes is hostName for a header value.
func hostNameBytes(h []byte) []byte {
	if len(h) > 0 && h[0] == '[' {
		if i := bytes.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
		return h
	}
	if i := bytes.LastIndexByte(h, ':'); i >= 0 {
		return h[:i]
	}
	return h
}

// originAllowed checks an Origin header; an absent Origin (non-browser
// clients) is allowed. A browser sends Origin on every request, so it is
// matched on its bytes, without copying it into a string.
func (c *HTTPConfig) originAllowed(origin []byte) bool {
	if origin == nil || !*c.HostCheck {
		return true
	}
	for _, a := range c.AllowedOrigins {
		if equalFoldASCII(origin, a) {
			return true
		}
	}
	rest, ok := bytes.CutPrefix(origin, []byte("http://"))
	if !ok {
		if rest, ok = bytes.CutPrefix(origin, []byte("https://")); !ok {
			return false
		}
	}
	if bytes.ContainsAny(rest, "/?#@") {
		return false
	}
	name := hostNameBytes(rest)
	switch string(name) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return isLoopbackName(string(name))
}

// equalFoldASCII reports whether b and s are equal up to ASCII case, as
// scheme and host names compare (origins are ASCII; other bytes must be
// equal).
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}

func isLoopbackName(name string) bool {
	// The names every local client sends, without parsing (this runs on
	// every request).
	switch name {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

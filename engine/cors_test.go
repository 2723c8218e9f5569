package engine

import (
	"bytes"
	"strconv"
	"testing"
)

func TestCORSOrigin(t *testing.T) {
	f := func(allowed []string, origin, want string) {
		t.Helper()
		c := HTTPConfig{CORSOrigins: allowed}
		var o []byte
		if origin != "-" {
			o = []byte(origin)
		}
		if got := c.corsOrigin(o); got != want {
			t.Fatalf("CORSOrigins %q, Origin %q: %q, want %q", allowed, origin, got, want)
		}
	}
	app := []string{"https://app.example.com"}
	f(app, "https://app.example.com", "https://app.example.com")
	f(app, "HTTPS://App.Example.com", "HTTPS://App.Example.com") // sent back as sent
	f(app, "https://app.example.com:8443", "")
	f(app, "https://evil.example.com", "")
	f(app, "null", "")
	f(app, "-", "")
	f(app, "", "")
	f(nil, "https://app.example.com", "")
	f([]string{"*"}, "https://any.example.com", "https://any.example.com")
	f([]string{"*"}, "-", "")
}

func TestSpliceCORS(t *testing.T) {
	in := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
	if got := spliceCORS(in, ""); !bytes.Equal(got, in) {
		t.Fatalf("no origin: %q", got)
	}
	want := "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: https://a.example\r\nAccess-Control-Expose-Headers: " +
		corsExposeHeaders + "\r\nVary: Origin\r\nContent-Length: 2\r\n\r\n{}"
	if got := spliceCORS(in, "https://a.example"); string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, b := range []string{"HTTP/1.1 200 OK", "data: x\r\n", ""} {
		if got := spliceCORS([]byte(b), "https://a.example"); string(got) != b {
			t.Fatalf("%q: changed to %q", b, got)
		}
	}
}

func TestCORSPreflightFields(t *testing.T) {
	f := func(want string, requested ...string) {
		t.Helper()
		fields := corsPreflight(func(name string, fn func(v []byte) bool) {
			if name != "Access-Control-Request-Headers" {
				return
			}
			for _, r := range requested {
				if !fn([]byte(r)) {
					return
				}
			}
		})
		for _, kv := range fields {
			if kv[0] == "Access-Control-Allow-Headers" {
				if kv[1] != corsAllowHeaders+want {
					t.Fatalf("%q: Allow-Headers %q, want the fixed list + %q", requested, kv[1], want)
				}
				return
			}
		}
		t.Fatalf("%q: no Access-Control-Allow-Headers in %q", requested, fields)
	}
	f("")
	f("", "content-type, authorization")
	f(", mcp-param-region", "content-type, mcp-param-region")
	f(", Mcp-Param-A, mcp-param-b", " Mcp-Param-A ,\tmcp-param-b\t", "x-other")
	f(", mcp-param-c", "mcp-param-, mcp-param-a b, mcp-param-(x), mcp-param-\xff", "mcp-param-c")
	many := ""
	want := ""
	for i := range maxCORSParamHeaders + 10 {
		many += "mcp-param-h" + strconv.Itoa(i) + ","
		if i < maxCORSParamHeaders {
			want += ", mcp-param-h" + strconv.Itoa(i)
		}
	}
	f(want, many, "mcp-param-later")
}

// With CORS configured, a stateless call from a listed origin allocates
// nothing more than one without CORS (none), and its answer carries the
// fields.
func TestHTTPModernToolsCallCORSAllocations(t *testing.T) {
	h := newMemHTTP(t)
	h.s.http.cfg.CORSOrigins = []string{"https://app.example.com"}
	h.s.http.cfg.AllowedOrigins = []string{"https://app.example.com"}
	body := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ok","arguments":{},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
	req := []byte("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nOrigin: https://app.example.com\r\nContent-Type: application/json\r\n" +
		"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\n" +
		"Mcp-Name: ok\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	out := h.exchange(req)
	if !bytes.Contains(out, okAnswer) || !bytes.Contains(out, []byte("\r\nAccess-Control-Allow-Origin: https://app.example.com\r\n")) ||
		!bytes.Contains(out, []byte("\r\nVary: Origin\r\n")) {
		t.Fatalf("answer: %q", out)
	}
	if n := testing.AllocsPerRun(100, func() { h.exchange(req) }); n != 0 {
		t.Fatalf("%.1f allocations per call from a CORS origin, want 0", n)
	}
}

func TestOriginAllowed(t *testing.T) {
	on, off := true, false
	f := func(check *bool, allowed []string, origin string, want bool) {
		t.Helper()
		c := HTTPConfig{HostCheck: check, AllowedOrigins: allowed}
		var o []byte
		if origin != "-" {
			o = []byte(origin)
		}
		if got := c.originAllowed(o); got != want {
			t.Fatalf("HostCheck %v, AllowedOrigins %q, Origin %q: %v, want %v", *check, allowed, origin, got, want)
		}
	}
	app := []string{"https://app.example.com"}
	f(&on, nil, "-", true) // not a browser
	f(&on, nil, "http://localhost:3000", true)
	f(&on, nil, "http://LocalHost", true)
	f(&on, nil, "https://127.0.0.1:8443", true)
	f(&on, nil, "http://127.0.0.2", true)
	f(&on, nil, "http://[::1]:8080", true)
	f(&on, nil, "https://app.example.com", false)
	f(&on, app, "https://app.example.com", true)
	f(&on, app, "HTTPS://APP.example.COM", true)
	f(&on, app, "https://app.example.com:444", false)
	f(&on, app, "https://app.example.co", false)
	f(&on, app, "https://app\xc0example.com", false)
	f(&on, nil, "http://localhost/path", false)
	f(&on, nil, "http://user@localhost", false)
	f(&on, nil, "ftp://localhost", false)
	f(&on, nil, "null", false)
	f(&on, nil, "", false)
	f(&off, nil, "https://evil.example.com", true)
}

// A browser's request from an allowed Origin allocates nothing for the
// Origin check, loopback or listed.
func TestOriginCheckAllocations(t *testing.T) {
	on := true
	c := HTTPConfig{HostCheck: &on, AllowedOrigins: []string{"https://a-rather-long-origin-name.example.com:8443"}}
	for _, o := range []string{"http://localhost:5173", "https://a-rather-long-origin-name.example.com:8443"} {
		b := []byte(o)
		if n := testing.AllocsPerRun(100, func() { c.originAllowed(b) }); n != 0 {
			t.Fatalf("%s: %.1f allocations", o, n)
		}
	}
}

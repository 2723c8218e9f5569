package densemcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/auth"
	"github.com/densemcp/densemcp/auth/authtest"
)

// authFixture is a densemcp server behind a local issuer.
type authFixture struct {
	iss      *authtest.Issuer
	url      string // the MCP endpoint, also the resource (audience)
	metadata string // the resource_metadata URL
}

type whoOut struct {
	Subject string   `json:"subject"`
	Scopes  []string `json:"scopes"`
}

// newAuthFixture serves, over HTTP (and TCP when tcp is set), a server
// whose every request needs scope "mcp"; tool "admin" needs "mcp:admin"
// (by the ToolScopes option), tool "deploy" needs "mcp:deploy" (by
// Tool.Scopes), prompts/list needs "mcp:prompts" (by method), resources
// under secret:// need "mcp:secret" (by template). mod may change the
// options.
func newAuthFixture(t *testing.T, mod func(*auth.Config)) (*authFixture, *densemcp.Server, string) {
	t.Helper()
	return newAuthFixtureOn(t, mod, false)
}

// authFixtureFn makes an authFixture on one of the HTTP transports.
type authFixtureFn func(t *testing.T, mod func(*auth.Config)) (*authFixture, *densemcp.Server, string)

// onBothAuthTransports runs test against the event loops' HTTP and against
// Server.Handler mounted on a net/http mux (the endpoint and the
// well-known paths), which must authorize exactly alike.
func onBothAuthTransports(t *testing.T, test func(t *testing.T, newFixture authFixtureFn)) {
	t.Run("gnet", func(t *testing.T) { test(t, newAuthFixture) })
	t.Run("nethttp", func(t *testing.T) {
		test(t, func(t *testing.T, mod func(*auth.Config)) (*authFixture, *densemcp.Server, string) {
			t.Helper()
			return newAuthFixtureOn(t, mod, true)
		})
	})
}

// newAuthFixtureOn is newAuthFixture, served through net/http when stdlib
// is set (TCP is not served then).
func newAuthFixtureOn(t *testing.T, mod func(*auth.Config), stdlib bool) (*authFixture, *densemcp.Server, string) {
	t.Helper()
	iss := authtest.New(t)
	addr := freeAddr(t)
	f := &authFixture{iss: iss, url: "http://" + addr + "/mcp",
		metadata: "http://" + addr + "/.well-known/oauth-protected-resource/mcp"}
	c := &auth.Config{
		Issuer: iss.URL, Audience: f.url, Scopes: []string{"mcp"},
		ToolScopes:   map[string][]string{"admin": {"mcp:admin"}},
		MethodScopes: map[string][]string{"prompts/list": {"mcp:prompts"}},
		Logger:       slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(c)
	}
	s := newTestServer(t, &densemcp.Options{Auth: c, Logger: slog.New(slog.DiscardHandler)}, func(s *densemcp.Server) {
		who := func(_ context.Context, req *densemcp.Request, _ struct{}) (whoOut, error) {
			p := req.Principal()
			if p == nil {
				return whoOut{}, errors.New("no principal")
			}
			return whoOut{Subject: p.Subject, Scopes: p.Scopes}, nil
		}
		for _, tl := range []*densemcp.Tool{
			{Name: "whoami", Inline: true},
			{Name: "admin", Inline: true},
			{Name: "deploy", Scopes: []string{"mcp:deploy"}}, // pooled: the principal travels to the worker
		} {
			if err := densemcp.AddTool(s, tl, who); err != nil {
				t.Fatal(err)
			}
		}
		// A task (the tasks extension): its handler sees its creator.
		if err := densemcp.AddTool(s, &densemcp.Tool{Name: "job", Execution: &densemcp.ToolExecution{TaskSupport: densemcp.TaskRequired}}, who); err != nil {
			t.Fatal(err)
		}
		if err := s.AddResourceTemplate(&densemcp.ResourceTemplate{URITemplate: "secret://{id}", Name: "secret", Inline: true, Scopes: []string{"mcp:secret"}},
			func(_ context.Context, req *densemcp.Request, uri string, _ map[string]string) ([]densemcp.ResourceContents, error) {
				return []densemcp.ResourceContents{densemcp.TextContents(uri, "text/plain", "classified")}, nil
			}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddPrompt(&densemcp.Prompt{Name: "hello", Inline: true}, func(_ context.Context, req *densemcp.Request, _ map[string]string) (*densemcp.GetPromptResult, error) {
			return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{{Role: "user", Content: densemcp.Content{Type: "text", Text: "hi"}}}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	if stdlib {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/mcp", s.Handler())
		mux.Handle("/.well-known/", s.Handler())
		hs := &http.Server{Handler: mux}
		go hs.Serve(ln)
		t.Cleanup(func() { hs.Close() })
		return f, s, ""
	}
	tcp := ""
	if c.StaticToken != "" {
		tcp = freeAddr(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, tcp, addr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not stop")
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 500 {
			t.Fatalf("server never listened: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return f, s, tcp
}

// token issues a JWT for f's resource.
func (f *authFixture) token(t *testing.T, sub string, scopes ...string) string {
	return f.iss.Token(t, authtest.Claims{Subject: sub, Audience: f.url, Scopes: scopes})
}

// reply is one HTTP answer.
type reply struct {
	status    int
	challenge string
	session   string
	body      string
	header    http.Header
}

// do sends one HTTP request to the endpoint.
func (f *authFixture) do(t *testing.T, method, token string, hdr map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, f.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b []byte
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		// The first event carries the answer; the stream may stay open.
		line, _ := bufio.NewReader(resp.Body).ReadString('\n')
		for !strings.HasPrefix(line, "data: ") && line != "" {
			line, _ = bufio.NewReader(resp.Body).ReadString('\n')
		}
		b = []byte(strings.TrimPrefix(line, "data: "))
	} else {
		b, _ = io.ReadAll(resp.Body)
	}
	return reply{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"),
		session: resp.Header.Get("Mcp-Session-Id"), body: string(b), header: resp.Header}
}

// modernCall posts a stateless tools/call.
func (f *authFixture) modernCall(t *testing.T, token, tool string) reply {
	return f.do(t, "POST", token, map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": tool},
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+tool+`","arguments":{},`+modernMeta+`}}`)
}

// initialize opens a legacy session speaking version and returns its id.
func (f *authFixture) initialize(t *testing.T, token, version string) string {
	t.Helper()
	r := f.do(t, "POST", token, nil, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"`+version+`","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if r.status != 200 || r.session == "" {
		t.Fatalf("initialize (%s): %d %q", version, r.status, r.body)
	}
	if r := f.legacy(t, token, r.session, version, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); r.status != 202 {
		t.Fatalf("initialized: %d %q", r.status, r.body)
	}
	return r.session
}

// legacy posts body on session sid with protocol version header pv.
func (f *authFixture) legacy(t *testing.T, token, sid, pv, body string) reply {
	return f.do(t, "POST", token, map[string]string{"Mcp-Session-Id": sid, "MCP-Protocol-Version": pv}, body)
}

func callBody(id, tool string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
}

// The metadata document is served where RFC 9728 puts it, and every 401
// points to it.
func TestAuthMetadataAndChallenge(t *testing.T) {
	onBothAuthTransports(t, func(t *testing.T, newFixture authFixtureFn) {
		f, _, _ := newFixture(t, nil)
		for _, u := range []string{f.metadata, strings.TrimSuffix(f.metadata, "/mcp")} {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Resource        string   `json:"resource"`
				Servers         []string `json:"authorization_servers"`
				ScopesSupported []string `json:"scopes_supported"`
			}
			err = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || doc.Resource != f.url || len(doc.Servers) != 1 || doc.Servers[0] != f.iss.URL {
				t.Fatalf("%s: %d %+v %v", u, resp.StatusCode, doc, err)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("%s: not readable cross-origin", u)
			}
			want := map[string]bool{"mcp": true, "mcp:admin": true, "mcp:deploy": true, "mcp:prompts": true, "mcp:secret": true}
			for _, s := range doc.ScopesSupported {
				delete(want, s)
			}
			if len(want) > 0 {
				t.Errorf("scopes_supported %v lacks %v", doc.ScopesSupported, want)
			}
		}
		r := f.modernCall(t, "", "echo")
		want := `Bearer scope="mcp", resource_metadata="` + f.metadata + `"`
		if r.status != 401 || r.challenge != want {
			t.Fatalf("no token: %d %q, want 401 %q", r.status, r.challenge, want)
		}
		// A CORS preflight carries no credentials and is not refused.
		if r := f.do(t, "OPTIONS", "", nil, ""); r.status != 204 {
			t.Errorf("preflight: %d", r.status)
		}
	})
}

// Every bad token over HTTP gets 401 with error="invalid_token", in both
// eras; a token lacking a scope gets 403 with error="insufficient_scope".
func TestAuthBadTokensOverHTTP(t *testing.T) {
	onBothAuthTransports(t, func(t *testing.T, newFixture authFixtureFn) {
		f, _, _ := newFixture(t, nil)
		good := authtest.Claims{Subject: "alice", Audience: f.url, Scopes: []string{"mcp"}}
		expired, wrongAud, wrongIss, unknownKid := good, good, good, good
		expired.Expiry = time.Now().Add(-time.Hour)
		wrongAud.Audience = "http://127.0.0.1:1/other"
		wrongIss.Issuer = "https://evil.example.com"
		unknownKid.KeyID = "not-a-key-of-the-issuer"
		cases := []struct{ name, token, desc string }{
			{"malformed", "this-is.not-a.jwt", "malformed token"},
			{"expired", f.iss.Token(t, expired), "token expired"},
			{"wrong audience", f.iss.Token(t, wrongAud), "token audience is not this resource"},
			{"wrong issuer", f.iss.Token(t, wrongIss), "token issuer not accepted"},
			{"alg none", f.iss.Forged(t, good, "none"), "token algorithm not allowed"},
			{"HMAC with the public key", f.iss.Forged(t, good, "HS256"), "token algorithm not allowed"},
			{"unknown kid", f.iss.Token(t, unknownKid), "no issuer key matches the token"},
		}
		sid := f.initialize(t, f.token(t, "alice", "mcp"), "2025-11-25")
		for _, c := range cases {
			want := `Bearer error="invalid_token", error_description="` + c.desc + `", scope="mcp", resource_metadata="` + f.metadata + `"`
			if r := f.modernCall(t, c.token, "echo"); r.status != 401 || r.challenge != want {
				t.Errorf("%s (modern): %d %q, want 401 %q", c.name, r.status, r.challenge, want)
			}
			if r := f.legacy(t, c.token, sid, "2025-11-25", callBody("7", "echo")); r.status != 401 || r.challenge != want {
				t.Errorf("%s (legacy): %d %q, want 401 %q", c.name, r.status, r.challenge, want)
			}
		}
		// Lacking the scope every request needs.
		few := f.token(t, "alice", "other")
		want := `Bearer error="insufficient_scope", error_description="the token lacks a scope this operation needs", scope="mcp", resource_metadata="` + f.metadata + `"`
		if r := f.modernCall(t, few, "echo"); r.status != 403 || r.challenge != want {
			t.Errorf("without the required scope: %d %q, want 403 %q", r.status, r.challenge, want)
		}
	})
}

// A valid token works in both eras, and handlers see its principal; a
// tool, method or template scope the token lacks is 403 with that scope,
// in both eras alike.
func TestAuthValidTokenAndScopes(t *testing.T) {
	onBothAuthTransports(t, func(t *testing.T, newFixture authFixtureFn) {
		f, _, _ := newFixture(t, nil)
		tok := f.token(t, "alice", "mcp")
		if r := f.modernCall(t, tok, "whoami"); r.status != 200 || !strings.Contains(r.body, `"subject":"alice"`) {
			t.Fatalf("modern whoami: %d %s", r.status, r.body)
		}
		for _, v := range []string{"2025-11-25", "2024-11-05"} {
			sid := f.initialize(t, tok, v)
			if r := f.legacy(t, tok, sid, v, callBody("2", "whoami")); r.status != 200 || !strings.Contains(r.body, `"subject":"alice"`) {
				t.Fatalf("legacy %s whoami: %d %s", v, r.status, r.body)
			}
			// A pooled handler sees the principal too.
			if r := f.legacy(t, f.token(t, "alice", "mcp", "mcp:deploy"), sid, v, callBody("3", "deploy")); r.status != 200 || !strings.Contains(r.body, `"subject":"alice"`) {
				t.Fatalf("legacy %s deploy: %d %s", v, r.status, r.body)
			}
		}

		scopeChallenge := func(scope string) string {
			return `Bearer error="insufficient_scope", error_description="the token lacks a scope this operation needs", scope="` + scope + `", resource_metadata="` + f.metadata + `"`
		}
		check := func(name string, r reply, scope string) {
			t.Helper()
			if r.status != 403 || r.challenge != scopeChallenge(scope) || !strings.Contains(r.body, `"code":-32003`) {
				t.Errorf("%s: %d %q %s, want 403 for scope %q", name, r.status, r.challenge, r.body, scope)
			}
		}
		check("modern admin", f.modernCall(t, tok, "admin"), "mcp:admin")
		check("modern deploy", f.modernCall(t, tok, "deploy"), "mcp:deploy")
		check("modern prompts/list", f.do(t, "POST", tok, map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "prompts/list"},
			`{"jsonrpc":"2.0","id":1,"method":"prompts/list","params":{`+modernMeta+`}}`), "mcp:prompts")
		check("modern secret read", f.do(t, "POST", tok, map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "resources/read", "Mcp-Name": "secret://1"},
			`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"secret://1",`+modernMeta+`}}`), "mcp:secret")
		for _, v := range []string{"2025-11-25", "2025-06-18", "2024-11-05"} {
			sid := f.initialize(t, tok, v)
			check("legacy "+v+" admin", f.legacy(t, tok, sid, v, callBody("4", "admin")), "mcp:admin")
			check("legacy "+v+" prompts/list", f.legacy(t, tok, sid, v, `{"jsonrpc":"2.0","id":5,"method":"prompts/list"}`), "mcp:prompts")
			check("legacy "+v+" secret read", f.legacy(t, tok, sid, v, `{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"secret://1"}}`), "mcp:secret")
			check("legacy "+v+" secret subscribe", f.legacy(t, tok, sid, v, `{"jsonrpc":"2.0","id":8,"method":"resources/subscribe","params":{"uri":"secret://1"}}`), "mcp:secret")
			// Step up: the same session with a token holding the scope.
			more := f.token(t, "alice", "mcp", "mcp:admin", "mcp:secret")
			if r := f.legacy(t, more, sid, v, callBody("9", "admin")); r.status != 200 {
				t.Errorf("legacy %s admin after step-up: %d %s", v, r.status, r.body)
			}
		}
		if r := f.modernCall(t, f.token(t, "alice", "mcp", "mcp:admin"), "admin"); r.status != 200 {
			t.Errorf("modern admin with the scope: %d %s", r.status, r.body)
		}
	})
}

// The CVE-2026-11719 regression: an old MCP-Protocol-Version (or a legacy
// initialize) without a token is refused exactly like a modern request,
// and an old version does not skip a tool's scope.
func TestAuthVersionDowngrade(t *testing.T) {
	onBothAuthTransports(t, func(t *testing.T, newFixture authFixtureFn) {
		f, _, _ := newFixture(t, nil)
		want := f.modernCall(t, "", "echo")
		if want.status != 401 {
			t.Fatalf("modern without a token: %d", want.status)
		}
		init := func(v string) string {
			return `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"` + v + `","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
		}
		tok := f.token(t, "alice", "mcp")
		sid := f.initialize(t, tok, "2024-11-05")
		for name, r := range map[string]reply{
			"legacy initialize":                 f.do(t, "POST", "", nil, init("2025-11-25")),
			"initialize 2024-11-05 with header": f.do(t, "POST", "", map[string]string{"MCP-Protocol-Version": "2024-11-05"}, init("2024-11-05")),
			"tools/call, header 2024-11-05":     f.do(t, "POST", "", map[string]string{"MCP-Protocol-Version": "2024-11-05"}, callBody("1", "echo")),
			"tools/call, header 2025-03-26":     f.do(t, "POST", "", map[string]string{"MCP-Protocol-Version": "2025-03-26"}, callBody("1", "echo")),
			"session request, old header":       f.legacy(t, "", sid, "2024-11-05", callBody("1", "echo")),
			"session request, no header":        f.do(t, "POST", "", map[string]string{"Mcp-Session-Id": sid}, callBody("1", "echo")),
			"unknown version header":            f.do(t, "POST", "", map[string]string{"MCP-Protocol-Version": "1999-01-01"}, callBody("1", "echo")),
			"GET stream":                        f.do(t, "GET", "", map[string]string{"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2024-11-05"}, ""),
			"DELETE":                            f.do(t, "DELETE", "", map[string]string{"Mcp-Session-Id": sid}, ""),
			"modern tools/call with old header": f.do(t, "POST", "", map[string]string{"MCP-Protocol-Version": "2025-06-18"}, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",`+modernMeta+`}}`),
			"not JSON":                          f.do(t, "POST", "", nil, `{`),
		} {
			if r.status != want.status || r.challenge != want.challenge {
				t.Errorf("%s: %d %q, want %d %q", name, r.status, r.challenge, want.status, want.challenge)
			}
		}
		// The session still works for its owner: the refusals changed nothing.
		if r := f.legacy(t, tok, sid, "2024-11-05", callBody("2", "echo")); r.status != 200 {
			t.Errorf("the session after refusals: %d %s", r.status, r.body)
		}
		// An old version with a token does not skip a tool's scope.
		if r := f.legacy(t, tok, sid, "2024-11-05", callBody("3", "admin")); r.status != 403 || !strings.Contains(r.challenge, `scope="mcp:admin"`) {
			t.Errorf("2024-11-05 session calling admin without its scope: %d %q", r.status, r.challenge)
		}
	})
}

// A legacy session is bound to the subject that created it: another
// user's valid token with its id is refused, and the session is left as
// it was.
func TestAuthSessionHijack(t *testing.T) {
	onBothAuthTransports(t, func(t *testing.T, newFixture authFixtureFn) {
		f, _, _ := newFixture(t, nil)
		alice := f.token(t, "alice", "mcp", "mcp:admin")
		bob := f.token(t, "bob", "mcp", "mcp:admin")
		sid := f.initialize(t, alice, "2025-11-25")
		for name, r := range map[string]reply{
			"POST":   f.legacy(t, bob, sid, "2025-11-25", callBody("1", "whoami")),
			"GET":    f.do(t, "GET", bob, map[string]string{"Mcp-Session-Id": sid}, ""),
			"DELETE": f.do(t, "DELETE", bob, map[string]string{"Mcp-Session-Id": sid}, ""),
		} {
			if r.status != 403 || strings.Contains(r.body, "alice") {
				t.Errorf("bob's %s on alice's session: %d %s", name, r.status, r.body)
			}
		}
		// Another token of alice's (a refreshed one) is still alice.
		if r := f.legacy(t, f.token(t, "alice", "mcp"), sid, "2025-11-25", callBody("2", "whoami")); r.status != 200 || !strings.Contains(r.body, `"subject":"alice"`) {
			t.Errorf("alice's session after bob's attempts: %d %s", r.status, r.body)
		}
	})
}

// stdio and TCP NDJSON need the static token, presented in the first
// request's _meta, when one is configured; it is a bearer token over HTTP
// too.
func TestAuthStaticTokenOnTCP(t *testing.T) {
	f, _, tcp := newAuthFixture(t, func(c *auth.Config) { c.StaticToken = "local-secret-1" })
	c, err := net.Dial("tcp", tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	send := func(line string) string {
		t.Helper()
		if _, err := io.WriteString(c, line+"\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	init := func(meta string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}` + meta + `}}`
	}
	if got := send(init("")); !strings.Contains(got, `"code":-32004`) {
		t.Fatalf("initialize without the token: %s", got)
	}
	if got := send(init(`,"_meta":{"densemcp/authorization":"Bearer wrong"}`)); !strings.Contains(got, `"code":-32004`) {
		t.Fatalf("initialize with a wrong token: %s", got)
	}
	if got := send(init(`,"_meta":{"densemcp/authorization":"Bearer local-secret-1"}`)); !strings.Contains(got, `"protocolVersion":"2025-11-25"`) {
		t.Fatalf("initialize with the token: %s", got)
	}
	if _, err := io.WriteString(c, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	if got := send(callBody("2", "admin")); !strings.Contains(got, `"subject":"static-token"`) {
		t.Fatalf("a call after the token (every scope): %s", got)
	}
	if r := f.modernCall(t, "local-secret-1", "admin"); r.status != 200 {
		t.Errorf("the static token over HTTP: %d %s", r.status, r.body)
	}
}

// Without a static token, stdio and TCP are local transports and stay
// open while HTTP requires OAuth.
func TestAuthTCPUnaffectedWithoutStaticToken(t *testing.T) {
	iss := authtest.New(t)
	s := newTestServer(t, &densemcp.Options{Logger: slog.New(slog.DiscardHandler), Auth: &auth.Config{
		Issuer: iss.URL, Audience: "http://127.0.0.1:1/mcp", Scopes: []string{"mcp"}, Logger: slog.New(slog.DiscardHandler)}}, nil)
	addr := serveTCP(t, s)
	cs := sdkOverTCP(t, addr, "2025-11-25")
	exerciseSession(t, cs, "2025-11-25", true)
}

// Pipelined requests behind one whose new token is being verified off the
// loop wait their turn and are answered in order; a connection that closes
// while its token is verified harms nothing.
func TestAuthPipelinedWhileVerifying(t *testing.T) {
	f, _, _ := newAuthFixture(t, nil)
	addr := strings.TrimSuffix(strings.TrimPrefix(f.url, "http://"), "/mcp")
	raw := func(token, id string) string {
		body := `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"whoami","arguments":{},` + modernMeta + `}}`
		return "POST /mcp HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nAccept: application/json\r\n" +
			"Authorization: Bearer " + token + "\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: whoami\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	// Closed mid-verification, many times over.
	for i := range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, raw(f.token(t, "user"+strconv.Itoa(i), "mcp"), "1"))
		c.Close()
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	alice, bob := f.token(t, "alice", "mcp"), f.token(t, "bob", "mcp")
	if _, err := io.WriteString(c, raw(alice, "1")+raw(bob, "2")+raw(alice, "3")+raw("garbage.token.x", "4")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(c)
	for i, want := range []string{`"id":1,`, `"id":2,`, `"id":3,`, "401"} {
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i+1, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := strconv.Itoa(resp.StatusCode) + " " + string(b)
		if !strings.Contains(got, want) {
			t.Fatalf("answer %d: %s, want %s", i+1, got, want)
		}
		if who := []string{"alice", "bob", "alice"}; i < 3 && !strings.Contains(got, `"subject":"`+who[i]+`"`) {
			t.Fatalf("answer %d acts for the wrong subject: %s", i+1, got)
		}
	}
}

// A task belongs to the subject that created it: another user's token
// cannot read, answer or cancel it (its id answers "not found"), and the
// task's handler acts for its creator.
func TestAuthTaskBinding(t *testing.T) {
	f, _, _ := newAuthFixture(t, nil)
	alice, bob := f.token(t, "alice", "mcp"), f.token(t, "bob", "mcp")
	const caps = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}}`
	call := func(token, method, name, params string) reply {
		t.Helper()
		h := map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method}
		if name != "" {
			h["Mcp-Name"] = name
		}
		return f.do(t, "POST", token, h, `{"jsonrpc":"2.0","id":1,"method":"`+method+`","params":{`+params+`,`+caps+`}}`)
	}
	r := call(alice, "tools/call", "job", `"name":"job","arguments":{}`)
	var created struct {
		Result struct {
			TaskID string `json:"taskId"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.body), &created); err != nil || created.Result.TaskID == "" {
		t.Fatalf("tools/call job: %d %s", r.status, r.body)
	}
	id := created.Result.TaskID
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = call(alice, "tasks/get", id, `"taskId":"`+id+`"`)
		if strings.Contains(r.body, `"status":"completed"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice's task: %s", r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(r.body, `\"subject\":\"alice\"`) {
		t.Errorf("the task's handler did not act for alice: %s", r.body)
	}
	for _, m := range []string{"tasks/get", "tasks/cancel"} {
		if r := call(bob, m, id, `"taskId":"`+id+`"`); !strings.Contains(r.body, "Task not found") || strings.Contains(r.body, "alice") {
			t.Errorf("bob's %s of alice's task: %d %s", m, r.status, r.body)
		}
	}
	if r := call(alice, "tasks/get", id, `"taskId":"`+id+`"`); !strings.Contains(r.body, `"status":"completed"`) {
		t.Errorf("alice's task after bob's attempts: %s", r.body)
	}
}

// With receiving middleware installed, authorization is unchanged: scopes
// are still checked before the handler (the middleware sees the refusal as
// the error its next returns), the 403 keeps its challenge, and the
// middleware sees the request's principal.
func TestAuthWithMiddleware(t *testing.T) {
	f, s, _ := newAuthFixture(t, nil)
	var seen atomic.Value
	s.AddReceivingMiddleware(func(next densemcp.MethodHandler) densemcp.MethodHandler {
		return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) {
			if p := c.Session().Principal(); p != nil {
				seen.Store(p.Subject)
			}
			return next(ctx, c)
		}
	})
	tok := f.token(t, "alice", "mcp")
	if r := f.modernCall(t, tok, "admin"); r.status != 403 || !strings.Contains(r.challenge, `scope="mcp:admin"`) || !strings.Contains(r.body, `"code":-32003`) {
		t.Errorf("admin without its scope, through middleware: %d %q %s", r.status, r.challenge, r.body)
	}
	sid := f.initialize(t, tok, "2024-11-05")
	if r := f.legacy(t, tok, sid, "2024-11-05", callBody("2", "admin")); r.status != 403 {
		t.Errorf("legacy admin without its scope, through middleware: %d %s", r.status, r.body)
	}
	if r := f.modernCall(t, tok, "whoami"); r.status != 200 || !strings.Contains(r.body, `"subject":"alice"`) {
		t.Errorf("whoami through middleware: %d %s", r.status, r.body)
	}
	if got, _ := seen.Load().(string); got != "alice" {
		t.Errorf("the middleware saw principal %q", got)
	}
}

// stdio, like TCP, needs the static token in _meta when one is set.
func TestAuthStaticTokenOnStdio(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{Logger: slog.New(slog.DiscardHandler), Auth: &auth.Config{StaticToken: "stdio-secret"}}, nil)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeStdio(ctx, inR, outW) }()
	defer func() {
		cancel()
		inW.Close()
		<-done
	}()
	rd := bufio.NewReader(outR)
	send := func(line string) string {
		t.Helper()
		if _, err := io.WriteString(inW, line+"\n"); err != nil {
			t.Fatal(err)
		}
		got, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := send(callBody("1", "echo")); !strings.Contains(got, `"code":-32004`) {
		t.Fatalf("a call without the token: %s", got)
	}
	if got := send(`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"densemcp/authorization":"Bearer stdio-secret",` +
		`"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`); !strings.Contains(got, `"echo"`) {
		t.Fatalf("a modern request with the token: %s", got)
	}
}

// An authorization configuration that cannot be built makes the net/http
// handler refuse every request (fail closed) rather than serve without it.
func TestAuthHandlerFailsClosed(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{Logger: slog.New(slog.DiscardHandler),
		Auth: &auth.Config{StaticToken: "t", Scopes: []string{"not a scope"}}}, nil)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for _, tok := range []string{"", "Bearer t"} {
		req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",`+modernMeta+`}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("MCP-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", "tools/call")
		req.Header.Set("Mcp-Name", "echo")
		if tok != "" {
			req.Header.Set("Authorization", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("token %q: %d, want 503", tok, resp.StatusCode)
		}
	}
}

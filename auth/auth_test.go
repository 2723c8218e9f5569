package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densemcp/densemcp/auth/authtest"
	"github.com/densemcp/densemcp/router"
)

const resource = "http://127.0.0.1:8080/mcp"

// clock is a test clock: real time plus an offset the test moves.
type clock struct {
	off atomic.Int64
	a   *Authorizer
}

func (c *clock) now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// advance moves the clock, and the authorizer's coarse clock with it.
func (c *clock) advance(d time.Duration) {
	c.off.Add(int64(d))
	c.a.tick()
}

func newAuthorizer(t *testing.T, iss *authtest.Issuer, mod func(*Config)) (*Authorizer, *clock) {
	t.Helper()
	c := Config{Issuer: iss.URL, Audience: resource, Endpoint: "/mcp", JWKSRefreshInterval: time.Minute,
		Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&c)
	}
	a, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{a: a}
	a.setNow(clk.now)
	return a, clk
}

// decide asks a as the engine does: Check on loop 0, then Verify, waiting.
func decide(t *testing.T, a *Authorizer, header string) (*router.Principal, int, string) {
	t.Helper()
	var h []byte
	if header != "" {
		h = []byte(header)
	}
	p, status, ch, known := a.Check(0, h)
	if known {
		return p, status, ch
	}
	type result struct {
		p      *router.Principal
		status int
		ch     string
	}
	got := make(chan result, 1)
	a.Verify(h, func(p *router.Principal, status int, ch string) { got <- result{p, status, ch} })
	select {
	case r := <-got:
		return r.p, r.status, r.ch
	case <-time.After(30 * time.Second):
		t.Fatal("Verify never called back")
	}
	return nil, 0, ""
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// Every way a token can be wrong gets 401 (or 403) with the challenge the
// client needs, and a good token gets its principal.
func TestTokenVerdicts(t *testing.T) {
	iss := authtest.New(t)
	a, clk := newAuthorizer(t, iss, func(c *Config) { c.Scopes = []string{"mcp"} })
	meta := `resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"`
	good := authtest.Claims{Subject: "alice", Audience: resource, Scopes: []string{"mcp", "tools:read"}}

	f := func(name, header string, wantStatus int, wantInChallenge ...string) {
		t.Helper()
		p, status, ch := decide(t, a, header)
		if status != wantStatus || p != nil {
			t.Errorf("%s: status %d principal %v, want %d and none", name, status, p, wantStatus)
		}
		for _, w := range append(wantInChallenge, meta) {
			if !strings.Contains(ch, w) {
				t.Errorf("%s: challenge %q lacks %q", name, ch, w)
			}
		}
	}
	f("missing", "", 401, `Bearer `, `scope="mcp"`)
	if _, _, ch := decide(t, a, ""); strings.Contains(ch, "error=") {
		t.Errorf("a request without credentials gets no error code (RFC 6750 §3.1): %q", ch)
	}
	f("other scheme", "Basic dXNlcjpwYXNz", 401, `scope="mcp"`)
	f("malformed characters", "Bearer not a token!", 401, `error="invalid_token"`, `error_description="malformed token"`)
	f("not a JWT", "Bearer abc.def", 401, `error="invalid_token"`)
	f("garbage JWT", "Bearer aaa.bbb.ccc", 401, `error="invalid_token"`)

	exp := good
	exp.Expiry = time.Now().Add(-2 * time.Minute)
	f("expired", "Bearer "+iss.Token(t, exp), 401, `error="invalid_token"`, `error_description="token expired"`)
	aud := good
	aud.Audience = "https://other.example.com/mcp"
	f("wrong audience", "Bearer "+iss.Token(t, aud), 401, `error_description="token audience is not this resource"`)
	wrongIss := good
	wrongIss.Issuer = "https://evil.example.com"
	f("wrong issuer", "Bearer "+iss.Token(t, wrongIss), 401, `error_description="token issuer not accepted"`)
	noSub := good
	noSub.Subject = ""
	f("no subject", "Bearer "+iss.Token(t, noSub), 401, `error_description="token has no subject"`)

	// alg none: header and claims of a valid token, no signature.
	payload := strings.Split(iss.Token(t, good), ".")[1]
	f("alg none", "Bearer "+b64(`{"alg":"none","typ":"at+jwt"}`)+"."+payload+".", 401, `error_description="token algorithm not allowed"`)

	// HMAC keyed with the issuer's public key (DER and PEM), the classic
	// algorithm-confusion forgery, with the real key's kid.
	der, err := x509.MarshalPKIXPublicKey(iss.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range [][]byte{der, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})} {
		head := b64(`{"alg":"HS256","typ":"at+jwt","kid":"` + iss.KeyID() + `"}`)
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(head + "." + payload))
		f("HMAC with the public key", "Bearer "+head+"."+payload+"."+base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), 401, `error_description="token algorithm not allowed"`)
	}

	// A valid signature over changed claims fails.
	tok := iss.Token(t, good)
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + b64(strings.Replace(mustB64Decode(t, parts[1]), `"alice"`, `"mallory"`, 1)) + "." + parts[2]
	f("tampered claims", "Bearer "+forged, 401, `error_description="token signature invalid"`)

	// Insufficient scope for every request: 403, with the scope needed.
	few := good
	few.Scopes = []string{"tools:read"}
	f("insufficient scope", "Bearer "+iss.Token(t, few), 403, `error="insufficient_scope"`, `scope="mcp"`)

	// Within the leeway an expired token still passes; beyond it, not.
	late := good
	late.Expiry = time.Now().Add(-10 * time.Second)
	if p, status, _ := decide(t, a, "Bearer "+iss.Token(t, late)); p == nil {
		t.Errorf("expired 10 s ago, within the 30 s leeway: status %d", status)
	}

	// A good token: its principal, then cached on this loop and shared
	// with the others; the verdict ends with the token.
	p, status, _ := decide(t, a, "Bearer "+tok)
	if p == nil || p.Subject != "alice" || !p.HasScope("tools:read") || p.Issuer != iss.URL || p.Claims["sub"] != "alice" {
		t.Fatalf("valid token: status %d principal %+v", status, p)
	}
	if p2, _, _, known := a.Check(0, []byte("Bearer "+tok)); !known || p2 != p {
		t.Errorf("the verdict is not cached on its loop: known %v", known)
	}
	if p2, _, _, known := a.Check(3, []byte("bearer   "+tok+" ")); !known || p2 != p {
		t.Errorf("another loop does not find the shared verdict: known %v", known)
	}
	clk.advance(2 * time.Hour)
	if _, status, ch := decide(t, a, "Bearer "+tok); status != 401 || !strings.Contains(ch, "token expired") {
		t.Errorf("after expiry: status %d challenge %q", status, ch)
	}
}

func mustB64Decode(t *testing.T, s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A token signed with a key the server has not seen makes it fetch the
// JWKS again (rotation), but unknown kids cannot make it fetch more than
// once per refresh interval.
func TestUnknownKidRotationAndRateLimit(t *testing.T) {
	iss := authtest.New(t)
	a, clk := newAuthorizer(t, iss, nil)
	good := authtest.Claims{Subject: "alice", Audience: resource}
	if p, status, ch := decide(t, a, "Bearer "+iss.Token(t, good)); p == nil {
		t.Fatalf("first token: %d %q", status, ch)
	}
	if n := iss.JWKSFetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times for the first token, want 1", n)
	}
	clk.advance(2 * time.Minute) // past the refresh interval
	iss.Rotate(t, false)
	if p, status, ch := decide(t, a, "Bearer "+iss.Token(t, good)); p == nil {
		t.Fatalf("token of the rotated key: %d %q", status, ch)
	}
	if n := iss.JWKSFetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times after rotation, want 2", n)
	}
	bogus := good
	for i := range 5 {
		bogus.KeyID = "forged-" + string(rune('a'+i))
		_, status, ch := decide(t, a, "Bearer "+iss.Token(t, bogus))
		if status != 401 || !strings.Contains(ch, "no issuer key matches the token") {
			t.Fatalf("unknown kid: %d %q", status, ch)
		}
	}
	if n := iss.JWKSFetches.Load(); n != 2 {
		t.Fatalf("unknown kids within the interval fetched the JWKS: %d fetches, want 2", n)
	}
	clk.advance(2 * time.Minute)
	bogus.KeyID = "forged-later"
	decide(t, a, "Bearer "+iss.Token(t, bogus))
	decide(t, a, "Bearer "+iss.Token(t, authtest.Claims{Subject: "bob", Audience: resource, KeyID: "forged-again"}))
	if n := iss.JWKSFetches.Load(); n != 3 {
		t.Fatalf("after the interval one unknown kid may refetch, once: %d fetches, want 3", n)
	}
	// A kid the server knows is not refetched.
	decide(t, a, "Bearer "+iss.Token(t, authtest.Claims{Subject: "carol", Audience: resource}))
	if n := iss.JWKSFetches.Load(); n != 3 {
		t.Fatalf("a known kid fetched the JWKS: %d", n)
	}
}

// Opaque tokens are introspected (RFC 7662) and the verdict cached;
// inactive, foreign-audience and foreign-issuer tokens are refused.
func TestIntrospection(t *testing.T) {
	iss := authtest.New(t)
	a, clk := newAuthorizer(t, iss, func(c *Config) { c.ClientID, c.ClientSecret = iss.ClientID, iss.ClientSecret })
	tok := iss.Opaque(authtest.Claims{Subject: "alice", Audience: resource, Scopes: []string{"a", "b"}})
	p, status, ch := decide(t, a, "Bearer "+tok)
	if p == nil || p.Subject != "alice" || !p.HasScope("b") {
		t.Fatalf("opaque token: %d %q %+v", status, ch, p)
	}
	if _, _, _, known := a.Check(1, []byte("Bearer "+tok)); !known {
		t.Error("an introspected verdict is not cached")
	}
	n := iss.Introspections.Load()
	iss.Revoke(tok)
	if _, _, _, known := a.Check(0, []byte("Bearer "+tok)); !known || iss.Introspections.Load() != n {
		t.Error("a cached verdict introspected again")
	}
	clk.advance(DefaultCacheTTL + time.Second)
	if _, status, ch := decide(t, a, "Bearer "+tok); status != 401 || !strings.Contains(ch, "token not active") {
		t.Errorf("revoked, after the cache TTL: %d %q", status, ch)
	}
	other := iss.Opaque(authtest.Claims{Subject: "alice", Audience: "https://other.example.com/"})
	if _, status, ch := decide(t, a, "Bearer "+other); status != 401 || !strings.Contains(ch, "audience") {
		t.Errorf("opaque token for another resource: %d %q", status, ch)
	}
	foreign := iss.Opaque(authtest.Claims{Subject: "alice", Audience: resource, Issuer: "https://evil.example.com"})
	if _, status, ch := decide(t, a, "Bearer "+foreign); status != 401 || !strings.Contains(ch, "issuer") {
		t.Errorf("opaque token of another issuer: %d %q", status, ch)
	}
	// Without introspection an opaque token is malformed.
	b, _ := newAuthorizer(t, iss, nil)
	if _, status, ch := decide(t, b, "Bearer "+iss.Opaque(authtest.Claims{Subject: "x", Audience: resource})); status != 401 || !strings.Contains(ch, "malformed") {
		t.Errorf("opaque token without introspection: %d %q", status, ch)
	}
}

// An issuer that cannot be reached is a 503 (the client keeps its token),
// not a 401.
func TestIssuerUnavailable(t *testing.T) {
	iss := authtest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/jwks"
	ln.Close()
	a, _ := newAuthorizer(t, iss, func(c *Config) { c.JWKSURL = dead })
	if _, status, ch := decide(t, a, "Bearer "+iss.Token(t, authtest.Claims{Subject: "alice", Audience: resource})); status != 503 || !strings.HasPrefix(ch, "Bearer") {
		t.Errorf("JWKS unreachable: %d %q", status, ch)
	}
}

// The protected resource metadata (RFC 9728) at the well-known paths.
func TestMetadataDocument(t *testing.T) {
	iss := authtest.New(t)
	a, _ := newAuthorizer(t, iss, func(c *Config) {
		c.Scopes = []string{"mcp"}
		c.ResourceName = "test server"
		c.Endpoint = "/local"
	})
	for _, p := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource/local"} {
		doc, ok := a.WellKnown([]byte(p))
		if !ok {
			t.Fatalf("%s not served", p)
		}
		var m struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
			ScopesSupported      []string `json:"scopes_supported"`
			BearerMethods        []string `json:"bearer_methods_supported"`
			Name                 string   `json:"resource_name"`
		}
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		if m.Resource != resource || len(m.AuthorizationServers) != 1 || m.AuthorizationServers[0] != iss.URL ||
			len(m.ScopesSupported) != 1 || m.ScopesSupported[0] != "mcp" || m.BearerMethods[0] != "header" || m.Name != "test server" {
			t.Errorf("%s: %s", p, doc)
		}
	}
	if _, ok := a.WellKnown([]byte("/.well-known/oauth-authorization-server")); ok {
		t.Error("serves a document it does not own")
	}
	if got := a.MetadataURL(); got != "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp" {
		t.Errorf("metadata URL %q", got)
	}
}

// Discovery through the issuer's RFC 8414 metadata, which must name the
// configured issuer.
func TestDiscovery(t *testing.T) {
	iss := authtest.New(t)
	a, _ := newAuthorizer(t, iss, nil)
	if p, status, ch := decide(t, a, "Bearer "+iss.Token(t, authtest.Claims{Subject: "alice", Audience: resource})); p == nil {
		t.Fatalf("discovered keys: %d %q", status, ch)
	}
	// The issuer's metadata names iss.URL; configured with a trailing
	// slash the issuer differs, so discovery finds nothing usable.
	b, _ := newAuthorizer(t, iss, func(c *Config) { c.Issuer = iss.URL + "/" })
	if _, status, _ := decide(t, b, "Bearer "+iss.Token(t, authtest.Claims{Subject: "alice", Audience: resource, Issuer: iss.URL + "/"})); status != 503 {
		t.Errorf("metadata naming another issuer: status %d, want 503", status)
	}
}

func TestConfigValidation(t *testing.T) {
	f := func(name string, c Config, want string) {
		t.Helper()
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error about %q", name, err, want)
		}
	}
	f("nothing", Config{}, "issuer")
	f("no audience", Config{Issuer: "https://as.example.com"}, "audience")
	f("http issuer off loopback", Config{Issuer: "http://as.example.com", Audience: resource}, "https")
	f("none", Config{Issuer: "https://as.example.com", Audience: resource, Algorithms: []string{"none"}}, "cannot be allowed")
	f("HMAC", Config{Issuer: "https://as.example.com", Audience: resource, Algorithms: []string{"HS256"}}, "cannot be allowed")
	f("bad scope", Config{Issuer: "https://as.example.com", Audience: resource, Scopes: []string{`a"b`}}, "scope")
	f("introspection without client", Config{Issuer: "https://as.example.com", Audience: resource, IntrospectionURL: "https://as.example.com/i"}, "client id")
	f("static token with a space", Config{StaticToken: "a b"}, "static token")
	if err := (Config{Issuer: "https://as.example.com", Audience: "https://mcp.example.com/mcp"}).Validate(); err != nil {
		t.Errorf("a good config: %v", err)
	}
	m, err := ParseScopeMap("deploy=ops:write ops:read, status=ops:read")
	if err != nil || len(m["deploy"]) != 2 || m["status"][0] != "ops:read" {
		t.Errorf("ParseScopeMap: %v %v", m, err)
	}
	if _, err := ParseScopeMap("deploy"); err == nil {
		t.Error("ParseScopeMap accepted an entry without scopes")
	}
}

// The static token: accepted with every scope, compared whole.
func TestStaticToken(t *testing.T) {
	a, err := New(Config{StaticToken: "s3cret-token"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, _, _, known := a.Check(0, []byte("Bearer s3cret-token")); !known || p == nil || !p.HasScope("anything") {
		t.Errorf("static token refused: %v %v", known, p)
	}
	for _, h := range []string{"Bearer s3cret-tokem", "Bearer s3cret-token2", "Bearer s3cret"} {
		if p, status, ch, known := a.Check(0, []byte(h)); !known || p != nil || status != 401 || !strings.Contains(ch, "invalid_token") {
			t.Errorf("%q: %v %v %d %q", h, known, p, status, ch)
		}
	}
	if _, ok := a.WellKnown([]byte("/.well-known/oauth-protected-resource")); ok {
		t.Error("metadata served without an issuer")
	}
}

// A cached verdict is decided on the loop without allocating.
func TestCachedCheckAllocatesNothing(t *testing.T) {
	iss := authtest.New(t)
	a, _ := newAuthorizer(t, iss, nil)
	h := []byte("Bearer " + iss.Token(t, authtest.Claims{Subject: "alice", Audience: resource}))
	if p, _, _ := decide(t, a, string(h)); p == nil {
		t.Fatal("token refused")
	}
	a.Check(0, h) // moves the verdict into loop 0's cache
	allocs := testing.AllocsPerRun(1000, func() {
		if p, _, _, known := a.Check(0, h); !known || p == nil {
			t.Fatal("not cached")
		}
	})
	if allocs != 0 {
		t.Errorf("a cached Check allocates %.1f times", allocs)
	}
}

// Many requests with one new token start one verification.
func TestOneVerificationPerToken(t *testing.T) {
	iss := authtest.New(t)
	a, _ := newAuthorizer(t, iss, func(c *Config) { c.ClientID, c.ClientSecret = iss.ClientID, iss.ClientSecret })
	tok := []byte("Bearer " + iss.Opaque(authtest.Claims{Subject: "alice", Audience: resource}))
	const n = 20
	done := make(chan *router.Principal, n)
	for range n {
		a.Verify(tok, func(p *router.Principal, _ int, _ string) { done <- p })
	}
	for range n {
		if p := <-done; p == nil {
			t.Fatal("refused")
		}
	}
	if got := iss.Introspections.Load(); got < 1 || got > n {
		t.Fatalf("introspections %d", got)
	} else if got != 1 {
		t.Logf("%d introspections for %d concurrent requests (the flight ended between some)", got, n)
	}
}

// BenchmarkCheckCached is the loop's cost of a token it has verified.
func BenchmarkCheckCached(b *testing.B) {
	iss := authtest.New(b)
	c := Config{Issuer: iss.URL, Audience: resource, Logger: slog.New(slog.DiscardHandler)}
	a, err := New(c, nil)
	if err != nil {
		b.Fatal(err)
	}
	h := []byte("Bearer " + iss.Token(b, authtest.Claims{Subject: "alice", Audience: resource, Scopes: []string{"mcp", "tools:read"}}))
	done := make(chan struct{})
	a.Verify(h, func(*router.Principal, int, string) { close(done) })
	<-done
	b.SetBytes(int64(len(h)))
	b.ReportAllocs()
	for b.Loop() {
		if p, _, _, _ := a.Check(0, h); p == nil {
			b.Fatal("refused")
		}
	}
}

// Package authtest runs an OAuth 2.1 authorization server on loopback for
// tests: RFC 8414 metadata, a JWKS with keys generated at start (and
// rotated on demand), JWT access tokens, RFC 7662 introspection of opaque
// tokens, and an authorization-code flow with PKCE that approves at once, so
// a real MCP client can obtain a token without a browser.
package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is a test authorization server.
type Issuer struct {
	// URL is the issuer identifier (http://127.0.0.1:port).
	URL string
	// ClientID and ClientSecret are the one registered client (for the
	// authorization-code flow and for introspection).
	ClientID, ClientSecret string
	// User is the subject of tokens the authorization-code flow issues.
	User string
	// JWKSFetches counts GETs of the key set.
	JWKSFetches atomic.Int64
	// Introspections counts introspection calls.
	Introspections atomic.Int64

	srv *httptest.Server

	mu      sync.Mutex
	current *key              // signs new tokens
	keys    []*key            // published in the JWKS
	opaque  map[string]Claims // opaque tokens introspection knows
	codes   map[string]grant  // authorization codes not yet exchanged
}

type key struct {
	priv *ecdsa.PrivateKey
	kid  string
}

type grant struct {
	challenge, redirect, resource, scope string
}

// Claims describe a token to issue. Zero fields take defaults: the issuer's
// URL as iss, a one-hour lifetime.
type Claims struct {
	Subject  string
	Audience string
	Scopes   []string
	Issuer   string        // default: the issuer's URL
	Expiry   time.Time     // default: now + 1h
	Lifetime time.Duration // used when Expiry is zero (default 1h)
	ClientID string
	// KeyID overrides the kid header (a kid the JWKS does not have).
	KeyID string
}

// New starts an issuer on loopback, stopped when the test ends.
func New(tb testing.TB) *Issuer {
	tb.Helper()
	i := &Issuer{
		ClientID: "test-client", ClientSecret: "test-secret", User: "alice",
		opaque: map[string]Claims{}, codes: map[string]grant{},
	}
	i.current = newKey(tb)
	i.keys = []*key{i.current}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", i.metadata)
	mux.HandleFunc("GET /jwks", i.jwks)
	mux.HandleFunc("POST /introspect", i.introspect)
	mux.HandleFunc("GET /authorize", i.authorize)
	mux.HandleFunc("POST /token", i.token)
	i.srv = httptest.NewServer(mux)
	i.URL = i.srv.URL
	tb.Cleanup(i.srv.Close)
	return i
}

func newKey(tb testing.TB) *key {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return &key{priv: priv, kid: randomString(8)}
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Rotate makes a new signing key; the old one stays published when keepOld.
func (i *Issuer) Rotate(tb testing.TB, keepOld bool) {
	k := newKey(tb)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.current = k
	if keepOld {
		i.keys = append(i.keys, k)
	} else {
		i.keys = []*key{k}
	}
}

// PublicKey returns the current signing key's public half (to forge an
// HMAC token keyed with it, for instance).
func (i *Issuer) PublicKey() *ecdsa.PublicKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	return &i.current.priv.PublicKey
}

// KeyID returns the current signing key's kid.
func (i *Issuer) KeyID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.current.kid
}

// Token issues a signed JWT access token (ES256, typ at+jwt).
func (i *Issuer) Token(tb testing.TB, c Claims) string {
	tb.Helper()
	i.mu.Lock()
	k := i.current
	i.mu.Unlock()
	kid := k.kid
	if c.KeyID != "" {
		kid = c.KeyID
	}
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), kid)
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.priv}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(i.claims(c)).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func (i *Issuer) claims(c Claims) map[string]any {
	iss := c.Issuer
	if iss == "" {
		iss = i.URL
	}
	exp := c.Expiry
	if exp.IsZero() {
		life := c.Lifetime
		if life == 0 {
			life = time.Hour
		}
		exp = time.Now().Add(life)
	}
	m := map[string]any{
		"iss": iss, "sub": c.Subject, "aud": c.Audience,
		"exp": exp.Unix(), "iat": time.Now().Unix(), "jti": randomString(8),
	}
	if len(c.Scopes) > 0 {
		m["scope"] = strings.Join(c.Scopes, " ")
	}
	if c.ClientID != "" {
		m["client_id"] = c.ClientID
	}
	return m
}

// Opaque issues an opaque token that only introspection can decide.
func (i *Issuer) Opaque(c Claims) string {
	tok := "opaque-" + randomString(16)
	i.mu.Lock()
	i.opaque[tok] = c
	i.mu.Unlock()
	return tok
}

// Revoke makes introspection answer active:false for an opaque token.
func (i *Issuer) Revoke(tok string) {
	i.mu.Lock()
	delete(i.opaque, tok)
	i.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (i *Issuer) metadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]any{
		"issuer":                                         i.URL,
		"authorization_endpoint":                         i.URL + "/authorize",
		"token_endpoint":                                 i.URL + "/token",
		"jwks_uri":                                       i.URL + "/jwks",
		"introspection_endpoint":                         i.URL + "/introspect",
		"response_types_supported":                       []string{"code"},
		"grant_types_supported":                          []string{"authorization_code"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post"},
		"authorization_response_iss_parameter_supported": true,
	})
}

func (i *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	i.JWKSFetches.Add(1)
	i.mu.Lock()
	set := jose.JSONWebKeySet{}
	for _, k := range i.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "ES256", Use: "sig"})
	}
	i.mu.Unlock()
	writeJSON(w, 200, set)
}

func (i *Issuer) clientOK(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	return id == i.ClientID && secret == i.ClientSecret
}

func (i *Issuer) introspect(w http.ResponseWriter, r *http.Request) {
	i.Introspections.Add(1)
	if r.ParseForm() != nil || !i.clientOK(r) {
		writeJSON(w, 401, map[string]any{"error": "invalid_client"})
		return
	}
	i.mu.Lock()
	c, ok := i.opaque[r.PostForm.Get("token")]
	i.mu.Unlock()
	if !ok {
		writeJSON(w, 200, map[string]any{"active": false})
		return
	}
	m := i.claims(c)
	m["active"] = true
	writeJSON(w, 200, m)
}

// authorize approves at once: it redirects to the client with a code
// (RFC 9207 iss included), remembering the PKCE challenge and the resource.
func (i *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != i.ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", 400)
		return
	}
	code := randomString(16)
	i.mu.Lock()
	i.codes[code] = grant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), resource: q.Get("resource"), scope: q.Get("scope")}
	i.mu.Unlock()
	to, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", 400)
		return
	}
	v := to.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	v.Set("iss", i.URL)
	to.RawQuery = v.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// token exchanges a code for a JWT whose audience is the resource the
// client named (RFC 8707) and whose scopes are those it asked for.
func (i *Issuer) token(w http.ResponseWriter, r *http.Request) {
	if r.ParseForm() != nil || !i.clientOK(r) {
		writeJSON(w, 401, map[string]any{"error": "invalid_client"})
		return
	}
	code := r.PostForm.Get("code")
	i.mu.Lock()
	g, ok := i.codes[code]
	delete(i.codes, code)
	i.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge || r.PostForm.Get("redirect_uri") != g.redirect {
		writeJSON(w, 400, map[string]any{"error": "invalid_grant"})
		return
	}
	resource := r.PostForm.Get("resource")
	if resource == "" {
		resource = g.resource
	}
	tok := i.Token(&fatalTB{w: w}, Claims{Subject: i.User, Audience: resource, Scopes: strings.Fields(g.scope), ClientID: i.ClientID})
	writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "scope": g.scope})
}

// fatalTB lets Token run inside a handler, where a failure is a 500.
type fatalTB struct {
	testing.TB
	w http.ResponseWriter
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatal(args ...any) {
	http.Error(f.w, "cannot sign", 500)
	panic(http.ErrAbortHandler)
}

// Forged returns a token with the claims c would have, signed not by the
// issuer's key but as alg says: "none" (no signature), or "HS256" keyed
// with the issuer's public key in DER (the algorithm-confusion forgery).
// Both carry the current key's kid.
func (i *Issuer) Forged(tb testing.TB, c Claims, alg string) string {
	tb.Helper()
	payload, err := json.Marshal(i.claims(c))
	if err != nil {
		tb.Fatal(err)
	}
	head, err := json.Marshal(map[string]string{"alg": alg, "typ": "at+jwt", "kid": i.KeyID()})
	if err != nil {
		tb.Fatal(err)
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(head) + "." + enc.EncodeToString(payload)
	switch alg {
	case "none":
		return signing + "."
	case "HS256":
		der, err := x509.MarshalPKIXPublicKey(i.PublicKey())
		if err != nil {
			tb.Fatal(err)
		}
		mac := hmac.New(sha256.New, der)
		mac.Write([]byte(signing))
		return signing + "." + enc.EncodeToString(mac.Sum(nil))
	}
	tb.Fatalf("Forged: unknown alg %q", alg)
	return ""
}

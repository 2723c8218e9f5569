package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/router"
	jose "github.com/go-jose/go-jose/v4"
)

// Authorizer is an OAuth 2.1 resource server's token check and metadata. It
// implements engine.Authorizer. Safe for concurrent use.
type Authorizer struct {
	cfg   Config
	algs  []jose.SignatureAlgorithm
	now   func() time.Time
	clock *coarseClock // what Check reads instead of now

	// Protected resource metadata and the challenges, rendered once.
	metadataURL string   // the resource_metadata of every challenge
	paths       []string // well-known paths serving doc
	doc         []byte
	chMissing   string // 401 without a token: no error code (RFC 6750 §3.1)
	chMalformed string
	chInvalid   string // static token only: any other token
	chBusy      string
	scopeCh     sync.Map // scope → its insufficient_scope challenge

	static      *router.Principal // the static token's principal, if any
	staticToken []byte

	loops   atomic.Pointer[[]*loopCache]
	loopsMu sync.Mutex
	shared  sharedCache
	issuer  issuerState

	sem      chan struct{} // bounds verifications at once
	flightMu sync.Mutex
	flights  map[string]*flight // verifications under way, by token
}

// flight is one token's verification under way; requests with the same
// token that arrive meanwhile wait for it instead of starting their own.
type flight struct {
	waiters []func(*router.Principal, int, string)
}

// New returns an Authorizer for cfg. scopesInUse are the scopes the server's
// tools, resources, prompts and methods require, for the metadata's
// scopes_supported when cfg.ScopesSupported is empty.
func New(cfg Config, scopesInUse []string) (*Authorizer, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &Authorizer{
		cfg:     cfg,
		algs:    joseAlgorithms(cfg.Algorithms),
		now:     time.Now,
		sem:     make(chan struct{}, cfg.MaxVerifications),
		flights: make(map[string]*flight),
	}
	a.startClock()
	if cfg.StaticToken != "" {
		a.static = &router.Principal{Subject: "static-token", AllScopes: true}
		a.staticToken = []byte(cfg.StaticToken)
	}
	if cfg.OAuth() {
		if err := a.buildMetadata(scopesInUse); err != nil {
			return nil, err
		}
	}
	scope := strings.Join(cfg.Scopes, " ")
	a.chMissing = a.challenge("", "", scope)
	a.chMalformed = a.challenge("invalid_token", ErrMalformedToken.Error(), scope)
	a.chInvalid = a.challenge("invalid_token", "token not accepted", "")
	a.chBusy = a.challenge("", "", "")
	return a, nil
}

// buildMetadata renders the RFC 9728 document and its well-known paths.
func (a *Authorizer) buildMetadata(scopesInUse []string) error {
	u, err := url.Parse(a.cfg.Audience)
	if err != nil {
		return err
	}
	const wk = "/.well-known/oauth-protected-resource"
	path := strings.TrimSuffix(u.Path, "/")
	a.metadataURL = u.Scheme + "://" + u.Host + wk + path
	a.paths = []string{wk}
	if path != "" {
		a.paths = append(a.paths, wk+path)
	}
	if ep := strings.TrimSuffix(a.cfg.Endpoint, "/"); ep != "" && ep != path {
		a.paths = append(a.paths, wk+ep)
	}
	supported := a.cfg.ScopesSupported
	if len(supported) == 0 {
		supported = mergeScopes(a.cfg.Scopes, scopesInUse)
	}
	doc := struct {
		Resource               string   `json:"resource"`
		AuthorizationServers   []string `json:"authorization_servers"`
		ScopesSupported        []string `json:"scopes_supported,omitempty"`
		BearerMethodsSupported []string `json:"bearer_methods_supported"`
		ResourceName           string   `json:"resource_name,omitempty"`
		ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
	}{
		Resource:               a.cfg.Audience,
		AuthorizationServers:   []string{a.cfg.Issuer},
		ScopesSupported:        supported,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           a.cfg.ResourceName,
		ResourceDocumentation:  a.cfg.ResourceDocumentation,
	}
	a.doc, err = json.Marshal(&doc)
	return err
}

func mergeScopes(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, s := range l {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// MetadataURL is the resource_metadata URL the challenges point to ("" when
// only a static token is configured).
func (a *Authorizer) MetadataURL() string { return a.metadataURL }

// WellKnown implements engine.Authorizer.
func (a *Authorizer) WellKnown(path []byte) ([]byte, bool) {
	for _, p := range a.paths {
		if string(path) == p {
			return a.doc, true
		}
	}
	return nil, false
}

// challenge renders a WWW-Authenticate value. Every part is a fixed string
// or a checked scope token: nothing from the request reaches the header.
func (a *Authorizer) challenge(errCode, desc, scope string) string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	add := func(k, v string) {
		b.WriteString(sep)
		b.WriteString(k)
		b.WriteString(`="`)
		b.WriteString(v)
		b.WriteByte('"')
		sep = ", "
	}
	if errCode != "" {
		add("error", errCode)
	}
	if desc != "" {
		add("error_description", desc)
	}
	if scope != "" {
		add("scope", scope)
	}
	if a.metadataURL != "" {
		add("resource_metadata", a.metadataURL)
	}
	return b.String()
}

// ScopeChallenge implements engine.Authorizer: the challenge of a 403 for a
// token lacking scope. Rendered once per scope set.
func (a *Authorizer) ScopeChallenge(scope string) string {
	if c, ok := a.scopeCh.Load(scope); ok {
		return c.(string)
	}
	for _, s := range strings.Fields(scope) {
		if !router.ValidScope(s) {
			scope = "" // cannot happen: the router checked them
		}
	}
	c := a.challenge("insufficient_scope", "the token lacks a scope this operation needs", scope)
	a.scopeCh.Store(scope, c)
	return c
}

// bearerToken returns the token of an Authorization header value with the
// Bearer scheme (case-insensitive, RFC 7235), or ok false.
func bearerToken(h []byte) ([]byte, bool) {
	const scheme = "bearer "
	if len(h) < len(scheme)+1 {
		return nil, false
	}
	for i := range len(scheme) {
		c := h[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != scheme[i] {
			return nil, false
		}
	}
	tok := h[len(scheme):]
	for len(tok) > 0 && tok[0] == ' ' {
		tok = tok[1:]
	}
	for len(tok) > 0 && tok[len(tok)-1] == ' ' {
		tok = tok[:len(tok)-1]
	}
	return tok, true
}

// validToken reports whether tok is an RFC 6750 b64token: 1*( ALPHA /
// DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func validToken(tok []byte) bool {
	if len(tok) == 0 {
		return false
	}
	i := 0
	for ; i < len(tok); i++ {
		c := tok[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(tok); i++ {
		if tok[i] != '=' {
			return false
		}
	}
	return true
}

// Check implements engine.Authorizer. On a token this loop has verified
// before it is a map lookup and a clock read: no lock, no allocation.
func (a *Authorizer) Check(loop int, h []byte) (*router.Principal, int, string, bool) {
	tok, ok := bearerToken(h)
	if !ok {
		return nil, 401, a.chMissing, true
	}
	if len(tok) > MaxTokenBytes {
		return nil, 401, a.chMalformed, true
	}
	if a.static != nil && subtle.ConstantTimeCompare(tok, a.staticToken) == 1 {
		return a.static, 0, "", true
	}
	if !a.cfg.OAuth() {
		return nil, 401, a.chInvalid, true
	}
	// The loop's cache first: a token found there was verified, so its
	// characters need no scan (the scan cost more than the lookup).
	now := a.coarseNow()
	lc := a.loop(loop)
	if v, ok := lc.get(tok, now); ok {
		return v.p, v.status, v.challenge, true
	}
	if !validToken(tok) {
		return nil, 401, a.chMalformed, true
	}
	if v, ok := a.shared.get(tok, now); ok {
		lc.put(tok, v)
		return v.p, v.status, v.challenge, true
	}
	return nil, 0, "", false
}

// Verify implements engine.Authorizer: the token is verified on a
// goroutine (bounded by MaxVerifications; past it, 503), once however many
// requests carry it meanwhile.
func (a *Authorizer) Verify(h []byte, done func(*router.Principal, int, string)) {
	t, _ := bearerToken(h)
	tok := string(t)
	a.flightMu.Lock()
	if f := a.flights[tok]; f != nil {
		f.waiters = append(f.waiters, done)
		a.flightMu.Unlock()
		return
	}
	select {
	case a.sem <- struct{}{}:
	default:
		a.flightMu.Unlock()
		done(nil, 503, a.chBusy)
		return
	}
	f := &flight{waiters: []func(*router.Principal, int, string){done}}
	a.flights[tok] = f
	a.flightMu.Unlock()
	go func() {
		v := a.decide(tok)
		<-a.sem
		a.flightMu.Lock()
		delete(a.flights, tok)
		waiters := f.waiters
		a.flightMu.Unlock()
		for _, w := range waiters {
			w(v.p, v.status, v.challenge)
		}
	}()
}

// decide verifies a token and caches the verdict of a verified one.
func (a *Authorizer) decide(tok string) verdict {
	ctx, cancel := context.WithTimeout(context.Background(), 3*fetchTimeout)
	defer cancel()
	var p *router.Principal
	var until time.Time
	err := ErrMalformedToken
	if looksLikeJWT(tok) {
		p, until, err = a.verifyJWT(ctx, tok)
	}
	// What is not a JWT, or a JWT with no key set to verify it against, is
	// the introspection endpoint's to decide, if there is one.
	if a.introspects() && (err == ErrMalformedToken || errors.Is(err, errNoJWKS)) {
		p, until, err = a.introspect(ctx, tok)
	}
	if errors.Is(err, errNoJWKS) {
		err = ErrUnavailable
	}
	if err != nil {
		a.cfg.Logger.Debug("auth: token refused", "reason", err.Error())
		if errors.Is(err, ErrUnavailable) {
			return verdict{status: 503, challenge: a.chBusy}
		}
		return verdict{status: 401, challenge: a.challenge("invalid_token", err.Error(), strings.Join(a.cfg.Scopes, " "))}
	}
	v := verdict{p: p}
	for _, s := range a.cfg.Scopes {
		if !p.HasScope(s) {
			v = verdict{status: 403, challenge: a.ScopeChallenge(strings.Join(a.cfg.Scopes, " "))}
			break
		}
	}
	if max := a.now().Add(a.cfg.CacheTTL); until.After(max) {
		until = max
	}
	v.until = until.UnixNano()
	a.shared.put(tok, v)
	return v
}

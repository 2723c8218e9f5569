package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// serverMeta is what this resource server reads of the issuer's RFC 8414 /
// OpenID Connect discovery metadata.
type serverMeta struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

// issuerState is what was learnt from the issuer: its metadata and keys.
// Fetches happen on verification goroutines, one at a time (fetchMu), and
// never more often than the refresh interval after a failure or for an
// unknown kid.
type issuerState struct {
	fetchMu sync.Mutex // one JWKS fetch at a time; waiters then read the result
	metaMu  sync.Mutex // one discovery at a time (a JWKS fetch may need one)

	mu        sync.RWMutex
	meta      *serverMeta
	metaTry   time.Time // last discovery attempt that failed
	keys      []jose.JSONWebKey
	keysAt    time.Time // when keys were fetched
	keysTry   time.Time // last JWKS fetch attempt, successful or not
	keysErr   error     // the last fetch's error, if it failed
	keysFetch int       // fetches so far (tests read it)
}

// getJSON fetches url into v: a GET with a timeout, a bounded body and no
// credentials of the client's.
func (a *Authorizer) getJSON(ctx context.Context, rawURL string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocumentBytes))
		return fmt.Errorf("GET %s: status %d", rawURL, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", rawURL, err)
	}
	if len(body) > maxDocumentBytes {
		return fmt.Errorf("GET %s: document larger than %d bytes", rawURL, maxDocumentBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", rawURL, err)
	}
	return nil
}

// discoveryURLs lists where the issuer's metadata may be: RFC 8414's
// well-known path inserted before the issuer's path, then OpenID Connect's
// (inserted, then appended).
func discoveryURLs(issuer string) []string {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil
	}
	path := strings.TrimSuffix(u.Path, "/")
	base := u.Scheme + "://" + u.Host
	urls := []string{
		base + "/.well-known/oauth-authorization-server" + path,
		base + "/.well-known/openid-configuration" + path,
	}
	if path != "" {
		urls = append(urls, base+path+"/.well-known/openid-configuration")
	}
	return urls
}

// metadata returns the issuer's discovery metadata, fetching it once (and
// again after a failure, at most once per refresh interval).
func (a *Authorizer) metadata(ctx context.Context) (*serverMeta, error) {
	st := &a.issuer
	st.mu.RLock()
	m, tried := st.meta, st.metaTry
	st.mu.RUnlock()
	if m != nil {
		return m, nil
	}
	if !tried.IsZero() && a.now().Sub(tried) < a.cfg.JWKSRefreshInterval {
		return nil, ErrUnavailable
	}
	st.metaMu.Lock()
	defer st.metaMu.Unlock()
	st.mu.RLock()
	m, tried = st.meta, st.metaTry
	st.mu.RUnlock()
	if m != nil {
		return m, nil
	}
	if !tried.IsZero() && a.now().Sub(tried) < a.cfg.JWKSRefreshInterval {
		return nil, ErrUnavailable
	}
	var lastErr error
	for _, u := range discoveryURLs(a.cfg.Issuer) {
		var got serverMeta
		if err := a.getJSON(ctx, u, &got); err != nil {
			lastErr = err
			continue
		}
		if got.Issuer != a.cfg.Issuer {
			// RFC 8414 §3.3: metadata naming another issuer is not used.
			lastErr = fmt.Errorf("%s names issuer %q, want %q", u, got.Issuer, a.cfg.Issuer)
			continue
		}
		for _, ep := range []string{got.JWKSURI, got.IntrospectionEndpoint} {
			if ep != "" {
				if err := checkURL(ep); err != nil {
					lastErr = fmt.Errorf("%s: %w", u, err)
					got = serverMeta{}
				}
			}
		}
		if got.Issuer == "" {
			continue
		}
		st.mu.Lock()
		st.meta = &got
		st.mu.Unlock()
		return &got, nil
	}
	st.mu.Lock()
	st.metaTry = a.now()
	st.mu.Unlock()
	a.cfg.Logger.Warn("auth: issuer metadata discovery failed", "issuer", a.cfg.Issuer, "err", lastErr)
	return nil, ErrUnavailable
}

// jwksURL is the configured key set URL or the discovered one ("" when the
// issuer publishes none: then only introspection can decide).
func (a *Authorizer) jwksURL(ctx context.Context) (string, error) {
	if a.cfg.JWKSURL != "" {
		return a.cfg.JWKSURL, nil
	}
	m, err := a.metadata(ctx)
	if err != nil {
		return "", err
	}
	return m.JWKSURI, nil
}

// keysFor returns the keys that may have signed a token with kid and alg.
// Keys are fetched on first use, again once they are older than
// jwksMaxAge, and again when no key matches — at most once per refresh
// interval, so a rotated key is picked up and forged kids cost nothing.
func (a *Authorizer) keysFor(ctx context.Context, kid, alg string) ([]jose.JSONWebKey, error) {
	st := &a.issuer
	st.mu.RLock()
	keys, at := st.keys, st.keysAt
	st.mu.RUnlock()
	now := a.now()
	if at.IsZero() || now.Sub(at) > jwksMaxAge {
		if err := a.refreshKeys(ctx, false); err != nil && at.IsZero() {
			return nil, err
		}
	} else if m := matchKeys(keys, kid, alg); len(m) > 0 {
		return m, nil
	} else if err := a.refreshKeys(ctx, true); err != nil {
		if err == ErrUnavailable {
			return nil, err
		}
		return nil, ErrUnknownKey
	}
	st.mu.RLock()
	keys = st.keys
	st.mu.RUnlock()
	if m := matchKeys(keys, kid, alg); len(m) > 0 {
		return m, nil
	}
	return nil, ErrUnknownKey
}

// refreshKeys fetches the JWKS unless another fetch is under way (it waits
// for that one) or the last attempt was within the refresh interval. A
// failed fetch keeps the keys held so far. unknownKid: the fetch is asked
// for by a token no key matched.
func (a *Authorizer) refreshKeys(ctx context.Context, unknownKid bool) error {
	st := &a.issuer
	st.mu.RLock()
	before := st.keysTry
	st.mu.RUnlock()
	st.fetchMu.Lock()
	defer st.fetchMu.Unlock()
	st.mu.RLock()
	last, lastErr := st.keysTry, st.keysErr
	st.mu.RUnlock()
	if last != before {
		return lastErr // fetched while we waited: use that
	}
	if !last.IsZero() && a.now().Sub(last) < a.cfg.JWKSRefreshInterval && (unknownKid || lastErr != nil) {
		if lastErr != nil {
			return lastErr
		}
		return ErrUnknownKey
	}
	u, err := a.jwksURL(ctx)
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err == nil {
		if u == "" {
			err = errNoJWKS
		} else {
			err = a.getJSON(ctx, u, &set)
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.keysTry = a.now()
	st.keysFetch++
	if err != nil {
		if err != errNoJWKS && err != ErrUnavailable { // discovery logged its own
			a.cfg.Logger.Warn("auth: JWKS fetch failed", "url", u, "err", err)
		}
		if err != errNoJWKS {
			err = ErrUnavailable
		}
		st.keysErr = err
		return err
	}
	// Keys of types go-jose does not know (or malformed ones) are skipped,
	// not allowed to spoil the whole set.
	keys := make([]jose.JSONWebKey, 0, len(set.Keys))
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(raw) == nil {
			keys = append(keys, k)
		}
	}
	st.keys, st.keysAt, st.keysErr = keys, st.keysTry, nil
	return nil
}

// errNoJWKS: the issuer's metadata names no jwks_uri and none is
// configured; only introspection can decide its tokens.
var errNoJWKS = errors.New("issuer publishes no jwks_uri")

// matchKeys picks the public signing keys that may verify a token with kid
// and alg: the same kid (any key when the token names none), use "sig" or
// unset, alg equal or unset, and an asymmetric key — a symmetric key in a
// JWKS is never used, so no token can be MACed with published material.
func matchKeys(keys []jose.JSONWebKey, kid, alg string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for i := range keys {
		k := &keys[i]
		if kid != "" && k.KeyID != kid {
			continue
		}
		if (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != alg) {
			continue
		}
		pub := k.Public()
		switch pub.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			out = append(out, pub)
		}
	}
	return out
}

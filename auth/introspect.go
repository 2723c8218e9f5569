package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/densemcp/densemcp/router"
)

// introspection is an RFC 7662 response, as far as it is checked here.
type introspection struct {
	Active   bool            `json:"active"`
	Scope    string          `json:"scope"`
	ClientID string          `json:"client_id"`
	Subject  string          `json:"sub"`
	Issuer   string          `json:"iss"`
	Audience json.RawMessage `json:"aud"`
	Expiry   *float64        `json:"exp"`
	NotBef   *float64        `json:"nbf"`
}

// introspects reports whether opaque tokens can be decided here.
func (a *Authorizer) introspects() bool { return a.cfg.OAuth() && a.cfg.ClientID != "" }

// introspectionURL is the configured endpoint or the discovered one.
func (a *Authorizer) introspectionURL(ctx context.Context) (string, error) {
	if a.cfg.IntrospectionURL != "" {
		return a.cfg.IntrospectionURL, nil
	}
	m, err := a.metadata(ctx)
	if err != nil {
		return "", err
	}
	if m.IntrospectionEndpoint == "" {
		return "", fmt.Errorf("%w: the issuer publishes no introspection_endpoint", ErrUnavailable)
	}
	return m.IntrospectionEndpoint, nil
}

// introspect asks the issuer about an opaque token (RFC 7662). The token
// goes to the issuer's own introspection endpoint and nowhere else.
func (a *Authorizer) introspect(ctx context.Context, tok string) (*router.Principal, time.Time, error) {
	u, err := a.introspectionURL(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	form := url.Values{"token": {tok}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: client id and secret form-encoded, then Basic.
	req.SetBasicAuth(url.QueryEscape(a.cfg.ClientID), url.QueryEscape(a.cfg.ClientSecret))
	resp, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		a.cfg.Logger.Warn("auth: introspection failed", "url", u, "err", err)
		return nil, time.Time{}, ErrUnavailable
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil || resp.StatusCode != http.StatusOK || len(body) > maxDocumentBytes {
		a.cfg.Logger.Warn("auth: introspection failed", "url", u, "status", resp.StatusCode, "err", err)
		return nil, time.Time{}, ErrUnavailable
	}
	var r introspection
	var all map[string]any
	if json.Unmarshal(body, &r) != nil || json.Unmarshal(body, &all) != nil {
		a.cfg.Logger.Warn("auth: introspection answered no JSON object", "url", u)
		return nil, time.Time{}, ErrUnavailable
	}
	if !r.Active {
		return nil, time.Time{}, ErrInactive
	}
	if r.Issuer != "" && r.Issuer != a.cfg.Issuer {
		return nil, time.Time{}, ErrIssuer
	}
	// The audience must name this resource: a token the issuer minted for
	// another resource server is not ours to accept (RFC 8707).
	if !audienceContains(r.Audience, a.cfg.Audience) {
		return nil, time.Time{}, ErrAudience
	}
	now := a.now()
	var exp time.Time
	if r.Expiry != nil {
		exp = time.Unix(int64(*r.Expiry), 0)
		if !now.Before(exp.Add(a.cfg.Leeway)) {
			return nil, time.Time{}, ErrExpired
		}
	}
	if r.NotBef != nil && now.Add(a.cfg.Leeway).Before(time.Unix(int64(*r.NotBef), 0)) {
		return nil, time.Time{}, ErrNotYetValid
	}
	subject := r.Subject
	if subject == "" {
		subject = r.ClientID
	}
	if subject == "" {
		return nil, time.Time{}, ErrNoSubject
	}
	issuer := r.Issuer
	if issuer == "" {
		issuer = a.cfg.Issuer
	}
	p := &router.Principal{
		Subject:  subject,
		Issuer:   issuer,
		ClientID: r.ClientID,
		Scopes:   strings.Fields(r.Scope),
		Expiry:   exp,
		Claims:   all,
	}
	until := now.Add(a.cfg.CacheTTL)
	if !exp.IsZero() && exp.Before(until) {
		until = exp
	}
	return p, until, nil
}

// audienceContains reports whether aud (a string or an array of strings)
// names want.
func audienceContains(aud json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(aud, &one) == nil {
		return one == want
	}
	var list []string
	if json.Unmarshal(aud, &list) == nil {
		for _, a := range list {
			if a == want {
				return true
			}
		}
	}
	return false
}

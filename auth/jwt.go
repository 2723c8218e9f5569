package auth

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/densemcp/densemcp/router"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// accessClaims are the JWT access token claims checked here (RFC 9068;
// scp as some issuers send it).
type accessClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	Scope     string           `json:"scope"`
	Scp       json.RawMessage  `json:"scp"`
	ClientID  string           `json:"client_id"`
}

// looksLikeJWT reports whether tok has the three parts of a JWS compact
// serialization; anything else can only be an opaque token.
func looksLikeJWT(tok string) bool { return strings.Count(tok, ".") == 2 }

// verifyJWT verifies a JWT access token: the algorithm against the
// allow-list (before any key is looked at), typ, the signature with the
// issuer's key for its kid, then iss, aud, exp, nbf, iat and sub. It
// returns the principal and how long its verdict may be cached.
func (a *Authorizer) verifyJWT(ctx context.Context, raw string) (*router.Principal, time.Time, error) {
	tok, err := jwt.ParseSigned(raw, a.algs)
	if err != nil {
		var alg *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &alg) {
			return nil, time.Time{}, ErrAlgorithm
		}
		return nil, time.Time{}, ErrMalformedToken
	}
	if len(tok.Headers) != 1 {
		return nil, time.Time{}, ErrMalformedToken
	}
	h := tok.Headers[0]
	if typ, ok := h.ExtraHeaders[jose.HeaderType]; ok {
		t, _ := typ.(string)
		switch strings.ToLower(t) {
		case "at+jwt", "application/at+jwt", "jwt":
		default:
			return nil, time.Time{}, ErrTokenType
		}
	}
	keys, err := a.keysFor(ctx, h.KeyID, h.Algorithm)
	if err != nil {
		return nil, time.Time{}, err
	}
	var c accessClaims
	var all map[string]any
	err = ErrSignature
	for _, k := range keys {
		if tok.Claims(k.Key, &c, &all) == nil {
			err = nil
			break
		}
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	now := a.now()
	if c.Issuer != a.cfg.Issuer {
		return nil, time.Time{}, ErrIssuer
	}
	if !c.Audience.Contains(a.cfg.Audience) {
		return nil, time.Time{}, ErrAudience
	}
	if c.Expiry == nil {
		return nil, time.Time{}, ErrExpired // an access token that never expires is not accepted
	}
	exp := c.Expiry.Time()
	if !now.Before(exp.Add(a.cfg.Leeway)) {
		return nil, time.Time{}, ErrExpired
	}
	if c.NotBefore != nil && now.Add(a.cfg.Leeway).Before(c.NotBefore.Time()) {
		return nil, time.Time{}, ErrNotYetValid
	}
	if c.IssuedAt != nil && now.Add(a.cfg.Leeway).Before(c.IssuedAt.Time()) {
		return nil, time.Time{}, ErrNotYetValid
	}
	if c.Subject == "" {
		return nil, time.Time{}, ErrNoSubject
	}
	p := &router.Principal{
		Subject:  c.Subject,
		Issuer:   c.Issuer,
		ClientID: c.ClientID,
		Scopes:   scopesOf(c.Scope, c.Scp),
		Expiry:   exp,
		Claims:   all,
	}
	return p, exp.Add(a.cfg.Leeway), nil
}

// scopesOf reads the granted scopes: the space-separated scope claim, else
// scp as an array of strings or one space-separated string.
func scopesOf(scope string, scp json.RawMessage) []string {
	if scope != "" {
		return strings.Fields(scope)
	}
	if len(scp) == 0 {
		return nil
	}
	var list []string
	if json.Unmarshal(scp, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(scp, &one) == nil {
		return strings.Fields(one)
	}
	return nil
}

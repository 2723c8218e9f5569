package auth

import "errors"

// Why a token was refused. Their texts are sent as the challenge's
// error_description, so they are fixed strings (no quotes, nothing from
// the token).
var (
	// ErrMalformedToken: not a JWS compact JWT nor anything introspection
	// accepted.
	ErrMalformedToken = errors.New("malformed token")
	// ErrAlgorithm: the token's alg is not on the allow-list ("none", HMAC
	// and anything not configured).
	ErrAlgorithm = errors.New("token algorithm not allowed")
	// ErrTokenType: the JWT's typ is neither at+jwt nor JWT.
	ErrTokenType = errors.New("token type not accepted")
	// ErrUnknownKey: no key in the issuer's JWKS matches the token's kid
	// and algorithm, even after a refresh.
	ErrUnknownKey = errors.New("no issuer key matches the token")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("token signature invalid")
	// ErrIssuer: iss is not the configured issuer.
	ErrIssuer = errors.New("token issuer not accepted")
	// ErrAudience: aud does not name this resource (RFC 8707).
	ErrAudience = errors.New("token audience is not this resource")
	// ErrExpired: exp has passed (beyond the leeway), or is missing.
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid: nbf or iat is in the future (beyond the leeway).
	ErrNotYetValid = errors.New("token not yet valid")
	// ErrNoSubject: the token names no subject (sub, or client_id for an
	// introspected token).
	ErrNoSubject = errors.New("token has no subject")
	// ErrInactive: introspection says the token is not active.
	ErrInactive = errors.New("token not active")
	// ErrUnavailable: the issuer's keys or introspection endpoint could not
	// be reached; the request gets 503, not 401, so the client keeps its
	// token and retries.
	ErrUnavailable = errors.New("authorization server unavailable")
)

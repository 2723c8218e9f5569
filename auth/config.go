package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/densemcp/densemcp/router"
	jose "github.com/go-jose/go-jose/v4"
)

// Defaults and limits.
const (
	// DefaultLeeway is the clock skew allowed on exp, nbf and iat: small,
	// since an expired token must stop working.
	DefaultLeeway = 30 * time.Second
	// DefaultCacheTTL is how long a verified token's verdict is reused
	// before it is verified (or introspected) again; never past the
	// token's expiry. It bounds how long a revoked opaque token or a key
	// removed from the JWKS goes on working.
	DefaultCacheTTL = time.Minute
	// DefaultJWKSRefreshInterval is the least time between two JWKS
	// fetches caused by tokens with an unknown kid: a rotated key is found
	// at once, a stream of forged kids cannot make the server hammer the
	// issuer.
	DefaultJWKSRefreshInterval = 30 * time.Second
	// DefaultMaxVerifications bounds verifications running at once (each a
	// goroutine, perhaps a fetch); past it a request gets 503.
	DefaultMaxVerifications = 256
	// MaxTokenBytes bounds an accepted bearer token; longer ones are
	// malformed (the cache keys tokens whole).
	MaxTokenBytes = 4096
	// jwksMaxAge: cached keys are fetched again after this long even with
	// no unknown kid, so removed keys stop verifying.
	jwksMaxAge = time.Hour
	// loopCacheEntries and sharedCacheEntries bound the verdict caches (a
	// random entry is evicted when full).
	loopCacheEntries   = 8192
	sharedCacheEntries = 65536
	// fetchTimeout bounds one request to the authorization server, and
	// maxDocumentBytes the document it may answer.
	fetchTimeout     = 10 * time.Second
	maxDocumentBytes = 1 << 20
)

// DefaultAlgorithms are the JWS algorithms accepted by default: the
// asymmetric ones. "none" and HMAC (HS256/384/512) can never be configured,
// since a resource server verifying with a public key must not accept a MAC
// keyed with it.
var DefaultAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Config configures an Authorizer. Issuer (with Audience) turns on OAuth;
// StaticToken alone protects a server with one shared secret.
type Config struct {
	// Issuer is the authorization server (metadata authorization_servers,
	// the required iss, the base of discovery). https, or http on loopback.
	Issuer string
	// Audience is this server's canonical resource identifier (RFC 8707),
	// e.g. https://mcp.example.com/mcp: the required aud of every token
	// and the metadata's resource. Required with Issuer.
	Audience string
	// JWKSURL is the issuer's key set; empty: its jwks_uri from discovery.
	JWKSURL string
	// IntrospectionURL is the issuer's RFC 7662 endpoint for opaque tokens;
	// empty with ClientID set: its introspection_endpoint from discovery.
	// Introspection is on only with ClientID.
	IntrospectionURL string
	// ClientID and ClientSecret authenticate this server to the
	// introspection endpoint (HTTP Basic, RFC 6749 §2.3.1).
	ClientID     string
	ClientSecret string
	// Scopes are required of every request (403 insufficient_scope
	// without), and named in the 401 challenge so clients ask for them.
	Scopes []string
	// ToolScopes and MethodScopes are required scopes by tool name and by
	// method (densemcp hands them to the router, which checks them before
	// the handler runs, in every era).
	ToolScopes   map[string][]string
	MethodScopes map[string][]string
	// ScopesSupported are the metadata's scopes_supported; empty: Scopes
	// with every scope tools, resources, prompts and methods require.
	ScopesSupported []string
	// Algorithms is the JWS allow-list (default DefaultAlgorithms).
	Algorithms []string
	// Leeway is the clock skew allowed (default DefaultLeeway).
	Leeway time.Duration
	// CacheTTL bounds reuse of a verdict (default DefaultCacheTTL).
	CacheTTL time.Duration
	// JWKSRefreshInterval rate-limits unknown-kid refreshes (default
	// DefaultJWKSRefreshInterval).
	JWKSRefreshInterval time.Duration
	// MaxVerifications bounds verifications at once (default
	// DefaultMaxVerifications).
	MaxVerifications int
	// StaticToken, if set, is accepted as a bearer token with every scope
	// (subject "static-token"), and is what stdio and TCP NDJSON sessions
	// must present in _meta (router.MetaAuthorization).
	StaticToken string
	// ResourceName and ResourceDocumentation are optional metadata fields.
	ResourceName          string
	ResourceDocumentation string
	// Endpoint is the MCP endpoint's local path; its path-suffixed
	// metadata URL is served too when it differs from Audience's path.
	Endpoint string
	// HTTPClient fetches metadata and keys and calls introspection
	// (default: a client with a 10 s timeout that follows no redirects).
	HTTPClient *http.Client
	// Logger receives verification failures at debug level and fetch
	// failures at warn (default slog.Default()).
	Logger *slog.Logger
}

// OAuth reports whether c verifies OAuth tokens (else only a static token).
func (c *Config) OAuth() bool { return c.Issuer != "" }

func (c *Config) setDefaults() {
	if len(c.Algorithms) == 0 {
		c.Algorithms = DefaultAlgorithms
	}
	if c.Leeway <= 0 {
		c.Leeway = DefaultLeeway
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if c.JWKSRefreshInterval <= 0 {
		c.JWKSRefreshInterval = DefaultJWKSRefreshInterval
	}
	if c.MaxVerifications <= 0 {
		c.MaxVerifications = DefaultMaxVerifications
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{
			Timeout: fetchTimeout,
			// A redirect could take the introspection request (and the
			// token in it) elsewhere: follow none.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports what is wrong with c, as New would.
func (c Config) Validate() error {
	c.setDefaults()
	return c.validate()
}

// validate checks c after setDefaults.
func (c *Config) validate() error {
	if !c.OAuth() && c.StaticToken == "" {
		return errors.New("auth: set an issuer (OAuth) or a static token")
	}
	if !c.OAuth() {
		if c.Audience != "" || c.JWKSURL != "" || c.IntrospectionURL != "" || c.ClientID != "" {
			return errors.New("auth: audience, JWKS, introspection and client id need an issuer")
		}
	} else {
		if c.Audience == "" {
			return errors.New("auth: an issuer needs an audience: this server's resource URI, e.g. https://mcp.example.com/mcp")
		}
		for _, u := range []struct{ name, url string }{
			{"issuer", c.Issuer}, {"audience", c.Audience}, {"JWKS URL", c.JWKSURL}, {"introspection URL", c.IntrospectionURL},
		} {
			if u.url == "" {
				continue
			}
			if err := checkURL(u.url); err != nil {
				return fmt.Errorf("auth: %s: %w", u.name, err)
			}
		}
		if c.IntrospectionURL != "" && c.ClientID == "" {
			return errors.New("auth: introspection needs a client id (and secret) to authenticate with")
		}
	}
	for _, a := range c.Algorithms {
		if !allowedAlgorithm(a) {
			return fmt.Errorf("auth: algorithm %q cannot be allowed: use asymmetric JWS algorithms (%s)", a, strings.Join(DefaultAlgorithms, ", "))
		}
	}
	all := append(append([]string(nil), c.Scopes...), c.ScopesSupported...)
	for _, m := range []map[string][]string{c.ToolScopes, c.MethodScopes} {
		for _, l := range m {
			all = append(all, l...)
		}
	}
	for _, s := range all {
		if !router.ValidScope(s) {
			return fmt.Errorf("auth: invalid scope %q", s)
		}
	}
	if c.StaticToken != "" && !validToken([]byte(c.StaticToken)) {
		return errors.New("auth: the static token must be a bearer token (letters, digits and -._~+/ with optional trailing =)")
	}
	if len(c.StaticToken) > MaxTokenBytes {
		return fmt.Errorf("auth: the static token is longer than %d bytes", MaxTokenBytes)
	}
	return nil
}

// allowedAlgorithm reports whether a may be on the allow-list.
func allowedAlgorithm(a string) bool {
	for _, d := range DefaultAlgorithms {
		if a == d {
			return true
		}
	}
	return false
}

// joseAlgorithms converts the allow-list.
func joseAlgorithms(names []string) []jose.SignatureAlgorithm {
	out := make([]jose.SignatureAlgorithm, len(names))
	for i, n := range names {
		out[i] = jose.SignatureAlgorithm(n)
	}
	return out
}

// checkURL accepts an absolute https URL, or http on a loopback host (for
// development and tests), without fragment or user info: tokens and keys
// must not travel in clear over a network.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must be an absolute URL without fragment or user info", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("%q must be https (http only on loopback)", raw)
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// ParseScopeMap parses a scope map flag: NAME=SCOPE[ SCOPE...] entries
// separated by commas, e.g. "deploy=ops:write ops:read,status=ops:read"
// (names are tool names or methods; scopes are space-separated).
func ParseScopeMap(s string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, scopes, ok := strings.Cut(entry, "=")
		name = strings.TrimSpace(name)
		fields := strings.Fields(scopes)
		if !ok || name == "" || len(fields) == 0 {
			return nil, fmt.Errorf("scope map entry %q: want NAME=SCOPE[ SCOPE...]", entry)
		}
		for _, f := range fields {
			if !router.ValidScope(f) {
				return nil, fmt.Errorf("scope map entry %q: invalid scope %q", entry, f)
			}
		}
		out[name] = append(out[name], fields...)
	}
	return out, nil
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/auth"
)

// authFlags are the authorization flags of serve (see the README's
// Authorization section).
type authFlags struct {
	issuer, audience, jwksURL, introspectionURL  string
	clientID, clientSecretFile, tokenFile        string
	scopes, toolScopes, methodScopes, algorithms string
	resourceName, resourceDocs                   string
	leeway, cacheTTL, jwksRefresh                time.Duration
	maxVerifications                             int
}

func init() {
	var f authFlags
	registerServeExtension(serveExtension{
		name:  "auth",
		flags: f.register,
		apply: func(o *densemcp.Options, _ *slog.Logger) error {
			c, err := f.config()
			if err != nil || c == nil {
				return err
			}
			o.Auth = c
			return nil
		},
	})
}

func (f *authFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.issuer, "auth-issuer", "", "OAuth authorization server `URL`: turns on bearer-token authorization over HTTP (tokens must carry this iss)")
	fs.StringVar(&f.audience, "auth-audience", "", "this server's resource `URI` (RFC 8707), e.g. https://mcp.example.com/mcp: the required aud and the metadata's resource")
	fs.StringVar(&f.jwksURL, "auth-jwks-url", "", "the issuer's JWKS `URL` (default: its jwks_uri from RFC 8414 / OpenID discovery)")
	fs.StringVar(&f.introspectionURL, "auth-introspection-url", "", "RFC 7662 introspection `URL` for opaque tokens (default: discovered when --auth-client-id is set)")
	fs.StringVar(&f.clientID, "auth-client-id", "", "client `ID` this server authenticates to introspection with (turns introspection on)")
	fs.StringVar(&f.clientSecretFile, "auth-client-secret-file", "", "`FILE` holding the introspection client secret")
	fs.StringVar(&f.scopes, "auth-scopes", "", "space- or comma-separated scopes every request needs (named in the 401 challenge)")
	fs.StringVar(&f.toolScopes, "auth-tool-scopes", "", "scopes per tool: `TOOL=SCOPE[ SCOPE...],...`")
	fs.StringVar(&f.methodScopes, "auth-method-scopes", "", "scopes per method: `METHOD=SCOPE[ SCOPE...],...` (e.g. tools/call=mcp:tools)")
	fs.StringVar(&f.algorithms, "auth-algorithms", strings.Join(auth.DefaultAlgorithms, ","), "accepted JWS algorithms (asymmetric only)")
	fs.DurationVar(&f.leeway, "auth-leeway", auth.DefaultLeeway, "clock skew allowed on exp, nbf and iat")
	fs.DurationVar(&f.cacheTTL, "auth-cache-ttl", auth.DefaultCacheTTL, "how long a verified token's verdict is reused (never past its exp)")
	fs.DurationVar(&f.jwksRefresh, "auth-jwks-refresh", auth.DefaultJWKSRefreshInterval, "least time between JWKS fetches for tokens with an unknown kid")
	fs.IntVar(&f.maxVerifications, "auth-max-verifications", auth.DefaultMaxVerifications, "token verifications at once; more get 503")
	fs.StringVar(&f.tokenFile, "auth-token-file", "", "`FILE` holding a static token: required on TCP and stdio (in _meta \"densemcp/authorization\") and accepted as a bearer token over HTTP")
	fs.StringVar(&f.resourceName, "auth-resource-name", "", "resource_name in the protected resource metadata")
	fs.StringVar(&f.resourceDocs, "auth-resource-docs", "", "resource_documentation `URL` in the protected resource metadata")
}

// config turns the flags into options; nil when authorization is off.
func (f *authFlags) config() (*auth.Config, error) {
	if f.issuer == "" && f.tokenFile == "" {
		if f.audience != "" || f.jwksURL != "" || f.introspectionURL != "" || f.clientID != "" || f.scopes != "" || f.toolScopes != "" || f.methodScopes != "" {
			return nil, errors.New("the --auth-* flags need --auth-issuer or --auth-token-file")
		}
		return nil, nil
	}
	c := &auth.Config{
		Issuer: f.issuer, Audience: f.audience, JWKSURL: f.jwksURL,
		IntrospectionURL: f.introspectionURL, ClientID: f.clientID,
		Scopes:     strings.Fields(strings.ReplaceAll(f.scopes, ",", " ")),
		Algorithms: splitList(f.algorithms),
		Leeway:     f.leeway, CacheTTL: f.cacheTTL, JWKSRefreshInterval: f.jwksRefresh,
		MaxVerifications: f.maxVerifications,
		ResourceName:     f.resourceName, ResourceDocumentation: f.resourceDocs,
	}
	var err error
	if c.ToolScopes, err = auth.ParseScopeMap(f.toolScopes); err != nil {
		return nil, fmt.Errorf("--auth-tool-scopes: %w", err)
	}
	if c.MethodScopes, err = auth.ParseScopeMap(f.methodScopes); err != nil {
		return nil, fmt.Errorf("--auth-method-scopes: %w", err)
	}
	if f.clientSecretFile != "" {
		if c.ClientSecret, err = readSecret(f.clientSecretFile); err != nil {
			return nil, fmt.Errorf("--auth-client-secret-file: %w", err)
		}
	}
	if f.tokenFile != "" {
		if c.StaticToken, err = readSecret(f.tokenFile); err != nil {
			return nil, fmt.Errorf("--auth-token-file: %w", err)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// readSecret reads a secret from a file (not a flag value, which any user
// sees in the process list), without surrounding whitespace.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("the file is empty")
	}
	return s, nil
}

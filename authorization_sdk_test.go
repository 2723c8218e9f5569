package densemcp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdkauth "github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// The official Go SDK client, with its OAuth support, against densemcp
// behind the local issuer: the 401 leads it to the metadata, the issuer,
// an authorization-code flow with PKCE and a token for this resource; it
// works in both eras; a tool needing another scope answers 403
// insufficient_scope, and the client steps up and retries.
func TestSDKClientOAuth(t *testing.T) {
	f, _, _ := newAuthFixture(t, nil)
	for _, pv := range []string{"2025-11-25", ""} {
		name := pv
		if name == "" {
			name = "modern"
		}
		t.Run(name, func(t *testing.T) {
			var flows atomic.Int32
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			h, err := sdkauth.NewAuthorizationCodeHandler(&sdkauth.AuthorizationCodeHandlerConfig{
				PreregisteredClient: &oauthex.ClientCredentials{ClientID: f.iss.ClientID,
					ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: f.iss.ClientSecret}},
				RedirectURL: "http://127.0.0.1/callback",
				// The "browser": the issuer approves at once and redirects
				// with the code, which is read off the Location header.
				AuthorizationCodeFetcher: func(ctx context.Context, args *sdkauth.AuthorizationArgs) (*sdkauth.AuthorizationResult, error) {
					flows.Add(1)
					req, err := http.NewRequestWithContext(ctx, "GET", args.URL, nil)
					if err != nil {
						return nil, err
					}
					resp, err := noRedirect.Do(req)
					if err != nil {
						return nil, err
					}
					resp.Body.Close()
					loc, err := url.Parse(resp.Header.Get("Location"))
					if err != nil || resp.StatusCode != http.StatusFound {
						return nil, fmt.Errorf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
					}
					q := loc.Query()
					return &sdkauth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			client := mcp.NewClient(&mcp.Implementation{Name: "oauth-test", Version: "1"}, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: f.url, OAuthHandler: h, MaxRetries: -1},
				&mcp.ClientSessionOptions{ProtocolVersion: pv})
			if err != nil {
				t.Fatalf("connect with OAuth: %v", err)
			}
			defer cs.Close()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
			if err != nil || res.IsError {
				t.Fatalf("whoami: %v %+v", err, res)
			}
			if got := fmt.Sprint(res.StructuredContent); !strings.Contains(got, "alice") {
				t.Fatalf("whoami answered %s, want alice", got)
			}
			if flows.Load() != 1 {
				t.Fatalf("%d authorization flows to connect, want 1", flows.Load())
			}
			// Step-up: admin needs mcp:admin, which the first token (asked
			// for the 401's scope) lacks.
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "admin"})
			if err != nil || res.IsError {
				t.Fatalf("admin after step-up: %v %+v", err, res)
			}
			if flows.Load() != 2 {
				t.Fatalf("%d authorization flows after a 403, want 2 (one step-up)", flows.Load())
			}
			// Without the OAuth handler the same server refuses the client.
			bare := mcp.NewClient(&mcp.Implementation{Name: "no-oauth", Version: "1"}, nil)
			if _, err = bare.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: f.url, MaxRetries: -1}, &mcp.ClientSessionOptions{ProtocolVersion: pv}); err == nil {
				t.Fatal("a client without a token connected")
			}
		})
	}
}

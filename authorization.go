package densemcp

import (
	"github.com/densemcp/densemcp/auth"
	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/router"
)

// authPolicy is the router's part of the authorization options: required
// scopes by tool and method, and the static token of stdio and TCP
// sessions.
func authPolicy(c *auth.Config) router.AuthPolicy {
	if c == nil {
		return router.AuthPolicy{}
	}
	p := router.AuthPolicy{ToolScopes: c.ToolScopes, MethodScopes: c.MethodScopes}
	if c.StaticToken != "" {
		p.SessionCredential = router.StaticCredential(c.StaticToken)
	}
	return p
}

// authorizer builds the HTTP transport's authorizer when Serve starts, so
// the metadata's scopes_supported includes the scopes of every tool,
// resource and prompt registered by then.
func (s *Server) authorizer() (engine.Authorizer, error) {
	c := *s.opts.Auth
	if c.Endpoint == "" {
		c.Endpoint = s.opts.Engine.HTTP.Endpoint
		if c.Endpoint == "" {
			c.Endpoint = engine.DefaultEndpoint
		}
	}
	if c.Logger == nil {
		c.Logger = s.opts.Logger
	}
	return auth.New(c, s.r.ScopesInUse())
}

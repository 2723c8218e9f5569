// Package auth makes a densemcp server an OAuth 2.1 resource server, as the
// MCP authorization specification asks of remote servers: it publishes the
// protected resource metadata (RFC 9728), verifies bearer tokens — JWT
// access tokens (RFC 9068) against the issuer's JWKS, found through its
// RFC 8414 / OpenID Connect discovery metadata or given, or opaque tokens by
// RFC 7662 introspection — and answers 401 and 403 with the
// WWW-Authenticate challenges clients follow to obtain a token.
//
// An Authorizer implements engine.Authorizer: the HTTP transport asks it
// about every MCP request before the router runs, whatever era or protocol
// version the request claims. Verdicts are cached per event loop, so a
// request with a token already seen on its loop is decided there without a
// lock or an allocation; anything that needs work (a signature, a key
// fetch, introspection) runs on a goroutine and resumes the request on its
// loop. The client's token is never sent anywhere but to the issuer's
// introspection endpoint, and never handed to handlers.
//
// JOSE is github.com/go-jose/go-jose/v4: it has no dependencies of its own,
// and its ParseSigned takes the algorithm allow-list as a required argument,
// so "none", HMAC algorithms and anything else not listed are refused
// before any key is consulted. Key fetching, caching and rotation are a few
// dozen lines here rather than a framework's cache.
package auth

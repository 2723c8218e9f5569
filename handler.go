package densemcp

import (
	"net/http"

	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/router"
)

// Handler returns an http.Handler that serves Streamable HTTP, both eras,
// through net/http: mount it on a mux the program already has, behind its
// own TLS, authentication and routing.
//
//	mux := http.NewServeMux()
//	mux.Handle("/mcp", s.Handler())
//	mux.HandleFunc("/healthz", healthz)
//	http.ListenAndServeTLS(":443", "cert.pem", "key.pem", mux)
//
// It is the compatible path: a goroutine per connection and per request,
// as net/http serves, on the same router as the gnet loops; the dense path
// is ListenAndServe's own HTTP/1.1 on the event loops (perf/RESULTS.md has
// both costs). Options.Engine.HTTP applies except Endpoint (the mux routes)
// and the header limit (the http.Server's); Host and Origin are checked
// for requests that arrived on a loopback address unless HTTPConfig.HostCheck
// says otherwise; SSE replay (Last-Event-ID) is not offered. With
// Options.Auth set every request is authorized as on the event loops; mount
// the handler on "/.well-known/" too so that the metadata the challenges
// name is served. If the authorization configuration cannot be built, the
// handler answers 503 to every request (fail closed). Every call
// returns the same handler, whose state lives on Options.Engine.Loops
// shards, one goroutine each.
func (s *Server) Handler() http.Handler {
	h := s.netHTTP()
	s.live.mount() // the program serves it: Ready counts it as serving
	return h
}

// netHTTP returns the net/http transport, made on first use.
func (s *Server) netHTTP() *engine.NetHTTP {
	s.handlerOnce.Do(func() {
		cfg := s.opts.Engine
		if s.opts.Auth != nil {
			a, err := s.authorizer()
			if err != nil {
				// Fail closed: a handler that cannot authorize serves no one.
				s.opts.Logger.Error("the net/http handler cannot authorize requests", "err", err)
				a = failedAuthorizer{}
			}
			cfg.HTTP.Auth = a
		}
		s.handler = engine.NewNetHTTP(s.r, cfg, s.opts.Logger)
		s.live.setHandler(s.handler)
	})
	return s.handler
}

// failedAuthorizer refuses every request with 503: the authorization
// configuration could not be built, and serving without it would let
// anyone in.
type failedAuthorizer struct{}

func (failedAuthorizer) WellKnown([]byte) ([]byte, bool) { return nil, false }

func (failedAuthorizer) Check(int, []byte) (*router.Principal, int, string, bool) {
	return nil, http.StatusServiceUnavailable, "", true
}

func (failedAuthorizer) Verify(_ []byte, done func(*router.Principal, int, string)) {
	done(nil, http.StatusServiceUnavailable, "")
}

func (failedAuthorizer) ScopeChallenge(string) string { return "" }

package engine

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
)

// The net/http transport authorizes every MCP request the way the event
// loops do (auth.go): the same Authorizer, the same 401/403/503 answers and
// challenges, the principal bound to legacy sessions and passed to the
// router for its scope checks. Here a request has a goroutine of its own,
// so a token Check cannot decide is verified while that goroutine waits.

// serveWellKnownNet answers a request for the authorizer's metadata, and
// reports whether r's path was one of them (the program mounts the handler
// there too, as the README shows).
func serveWellKnownNet(w http.ResponseWriter, r *http.Request, cfg *HTTPConfig) bool {
	doc, ok := cfg.Auth.WellKnown([]byte(r.URL.Path))
	if !ok {
		return false
	}
	if !cfg.hostAllowed([]byte(r.Host)) {
		http.Error(w, "forbidden: Host not allowed", http.StatusForbidden)
		return true
	}
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet:
		hd.Set("Content-Type", "application/json")
		hd.Set("Cache-Control", "max-age=300")
		_, _ = w.Write(doc)
	case http.MethodOptions:
		hd.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
		hd.Set("Access-Control-Allow-Headers", "MCP-Protocol-Version")
		w.WriteHeader(http.StatusNoContent)
	default:
		hd.Set("Allow", "GET, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
	return true
}

// authorizeNet decides r from its Authorization header: a principal, or
// nil after answering 401, 403 or 503. Check's cache is per loop and not
// safe for concurrent use, so each shard's is used under the shard's lock.
func (h *NetHTTP) authorizeNet(w http.ResponseWriter, r *http.Request, cfg *HTTPConfig) *router.Principal {
	a := cfg.Auth
	hdr := netHeaders(r.Header).Header("Authorization")
	i := int(h.authNext.Add(1)) % len(h.shards)
	ns := h.shards[i]
	ns.authMu.Lock()
	p, status, challenge, known := a.Check(i, hdr)
	ns.authMu.Unlock()
	if !known {
		type verdict struct {
			p         *router.Principal
			status    int
			challenge string
		}
		done := make(chan verdict, 1)
		a.Verify(hdr, func(p *router.Principal, status int, challenge string) {
			done <- verdict{p, status, challenge}
		})
		select {
		case v := <-done:
			p, status, challenge = v.p, v.status, v.challenge
		case <-r.Context().Done():
			return nil // the client is gone: nothing to answer
		}
	}
	if p != nil {
		return p
	}
	text := "unauthorized: a valid bearer token is required"
	switch status {
	case http.StatusForbidden:
		text = "forbidden: the token lacks a required scope"
	case http.StatusServiceUnavailable:
		text = "authorization unavailable, retry later"
		w.Header().Set("Retry-After", "1")
	default:
		status = http.StatusUnauthorized
	}
	if challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	http.Error(w, text, status)
	return nil
}

// scopeChallenge reports whether msg, an answer about to become a JSON
// body, is the router's insufficient-scope error, and returns the
// challenge of the 403 that answers it instead.
func scopeChallenge(a Authorizer, msg []byte) (string, bool) {
	if a == nil || !strings.Contains(string(msg), `"error"`) {
		return "", false
	}
	errObj, ok := codec.ObjectField(msg, "error")
	if !ok {
		return "", false
	}
	code, _ := codec.ObjectField(errObj, "code")
	if string(code) != codeInsufficientScope {
		return "", false
	}
	data, _ := codec.ObjectField(errObj, "data")
	v, _ := codec.ObjectField(data, "scope")
	scope, err := codec.Unquote(nil, v)
	if err != nil || !codec.IsString(v) {
		return "", false
	}
	return a.ScopeChallenge(string(scope)), true
}

var codeInsufficientScope = strconv.Itoa(codec.CodeInsufficientScope)

// sessionOwnedBy reports whether legacy session s may be used by a request
// acting for p (always, when authorization is off); if not, x is answered
// 403 and the session is left as it was. Shard goroutine.
func (s *netSession) ownedBy(p *router.Principal, x *netExchange, id []byte) bool {
	if s.ns.h.on.Auth == nil || s.owner.SameSubject(p) {
		s.sess.SetPrincipal(p)
		return true
	}
	x.fail(http.StatusForbidden, codec.AppendError(nil, id, codec.CodeInvalidRequest, "Forbidden: this session belongs to another user", nil))
	return false
}

package engine

import (
	"bytes"
	"strconv"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/router"
)

// Authorizer decides whether a Streamable HTTP request may reach the router
// and serves the protected resource metadata (RFC 9728). Package auth
// implements it; the engine declares only what it calls, so a server
// without authorization links none of it on its hot path.
type Authorizer interface {
	// WellKnown returns the document served at GET path, or ok false when
	// path is not one of the authorizer's well-known paths.
	WellKnown(path []byte) (doc []byte, ok bool)
	// Check decides a request from its Authorization header value (nil
	// when absent) with what loop number loop can tell at once: a missing
	// or malformed credential, or a verdict it has cached. It runs on the
	// event loop, must not block, and must not allocate for a cached
	// verdict. known false: only Verify can tell. A non-nil p allows the
	// request; otherwise status (401, 403 or 503) and challenge (the
	// WWW-Authenticate value) say why not.
	Check(loop int, authorization []byte) (p *router.Principal, status int, challenge string, known bool)
	// Verify decides what Check could not (a signature, a key fetch,
	// introspection) off the event loop, and calls done exactly once from
	// any goroutine. It copies authorization.
	Verify(authorization []byte, done func(p *router.Principal, status int, challenge string))
	// ScopeChallenge is the WWW-Authenticate value of the 403 that answers
	// a request whose token lacks scope (space-separated scopes) that a
	// tool, resource, prompt or method needs.
	ScopeChallenge(scope string) string
}

// authorize decides req before the router sees it, the same way whatever
// era or protocol version the request claims. true: go on, hc.principal
// is set. false: answered, or waiting for Verify; then hc stays busy (later
// pipelined requests wait in the inbound buffer) and req is kept until the
// verdict resumes it on hc's loop, as a pooled handler's answer does.
func (st *httpState) authorize(hc *httpConn, req *http1.Request) bool {
	a := st.cfg.Auth
	h := req.Known(http1.FieldAuthorization)
	p, status, challenge, known := a.Check(hc.l.idx, h)
	if known {
		return hc.authorized(req, p, status, challenge)
	}
	hc.busy = true
	hc.authWait = req
	sh := hc.l.shard
	a.Verify(h, func(p *router.Principal, status int, challenge string) {
		// If the loop has stopped, so has the connection: nothing to answer.
		_ = sh.Post(func() { st.resume(hc, req, p, status, challenge) })
	})
	return false
}

// resume serves a request whose token Verify has decided. hc's loop.
func (st *httpState) resume(hc *httpConn, req *http1.Request, p *router.Principal, status int, challenge string) {
	hc.authWait = nil
	if hc.closing {
		hc.l.putRequest(req)
		return
	}
	hc.busy = false
	if hc.authorized(req, p, status, challenge) {
		st.route(hc, req)
	}
	hc.l.putRequest(req)
}

// authorized applies a verdict: a principal goes on, anything else is
// answered with its status and challenge.
func (hc *httpConn) authorized(req *http1.Request, p *router.Principal, status int, challenge string) bool {
	hc.principal = p
	if p != nil {
		return true
	}
	text := "unauthorized: a valid bearer token is required"
	var extra [][2]string
	switch status {
	case 403:
		text = "forbidden: the token lacks a required scope"
	case 503:
		text = "authorization unavailable, retry later"
		extra = append(extra, [2]string{"Retry-After", "1"})
	default:
		status = 401
	}
	if challenge != "" {
		extra = append(extra, [2]string{"WWW-Authenticate", challenge})
	}
	hc.writeHead(status, "text/plain; charset=utf-8", len(text), extra)
	hc.write([]byte(text))
	hc.finish()
	return false
}

// serveWellKnown answers a request for the authorizer's metadata, and
// reports whether path was one of its. The document is public (any Origin
// may read it, as browser-based clients must), but the Host check against
// DNS rebinding applies as on the endpoint.
func (st *httpState) serveWellKnown(hc *httpConn, req *http1.Request) bool {
	doc, ok := st.cfg.Auth.WellKnown(req.Path())
	if !ok {
		return false
	}
	if !st.cfg.hostAllowed(req.Host()) {
		hc.writeSimple(403, "forbidden: Host not allowed", false)
		return true
	}
	cors := [2]string{"Access-Control-Allow-Origin", "*"}
	switch string(req.Method()) {
	case "GET":
		hc.writeHead(200, "application/json", len(doc), [][2]string{cors, {"Cache-Control", "max-age=300"}})
		hc.write(doc)
		hc.finish()
	case "OPTIONS":
		hc.writeHead(204, "", 0, [][2]string{cors, {"Access-Control-Allow-Methods", "GET, OPTIONS"},
			{"Access-Control-Allow-Headers", "MCP-Protocol-Version"}})
		hc.finish()
	default:
		hc.writeHead(405, "text/plain", len("method not allowed"), [][2]string{{"Allow", "GET, OPTIONS"}})
		hc.write([]byte("method not allowed"))
		hc.finish()
	}
	return true
}

// scopeRefusal reports whether msg, an answer about to become a JSON body,
// is the router's insufficient-scope error, and returns the challenge of
// its 403. The router writes errors as {"jsonrpc":"2.0","id":<id>,"error":
// {"code":…, so results are told apart by a prefix, not a walk.
func (ex *exchange) scopeRefusal(msg []byte) (string, bool) {
	a := ex.owner.srv.http.cfg.Auth
	if a == nil {
		return "", false
	}
	rest, ok := bytes.CutPrefix(msg, resultPrefix)
	if !ok {
		return "", false
	}
	id := ex.id
	if !ex.modern {
		if len(rest) < len(ex.key) || string(rest[:len(ex.key)]) != string(ex.key) {
			return "", false
		}
		rest = rest[len(ex.key):]
	} else {
		if !bytes.HasPrefix(rest, id) {
			return "", false
		}
		rest = rest[len(id):]
	}
	if !bytes.HasPrefix(rest, scopeErrorPrefix) {
		return "", false
	}
	errObj, _ := codec.ObjectField(msg, "error")
	data, _ := codec.ObjectField(errObj, "data")
	v, _ := codec.ObjectField(data, "scope")
	scope, err := codec.Unquote(nil, v)
	if err != nil || !codec.IsString(v) {
		return "", false
	}
	return a.ScopeChallenge(string(scope)), true
}

var scopeErrorPrefix = []byte(`,"error":{"code":` + strconv.Itoa(codec.CodeInsufficientScope) + `,`)

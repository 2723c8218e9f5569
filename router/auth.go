package router

import (
	"crypto/subtle"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/densemcp/densemcp/codec"
)

// Principal is who a request acts for, as the transport's authorization
// established it: the verified access token's subject and scopes (HTTP), or
// the static token a stdio or TCP session presented. Immutable once made;
// transports share one per verified token.
type Principal struct {
	// Subject is the token's sub claim (the introspected sub, or else its
	// client_id). A legacy HTTP session is bound to the subject (and
	// issuer) that created it.
	Subject string
	// Issuer is the authorization server that issued the token.
	Issuer string
	// ClientID is the OAuth client the token was issued to, if known.
	ClientID string
	// Scopes are the scopes the token grants.
	Scopes []string
	// AllScopes: the credential grants every scope (the static token).
	AllScopes bool
	// Expiry is when the token expires (zero: never, the static token).
	Expiry time.Time
	// Claims are the token's claims as decoded JSON (a JWT's payload or an
	// introspection response); nil for the static token. Read-only.
	Claims map[string]any
}

// HasScope reports whether the principal holds scope.
func (p *Principal) HasScope(scope string) bool {
	if p.AllScopes {
		return true
	}
	for _, s := range p.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// SameSubject reports whether p and o act for the same user: the same
// subject from the same issuer.
func (p *Principal) SameSubject(o *Principal) bool {
	if p == nil || o == nil {
		return p == o
	}
	return p.Subject == o.Subject && p.Issuer == o.Issuer
}

// AuthPolicy is what the router enforces about authorization. The zero
// value enforces nothing beyond the scopes tools, resources and prompts
// declare themselves (which apply once requests carry a Principal).
type AuthPolicy struct {
	// ToolScopes adds required scopes to tools by name (the
	// --auth-tool-scopes flag), on top of Tool.Scopes.
	ToolScopes map[string][]string
	// MethodScopes lists scopes a method needs whatever it targets
	// ("tools/call": {"mcp:tools"}), checked before the method runs.
	MethodScopes map[string][]string
	// SessionCredential, if set, authenticates the sessions of transports
	// that have no authorization of their own (stdio, TCP NDJSON): every
	// request of such a session is refused with CodeUnauthorized until one
	// carries params._meta "densemcp/authorization": "Bearer <token>" that
	// SessionCredential accepts (non-nil); the session then acts for that
	// principal. It must not block: it runs on the event loop.
	SessionCredential func(token []byte) *Principal
}

// MetaAuthorization is the _meta key a stdio or TCP NDJSON client puts its
// static token in ("Bearer <token>"), in the first request of its session.
const MetaAuthorization = "densemcp/authorization"

// SetPrincipal sets who the session's next requests act for; a transport
// with its own authorization (HTTP) calls it before every Handle. Shard
// goroutine only.
func (s *Session) SetPrincipal(p *Principal) { s.principal = p }

// RequirePrincipal makes every request of the session that arrives with no
// principal set fail with CodeUnauthorized: the transport promises to call
// SetPrincipal, and a path that forgot is refused rather than let through.
func (s *Session) RequirePrincipal() { s.needPrincipal = true }

// Principal returns who the session's current request acts for (nil when
// authorization is off).
func (s *Session) Principal() *Principal { return s.principal }

// Principal returns who the request acts for: the subject, scopes and
// claims of its verified token. nil when authorization is off (and on
// stdio and TCP sessions without a static token). The token itself is
// never exposed: a handler must not forward the client's credential.
func (q *Request) Principal() *Principal { return q.principal }

// authorize applies the session-level rules to a request before its method
// runs, the same for both eras and every protocol version: a principal
// where one is required, the static token of a local session, and the
// method's scopes. It answers the refusal itself.
func (r *Router) authorize(s *Session, m *codec.Message) bool {
	if s.principal == nil {
		if s.needPrincipal {
			s.replyError(m.ID, codec.CodeUnauthorized, "Unauthorized: no valid access token", nil)
			return false
		}
		if f := r.opts.Auth.SessionCredential; f != nil {
			p := sessionCredential(f, m.Params)
			if p == nil {
				s.replyError(m.ID, codec.CodeUnauthorized,
					`Unauthorized: send the token as params._meta "`+MetaAuthorization+`": "Bearer <token>"`, nil)
				return false
			}
			s.principal = p
		}
	}
	if len(r.opts.Auth.MethodScopes) > 0 && s.principal != nil {
		if need := r.opts.Auth.MethodScopes[string(m.Method)]; len(need) > 0 {
			return permits(s, m.ID, need)
		}
	}
	return true
}

// sessionCredential reads "Bearer <token>" from params._meta and asks f.
func sessionCredential(f func([]byte) *Principal, params []byte) *Principal {
	meta, ok := codec.ObjectField(params, "_meta")
	if !ok {
		return nil
	}
	v, ok := codec.ObjectField(meta, MetaAuthorization)
	if !ok || !codec.IsString(v) {
		return nil
	}
	var b [256]byte
	cred, err := codec.Unquote(b[:0], v)
	if err != nil || len(cred) < 7 || !strings.EqualFold(string(cred[:7]), "bearer ") {
		return nil
	}
	return f(cred[7:])
}

// StaticCredential returns a SessionCredential that accepts exactly token
// (compared in constant time) as a principal with every scope.
func StaticCredential(token string) func([]byte) *Principal {
	p := &Principal{Subject: "static-token", AllScopes: true}
	return func(got []byte) *Principal {
		if len(token) > 0 && subtle.ConstantTimeCompare(got, []byte(token)) == 1 {
			return p
		}
		return nil
	}
}

// permits reports whether the session's principal holds every scope in
// need, answering CodeInsufficientScope when it does not. With no principal
// (authorization off, or a local session without a static token) there is
// nothing to check.
func permits(s *Session, id []byte, need []string) bool {
	p := s.principal
	if p == nil || p.AllScopes {
		return true
	}
	for _, sc := range need {
		if !p.HasScope(sc) {
			replyInsufficientScope(s, id, need)
			return false
		}
	}
	return true
}

// permits is permits for the request being routed.
func (q *request) permits(need []string) bool {
	if len(need) == 0 {
		return true
	}
	return permits(q.s, q.id, need)
}

// replyInsufficientScope answers the refusal with the scopes the operation
// needs (SEP-2350: what this operation needs; the client adds what it has).
// An error path: it allocates.
func replyInsufficientScope(s *Session, id []byte, need []string) {
	joined := strings.Join(need, " ")
	data := codec.AppendString([]byte(`{"scope":`), joined)
	data = append(data, '}')
	s.replyError(id, codec.CodeInsufficientScope, "Forbidden: insufficient scope, this operation needs: "+joined, data)
}

// scopeSet merges required-scope lists into one, in order, without
// duplicates, checking each is a valid RFC 6749 scope token. nil when
// there is none.
func scopeSet(lists ...[]string) ([]string, error) {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !ValidScope(s) {
				return nil, fmt.Errorf("invalid scope %q: RFC 6749 scope tokens are printable ASCII without space, '\"' or '\\'", s)
			}
			dup := false
			for _, o := range out {
				dup = dup || o == s
			}
			if !dup {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// ValidScope reports whether s is an RFC 6749 scope token: one or more of
// %x21 / %x23-5B / %x5D-7E. Scopes end up in WWW-Authenticate headers, so
// nothing else may pass.
func ValidScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// visibleTask is t when who may see it — the subject that created it, or
// anyone when neither carries a principal (authorization off) — else nil,
// so another user's task id answers "not found", as an unknown one does.
func visibleTask(t *task, who *Principal) *task {
	if t == nil || !t.principal.SameSubject(who) {
		return nil
	}
	return t
}

// resourceScopes returns the scopes reading uri needs: its concrete
// resource's, else those of the first template it matches.
func resourceScopes(cat *catalog, uri string) []string {
	if e := cat.resourceBy[uri]; e != nil {
		return e.scopes
	}
	for _, t := range cat.templates {
		if _, ok := t.parsed.Match(uri); ok {
			return t.scopes
		}
	}
	return nil
}

// ScopesInUse lists every scope the router's registered tools, resources,
// templates, prompts and policy require, for the protected resource
// metadata's scopes_supported.
func (r *Router) ScopesInUse() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var lists [][]string
	for _, e := range r.registry.tools {
		lists = append(lists, e.scopes)
	}
	for _, e := range r.registry.resources {
		lists = append(lists, e.scopes)
	}
	for _, e := range r.registry.templates {
		lists = append(lists, e.scopes)
	}
	for _, e := range r.registry.prompts {
		lists = append(lists, e.scopes)
	}
	for _, l := range r.opts.Auth.ToolScopes {
		lists = append(lists, l)
	}
	for _, l := range r.opts.Auth.MethodScopes {
		lists = append(lists, l)
	}
	out, _ := scopeSet(lists...)
	sort.Strings(out)
	return out
}

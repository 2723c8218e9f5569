package router

import (
	"fmt"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router/uritemplate"
)

// DefaultResourceSubscriptions bounds resources/subscribe URIs per session.
const DefaultResourceSubscriptions = 1024

// AddResource registers a concrete resource. Sessions are told with
// notifications/resources/list_changed.
func (r *Router) AddResource(res Resource, h ResourceHandler) error {
	if res.URI == "" || res.Name == "" {
		return fmt.Errorf("resource needs a uri and a name")
	}
	if h == nil {
		return fmt.Errorf("resource %q: nil handler", res.URI)
	}
	e := &resourceEntry{res: res, handler: h}
	var err error
	if e.scopes, err = scopeSet(res.Scopes); err != nil {
		return fmt.Errorf("resource %q: %w", res.URI, err)
	}
	if e.listJSON, err = codec.AppendJSON(nil, &e.res); err != nil {
		return fmt.Errorf("resource %q: cannot encode: %w", res.URI, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.registry.resources[res.URI] = e
	r.publish(changeResources)
	return nil
}

// AddResourceTemplate registers an RFC 6570 template; resources/read of a
// URI that matches it (and no concrete resource) runs h with the variables.
func (r *Router) AddResourceTemplate(t ResourceTemplate, h ResourceHandler) error {
	if t.URITemplate == "" || t.Name == "" {
		return fmt.Errorf("resource template needs a uriTemplate and a name")
	}
	parsed, err := uritemplate.Parse(t.URITemplate)
	if err != nil {
		return fmt.Errorf("resource template %q: %w", t.URITemplate, err)
	}
	e := &templateEntry{tmpl: t, parsed: parsed, handler: h}
	if e.scopes, err = scopeSet(t.Scopes); err != nil {
		return fmt.Errorf("resource template %q: %w", t.URITemplate, err)
	}
	if e.listJSON, err = codec.AppendJSON(nil, &e.tmpl); err != nil {
		return fmt.Errorf("resource template %q: cannot encode: %w", t.URITemplate, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, old := range r.registry.templates {
		if old.tmpl.URITemplate == t.URITemplate {
			r.registry.templates[i] = e
			r.publish(changeResources)
			return nil
		}
	}
	r.registry.templates = append(r.registry.templates, e)
	r.publish(changeResources)
	return nil
}

// RemoveResources unregisters concrete resources by URI.
func (r *Router) RemoveResources(uris ...string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, u := range uris {
		if _, ok := r.registry.resources[u]; ok {
			delete(r.registry.resources, u)
			n++
		}
	}
	if n > 0 {
		r.publish(changeResources)
	}
	return n
}

// ResourceUpdated tells every session subscribed to uri (legacy
// resources/subscribe, or a modern listen stream's resourceSubscriptions)
// that it changed. Safe for concurrent use.
func (r *Router) ResourceUpdated(uri string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sh := range r.shards {
		r.tellShard(sh, changeResourceUpdated, uri)
	}
	if r.changed != nil {
		r.changed(ChangeResourceUpdated, uri)
	}
}

func (r *Router) listResources(q *request) {
	after, ok := q.cursor()
	if !ok {
		q.s.replyError(q.id, codec.CodeInvalidParams, "Invalid cursor", nil)
		return
	}
	cat := r.catalogOf(q.s.shard)
	start, end := r.page(len(cat.resources), func(i int) string { return cat.resources[i].res.URI }, after)
	buf := q.s.beginResult(q.id)
	buf = append(buf, `{"resources":[`...)
	for i := start; i < end; i++ {
		if i > start {
			buf = append(buf, ',')
		}
		buf = append(buf, cat.resources[i].listJSON...)
	}
	buf = append(buf, ']')
	if end < len(cat.resources) {
		buf = appendNextCursor(buf, cat.resources[end-1].res.URI)
	}
	buf = r.appendEraFields(buf, q.s.era, true)
	buf = append(buf, '}')
	q.s.endResult(q.id, buf)
}

func (r *Router) listTemplates(q *request) {
	after, ok := q.cursor()
	if !ok {
		q.s.replyError(q.id, codec.CodeInvalidParams, "Invalid cursor", nil)
		return
	}
	cat := r.catalogOf(q.s.shard)
	// Templates keep registration order (it is their match order); the
	// cursor is the index of the last one shown.
	start := 0
	if after != nil {
		start = int(parseUint(after)) + 1
		if start <= 0 || start > len(cat.templates) {
			q.s.replyError(q.id, codec.CodeInvalidParams, "Invalid cursor", nil)
			return
		}
	}
	end := min(start+r.opts.PageSize, len(cat.templates))
	buf := q.s.beginResult(q.id)
	buf = append(buf, `{"resourceTemplates":[`...)
	for i := start; i < end; i++ {
		if i > start {
			buf = append(buf, ',')
		}
		buf = append(buf, cat.templates[i].listJSON...)
	}
	buf = append(buf, ']')
	if end < len(cat.templates) {
		buf = appendNextCursor(buf, itoa(end-1))
	}
	buf = r.appendEraFields(buf, q.s.era, true)
	buf = append(buf, '}')
	q.s.endResult(q.id, buf)
}

// readResource answers resources/read: a concrete resource first, then the
// templates in registration order.
func (r *Router) readResource(q *request) {
	uri, ok := q.stringParam("uri")
	if !ok {
		q.s.replyError(q.id, codec.CodeInvalidParams, "resources/read: uri must be a string", nil)
		return
	}
	cat := r.catalogOf(q.s.shard)
	if e := cat.resourceBy[uri]; e != nil {
		if q.permits(e.scopes) {
			r.dispatch(q, target{kind: targetResource, inline: e.res.Inline, resource: e.handler, uri: uri}, nil)
		}
		return
	}
	for _, t := range cat.templates {
		if vars, ok := t.parsed.Match(uri); ok {
			if !q.permits(t.scopes) {
				return
			}
			r.dispatch(q, target{kind: targetResource, inline: t.tmpl.Inline, resource: t.handler, uri: uri, vars: vars}, nil)
			return
		}
	}
	code, msg, _ := errorOf(ErrResourceNotFound, q.s.era)
	data := codec.AppendString([]byte(`{"uri":`), uri)
	data = append(data, '}')
	q.s.replyError(q.id, code, msg, data)
}

// appendReadResult renders a ReadResourceResult.
func (r *Router) appendReadResult(buf []byte, era Era, contents []ResourceContents) ([]byte, error) {
	buf = append(buf, `{"contents":`...)
	if contents == nil {
		contents = []ResourceContents{}
	}
	var err error
	if buf, err = codec.AppendJSON(buf, contents); err != nil {
		return buf, err
	}
	buf = r.appendEraFields(buf, era, true)
	return append(buf, '}'), nil
}

// subscribe answers legacy resources/subscribe and unsubscribe.
func (r *Router) subscribe(q *request, on bool) {
	uri, ok := q.stringParam("uri")
	if !ok {
		q.s.replyError(q.id, codec.CodeInvalidParams, "uri must be a string", nil)
		return
	}
	s := q.s
	if on && !q.permits(resourceScopes(r.catalogOf(s.shard), uri)) {
		return
	}
	if !on {
		if _, ok := s.resourceSubs[uri]; ok {
			delete(s.resourceSubs, uri)
			s.stateChanged()
		}
		s.replyResult(q.id, []byte(`{}`))
		return
	}
	if s.resourceSubs == nil {
		s.resourceSubs = make(map[string]struct{})
	}
	if _, ok := s.resourceSubs[uri]; !ok && len(s.resourceSubs) >= r.opts.ResourceSubscriptionsPerSession {
		s.replyError(q.id, codec.CodeInvalidParams, "too many resource subscriptions on this session", nil)
		return
	}
	if _, ok := s.resourceSubs[uri]; !ok {
		s.resourceSubs[uri] = struct{}{}
		s.stateChanged()
	}
	s.replyResult(q.id, []byte(`{}`))
}

// stringParam returns params[name] as a string.
func (q *request) stringParam(name string) (string, bool) {
	v, ok := codec.ObjectField(q.params, name)
	if !ok || !codec.IsString(v) {
		return "", false
	}
	b, err := codec.Unquote(nil, v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

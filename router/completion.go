package router

import (
	"github.com/densemcp/densemcp/codec"
)

// MaxCompletionValues is the most values one completion result may carry
// (the spec's limit); total and hasMore tell the client about the rest.
const MaxCompletionValues = 100

// complete answers completion/complete for ref/prompt and ref/resource.
func (r *Router) complete(q *request) {
	ref, ok := codec.ObjectField(q.params, "ref")
	if !ok || !codec.IsObject(ref) {
		q.s.replyError(q.id, codec.CodeInvalidParams, "completion/complete: ref must be an object", nil)
		return
	}
	arg, ok := codec.ObjectField(q.params, "argument")
	if !ok || !codec.IsObject(arg) {
		q.s.replyError(q.id, codec.CodeInvalidParams, "completion/complete: argument must be an object with name and value", nil)
		return
	}
	argReq := request{params: arg}
	name, ok1 := argReq.stringParam("name")
	value, ok2 := argReq.stringParam("value")
	if !ok1 || !ok2 {
		q.s.replyError(q.id, codec.CodeInvalidParams, "completion/complete: argument.name and argument.value must be strings", nil)
		return
	}
	refReq := request{params: ref}
	typ, _ := refReq.stringParam("type")
	cat := r.catalogOf(q.s.shard)
	var fn CompleteFunc
	inline := true
	switch typ {
	case "ref/prompt":
		pname, _ := refReq.stringParam("name")
		e := cat.promptBy[pname]
		if e == nil {
			q.s.replyError(q.id, codec.CodeInvalidParams, "Unknown prompt: "+pname, nil)
			return
		}
		if !q.permits(e.scopes) {
			return
		}
		fn, inline = e.prompt.Complete, e.prompt.Inline
	case "ref/resource":
		uri, _ := refReq.stringParam("uri")
		var found *templateEntry
		for _, t := range cat.templates {
			if t.tmpl.URITemplate == uri {
				found = t
				break
			}
		}
		if found == nil {
			e := cat.resourceBy[uri]
			if e == nil {
				q.s.replyError(q.id, codec.CodeInvalidParams, "Unknown resource template: "+uri, nil)
				return
			}
			if !q.permits(e.scopes) {
				return
			}
		} else {
			if !q.permits(found.scopes) {
				return
			}
			fn, inline = found.tmpl.Complete, found.tmpl.Inline
		}
	default:
		q.s.replyError(q.id, codec.CodeInvalidParams, "completion/complete: ref.type must be ref/prompt or ref/resource", nil)
		return
	}
	ctx := map[string]string{}
	if c, ok := codec.ObjectField(q.params, "context"); ok && codec.IsObject(c) {
		if a, ok := codec.ObjectField(c, "arguments"); ok && codec.IsObject(a) {
			codec.ObjectEach(a, func(k, v []byte) bool {
				if s, err := codec.Unquote(nil, v); err == nil && codec.IsString(v) {
					ctx[string(k)] = string(s)
				}
				return true
			})
		}
	}
	if fn == nil {
		// Nothing to suggest is a valid answer.
		fn = func(*Request, string, string, map[string]string) ([]string, error) { return nil, nil }
		inline = true
	}
	r.dispatch(q, target{kind: targetComplete, inline: inline, complete: fn, uri: name, prefix: value, vars: ctx}, nil)
}

func (r *Router) appendCompletion(buf []byte, era Era, values []string) ([]byte, error) {
	total := len(values)
	if len(values) > MaxCompletionValues {
		values = values[:MaxCompletionValues]
	}
	buf = append(buf, `{"completion":{"values":[`...)
	for i, v := range values {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = codec.AppendString(buf, v)
	}
	buf = append(buf, `],"total":`...)
	buf = appendInt(buf, total)
	if total > len(values) {
		buf = append(buf, `,"hasMore":true`...)
	} else {
		buf = append(buf, `,"hasMore":false`...)
	}
	buf = append(buf, '}')
	buf = r.appendEraFields(buf, era, false)
	return append(buf, '}'), nil
}

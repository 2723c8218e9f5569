package router

import (
	"github.com/densemcp/densemcp/codec"
)

// MaxListenURIs bounds resourceSubscriptions on one listen stream.
const MaxListenURIs = 1024

// listen is one modern subscriptions/listen stream of a session.
type listen struct {
	id                        []byte
	tools, prompts, resources bool
	uris                      map[string]struct{}
}

const metaSubscriptionID = "io.modelcontextprotocol/subscriptionId"

func appendSubscriptionMeta(dst, id []byte) []byte {
	dst = append(dst, `"_meta":{"`+metaSubscriptionID+`":`...)
	dst = append(dst, id...)
	return append(dst, '}')
}

// startListen answers subscriptions/listen: the stream stays open (no
// response) until the client cancels it or the session ends; it is
// acknowledged first with the filters the server honours.
func (r *Router) startListen(q *request) {
	s := q.s
	f, ok := codec.ObjectField(q.params, "notifications")
	if !ok || !codec.IsObject(f) {
		s.replyError(q.id, codec.CodeInvalidParams, "subscriptions/listen: notifications must be an object", nil)
		return
	}
	if _, dup := s.listens[string(q.id)]; dup {
		s.replyError(q.id, codec.CodeInvalidRequest, "a listen stream with this id is already open", nil)
		return
	}
	l := &listen{id: append([]byte(nil), q.id...)}
	l.tools = boolField(f, "toolsListChanged")
	l.prompts = boolField(f, "promptsListChanged")
	l.resources = boolField(f, "resourcesListChanged")
	if list, ok := codec.ObjectField(f, "resourceSubscriptions"); ok {
		var bad bool
		codec.ArrayEach(list, func(v []byte) bool {
			u, err := codec.Unquote(nil, v)
			if err != nil || !codec.IsString(v) || len(l.uris) >= MaxListenURIs {
				bad = true
				return false
			}
			if l.uris == nil {
				l.uris = make(map[string]struct{})
			}
			l.uris[string(u)] = struct{}{}
			return true
		})
		if bad {
			s.replyError(q.id, codec.CodeInvalidParams, "subscriptions/listen: resourceSubscriptions must be at most 1024 strings", nil)
			return
		}
		// Hearing that a resource changed needs what reading it needs,
		// as legacy resources/subscribe does.
		if s.principal != nil {
			cat := r.catalogOf(s.shard)
			for u := range l.uris {
				if !q.permits(resourceScopes(cat, u)) {
					return
				}
			}
		}
	}
	var taskIDs []string
	if ids, ok := codec.ObjectField(f, "taskIds"); ok {
		if !q.tasksDeclared() {
			s.replyError(q.id, codec.CodeMissingClientCapability, "Missing required client capability: "+ExtTasks,
				[]byte(`{"requiredCapabilities":{"extensions":{"`+ExtTasks+`":{}}}}`))
			return
		}
		if taskIDs, ok = r.listenTasks(s, l, ids); !ok {
			s.replyError(q.id, codec.CodeInvalidParams, "subscriptions/listen: taskIds must be at most 1024 strings", nil)
			return
		}
	}
	if s.listens == nil {
		s.listens = make(map[string]*listen)
	}
	s.listens[string(l.id)] = l
	s.escaped = true
	s.join()

	p := []byte{'{'}
	p = appendSubscriptionMeta(p, l.id)
	p = append(p, `,"notifications":{`...)
	n := 0
	flag := func(name string, on bool) {
		if !on {
			return
		}
		if n > 0 {
			p = append(p, ',')
		}
		n++
		p = append(p, '"')
		p = append(p, name...)
		p = append(p, `":true`...)
	}
	flag("toolsListChanged", l.tools)
	flag("promptsListChanged", l.prompts)
	flag("resourcesListChanged", l.resources)
	if l.uris != nil {
		if n > 0 {
			p = append(p, ',')
		}
		p = append(p, `"resourceSubscriptions":[`...)
		i := 0
		for u := range l.uris {
			if i > 0 {
				p = append(p, ',')
			}
			i++
			p = codec.AppendString(p, u)
		}
		p = append(p, ']')
	}
	if taskIDs != nil {
		if n > 0 || l.uris != nil {
			p = append(p, ',')
		}
		p = append(p, `"taskIds":[`...)
		for i, id := range taskIDs {
			if i > 0 {
				p = append(p, ',')
			}
			p = codec.AppendString(p, id)
		}
		p = append(p, ']')
	}
	p = append(p, `}}`...)
	s.notify(MsgRelated, l.id, "notifications/subscriptions/acknowledged", p)
}

func boolField(obj []byte, name string) bool {
	v, ok := codec.ObjectField(obj, name)
	return ok && string(v) == "true"
}

// notify sends a change to this stream if its filter asked for it.
func (l *listen) notify(s *Session, kind uint8, key string) {
	var method string
	switch kind {
	case changeTools:
		if !l.tools {
			return
		}
		method = "notifications/tools/list_changed"
	case changePrompts:
		if !l.prompts {
			return
		}
		method = "notifications/prompts/list_changed"
	case changeResources:
		if !l.resources {
			return
		}
		method = "notifications/resources/list_changed"
	case changeResourceUpdated:
		if _, ok := l.uris[key]; ok {
			s.sendResourceUpdated(l.id, key)
		}
		return
	default:
		return
	}
	p := []byte{'{'}
	p = appendSubscriptionMeta(p, l.id)
	p = append(p, '}')
	s.notify(MsgRelated, l.id, method, p)
}

package router

import (
	"github.com/densemcp/densemcp/codec"
)

// Task status notifications: notifications/tasks/status to the owner of a
// legacy task; notifications/tasks (the DetailedTask, SEP-2663) on every
// modern subscriptions/listen stream that asked for the task's id.

// maxTaskSubs bounds the listen streams one task tells.
const maxTaskSubs = 64

// notifyTask tells t's listeners of its current state. Owner shard st.
func (r *Router) notifyTask(st *shardState, t *task) {
	if t.legacy {
		if s := t.owner; s != nil && !s.closed && s.initialized {
			p := append([]byte{'{'}, r.appendTaskFields(nil, t, true)...)
			p = append(p, '}')
			s.notify(MsgUnrelated, nil, "notifications/tasks/status", p)
		}
	}
	if len(t.subs) == 0 {
		return
	}
	detail := r.appendTaskFields(nil, t, false)
	detail = appendDetail(detail, t)
	for _, sub := range t.subs {
		p := []byte{'{'}
		p = appendSubscriptionMeta(p, sub.listen)
		p = append(p, ',')
		p = append(p, detail...)
		p = append(p, '}')
		s, listenID := sub.s, sub.listen
		send := func() {
			if _, open := s.listens[string(listenID)]; open && !s.closed {
				s.notify(MsgRelated, listenID, "notifications/tasks", p)
			}
		}
		if s.shard == st.shard {
			send()
		} else {
			// Loop to loop, so it cannot wait for room; a full inbox
			// keeps it (a closed shard has no session to tell).
			_ = r.postOrKeep(s.shard, send)
		}
	}
}

// listenTasks subscribes listen stream l of session s to the tasks named
// in ids (a JSON array of strings) and returns the ids it agreed to: every
// id this server could have issued (an unknown one simply never changes),
// less any whose owner shard's inbox refused the subscription. Each
// subscription is made on the task's owner shard. The caller checked
// that the request declared the tasks extension.
func (r *Router) listenTasks(s *Session, l *listen, ids []byte) ([]string, bool) {
	var agreed []string
	bad := false
	codec.ArrayEach(ids, func(v []byte) bool {
		id, err := codec.Unquote(nil, v)
		if !codec.IsString(v) || err != nil || len(agreed) >= MaxListenURIs {
			bad = true
			return false
		}
		if r.taskOwner(id) != nil {
			agreed = append(agreed, string(id))
		}
		return true
	})
	if bad {
		return nil, false
	}
	kept := agreed[:0]
	for _, id := range agreed {
		st := r.taskOwner([]byte(id))
		key, listenID, who := id, l.id, s.principal
		subscribe := func() {
			t := visibleTask(st.tasks.byID[key], who)
			if t == nil || len(t.subs) >= maxTaskSubs {
				return
			}
			t.subs = append(t.subs, taskSub{s: s, listen: listenID})
		}
		if st.shard == s.shard {
			subscribe()
		} else if st.shard.Post(subscribe) != nil {
			// Loop to loop the post cannot wait for room (two loops waiting on each
			// other's inboxes would deadlock): the owner's loop is backed up, or gone, so
			// the id is left out of the acknowledgement rather than agreed and never
			// heard from. The client can listen again, or poll tasks/get.
			continue
		}
		kept = append(kept, id)
	}
	return kept, true
}

package router

import (
	"errors"
	"sort"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// A legacy session's durable state is what another server can rebuild it
// from when the server that held it is gone (scale-out): the negotiated
// version, the client's capabilities and info, whether the handshake
// completed, the logging threshold and the resources/subscribe URIs. Running
// handlers, pending server→client requests and stream positions are not
// durable: they die with the process that held them.

// StateWatcher is implemented by a Transport that keeps its sessions'
// durable state outside the process (a cluster). StateChanged is called on
// the session's shard goroutine after the durable state changed; it must not
// block.
type StateWatcher interface {
	StateChanged(s *Session)
}

// stateChanged tells the transport, if it watches, that durable state changed.
func (s *Session) stateChanged() {
	if w, ok := s.out.(StateWatcher); ok {
		w.StateChanged(s)
	}
}

// AppendState appends the session's durable state, a JSON object, to dst.
// Shard goroutine only.
func (s *Session) AppendState(dst []byte) []byte {
	dst = append(dst, `{"v":`...)
	dst = codec.AppendString(dst, s.version)
	if len(s.clientCaps) > 0 {
		dst = append(dst, `,"c":`...)
		dst = append(dst, s.clientCaps...)
	}
	if len(s.clientInfo) > 0 {
		dst = append(dst, `,"i":`...)
		dst = append(dst, s.clientInfo...)
	}
	if s.initialized {
		dst = append(dst, `,"n":true`...)
	}
	if lvl := LogLevel(s.logLevel.Load()); lvl != levelUnset {
		dst = append(dst, `,"l":`...)
		dst = appendInt(dst, int(lvl))
	}
	if len(s.resourceSubs) > 0 {
		uris := make([]string, 0, len(s.resourceSubs))
		for u := range s.resourceSubs {
			uris = append(uris, u)
		}
		sort.Strings(uris)
		dst = append(dst, `,"s":[`...)
		for i, u := range uris {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = codec.AppendString(dst, u)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// errBadState reports durable state that AppendState did not write.
var errBadState = errors.New("router: malformed session state")

// RestoreSession returns a legacy session on shard sh, output out, rebuilt
// from state (Session.AppendState's output, possibly from another process).
// The session is a member of sh as NewSession's are. Shard goroutine only.
func (r *Router) RestoreSession(sh *shards.Shard, out Transport, state []byte) (*Session, error) {
	if codec.Valid(state) != nil || !codec.IsObject(state) {
		return nil, errBadState
	}
	s := allocSession() // written on every request, as a new session is
	*s = Session{out: out, shard: sh, r: r, era: EraLegacy, initAnswer: true}
	s.logLevel.Store(int32(levelUnset))
	var bad bool
	codec.ObjectEach(state, func(k, v []byte) bool {
		switch string(k) {
		case "v":
			ver, err := codec.Unquote(nil, v)
			if err != nil || !codec.IsString(v) {
				bad = true
				return false
			}
			s.version = negotiateLegacy(ver)
		case "c":
			s.clientCaps = append([]byte(nil), v...)
		case "i":
			s.clientInfo = append([]byte(nil), v...)
		case "n":
			s.initialized = string(v) == "true"
		case "l":
			lvl := parseUint(v)
			if lvl < 0 || LogLevel(lvl) > LevelEmergency {
				bad = true
				return false
			}
			s.logLevel.Store(int32(lvl))
		case "s":
			codec.ArrayEach(v, func(u []byte) bool {
				uri, err := codec.Unquote(nil, u)
				if err != nil || !codec.IsString(u) || len(s.resourceSubs) >= r.opts.ResourceSubscriptionsPerSession {
					bad = true
					return false
				}
				if s.resourceSubs == nil {
					s.resourceSubs = make(map[string]struct{})
				}
				s.resourceSubs[string(uri)] = struct{}{}
				return true
			})
		}
		return !bad
	})
	if bad || s.version == "" {
		return nil, errBadState
	}
	s.joined = true
	sh.Join(s)
	return s, nil
}

// Change is a change to what sessions see: a list (tools, prompts,
// resources) or one resource's contents.
type Change uint8

// The changes a Changed hook hears and NotifyChange tells.
const (
	ChangeTools           = Change(changeTools)
	ChangePrompts         = Change(changePrompts)
	ChangeResources       = Change(changeResources)
	ChangeResourceUpdated = Change(changeResourceUpdated) // key: the resource URI
)

// SetChanged installs fn, called for every change raised on this router
// (a registration, RemoveTools, ResourceUpdated) after its own sessions are
// told: a cluster publishes it to the other servers. fn runs with the
// registry lock held and must not block; nil removes it. Safe at any time.
func (r *Router) SetChanged(fn func(kind Change, key string)) {
	r.mu.Lock()
	r.changed = fn
	r.mu.Unlock()
}

// NotifyChange tells this router's sessions of a change raised elsewhere
// (another server of a cluster), without calling the Changed hook. Safe
// for concurrent use; each shard hears it on its own goroutine. It reports
// how many shards could not be told because their loop is closed (a full
// inbox keeps the change until it has room: tellShard).
func (r *Router) NotifyChange(kind Change, key string) (refused int) {
	switch kind {
	case ChangeTools, ChangePrompts, ChangeResources, ChangeResourceUpdated:
	default:
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sh := range r.shards {
		if !r.tellShard(sh, uint8(kind), key) {
			refused++
		}
	}
	return refused
}

// Durable reports whether the session has durable state: a legacy session
// whose initialize was answered.
func (s *Session) Durable() bool { return s.era == EraLegacy && s.initAnswer }

package cluster

import (
	"bytes"
	"context"
	"errors"
	"hash/fnv"
	"sort"
	"sync"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/engine"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Session records. A legacy session's durable state (router.Session's
// AppendState) lives in the bucket "<name>-sessions" under the session id,
// as {"o":"<owner node>","s":<state>}, written when it changes (initialize,
// notifications/initialized, logging/setLevel, resources/subscribe) — never
// on a tools/call — and again every StateTTL/2 while the session lives.
// Writes are asynchronous: the event loop only queues, one goroutine
// writes, the newest state of a session replacing an older one not yet
// written. Every write is a compare-and-set on the revision this node
// wrote last, so a node that lost a session to another (after being taken
// for dead) finds out and ends its copy instead of both serving it.
// perf/RESULTS.md ("Cluster") has the measurements that chose a bucket over
// state sealed into the session id.

// appendRecord appends a session record.
func appendRecord(dst []byte, owner string, state []byte) []byte {
	dst = append(dst, `{"o":`...)
	dst = codec.AppendString(dst, owner)
	dst = append(dst, `,"s":`...)
	dst = append(dst, state...)
	return append(dst, '}')
}

// decodeRecord reads a session record.
func decodeRecord(b []byte) (owner string, state []byte, ok bool) {
	o, ok1 := codec.ObjectField(b, "o")
	s, ok2 := codec.ObjectField(b, "s")
	if !ok1 || !ok2 || !codec.IsString(o) || !codec.IsObject(s) {
		return "", nil, false
	}
	name, err := codec.Unquote(nil, o)
	if err != nil {
		return "", nil, false
	}
	return string(name), bytes.Clone(s), true
}

// stateOp is the newest thing to write for one session.
type stateOp struct {
	state []byte // nil: delete the record
}

// stateStore writes session records in the background.
type stateStore struct {
	n       *Node
	mu      sync.Mutex
	pending map[string]stateOp
	revs    map[string]uint64 // the revision this node wrote last, per session
	busy    bool              // the writer holds a batch
	wake    chan struct{}
	idle    *sync.Cond
}

func newStateStore(n *Node) *stateStore {
	s := &stateStore{n: n, pending: make(map[string]stateOp), revs: make(map[string]uint64),
		wake: make(chan struct{}, 1)}
	s.idle = sync.NewCond(&s.mu)
	return s
}

// SaveSession implements engine.Cluster. Event loop: it only queues.
func (n *Node) SaveSession(sid string, state []byte) { n.state.queue(sid, stateOp{state: state}) }

// DropSession implements engine.Cluster.
func (n *Node) DropSession(sid string) { n.state.queue(sid, stateOp{}) }

// StateRefresh implements engine.Cluster: half the bucket's key expiry.
func (n *Node) StateRefresh() time.Duration { return n.cfg.StateTTL / 2 }

func (s *stateStore) queue(sid string, op stateOp) {
	s.mu.Lock()
	s.pending[sid] = op
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// owned records that this node now owns sid at revision rev (adopted).
func (s *stateStore) owned(sid string, rev uint64) {
	s.mu.Lock()
	s.revs[sid] = rev
	s.mu.Unlock()
}

// run writes queued records until the node closes (then what is queued).
func (s *stateStore) run(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-s.wake:
			s.drain()
		case <-s.n.quit:
			s.drain()
			return
		}
	}
}

// drain writes batches until nothing is queued.
func (s *stateStore) drain() {
	for {
		s.mu.Lock()
		if len(s.pending) == 0 {
			s.busy = false
			s.idle.Broadcast()
			s.mu.Unlock()
			return
		}
		batch := s.pending
		s.pending = make(map[string]stateOp)
		s.busy = true
		s.mu.Unlock()
		for sid, op := range batch {
			s.write(sid, op)
		}
	}
}

// flush waits until every queued record is written, or ctx ends.
func (s *stateStore) flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.mu.Lock()
		for len(s.pending) > 0 || s.busy {
			s.idle.Wait()
		}
		s.mu.Unlock()
		close(done)
	}()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write stores one session's record (or deletes it).
func (s *stateStore) write(sid string, op stateOp) {
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	kv := s.n.kv
	s.mu.Lock()
	rev, known := s.revs[sid]
	s.mu.Unlock()
	if op.state == nil {
		var err error
		s.n.stats.kvWrites.Add(1)
		if known {
			err = kv.Delete(ctx, sid, jetstream.LastRevision(rev))
		} else {
			err = kv.Delete(ctx, sid)
		}
		s.n.kvResult(err)
		if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			s.n.log.Warn("cannot delete session record", "session", sid, "err", err)
		}
		s.mu.Lock()
		delete(s.revs, sid)
		s.mu.Unlock()
		return
	}
	rec := appendRecord(nil, s.n.id, op.state)
	var err error
	s.n.stats.kvWrites.Add(1)
	if known {
		rev, err = kv.Update(ctx, sid, rec, rev)
	} else {
		rev, err = kv.Create(ctx, sid, rec)
	}
	s.n.kvResult(err)
	switch {
	case err == nil:
		s.mu.Lock()
		s.revs[sid] = rev
		s.mu.Unlock()
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyExists):
		// Another node adopted the session: end our copy, keep its record.
		s.mu.Lock()
		delete(s.revs, sid)
		s.mu.Unlock()
		s.n.log.Warn("session taken over by another node; ending it here", "session", sid)
		s.n.srv.EndSession(sid)
	default:
		s.n.log.Warn("cannot save session record", "session", sid, "err", err)
		s.n.stats.dropped.Add(1)
	}
}

// Handover implements engine.Cluster: each session goes to a live peer
// chosen by rendezvous hashing on its id; the peer takes the record over
// (compare and set) and restores the session; this node waits for the
// peers' answers or ctx. With no live peer the records stay in the bucket
// and the first node that gets a request for one adopts it.
func (n *Node) Handover(ctx context.Context, sessions []engine.SessionState) error {
	n.leaving.Store(true)
	n.heartbeat(true)
	if err := n.state.flush(ctx); err != nil {
		return err
	}
	peers := n.livePeers()
	if len(peers) == 0 || len(sessions) == 0 {
		return nil
	}
	sort.Strings(peers)
	byPeer := make(map[string][]string)
	n.state.mu.Lock()
	for _, ss := range sessions {
		if _, ok := n.state.revs[ss.ID]; !ok {
			continue // never written: nothing to adopt from
		}
		to := rendezvous(ss.ID, peers)
		byPeer[to] = append(byPeer[to], ss.ID)
	}
	n.state.mu.Unlock()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for to, ids := range byPeer {
		for len(ids) > 0 {
			batch := ids[:min(len(ids), handoverBatch)]
			ids = ids[len(batch):]
			wg.Add(1)
			go func(to string, batch []string) {
				defer wg.Done()
				payload := []byte{ctlHandover}
				for i, id := range batch {
					if i > 0 {
						payload = append(payload, ' ')
					}
					payload = append(payload, id...)
				}
				rctx, cancel := context.WithTimeout(ctx, forwardTimeout)
				defer cancel()
				_, err := n.nc.RequestWithContext(rctx, n.cfg.Name+".ctl."+to, payload)
				if err == nil {
					n.stats.handoversOut.Add(uint64(len(batch)))
				} else {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}(to, batch)
		}
	}
	wg.Wait()
	n.log.Info("handed sessions over", "sessions", len(sessions), "peers", len(byPeer), "err", firstErr)
	return firstErr
}

// handoverBatch bounds the session ids in one handover message.
const handoverBatch = 1000

// rendezvous picks the peer with the highest hash of (peer, id).
func rendezvous(id string, peers []string) string {
	var best string
	var bestH uint64
	for _, p := range peers {
		h := fnv.New64a()
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write([]byte(id))
		if v := h.Sum64(); best == "" || v > bestH {
			best, bestH = p, v
		}
	}
	return best
}

// adoptHandedOver takes over the sessions a leaving node sent, then
// answers it.
func (n *Node) adoptHandedOver(m *nats.Msg) {
	ids := bytes.Fields(m.Data[1:])
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, b := range ids {
		sid := string(b)
		n.stats.kvReads.Add(1)
		e, err := n.kv.Get(ctx, sid)
		n.kvResult(err)
		if err != nil {
			continue
		}
		owner, state, ok := decodeRecord(e.Value())
		if !ok || owner == n.id {
			continue
		}
		n.stats.kvWrites.Add(1)
		rev, err := n.kv.Update(ctx, sid, appendRecord(nil, n.id, state), e.Revision())
		n.kvResult(err)
		if err != nil {
			continue // someone adopted it first
		}
		n.state.owned(sid, rev)
		n.forget(sid)
		n.stats.adopted.Add(1)
		n.stats.handoversIn.Add(1)
		n.log.Info("adopted handed-over session", "session", sid, "from", owner)
		wg.Add(1)
		n.srv.Adopt(sid, state, func(error) { wg.Done() })
	}
	wg.Wait()
	_ = m.Respond([]byte("ok"))
}

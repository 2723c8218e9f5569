package cluster

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/router"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Node is one server's membership of a cluster. It implements
// engine.Cluster. Its NATS subscription handlers run on nats.go's
// goroutines; they reach a server's state only through the engine's and
// router's posting methods (shard inboxes), never directly.
type Node struct {
	cfg Config
	log *slog.Logger
	id  string
	nc  *nats.Conn
	js  jetstream.JetStream
	kv  jetstream.KeyValue // sessions: key = session id
	key []byte             // the modern requestState key

	srv *engine.Server
	r   *router.Router

	subs   []*nats.Subscription
	outbox chan outMsg
	quit   chan struct{}
	wg     sync.WaitGroup

	// Subjects.
	subjNotify, subjHB, subjFwd, subjCtl, subjReply string

	// Forwards this node sent and waits on, by token (asking side).
	fwdMu sync.Mutex
	fwds  map[uint64]*pending
	token atomic.Uint64

	// Forwarded requests this node answers, by reply subject (owner side).
	remMu   sync.Mutex
	remotes map[string]*remoteOut

	// Reply subjects whose messages the full outbox dropped: each gets a
	// broken-stream notice once there is room again.
	brokenMu sync.Mutex
	broken   map[string]struct{}

	// Membership: the last heartbeat of each peer.
	peerMu sync.Mutex
	peers  map[string]*peer

	// moved remembers where adopted sessions went (bounded).
	movedMu sync.Mutex
	moved   map[string]string

	state *stateStore

	leaving atomic.Bool
	stats   counters
}

type peer struct {
	seen    time.Time
	leaving bool
}

// maxMoved bounds the remembered session moves; the table is cleared when
// full (a forgotten move costs one bucket read).
const maxMoved = 65536

// Join connects to NATS, opens the cluster's buckets and settles the
// requestState key. The node does not serve until Start.
func Join(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.NodeID), id: cfg.NodeID,
		fwds: make(map[uint64]*pending), remotes: make(map[string]*remoteOut),
		broken: make(map[string]struct{}), peers: make(map[string]*peer), moved: make(map[string]string),
		outbox: make(chan outMsg, cfg.Outbox), quit: make(chan struct{})}
	p := cfg.Name
	n.subjNotify = p + ".notify"
	n.subjHB = p + ".hb"
	n.subjFwd = p + ".fwd." + n.id
	n.subjCtl = p + ".ctl." + n.id
	n.subjReply = p + ".rep." + n.id
	opts := append([]nats.Option{
		nats.Name("densemcp " + n.id),
		// Our own notifications are told locally at once; an echo would
		// tell them twice.
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				return // counted from the subscriptions' Dropped
			}
			n.log.Warn("nats error", "err", err)
		}),
	}, cfg.NATSOptions...)
	nc, err := nats.Connect(strings.Join(cfg.URLs, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster: cannot connect to %s: %w", strings.Join(cfg.URLs, ","), err)
	}
	n.nc = nc
	if n.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	storage := jetstream.FileStorage
	if cfg.MemoryStorage {
		storage = jetstream.MemoryStorage
	}
	cctx, cancel := context.WithTimeout(ctx, DefaultForwardWait)
	defer cancel()
	n.kv, err = n.js.CreateOrUpdateKeyValue(cctx, jetstream.KeyValueConfig{
		Bucket: p + "-sessions", Description: "densemcp legacy session state",
		TTL: cfg.StateTTL, History: 1, Storage: storage, Replicas: cfg.Replicas})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: session bucket (is JetStream on?): %w", err)
	}
	if n.key, err = n.settleKey(cctx, storage); err != nil {
		nc.Close()
		return nil, err
	}
	n.state = newStateStore(n)
	return n, nil
}

// settleKey returns the configured requestState key, or the cluster's.
func (n *Node) settleKey(ctx context.Context, storage jetstream.StorageType) ([]byte, error) {
	if len(n.cfg.StateKey) > 0 {
		return n.cfg.StateKey, nil
	}
	cfgKV, err := n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: n.cfg.Name + "-config", Description: "densemcp cluster configuration",
		History: 1, Storage: storage, Replicas: n.cfg.Replicas})
	if err != nil {
		return nil, fmt.Errorf("cluster: config bucket: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if _, err := cfgKV.Create(ctx, "statekey", key); err == nil {
		return key, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("cluster: state key: %w", err)
	}
	e, err := cfgKV.Get(ctx, "statekey")
	if err != nil {
		return nil, fmt.Errorf("cluster: state key: %w", err)
	}
	if len(e.Value()) < 16 {
		return nil, errors.New("cluster: the config bucket's state key is too short")
	}
	return e.Value(), nil
}

// NodeID implements engine.Cluster.
func (n *Node) NodeID() string { return n.id }

// StateKey is the key every node signs modern requestState blobs with.
func (n *Node) StateKey() []byte { return n.key }

// Conn is the node's NATS connection.
func (n *Node) Conn() *nats.Conn { return n.nc }

// Start makes the node serve: srv (its loops bound, see
// engine.Server.BindLoops) answers forwarded requests, r's changes are
// published and the others' are told to r's sessions.
func (n *Node) Start(srv *engine.Server, r *router.Router) error {
	n.srv, n.r = srv, r
	sub := func(subj, queue string, h nats.MsgHandler) error {
		var s *nats.Subscription
		var err error
		if queue != "" {
			s, err = n.nc.QueueSubscribe(subj, queue, h)
		} else {
			s, err = n.nc.Subscribe(subj, h)
		}
		if err != nil {
			return fmt.Errorf("cluster: subscribe %s: %w", subj, err)
		}
		_ = s.SetPendingLimits(n.cfg.Pending, -1)
		n.subs = append(n.subs, s)
		return nil
	}
	// Several handlers per subject, so forwarded traffic is not serialised
	// on one goroutine; order per exchange holds (one publisher, one
	// reply subject, one handler per reply subscription).
	for range 2 {
		if err := sub(n.subjFwd, "fwd", n.onForward); err != nil {
			return err
		}
	}
	for _, err := range []error{
		sub(n.subjReply+".*", "", n.onReply),
		sub(n.subjCtl, "", n.onControl),
		sub(n.subjNotify, "", n.onNotify),
		sub(n.subjHB, "", n.onHeartbeat),
	} {
		if err != nil {
			return err
		}
	}
	if err := n.nc.Flush(); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	r.SetChanged(n.publishChange)
	n.wg.Add(3)
	go n.publisher()
	go n.heartbeats()
	go n.state.run(&n.wg)
	n.heartbeat(false)
	n.log.Info("joined cluster", "nats", n.nc.ConnectedUrlRedacted(), "name", n.cfg.Name)
	return nil
}

// Close leaves the cluster: subscriptions end, queued messages are sent,
// the connection closes. The server should have stopped (handing its
// sessions over) first.
func (n *Node) Close() error {
	if n.r != nil {
		n.r.SetChanged(nil)
	}
	n.leaving.Store(true)
	if n.srv != nil {
		n.heartbeat(true)
	}
	for _, s := range n.subs {
		_ = s.Unsubscribe()
	}
	select {
	case <-n.quit:
	default:
		close(n.quit)
	}
	n.wg.Wait()
	n.failAll("this node is leaving the cluster")
	err := n.nc.FlushTimeout(time.Second)
	n.nc.Close()
	return err
}

// outMsg is a message waiting in the outbox.
type outMsg struct {
	subj, reply string
	data        []byte
}

// send queues a message without blocking; false when the outbox is full
// (counted; a reply stream is then marked broken).
func (n *Node) send(m outMsg) bool {
	select {
	case n.outbox <- m:
		return true
	default:
		n.stats.dropped.Add(1)
		return false
	}
}

// publisher publishes the outbox in order.
func (n *Node) publisher() {
	defer n.wg.Done()
	for {
		select {
		case m := <-n.outbox:
			n.publish(m)
		case <-n.quit:
			for {
				select {
				case m := <-n.outbox:
					n.publish(m)
				default:
					return
				}
			}
		}
		if len(n.outbox) < cap(n.outbox)/2 {
			n.noticeBroken()
		}
	}
}

func (n *Node) publish(m outMsg) {
	var err error
	if m.reply != "" {
		err = n.nc.PublishRequest(m.subj, m.reply, m.data)
	} else {
		err = n.nc.Publish(m.subj, m.data)
	}
	if err != nil {
		n.stats.dropped.Add(1)
		if strings.HasPrefix(m.subj, n.cfg.Name+".rep.") {
			n.markBroken(m.subj)
		}
	}
}

// markBroken remembers a reply stream that lost a message (bounded: past
// the bound the asking node finds out when this one is lost or its client
// gives up).
func (n *Node) markBroken(subj string) {
	n.brokenMu.Lock()
	if len(n.broken) < 4096 {
		n.broken[subj] = struct{}{}
	}
	n.brokenMu.Unlock()
}

// noticeBroken tells the asking nodes of broken streams to fail them.
func (n *Node) noticeBroken() {
	n.brokenMu.Lock()
	if len(n.broken) == 0 {
		n.brokenMu.Unlock()
		return
	}
	subs := n.broken
	n.broken = make(map[string]struct{})
	n.brokenMu.Unlock()
	for s := range subs {
		_ = n.nc.Publish(s, []byte{replyBroken})
	}
}

// Heartbeats: "A <node>" alive, "L <node>" leaving.
func (n *Node) heartbeats() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			n.heartbeat(n.leaving.Load())
			n.checkPeers()
		case <-n.quit:
			return
		}
	}
}

func (n *Node) heartbeat(leaving bool) {
	b := []byte("A " + n.id)
	if leaving {
		b[0] = 'L'
	}
	_ = n.nc.Publish(n.subjHB, b)
}

func (n *Node) onHeartbeat(m *nats.Msg) {
	if len(m.Data) < 3 {
		return
	}
	id := string(m.Data[2:])
	if id == n.id {
		return
	}
	n.peerMu.Lock()
	p := n.peers[id]
	if p == nil {
		p = &peer{}
		n.peers[id] = p
	}
	p.seen = time.Now()
	p.leaving = m.Data[0] == 'L'
	n.peerMu.Unlock()
}

// checkPeers takes peers silent past DeadAfter for lost.
func (n *Node) checkPeers() {
	now := time.Now()
	var lost, left []string
	n.peerMu.Lock()
	for id, p := range n.peers {
		if now.Sub(p.seen) > n.cfg.DeadAfter {
			if p.leaving {
				left = append(left, id)
			} else {
				lost = append(lost, id)
			}
			delete(n.peers, id)
		}
	}
	n.peerMu.Unlock()
	for _, id := range left {
		n.log.Info("cluster node left", "peer", id)
		n.nodeLost(id)
	}
	for _, id := range lost {
		n.stats.nodesLost.Add(1)
		n.log.Warn("cluster node lost", "peer", id)
		n.nodeLost(id)
	}
}

// alive reports whether node id may be forwarded to: not leaving (an
// unknown node may have just started, or be lost: trying costs one round
// trip, answered at once by NATS when nobody listens).
func (n *Node) alive(id string) bool {
	n.peerMu.Lock()
	defer n.peerMu.Unlock()
	p := n.peers[id]
	return p == nil || !p.leaving
}

// livePeers returns the peers that may adopt sessions, sorted.
func (n *Node) livePeers() []string {
	n.peerMu.Lock()
	defer n.peerMu.Unlock()
	var ids []string
	for id, p := range n.peers {
		if !p.leaving {
			ids = append(ids, id)
		}
	}
	return ids
}

// Notifications: a change raised here is told to this node's sessions by
// the router itself and published for the others, as one byte of kind and
// the key.
func (n *Node) publishChange(kind router.Change, key string) {
	b := make([]byte, 0, 1+len(key))
	b = append(b, byte(kind))
	b = append(b, key...)
	if n.send(outMsg{subj: n.subjNotify, data: b}) {
		n.stats.notifySent.Add(1)
	}
}

func (n *Node) onNotify(m *nats.Msg) {
	if len(m.Data) == 0 {
		return
	}
	n.stats.notifyHeard.Add(1)
	if refused := n.r.NotifyChange(router.Change(m.Data[0]), string(m.Data[1:])); refused > 0 {
		n.stats.dropped.Add(uint64(refused))
	}
}

var _ engine.Cluster = (*Node)(nil)

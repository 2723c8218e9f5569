package cluster

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/engine"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Forwarding. The asking node publishes the request to "<name>.fwd.<owner>"
// with the reply subject "<name>.rep.<asker>.<token>"; the owner answers
// with a stream of messages on that subject, each led by one byte:
const (
	replyData   = 'D' // response bytes, in order
	replyEnd    = 'E' // the exchange ended; a second byte 1: close the connection; then the last response bytes, if any
	replyMiss   = 'M' // the owner does not hold the session
	replyBroken = 'X' // the owner lost part of the stream (its outbox was full)
)

// Control messages to "<name>.ctl.<node>", led by one byte.
const (
	ctlAbandon  = 'A' // + reply subject: the client of that forward went away
	ctlHandover = 'H' // request: adopt these sessions (see Handover)
)

// errNodeLost is the explicit error of a request whose node was lost.
const errNodeLost = "the cluster node holding this session was lost while the request ran: its outcome is unknown (the session goes on through another node)"

// errTaskNodeLost is the explicit error of a forwarded task request whose
// node was lost.
const errTaskNodeLost = "the cluster node holding this task was lost while the request ran: the task is gone"

// pending is a forward this node waits on.
type pending struct {
	f      *engine.Forward
	target string // node it was sent to ("" while being resolved)
}

// Forward implements engine.Cluster. Event loop: it only queues.
func (n *Node) Forward(f *engine.Forward) {
	f.Token = n.token.Add(1)
	p := &pending{f: f}
	n.fwdMu.Lock()
	n.fwds[f.Token] = p
	n.fwdMu.Unlock()
	target := n.movedTo(f.SID)
	if target == "" {
		target = f.Node
	}
	if target == "" || target == n.id || !n.alive(target) {
		go n.resolve(p, target)
		return
	}
	n.sendTo(p, target)
}

// sendTo forwards p's request to node target.
func (n *Node) sendTo(p *pending, target string) {
	n.fwdMu.Lock()
	p.target = target
	n.fwdMu.Unlock()
	n.stats.forwarded.Add(1)
	reply := n.subjReply + "." + strconv.FormatUint(p.f.Token, 10)
	if !n.send(outMsg{subj: n.cfg.Name + ".fwd." + target, reply: reply, data: p.f.Req}) {
		n.finish(p.f.Token)
		n.stats.fwdFailed.Add(1)
		p.f.Fail(503, codec.CodeServerBusy, "server busy: the cluster link is saturated")
	}
}

// take removes and returns the forward of token.
func (n *Node) finish(token uint64) *pending {
	n.fwdMu.Lock()
	p := n.fwds[token]
	delete(n.fwds, token)
	n.fwdMu.Unlock()
	return p
}

func (n *Node) lookup(token uint64) *pending {
	n.fwdMu.Lock()
	defer n.fwdMu.Unlock()
	return n.fwds[token]
}

// Abandon implements engine.Cluster: the client of f went away. Event loop.
func (n *Node) Abandon(f *engine.Forward) {
	p := n.finish(f.Token)
	if p == nil || p.target == "" {
		return
	}
	reply := n.subjReply + "." + strconv.FormatUint(f.Token, 10)
	n.send(outMsg{subj: n.cfg.Name + ".ctl." + p.target, data: append([]byte{ctlAbandon}, reply...)})
}

// onReply handles the owner's answer stream (asking side).
func (n *Node) onReply(m *nats.Msg) {
	i := strings.LastIndexByte(m.Subject, '.')
	token, err := strconv.ParseUint(m.Subject[i+1:], 10, 64)
	if err != nil {
		return
	}
	p := n.lookup(token)
	if p == nil {
		return // abandoned, or failed meanwhile
	}
	if len(m.Data) == 0 {
		if m.Header.Get("Status") == "503" {
			// No responders: the node is gone (its subscription with it).
			go n.resolve(p, p.target)
		}
		return
	}
	switch m.Data[0] {
	case replyData:
		p.f.Write(m.Data[1:])
	case replyEnd:
		n.finish(token)
		var last []byte
		if len(m.Data) > 2 {
			last = m.Data[2:]
		}
		p.f.Finish(last, len(m.Data) > 1 && m.Data[1] == 1)
	case replyMiss:
		go n.resolve(p, p.target)
	case replyBroken:
		n.finish(token)
		n.stats.fwdFailed.Add(1)
		p.f.Fail(502, codec.CodeInternalError, "the cluster lost part of this answer (the owning node's outbox overflowed)")
	}
}

// nodeLost fails or re-routes what waits on node id, and abandons what it
// asked of this node.
func (n *Node) nodeLost(id string) {
	var mine []*pending
	n.fwdMu.Lock()
	for _, p := range n.fwds {
		if p.target == id {
			mine = append(mine, p)
		}
	}
	n.fwdMu.Unlock()
	for _, p := range mine {
		if p.f.Idempotent() && !p.f.Started() {
			go n.resolve(p, id)
			continue
		}
		n.finish(p.f.Token)
		n.stats.fwdFailed.Add(1)
		n.stats.fwdTimeouts.Add(1)
		if p.f.Modern() {
			p.f.Fail(502, codec.CodeInternalError, errTaskNodeLost)
			continue
		}
		p.f.Fail(502, codec.CodeInternalError, errNodeLost)
	}
	prefix := n.cfg.Name + ".rep." + id + "."
	var gone []*remoteOut
	n.remMu.Lock()
	for k, r := range n.remotes {
		if strings.HasPrefix(k, prefix) {
			gone = append(gone, r)
			delete(n.remotes, k)
		}
	}
	n.remMu.Unlock()
	for _, r := range gone {
		r.abandon()
	}
}

// failAll fails every forward still waiting (the node is closing).
func (n *Node) failAll(msg string) {
	n.fwdMu.Lock()
	all := n.fwds
	n.fwds = make(map[uint64]*pending)
	n.fwdMu.Unlock()
	for _, p := range all {
		p.f.Fail(503, codec.CodeServerBusy, msg)
	}
}

// resolve finds where session p.f.SID lives now that its node (failed)
// did not answer: the bucket names its owner; a live owner other than
// failed gets the request, else this node adopts the session (compare and
// set on the record, so one node wins) and runs it here. Own goroutine.
func (n *Node) resolve(p *pending, failed string) {
	f := p.f
	if f.Modern() {
		// A task lives and dies with its node; there is nothing to adopt.
		n.finish(f.Token)
		f.NotFound()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), DefaultForwardWait)
	defer cancel()
	for range 4 {
		n.stats.kvReads.Add(1)
		e, err := n.kv.Get(ctx, f.SID)
		n.kvResult(err)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			n.finish(f.Token)
			f.NotFound()
			return
		}
		if err != nil {
			break
		}
		owner, state, ok := decodeRecord(e.Value())
		if !ok {
			n.finish(f.Token)
			f.NotFound()
			return
		}
		if owner != n.id && owner != failed && n.alive(owner) {
			n.remember(f.SID, owner)
			n.sendTo(p, owner)
			return
		}
		n.stats.kvWrites.Add(1)
		rev, err := n.kv.Update(ctx, f.SID, appendRecord(nil, n.id, state), e.Revision())
		n.kvResult(err)
		if err != nil {
			continue // another node changed it first: read again
		}
		n.state.owned(f.SID, rev)
		n.forget(f.SID)
		n.stats.adopted.Add(1)
		n.log.Info("adopted session", "session", f.SID, "from", owner)
		n.srv.Adopt(f.SID, state, func(err error) {
			n.finish(f.Token)
			if err != nil {
				n.stats.fwdFailed.Add(1)
				f.Fail(503, codec.CodeInternalError, "cannot adopt session: "+err.Error())
				return
			}
			f.RunLocal()
		})
		return
	}
	n.finish(f.Token)
	n.stats.fwdFailed.Add(1)
	f.Fail(503, codec.CodeServerBusy, "server busy: the session's state could not be read from the cluster")
}

func (n *Node) movedTo(sid string) string {
	n.movedMu.Lock()
	defer n.movedMu.Unlock()
	return n.moved[sid]
}

func (n *Node) remember(sid, owner string) {
	n.movedMu.Lock()
	if len(n.moved) >= maxMoved {
		clear(n.moved)
	}
	n.moved[sid] = owner
	n.movedMu.Unlock()
}

func (n *Node) forget(sid string) {
	n.movedMu.Lock()
	delete(n.moved, sid)
	n.movedMu.Unlock()
}

// remoteOut carries one forwarded exchange's answer back (owner side).
// Write, Done and Miss run on the session's event loop and only queue.
type remoteOut struct {
	n         *Node
	reply     string
	r         *engine.Remote
	abandoned bool
}

func (o *remoteOut) Write(b []byte) bool {
	msg := make([]byte, 1+len(b))
	msg[0] = replyData
	copy(msg[1:], b)
	if !o.n.send(outMsg{subj: o.reply, data: msg}) {
		o.n.markBroken(o.reply)
		return false
	}
	return true
}

func (o *remoteOut) Done(closeConn bool, last []byte) {
	o.n.remMu.Lock()
	delete(o.n.remotes, o.reply)
	o.n.remMu.Unlock()
	msg := make([]byte, 2, 2+len(last))
	msg[0] = replyEnd
	if closeConn {
		msg[1] = 1
	}
	msg = append(msg, last...)
	if !o.n.send(outMsg{subj: o.reply, data: msg}) {
		o.n.markBroken(o.reply)
	}
}

func (o *remoteOut) Miss() {
	o.n.remMu.Lock()
	delete(o.n.remotes, o.reply)
	o.n.remMu.Unlock()
	if !o.n.send(outMsg{subj: o.reply, data: []byte{replyMiss}}) {
		o.n.markBroken(o.reply)
	}
}

// abandon stops the exchange (its asker went away or was lost).
func (o *remoteOut) abandon() {
	o.n.remMu.Lock()
	r := o.r
	o.abandoned = true
	o.n.remMu.Unlock()
	if r != nil {
		r.Abandon()
	}
}

// onForward answers a request forwarded to this node (owner side).
func (n *Node) onForward(m *nats.Msg) {
	if m.Reply == "" || !strings.HasPrefix(m.Reply, n.cfg.Name+".rep.") {
		return
	}
	n.stats.served.Add(1)
	o := &remoteOut{n: n, reply: m.Reply}
	n.remMu.Lock()
	n.remotes[m.Reply] = o
	n.remMu.Unlock()
	r, err := n.srv.ServeForwarded(m.Data, o)
	if err != nil {
		n.remMu.Lock()
		delete(n.remotes, m.Reply)
		n.remMu.Unlock()
		n.send(outMsg{subj: m.Reply, data: []byte{replyBroken}})
		return
	}
	n.remMu.Lock()
	o.r = r
	abandoned := o.abandoned
	n.remMu.Unlock()
	if abandoned && r != nil {
		r.Abandon()
	}
}

// onControl handles abandon notices and handover requests.
func (n *Node) onControl(m *nats.Msg) {
	if len(m.Data) == 0 {
		return
	}
	switch m.Data[0] {
	case ctlAbandon:
		reply := string(m.Data[1:])
		n.remMu.Lock()
		o := n.remotes[reply]
		delete(n.remotes, reply)
		n.remMu.Unlock()
		if o != nil {
			o.abandon()
		}
	case ctlHandover:
		go n.adoptHandedOver(m)
	}
}

// forwardTimeout bounds one handover round trip.
const forwardTimeout = 5 * time.Second

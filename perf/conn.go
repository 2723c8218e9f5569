//go:build linux

package perf

import (
	"bytes"
	"time"

	"golang.org/x/sys/unix"
)

// phase is where a connection is in its life.
type phase uint8

const (
	phaseIdle        phase = iota // not dialled yet
	phaseConnecting               // non-blocking connect in progress
	phaseInitialize               // initialize sent, answer awaited
	phaseInitialized              // HTTP: notifications/initialized sent, 202 awaited
	phaseStream                   // HTTP hold: GET stream sent, head awaited
	phaseReady                    // calls may be sent
	phaseHolding                  // hold: idle, inbound bytes discarded
	phaseClosed
)

// maxInbound bounds the unparsed bytes kept per connection.
const maxInbound = maxResponseHead + maxResponseBody

// slot is one call in flight; the table is indexed by id modulo its power-of-two size.
type slot struct {
	id      uint64
	at      int64 // intended send time
	pending bool
}

// conn is one client connection, owned by one worker goroutine; nothing in it is shared.
type conn struct {
	w       *worker
	fd      int
	idx     int32
	phase   phase
	dirty   bool
	armOut  bool
	in      []byte
	out     []byte
	wbuf    []byte // io_uring: the bytes of the send in flight, untouched until it completes
	woff    int    // io_uring: how much of wbuf is sent
	sending bool   // io_uring: a send is in flight
	scratch []byte // de-chunked HTTP bodies
	text    []byte // the echo text expected in the answer being checked
	body    []byte // request body being built (HTTP)
	session []byte
	version []byte
	slots   []slot
	mask    uint64
	// nextID is the next call id; headID the oldest id that may still be in flight;
	// respNext the id the next HTTP response answers (HTTP/1.1 answers in order).
	nextID, headID, respNext uint64
	pending                  int
	// holdUntil: with HonorRetryAfter, a closed-loop connection refused sends nothing more
	// until then (held: it is on the worker's list of held connections).
	holdUntil int64
	held      bool
}

func newConn(w *worker, idx int32, slots int) *conn {
	return &conn{w: w, fd: -1, idx: idx, slots: make([]slot, slots), mask: uint64(slots - 1),
		nextID: 1, headID: 1, respNext: 1}
}

// dial starts a non-blocking connect.
func (c *conn) dial() {
	domain := unix.AF_INET
	if _, ok := c.w.sa.(*unix.SockaddrInet6); ok {
		domain = unix.AF_INET6
	}
	c.phase = phaseConnecting
	fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		c.fail()
		return
	}
	c.fd = fd
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err = unix.Connect(fd, c.w.sa); err != nil && err != unix.EINPROGRESS {
		c.fail()
		return
	}
	if err = c.w.poll.add(fd, c.idx, unix.EPOLLIN|unix.EPOLLOUT|unix.EPOLLRDHUP); err != nil {
		c.fail()
	}
}

// connected runs when the connect finished: it checks the outcome and starts the handshake.
func (c *conn) connected() {
	if e, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || e != 0 {
		c.fail()
		return
	}
	if err := c.w.poll.mod(c.fd, c.idx, unix.EPOLLIN|unix.EPOLLRDHUP); err != nil {
		c.fail()
		return
	}
	switch c.w.cfg.Target {
	case TargetTCP:
		c.out = append(c.out, initializeBody+"\n"...)
		c.phase = phaseInitialize
	case TargetHTTP:
		c.out = c.w.head.appendPost(c.out, []byte(initializeBody), nil, nil, nil, false)
		c.phase = phaseInitialize
	case TargetHTTPModern:
		c.setUp()
	}
	c.markDirty()
}

// setUp ends the handshake: the connection now holds or carries calls.
func (c *conn) setUp() {
	if c.w.cfg.Shape == ShapeHold {
		c.phase = phaseHolding
	} else {
		c.phase = phaseReady
	}
	c.w.settingUp--
	c.w.live.conns.Add(1)
}

func (c *conn) markDirty() {
	if !c.dirty {
		c.dirty = true
		c.w.dirty = append(c.w.dirty, c)
	}
}

// fail closes a connection that broke during setup or run. Calls in flight count as errors.
func (c *conn) fail() {
	if c.phase == phaseClosed {
		return
	}
	if c.phase == phaseReady || c.phase == phaseHolding {
		c.w.lostConns++
		c.w.live.conns.Add(-1)
	} else {
		c.w.setupFailed++
		if c.phase != phaseIdle {
			c.w.settingUp--
		}
	}
	for id := c.headID; id < c.nextID; id++ {
		if s := &c.slots[id&c.mask]; s.pending {
			s.pending = false
			c.w.countErr(s.at, errConnLost)
		}
	}
	c.w.live.inflight.Add(-int64(c.pending))
	c.pending = 0
	c.headID = c.nextID
	if c.fd >= 0 {
		_ = unix.Close(c.fd)
		c.fd = -1
	}
	c.phase = phaseClosed
}

// send queues call id=nextID with intended send time at, at time now (now − at is how
// late the generator is).
func (c *conn) send(at, now int64) {
	id := c.nextID
	c.nextID++
	c.slots[id&c.mask] = slot{id: id, at: at, pending: true}
	c.pending++
	c.w.live.inflight.Add(1)
	c.w.countSent(at, now)
	cfg := c.w.cfg
	if cfg.Target == TargetTCP {
		c.out = cfg.call.appendCall(c.out, id, cfg.TextSize, false)
		c.out = append(c.out, '\n')
	} else {
		modern := cfg.Target == TargetHTTPModern
		c.body = cfg.call.appendCall(c.body[:0], id, cfg.TextSize, modern)
		c.out = c.w.head.appendPost(c.out, c.body, c.session, c.version, cfg.call.tool, modern)
	}
	c.markDirty()
}

// full reports that the in-flight table has no free slot for the next id.
func (c *conn) full() bool { return c.nextID-c.headID > c.mask }

// topUp keeps K calls in flight (closed loop).
func (c *conn) topUp(now int64) {
	for c.phase == phaseReady && c.pending < c.w.cfg.Depth && !c.full() && now < c.w.plan.measureEnd && now >= c.holdUntil {
		c.send(now, now)
	}
}

func (c *conn) advanceHead() {
	for c.headID < c.nextID && !c.slots[c.headID&c.mask].pending {
		c.headID++
	}
}

// expire counts calls in flight longer than the timeout; their slots are freed.
func (c *conn) expire(now, timeout int64) {
	for id := c.headID; id < c.nextID; id++ {
		s := &c.slots[id&c.mask]
		if !s.pending {
			continue
		}
		if now-s.at < timeout {
			break // intended times grow with ids
		}
		s.pending = false
		c.pending--
		c.w.live.inflight.Add(-1)
		c.w.countTimeout(s.at)
	}
	c.advanceHead()
}

// userData names this connection and the kind of operation in an io_uring entry.
func (c *conn) userData(kind uint64) uint64 {
	return uint64(c.idx)<<uringUserDataKindBits | kind
}

// flush writes what is queued; the rest waits for EPOLLOUT (epoll) or for the send in
// flight to complete (io_uring).
func (c *conn) flush() {
	if c.w.ring != nil {
		c.flushRing()
		return
	}
	for len(c.out) > 0 {
		n, err := unix.Write(c.fd, c.out)
		if n > 0 {
			c.out = c.out[:copy(c.out, c.out[n:])]
		}
		if err == unix.EAGAIN {
			if !c.armOut {
				c.armOut = true
				_ = c.w.poll.mod(c.fd, c.idx, unix.EPOLLIN|unix.EPOLLOUT|unix.EPOLLRDHUP)
			}
			return
		}
		if err != nil && err != unix.EINTR {
			c.fail()
			return
		}
	}
	if c.armOut {
		c.armOut = false
		_ = c.w.poll.mod(c.fd, c.idx, unix.EPOLLIN|unix.EPOLLRDHUP)
	}
}

// flushRing hands what is queued to the ring as one send, unless one is in flight: then it
// waits for that send's completion, and new calls keep queuing in c.out meanwhile.
func (c *conn) flushRing() {
	if c.sending || len(c.out) == 0 {
		return
	}
	c.wbuf, c.out = c.out, c.wbuf[:0]
	c.woff = 0
	c.sending = true
	c.w.ring.send(c.fd, c.wbuf, c.userData(uringUserDataKindSend))
}

// sent handles the completion of a send: the rest of a short send goes again, and what
// queued meanwhile goes next.
func (c *conn) sent(res int32) {
	if c.phase == phaseClosed {
		return
	}
	if res < 0 {
		c.fail()
		return
	}
	c.woff += int(res)
	if c.woff < len(c.wbuf) {
		c.w.ring.send(c.fd, c.wbuf[c.woff:], c.userData(uringUserDataKindSend))
		return
	}
	c.sending = false
	if len(c.out) > 0 {
		c.markDirty()
	}
}

// read drains one read(2) and handles every complete answer.
func (c *conn) read() {
	n, err := unix.Read(c.fd, c.w.rbuf)
	if n <= 0 {
		if err == unix.EAGAIN || err == unix.EINTR {
			return
		}
		c.fail() // EOF or a socket error
		return
	}
	c.received(c.w.rbuf[:n])
}

// received handles every complete answer in what arrived; a partial tail is kept.
func (c *conn) received(data []byte) {
	if len(c.in) > 0 {
		c.in = append(c.in, data...)
		data = c.in
	}
	used := c.parse(data)
	if c.phase == phaseClosed {
		return
	}
	rest := data[used:]
	if len(rest) > maxInbound {
		c.w.countErr(c.w.now(), errFraming)
		c.fail()
		return
	}
	if len(c.in) > 0 {
		c.in = c.in[:copy(c.in, rest)]
	} else {
		c.in = append(c.in, rest...)
	}
}

// parse handles the complete answers at the start of data and returns the bytes used.
func (c *conn) parse(data []byte) int {
	if c.phase == phaseHolding {
		return len(data)
	}
	if c.w.cfg.Target == TargetTCP {
		return c.parseLines(data)
	}
	return c.parseResponses(data)
}

func (c *conn) parseLines(data []byte) int {
	off := 0
	for c.phase != phaseClosed {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			break
		}
		line := data[off : off+i]
		off += i + 1
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		switch c.phase {
		case phaseInitialize:
			if checkInitialize(line) {
				c.out = append(c.out, initializedBody+"\n"...)
				c.markDirty()
				c.setUp()
			} else {
				c.fail()
			}
		case phaseReady:
			id, ok := answerID(line)
			if !ok {
				c.w.countErr(c.w.now(), errNoID)
				continue
			}
			c.answer(id, line)
		}
	}
	return off
}

func (c *conn) parseResponses(data []byte) int {
	off := 0
	for c.phase != phaseClosed && c.phase != phaseHolding {
		n, r, err := parseResponse(data[off:], &c.scratch, c.phase == phaseStream)
		if err != nil {
			c.w.countErr(c.w.now(), errFraming)
			c.fail()
			return off
		}
		if n == 0 {
			break
		}
		off += n
		c.response(&r)
	}
	if c.phase == phaseHolding {
		return len(data)
	}
	return off
}

// response handles one HTTP response according to the phase.
func (c *conn) response(r *response) {
	switch c.phase {
	case phaseInitialize:
		if r.status != 200 || !checkInitialize(r.body) {
			c.fail()
			return
		}
		c.session = append(c.session[:0], r.session...)
		c.version = append(c.version[:0], stringField(r.body, "protocolVersion")...)
		if len(c.version) == 0 {
			c.version = append(c.version, legacyVersion...)
		}
		c.out = c.w.head.appendPost(c.out, []byte(initializedBody), c.session, c.version, nil, false)
		c.phase = phaseInitialized
		c.markDirty()
	case phaseInitialized:
		if r.status/100 != 2 {
			c.fail()
			return
		}
		if c.w.cfg.Shape == ShapeHold {
			c.out = c.w.head.appendStreamGet(c.out, c.session, c.version)
			c.phase = phaseStream
			c.markDirty()
			return
		}
		c.setUp()
	case phaseStream:
		if r.status != 200 || !r.chunked {
			c.fail()
			return
		}
		c.setUp()
	case phaseReady:
		id := c.respNext
		c.respNext++
		if r.status != 200 {
			c.answerStatus(id, r)
			return
		}
		c.answer(id, r.body)
	}
}

// claim frees the slot of call id and returns it, or nil when id is not in flight.
func (c *conn) claim(id uint64, now int64) *slot {
	s := &c.slots[id&c.mask]
	if s.id != id || !s.pending {
		if id < c.nextID && id >= 1 {
			c.w.countLate(now) // answered after it had timed out
		} else {
			c.w.countErr(now, errWrongID) // an id never sent
		}
		return nil
	}
	s.pending = false
	c.pending--
	c.w.live.inflight.Add(-1)
	return s
}

// answer verifies the answer of call id and records its latency from the intended time:
// a good answer as a call, a refusal as a refusal, anything else as an error.
func (c *conn) answer(id uint64, body []byte) {
	now := c.w.now()
	s := c.claim(id, now)
	if s == nil {
		return
	}
	var text []byte
	if c.w.cfg.call.echo {
		c.text = appendText(c.text[:0], id, c.w.cfg.TextSize)
		text = c.text
	}
	switch v, retryMs := checkAnswer(body, id, text); v {
	case verdictOK:
		c.w.countCall(s.at, now-s.at)
	case verdictRefused:
		c.w.countRefused(s.at, now-s.at, retryMs, false)
		c.backOff(now, retryMs)
	default:
		c.w.countErr(s.at, errKindOf(v))
	}
	c.advanceHead()
	c.topUpIfClosed(now)
}

// answerStatus counts a call whose HTTP response was not 200: 503 and 429 with Retry-After
// are refusals, without it errors of their own kind; any other status an HTTP error.
func (c *conn) answerStatus(id uint64, r *response) {
	now := c.w.now()
	if s := c.claim(id, now); s != nil {
		switch {
		case (r.status == 503 || r.status == 429) && len(r.retryAfter) > 0:
			secs, _ := jsonInt(r.retryAfter) // an HTTP date reads as unknown (0)
			c.w.countRefused(s.at, now-s.at, max(secs, 0)*1000, r.status == 429)
			c.backOff(now, max(secs, 0)*1000)
		case r.status == 503 || r.status == 429:
			c.w.countErr(s.at, errBadRefusal)
		default:
			c.w.countErr(s.at, errHTTPStatus)
		}
	}
	c.advanceHead()
	c.topUpIfClosed(now)
}

// backOff holds a closed-loop connection that was refused for the refusal's retry hint
// (at most maxBackOff; a refusal without one, a tenth of a second), when HonorRetryAfter
// asks for a client that honours it: one that retries at once turns the load into a
// retry storm, which measures how fast the server refuses rather than what it can serve.
func (c *conn) backOff(now, retryMs int64) {
	if c.w.cfg.Shape != ShapeClosed || !c.w.cfg.HonorRetryAfter {
		return
	}
	d := time.Duration(retryMs) * time.Millisecond
	if d <= 0 {
		d = 100 * time.Millisecond
	}
	c.holdUntil = now + int64(min(d, maxBackOff))
	if !c.held {
		c.held = true
		c.w.held = append(c.w.held, c)
	}
}

func (c *conn) topUpIfClosed(now int64) {
	if c.w.cfg.Shape == ShapeClosed {
		c.topUp(now)
	}
}

// checkInitialize accepts an initialize answer: id 0 with a result.
func checkInitialize(b []byte) bool {
	id, ok := answerID(b)
	return ok && id == initializeID && bytes.Contains(b, keyResult)
}

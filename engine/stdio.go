package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/partial"
	"github.com/densemcp/densemcp/router"
	"github.com/densemcp/densemcp/shards"
)

// stdioReadSize is one read from stdin.
const stdioReadSize = 64 << 10

// ErrLineTooLong ends a stdio session whose client sent an over-long line,
// after the parse error was written.
var ErrLineTooLong = codec.ErrLineTooLong

// Stdio serves one MCP session on a reader and a writer (stdin/stdout):
// newline-delimited JSON through the same router, on a shard of its own
// whose goroutine is the caller's. Nothing but MCP messages is written to
// out; logs belong on stderr.
type Stdio struct {
	r     *router.Router
	cfg   Config
	inbox *shards.Inbox
	shard *shards.Shard
	// Counters of the serving goroutine (see Snapshot).
	bytesIn, bytesOut uint64
	sess              *router.Session
	// shutdown carries Shutdown's budget to the serving loop; done closes
	// when Serve returns.
	shutdown chan context.Context
	done     chan struct{}
	drained  DrainStats
}

// NewStdio returns a stdio transport for router r, with a shard of its own.
func NewStdio(r *router.Router, cfg Config) *Stdio {
	cfg.setDefaults()
	in := shards.NewInbox(0)
	return &Stdio{r: r, cfg: cfg, inbox: in, shard: r.NewShard(in),
		shutdown: make(chan context.Context, 1), done: make(chan struct{})}
}

// Shutdown drains the session being served: requests that arrive are
// refused (-32000, reason "shutdown"), calls already admitted run until
// answered or ctx ends (then they are answered with a shutdown error),
// and Serve returns. It waits for Serve to return or ctx to end.
func (st *Stdio) Shutdown(ctx context.Context) error {
	select {
	case st.shutdown <- ctx:
	default: // a drain is already under way
	}
	select {
	case <-st.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LastDrain returns the counts of the drain once Serve has returned.
func (st *Stdio) LastDrain() DrainStats {
	select {
	case <-st.done:
		return st.drained
	default:
		return DrainStats{}
	}
}

// OverloadStats returns the admission counters of the stdio session's
// shard.
func (st *Stdio) OverloadStats() router.Stats {
	var s router.Stats
	s.Add(st.r.LoopStats(st.shard))
	return s
}

type stdioOut struct {
	w   *bufio.Writer
	err error
	n   *uint64 // bytes written
}

// Send writes one message and a newline. Shard goroutine only; flushed by
// the loop after each batch of input.
func (o *stdioOut) Send(kind router.MsgKind, _, msg []byte) {
	if o.err != nil || kind == router.MsgCloseStream {
		return
	}
	if _, err := o.w.Write(msg); err != nil {
		o.err = err
		return
	}
	o.err = o.w.WriteByte('\n')
	*o.n += uint64(len(msg) + 1)
}

// Serve runs until in reaches EOF, out fails, a line is too long (the
// parse error is written first), or a drain ends: when ctx is cancelled
// (Serve then returns ctx's error) or Shutdown is called, the session
// drains for at most Config.DrainTimeout (or Shutdown's deadline) first.
// EOF is a clean end.
func (st *Stdio) Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	o := &stdioOut{w: bufio.NewWriterSize(out, 64<<10), n: &st.bytesOut}
	sess := st.r.NewSession(st.shard, o)
	sess.SetTransport(router.TransportStdio, "")
	st.sess = sess
	timing := st.r.Observing()
	defer func() {
		sess.Close()
		st.inbox.Close()
		close(st.done)
	}()

	chunks := make(chan readResult, 1)
	free := make(chan []byte, 1)
	quit := make(chan struct{})
	defer close(quit)
	go readChunks(in, chunks, free, quit)

	var dec codec.Decoder
	var msg codec.Message
	// part holds a line whose end has not arrived yet, in segments sized
	// to what arrived (codec/partial), so a long line costs its own bytes
	// rather than a doubling buffer; complete lines are decoded where they
	// lie in the read buffer.
	var part partial.Buffer
	defer part.Release(nil)
	d := stdioDrain{st: st}
	ctxDone := ctx.Done()
	handle := func(line []byte) {
		if len(line) == 0 || st.refuseLine(sess, line, d.on) {
			return
		}
		msg.Reset()
		if err := dec.Decode(line, &msg); err != nil {
			st.r.HandleDecodeError(sess, err)
			return
		}
		st.r.Handle(sess, &msg)
	}
	tooLong := func() error {
		o.Send(router.MsgResponse, nil, codec.AppendError(nil, nil, codec.CodeParseError, "message exceeds the maximum size", nil))
		_ = o.w.Flush()
		return ErrLineTooLong
	}
	for {
		if d.on {
			if end, derr := d.check(); end {
				_ = o.w.Flush()
				if derr == nil && ctx.Err() != nil {
					derr = ctx.Err()
				}
				return derr
			}
		}
		select {
		case <-ctxDone:
			ctxDone = nil
			dctx, cancel := context.WithTimeout(context.Background(), st.cfg.DrainTimeout)
			defer cancel()
			d.start(dctx)
		case dctx := <-st.shutdown:
			d.start(dctx)
		case <-d.tick:
		case fn := <-st.inbox.C:
			fn()
		case rr := <-chunks:
			if rr.err != nil {
				// stdin closed: the client is gone (the spec's stdio
				// shutdown), so running handlers are cancelled by
				// sess.Close and nothing more can be answered.
				if o.err == nil {
					o.err = o.w.Flush()
				}
				if errors.Is(rr.err, io.EOF) {
					return o.err
				}
				return rr.err
			}
			if timing {
				st.shard.Arrived = shards.Now()
			}
			buf, max := rr.b, st.cfg.MaxLineBytes
			consumed := 0
			if part.Len() > 0 {
				// The held line's end may be in this chunk (within the
				// bytes a line of max bytes and its "\r\n" can still take).
				i := bytes.IndexByte(buf[:min(len(buf), max+2-part.Len())], '\n')
				if i < 0 {
					consumed = len(buf)
					if total := part.Len() + len(buf); total > max+1 || (total == max+1 && buf[len(buf)-1] != '\r') {
						return tooLong()
					}
					part.Append(buf)
				} else {
					part.Append(buf[:i])
					line := part.Bytes()
					if n := len(line); n > 0 && line[n-1] == '\r' {
						line = line[:n-1]
					}
					if len(line) > max {
						return tooLong()
					}
					handle(line)
					part.Reset(nil) // after handle: line points into it
					consumed = i + 1
				}
			}
			if part.Len() == 0 {
				for {
					line, n, err := codec.NextLine(buf[consumed:], max)
					if err != nil {
						return tooLong()
					}
					if n == 0 {
						break
					}
					consumed += n
					handle(line)
				}
				if tail := buf[consumed:]; len(tail) > 0 {
					part.Append(tail) // NextLine found it not too long yet
					consumed = len(buf)
				}
			}
			st.r.EndInput(st.shard)
			st.bytesIn += uint64(consumed)
			free <- rr.b // after the lines in it were handled
		}
		if err := o.w.Flush(); err != nil && o.err == nil {
			o.err = err
		}
		if o.err != nil {
			return o.err
		}
	}
}

type readResult struct {
	b   []byte
	err error
}

// readChunks reads in and hands each chunk to the loop, reusing the buffer
// the loop hands back, so stdin reading allocates two buffers in all. The
// read error travels on the same channel, after the last chunk, so no
// bytes are lost at EOF. It returns once quit is closed (Serve returned)
// and its pending read, if any, returns.
func readChunks(in io.Reader, chunks chan<- readResult, free chan []byte, quit <-chan struct{}) {
	bufs := [2][]byte{make([]byte, stdioReadSize), make([]byte, stdioReadSize)}
	free <- bufs[1]
	next := bufs[0]
	for {
		n, err := in.Read(next)
		if n > 0 {
			select {
			case chunks <- readResult{b: next[:n]}:
			case <-quit:
				return
			}
			select {
			case b := <-free:
				next = b[:stdioReadSize]
			case <-quit:
				return
			}
		}
		if err != nil {
			select {
			case chunks <- readResult{err: err}:
			case <-quit:
			}
			return
		}
	}
}

// Snapshot copies the stdio session's counters, read on its serving
// goroutine; ok is false when it is not serving or did not answer within
// a second.
func (st *Stdio) Snapshot() (ls LoopSnapshot, ok bool) {
	ch := make(chan LoopSnapshot, 1)
	err := st.shard.Post(func() {
		ls := LoopSnapshot{Index: st.shard.ID, BytesIn: st.bytesIn, BytesOut: st.bytesOut}
		if st.sess != nil && !st.sess.Closed() {
			ls.Open[router.TransportStdio] = 1
			ls.Opened[router.TransportStdio] = 1
			ls.Sessions[router.TransportStdio][st.sess.Era()] = 1
		}
		st.r.SnapshotShard(st.shard, &ls.Requests)
		ls.Overload.Add(st.r.LoopStats(st.shard))
		ch <- ls
	})
	if err != nil {
		return ls, false
	}
	t := time.NewTimer(snapshotWait)
	defer t.Stop()
	select {
	case ls = <-ch:
		return ls, true
	case <-t.C:
		return ls, false
	}
}

// refuseLine answers a request line with a refusal when the session is
// draining or over the in-flight bounds, before decoding it.
func (st *Stdio) refuseLine(sess *router.Session, line []byte, draining bool) bool {
	w, ok := st.r.Admissible(st.shard, sess)
	if draining {
		w, ok = router.RefusedShutdown, false
	}
	if ok {
		return false
	}
	id, isReq := requestID(line)
	if !isReq {
		return false
	}
	st.r.Refuse(sess, id, w)
	return true
}

// stdioDrain is the drain of a stdio session, run by Serve's loop.
type stdioDrain struct {
	st     *Stdio
	on     bool
	ctx    context.Context
	tick   <-chan time.Time
	ticker *time.Ticker
	before router.Stats
}

func (d *stdioDrain) start(ctx context.Context) {
	if d.on {
		return
	}
	d.on = true
	d.ctx = ctx
	d.ticker = time.NewTicker(drainPoll)
	d.tick = d.ticker.C
	d.before = d.st.OverloadStats()
	d.st.drained.Accepted = d.before.InFlight + d.before.Queue
}

// check ends the drain when no call is left or the budget is spent.
func (d *stdioDrain) check() (end bool, err error) {
	st := d.st
	if st.r.Pending(st.shard) > 0 {
		if d.ctx.Err() == nil {
			return false, nil
		}
		st.r.CutOff(st.shard)
		err = d.ctx.Err()
	}
	d.ticker.Stop()
	after := st.OverloadStats()
	st.drained.Answered = after.Completed - d.before.Completed
	st.drained.Refused = after.RefusedTotal - d.before.RefusedTotal
	st.drained.CutOff = after.CutOff - d.before.CutOff
	return true, err
}

package engine

import (
	"bufio"
	"context"
	"errors"
	"io"
	"time"

	"github.com/densemcp/densemcp/codec"
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
}

// NewStdio returns a stdio transport for router r, with a shard of its own.
func NewStdio(r *router.Router, cfg Config) *Stdio {
	cfg.setDefaults()
	in := shards.NewInbox(0)
	return &Stdio{r: r, cfg: cfg, inbox: in, shard: r.NewShard(in)}
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

// Serve runs until in reaches EOF, ctx is cancelled, out fails, or a line
// is too long (the parse error is written first). EOF is a clean end.
func (st *Stdio) Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	o := &stdioOut{w: bufio.NewWriterSize(out, 64<<10), n: &st.bytesOut}
	sess := st.r.NewSession(st.shard, o)
	sess.SetTransport(router.TransportStdio, "")
	st.sess = sess
	timing := st.r.Observing()
	defer func() {
		sess.Close()
		st.inbox.Close()
	}()

	chunks := make(chan readResult, 1)
	free := make(chan []byte, 1)
	go readChunks(in, chunks, free)

	var dec codec.Decoder
	var msg codec.Message
	var pend []byte
	for {
		select {
		case <-ctx.Done():
			_ = o.w.Flush()
			return ctx.Err()
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
			pend = append(pend, rr.b...)
			free <- rr.b
			if timing {
				st.shard.Arrived = shards.Now()
			}
			consumed := 0
			for {
				line, n, err := codec.NextLine(pend[consumed:], st.cfg.MaxLineBytes)
				if err != nil {
					o.Send(router.MsgResponse, nil, codec.AppendError(nil, nil, codec.CodeParseError, "message exceeds the maximum size", nil))
					_ = o.w.Flush()
					return ErrLineTooLong
				}
				if n == 0 {
					break
				}
				consumed += n
				if len(line) == 0 {
					continue
				}
				msg.Reset()
				if err := dec.Decode(line, &msg); err != nil {
					st.r.HandleDecodeError(sess, err)
					continue
				}
				st.r.Handle(sess, &msg)
			}
			st.r.EndInput(st.shard)
			st.bytesIn += uint64(consumed)
			pend = append(pend[:0], pend[consumed:]...)
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
// bytes are lost at EOF.
func readChunks(in io.Reader, chunks chan<- readResult, free chan []byte) {
	bufs := [2][]byte{make([]byte, stdioReadSize), make([]byte, stdioReadSize)}
	free <- bufs[1]
	next := bufs[0]
	for {
		n, err := in.Read(next)
		if n > 0 {
			chunks <- readResult{b: next[:n]}
			next = (<-free)[:stdioReadSize]
		}
		if err != nil {
			chunks <- readResult{err: err}
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

package perf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DrainConfig describes a drain run (RunDrain): calls offered open loop at Rate over Conns
// NDJSON connections to Addr; after Before the server is signalled (Signal, e.g. SIGTERM)
// and the load goes on, each connection behaving as a client told to go away should: it
// stops sending once it reads a refusal whose reason is "shutdown", waits for the answers
// it is owed, and closes. Every call is accounted: answered, refused, answered with
// another error, or lost (sent, and its connection closed with no answer).
type DrainConfig struct {
	Addr  string
	Conns int
	// Rate is the total calls per second offered, spread evenly over the connections.
	Rate int
	// Every WorkEvery-th call of a connection is the blocking call WorkArgs (a work tool's
	// arguments, e.g. {"waitMillis":50}), so calls are running in handlers when the signal
	// comes; the others are echo calls. 0: echo alone.
	WorkEvery int
	WorkArgs  string
	// MaxInFlight bounds the calls outstanding on one connection; a call due past it is
	// not sent (Shed).
	MaxInFlight int
	// Before is how long the load runs before Signal is called.
	Before time.Duration
	Signal func() error
	// Timeout bounds the run after the signal: a connection still open then is closed, and
	// its outstanding calls count as Unanswered.
	Timeout time.Duration
}

// DrainResult counts every call of a drain run. Sent = Answered + Refused + Errors + Lost
// + Unanswered.
type DrainResult struct {
	Conns int `json:"conns"`
	// OfferedRate is the configured rate; RateBeforeSignal what was sent per second before it.
	OfferedRate      int     `json:"offered_rate"`
	RateBeforeSignal float64 `json:"rate_before_signal"`
	Sent             uint64  `json:"sent"`
	SentAfterSignal  uint64  `json:"sent_after_signal"`
	// Shed: calls due past MaxInFlight, never sent. WriteFailed: calls whose write failed
	// (the connection was gone), so never sent either.
	Shed        uint64 `json:"shed"`
	WriteFailed uint64 `json:"write_failed"`
	// Answered: results. AnsweredAfterSignal: results read after the signal (calls
	// accepted before it, or before the drain began, finishing).
	Answered            uint64 `json:"answered"`
	AnsweredAfterSignal uint64 `json:"answered_after_signal"`
	// Refused: refusals (a -32000-range error whose data carries retryAfterMs), any reason;
	// RefusedShutdown: those whose reason is "shutdown".
	Refused         uint64 `json:"refused"`
	RefusedShutdown uint64 `json:"refused_shutdown"`
	// Errors: other error answers, and answers to no call outstanding.
	Errors uint64 `json:"errors"`
	// Lost: calls sent whose connection closed before their answer. Unanswered: calls
	// still outstanding when Timeout ended the run.
	Lost       uint64 `json:"lost"`
	Unanswered uint64 `json:"unanswered"`
	// DrainMillis: from the signal to the last connection's end.
	DrainMillis float64 `json:"drain_ms"`
	// ErrorSample is the first answer counted in Errors (at most 300 bytes), after the
	// connection it came on (1..Conns; connection i's ids are i×10⁹+1, i×10⁹+2, …).
	ErrorSample string `json:"error_sample,omitempty"`
	// LostSample holds ids of calls lost or unanswered (the first few, per connection).
	LostSample []string `json:"lost_sample,omitempty"`
}

// ErrDrainSetup reports a connection that could not be set up before the load.
var ErrDrainSetup = errors.New("drain: setup failed")

// drainConn is one connection of a drain run: the writer paces calls, the reader accounts
// the answers against the ids outstanding.
type drainConn struct {
	c  net.Conn
	mu sync.Mutex
	// out: the ids outstanding (sent, not answered); stop: a shutdown refusal was read.
	out  map[uint64]struct{}
	stop bool

	sent, sentAfter, shed, writeFailed                  uint64
	answered, answeredAfter, refused, refusedShut, errs uint64
	lost, unanswered                                    uint64
	errSample                                           string
	// base: the connection's ids are base+1, base+2, …, unique over the run, so an answer
	// delivered on the wrong connection is caught.
	base    uint64
	lostIDs []string
}

// RunDrain runs cfg and returns its counts.
func RunDrain(cfg DrainConfig) (DrainResult, error) {
	if cfg.Conns < 1 || cfg.Rate < 1 || cfg.Signal == nil {
		return DrainResult{}, fmt.Errorf("%w: drain needs Conns, Rate and Signal", ErrBadFlag)
	}
	if host, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return DrainResult{}, fmt.Errorf("%w: %q: %v", ErrBadAddress, cfg.Addr, err)
	} else if ip, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !ip.Unmap().IsLoopback()) {
		return DrainResult{}, fmt.Errorf("%w: %q", ErrNotLoopback, cfg.Addr)
	}
	if cfg.MaxInFlight < 1 {
		cfg.MaxInFlight = 256
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	work := []byte(`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"work","arguments":` + cfg.WorkArgs + `},"id":`)
	if cfg.WorkEvery > 0 && !json.Valid([]byte(cfg.WorkArgs)) {
		return DrainResult{}, fmt.Errorf("%w: work arguments %q are not JSON", ErrBadFlag, cfg.WorkArgs)
	}
	echo := []byte(`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo","arguments":{"text":"drain"}},"id":`)

	conns := make([]*drainConn, cfg.Conns)
	for i := range conns {
		c, err := net.DialTimeout("tcp", cfg.Addr, 5*time.Second)
		if err != nil {
			closeDrainConns(conns)
			return DrainResult{}, fmt.Errorf("%w: dial: %v", ErrDrainSetup, err)
		}
		conns[i] = &drainConn{c: c, out: map[uint64]struct{}{}, base: uint64(i+1) * 1e9}
		if err := ndjsonHandshake(c); err != nil {
			closeDrainConns(conns)
			return DrainResult{}, fmt.Errorf("%w: %v", ErrDrainSetup, err)
		}
	}

	start := time.Now()
	var signalled atomic.Bool
	var signalAt time.Time
	deadline := start.Add(cfg.Before + cfg.Timeout)
	var wg sync.WaitGroup
	perConn := float64(cfg.Rate) / float64(cfg.Conns)
	for i, dc := range conns {
		wg.Add(2)
		go func() { defer wg.Done(); dc.read(&signalled, deadline) }()
		go func() {
			defer wg.Done()
			// Stagger the connections' first calls over one interval.
			offset := time.Duration(float64(i) / float64(cfg.Conns) / perConn * float64(time.Second))
			dc.write(start.Add(offset), perConn, cfg, work, echo, &signalled, deadline)
		}()
	}
	time.Sleep(time.Until(start.Add(cfg.Before)))
	var before uint64
	for _, dc := range conns {
		dc.mu.Lock()
		before += dc.sent
		dc.mu.Unlock()
	}
	signalAt = time.Now()
	signalled.Store(true)
	sigErr := cfg.Signal()
	wg.Wait()
	end := time.Now()

	r := DrainResult{Conns: cfg.Conns, OfferedRate: cfg.Rate, RateBeforeSignal: float64(before) / signalAt.Sub(start).Seconds(),
		DrainMillis: float64(end.Sub(signalAt).Microseconds()) / 1e3}
	for _, dc := range conns {
		r.Sent += dc.sent
		r.SentAfterSignal += dc.sentAfter
		r.Shed += dc.shed
		r.WriteFailed += dc.writeFailed
		r.Answered += dc.answered
		r.AnsweredAfterSignal += dc.answeredAfter
		r.Refused += dc.refused
		r.RefusedShutdown += dc.refusedShut
		r.Errors += dc.errs
		r.Lost += dc.lost
		r.Unanswered += dc.unanswered
		if len(r.LostSample) < 20 {
			r.LostSample = append(r.LostSample, dc.lostIDs...)
		}
		if r.ErrorSample == "" {
			r.ErrorSample = dc.errSample
		}
	}
	if sigErr != nil {
		return r, fmt.Errorf("drain: signal: %w", sigErr)
	}
	return r, nil
}

func closeDrainConns(conns []*drainConn) {
	for _, dc := range conns {
		if dc != nil {
			dc.c.Close()
		}
	}
}

// ndjsonHandshake initializes a legacy session on c and reads the answer.
func ndjsonHandshake(c net.Conn) error {
	_, err := c.Write([]byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"` + legacyVersion +
		`","capabilities":{},"clientInfo":{"name":"densemcp-drain","version":"1"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"))
	if err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	// One byte at a time: the answer is short, and nothing may be read past its line.
	var line []byte
	b := make([]byte, 1)
	for {
		if _, err := c.Read(b); err != nil {
			return fmt.Errorf("initialize: %v", err)
		}
		if b[0] == '\n' {
			break
		}
		if line = append(line, b[0]); len(line) > MaxArgsSize {
			return errors.New("initialize: answer too long")
		}
	}
	if !bytes.Contains(line, []byte(`"result"`)) {
		return fmt.Errorf("initialize: %s", line)
	}
	return nil
}

// write sends the connection's share of the rate from first on, in batches every
// millisecond, until a shutdown refusal was read, the connection failed, or deadline.
func (dc *drainConn) write(first time.Time, perConn float64, cfg DrainConfig, work, echo []byte, signalled *atomic.Bool, deadline time.Time) {
	var id uint64
	var buf []byte
	// A batch every interval between calls, at least 1 ms and at most 10 ms apart.
	every := min(max(time.Duration(float64(time.Second)/perConn), time.Millisecond), 10*time.Millisecond)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for now := range tick.C {
		if now.After(deadline) {
			return
		}
		due := uint64(0)
		if el := now.Sub(first); el >= 0 {
			due = uint64(el.Seconds()*perConn) + 1
		}
		dc.mu.Lock()
		if dc.stop {
			dc.mu.Unlock()
			return
		}
		buf = buf[:0]
		var ids []uint64
		for id < due {
			id++
			wire := dc.base + id
			if len(dc.out) >= cfg.MaxInFlight {
				dc.shed++
				continue
			}
			if cfg.WorkEvery > 0 && id%uint64(cfg.WorkEvery) == 0 {
				buf = append(buf, work...)
			} else {
				buf = append(buf, echo...)
			}
			buf = strconv.AppendUint(buf, wire, 10)
			buf = append(buf, "}\n"...)
			dc.out[wire] = struct{}{}
			ids = append(ids, wire)
		}
		dc.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		_, err := dc.c.Write(buf)
		dc.mu.Lock()
		if err != nil {
			// The connection is gone: what this write carried and is still outstanding was
			// not sent. An id no longer outstanding already has its outcome (the reader saw
			// the close first and counted it lost, or part of the write went out and it was
			// answered), so it counts as sent, or Sent would fall short of the outcomes.
			for _, x := range ids {
				if _, ok := dc.out[x]; ok {
					delete(dc.out, x)
					dc.writeFailed++
				} else {
					dc.sent++
				}
			}
			dc.stop = true
			dc.mu.Unlock()
			return
		}
		dc.sent += uint64(len(ids))
		if signalled.Load() {
			dc.sentAfter += uint64(len(ids))
		}
		dc.mu.Unlock()
	}
}

// drainAnswer is what the reader decodes of an answer.
type drainAnswer struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code int `json:"code"`
		Data struct {
			RetryAfterMs *int64 `json:"retryAfterMs"`
			Reason       string `json:"reason"`
		} `json:"data"`
	} `json:"error"`
}

// read accounts the answers until the connection ends: closed by the server (what is
// outstanding is lost), or by this client once it was told to stop and owes nothing, or at
// deadline (what is outstanding is unanswered).
func (dc *drainConn) read(signalled *atomic.Bool, deadline time.Time) {
	defer dc.c.Close()
	r := bufio.NewReaderSize(dc.c, 64<<10)
	// partial holds a line's start that a read deadline cut (ReadSlice consumes it).
	var partial []byte
	for {
		// Poll for "told to stop and owed nothing" between reads.
		dc.c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		line, err := r.ReadSlice('\n')
		if err == nil && len(partial) > 0 {
			line = append(partial, line...)
			partial = partial[:0]
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && len(partial)+len(line) <= 64<<10 {
				partial = append(partial, line...)
				dc.mu.Lock()
				done := dc.stop && len(dc.out) == 0
				past := time.Now().After(deadline)
				if past {
					dc.stop = true
					dc.unanswered += uint64(len(dc.out))
					dc.sampleLost()
				}
				dc.mu.Unlock()
				if done || past {
					return
				}
				continue
			}
			dc.mu.Lock()
			dc.stop = true
			dc.lost += uint64(len(dc.out))
			dc.sampleLost()
			dc.mu.Unlock()
			return
		}
		var a drainAnswer
		perr := json.Unmarshal(line, &a)
		id, idErr := strconv.ParseUint(string(a.ID), 10, 64)
		dc.mu.Lock()
		if _, ok := dc.out[id]; perr != nil || idErr != nil || !ok {
			dc.err(line) // not an answer to a call outstanding here
		} else {
			delete(dc.out, id)
			switch {
			case a.Error == nil && a.Result != nil:
				dc.answered++
				if signalled.Load() {
					dc.answeredAfter++
				}
			case a.Error != nil && a.Error.Code <= -32000 && a.Error.Code >= -32099 && a.Error.Data.RetryAfterMs != nil:
				dc.refused++
				if a.Error.Data.Reason == "shutdown" {
					dc.refusedShut++
					dc.stop = true
				}
			default:
				dc.err(line)
			}
		}
		dc.mu.Unlock()
	}
}

// err counts an answer as an error, keeping the connection's first. Under dc.mu.
func (dc *drainConn) err(line []byte) {
	dc.errs++
	if dc.errSample == "" {
		dc.errSample = fmt.Sprintf("connection %d: %s", dc.base/1e9, line[:min(len(line), 300)])
	}
}

// sampleLost keeps a few of the ids outstanding (by connection index and id) and forgets
// them all. Under dc.mu.
func (dc *drainConn) sampleLost() {
	for id := range dc.out {
		if len(dc.lostIDs) == 3 {
			break
		}
		dc.lostIDs = append(dc.lostIDs, strconv.FormatUint(id, 10))
	}
	clear(dc.out)
}

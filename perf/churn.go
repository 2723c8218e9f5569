//go:build linux

package perf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Churn bounds. A soak's churn runs beside the measured load: bounded in rate, in cycles at
// once and in the time one cycle may take, so it cannot pile up when the server slows.
const (
	// MaxChurn bounds --churn, connection cycles per second.
	MaxChurn = 5000
	// MaxChurning bounds the cycles in progress at once.
	MaxChurning = 128
	// churnTimeout bounds one cycle (dial to close).
	churnTimeout = 10 * time.Second
	// maxChurnBody bounds an answer a churning client reads.
	maxChurnBody = 1 << 20
)

// The kinds of churn cycle, taken in turn. The polite ones are well-behaved clients, whose
// errors count against the server; the others end abruptly on purpose.
const (
	churnPolite    = iota // open, initialize, call, read the answer, close (HTTP: DELETE the session first)
	churnReset            // open, initialize, send a call, reset (RST) before the answer
	churnMidReq           // open, send half a request, reset
	churnStreamGet        // HTTP: open, initialize, GET the SSE stream, reset once it is open
	churnStreamCut        // HTTP with --sse-tool: call it with a progress token, reset after its first event
	numChurnKinds
)

// ChurnStats counts a soak's churn cycles by kind and outcome.
type ChurnStats struct {
	Polite       uint64            `json:"polite"`
	PoliteErrors uint64            `json:"polite_errors"`
	ErrorKinds   map[string]uint64 `json:"polite_error_kinds,omitempty"`
	Resets       uint64            `json:"resets"`
	MidRequest   uint64            `json:"mid_request_resets"`
	StreamsCut   uint64            `json:"sse_get_streams_cut"`
	// CutMidStream counts POSTed calls whose SSE answer was cut after its first event, while
	// the handler was still emitting; NotStreamed the calls of --sse-tool answered whole
	// (the tool did not stream, so nothing was cut mid-stream).
	CutMidStream uint64 `json:"sse_cut_mid_stream"`
	NotStreamed  uint64 `json:"sse_not_streamed"`
	// Abrupt counts abrupt cycles that could not do their part (the connection failed
	// before the reset): not errors of a well-behaved client, but shown.
	Abrupt  uint64 `json:"abrupt_failed"`
	Skipped uint64 `json:"skipped"` // due while MaxChurning cycles were running
}

// churner runs a soak's churn: cycles of connections at a rate, in goroutines, with the
// standard library's client side (this is not the measured path).
type churner struct {
	cfg  *Config
	tcp  string // --churn-tcp: NDJSON churn alternates with the main target's
	mu   sync.Mutex
	st   ChurnStats
	seq  atomic.Uint64
	sem  chan struct{}
	wg   sync.WaitGroup
	base uint64 // call ids of churn start here, apart from the measured calls
}

func newChurner(cfg *Config) *churner {
	return &churner{cfg: cfg, tcp: cfg.ChurnTCP, sem: make(chan struct{}, MaxChurning), base: 1 << 40}
}

// run starts a cycle every 1/rate seconds until ctx ends, then waits for those running.
func (ch *churner) run(ctx context.Context, rate int) {
	t := time.NewTicker(time.Second / time.Duration(rate))
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			ch.wg.Wait()
			return
		case <-t.C:
		}
		select {
		case ch.sem <- struct{}{}:
		default:
			ch.count(func(s *ChurnStats) { s.Skipped++ })
			continue
		}
		ch.wg.Add(1)
		go func(i int) {
			defer func() { <-ch.sem; ch.wg.Done() }()
			ch.cycle(i)
		}(i)
	}
}

func (ch *churner) count(f func(*ChurnStats)) {
	ch.mu.Lock()
	f(&ch.st)
	ch.mu.Unlock()
}

func (ch *churner) stats() ChurnStats {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	s := ch.st
	if s.ErrorKinds != nil {
		s.ErrorKinds = make(map[string]uint64, len(ch.st.ErrorKinds))
		for k, v := range ch.st.ErrorKinds {
			s.ErrorKinds[k] = v
		}
	}
	return s
}

func (ch *churner) politeError(kind string) {
	ch.count(func(s *ChurnStats) {
		s.PoliteErrors++
		if s.ErrorKinds == nil {
			s.ErrorKinds = map[string]uint64{}
		}
		s.ErrorKinds[kind]++
	})
}

// cycle runs cycle i: with --churn-tcp every other cycle goes to the NDJSON listener; each
// listener's cycles take their kinds in turn.
func (ch *churner) cycle(i int) {
	tcp, addr, n := ch.cfg.Target == TargetTCP, ch.cfg.Addr, i
	if ch.tcp != "" {
		n = i / 2
		if i%2 == 1 {
			tcp, addr = true, ch.tcp
		}
	}
	if tcp {
		ch.tcpCycle(addr, n%churnStreamGet) // polite, reset, mid-request: NDJSON has no streams
		return
	}
	kinds := churnStreamCut
	if ch.cfg.SSETool != "" {
		kinds = numChurnKinds
	}
	ch.httpCycle(addr, n%kinds)
}

func dialChurn(addr string) (*net.TCPConn, *bufio.Reader, error) {
	c, err := net.DialTimeout("tcp", addr, churnTimeout)
	if err != nil {
		return nil, nil, err
	}
	tc := c.(*net.TCPConn)
	_ = tc.SetDeadline(time.Now().Add(churnTimeout))
	return tc, bufio.NewReaderSize(tc, 16<<10), nil
}

// reset ends a connection with RST: SO_LINGER 0, then close.
func reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

// abrupt counts an abrupt cycle: done when it reached its reset, failed when not.
func (ch *churner) abrupt(ok bool, f func(*ChurnStats)) {
	if !ok {
		ch.count(func(s *ChurnStats) { s.Abrupt++ })
		return
	}
	ch.count(f)
}

func (ch *churner) callBody(id uint64, tool string, meta string) []byte {
	t := ch.cfg.call
	if tool != "" {
		t = callTemplate{name: []byte(`"name":"` + tool + `","arguments":`), args: []byte(`{}`), tool: []byte(tool)}
	}
	b := t.appendCall(nil, id, ch.cfg.TextSize, false)
	if meta != "" {
		b = append(b[:len(b)-2], `,"_meta":`+meta+`}}`...)
	}
	return b
}

// checkCall verifies the answer of churn call id like the measured calls' answers.
func (ch *churner) checkCall(body []byte, id uint64) string {
	var text []byte
	if ch.cfg.call.echo {
		text = appendText(nil, id, ch.cfg.TextSize)
	}
	if v, _ := checkAnswer(body, id, text); v != verdictOK {
		return v.String()
	}
	return ""
}

func (ch *churner) tcpCycle(addr string, kind int) {
	c, br, err := dialChurn(addr)
	if err != nil {
		if kind == churnPolite {
			ch.politeError("connect")
		} else {
			ch.abrupt(false, nil)
		}
		return
	}
	if kind == churnMidReq {
		_, err = c.Write([]byte(initializeBody[:len(initializeBody)/2]))
		reset(c)
		ch.abrupt(err == nil, func(s *ChurnStats) { s.MidRequest++ })
		return
	}
	line := func() ([]byte, error) { return br.ReadSlice('\n') }
	_, err = c.Write([]byte(initializeBody + "\n" + initializedBody + "\n"))
	var ans []byte
	if err == nil {
		ans, err = line()
	}
	if err != nil || !checkInitialize(ans) {
		c.Close()
		if kind == churnPolite {
			ch.politeError("initialize")
		} else {
			ch.abrupt(false, nil)
		}
		return
	}
	id := ch.base + ch.seq.Add(1)
	_, err = c.Write(append(ch.callBody(id, "", ""), '\n'))
	if kind == churnReset {
		reset(c)
		ch.abrupt(err == nil, func(s *ChurnStats) { s.Resets++ })
		return
	}
	if err == nil {
		ans, err = line()
	}
	c.Close()
	switch {
	case err != nil:
		ch.politeError("call: " + errName(err))
	case ch.checkCall(ans, id) != "":
		ch.politeError(ch.checkCall(ans, id))
	default:
		ch.count(func(s *ChurnStats) { s.Polite++ })
	}
}

// httpReq writes one request and reads its response head, and the body unless stream.
func (ch *churner) httpReq(c net.Conn, br *bufio.Reader, method string, body []byte, session, accept string, stream bool) (*http.Response, []byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nAccept: %s\r\n", method, ch.cfg.Path, ch.cfg.Addr, accept)
	if method == http.MethodPost {
		fmt.Fprintf(&b, "Content-Type: application/json\r\n")
	}
	if session != "" {
		fmt.Fprintf(&b, "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: %s\r\n", session, legacyVersion)
	}
	b.Write(ch.cfg.headerBlock)
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	if _, err := c.Write(b.Bytes()); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || stream {
		return resp, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxChurnBody))
	return resp, data, err
}

// sseData returns the data of the first SSE event in body, or body itself when it is JSON.
func sseData(body []byte) []byte {
	if i := bytes.Index(body, []byte("data:")); i >= 0 {
		d := body[i+5:]
		if j := bytes.IndexByte(d, '\n'); j >= 0 {
			d = d[:j]
		}
		return bytes.TrimSpace(d)
	}
	return body
}

func (ch *churner) httpCycle(addr string, kind int) {
	c, br, err := dialChurn(addr)
	if err != nil {
		if kind == churnPolite {
			ch.politeError("connect")
		} else {
			ch.abrupt(false, nil)
		}
		return
	}
	const both = "application/json, text/event-stream"
	if kind == churnMidReq {
		head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: %s\r\n%sContent-Length: %d\r\n\r\n",
			ch.cfg.Path, ch.cfg.Addr, both, ch.cfg.headerBlock, len(initializeBody))
		_, err = c.Write([]byte(head + initializeBody[:len(initializeBody)/2]))
		reset(c)
		ch.abrupt(err == nil, func(s *ChurnStats) { s.MidRequest++ })
		return
	}
	resp, body, err := ch.httpReq(c, br, http.MethodPost, []byte(initializeBody), "", both, false)
	var session string
	if err == nil && resp.StatusCode == 200 && checkInitialize(sseData(body)) {
		session = resp.Header.Get("Mcp-Session-Id")
		resp, _, err = ch.httpReq(c, br, http.MethodPost, []byte(initializedBody), session, both, false)
	}
	if err != nil || session == "" || resp.StatusCode/100 != 2 {
		c.Close()
		if kind == churnPolite {
			ch.politeError("initialize")
		} else {
			ch.abrupt(false, nil)
		}
		return
	}
	id := ch.base + ch.seq.Add(1)
	switch kind {
	case churnReset:
		var b bytes.Buffer
		body := ch.callBody(id, "", "")
		fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: %s\r\nMcp-Session-Id: %s\r\nMCP-Protocol-Version: %s\r\n%sContent-Length: %d\r\n\r\n%s",
			ch.cfg.Path, ch.cfg.Addr, both, session, legacyVersion, ch.cfg.headerBlock, len(body), body)
		_, err = c.Write(b.Bytes())
		reset(c)
		ch.abrupt(err == nil, func(s *ChurnStats) { s.Resets++ })
	case churnStreamGet:
		resp, _, err = ch.httpReq(c, br, http.MethodGet, nil, session, "text/event-stream", true)
		ok := err == nil && resp.StatusCode == 200
		reset(c)
		ch.abrupt(ok, func(s *ChurnStats) { s.StreamsCut++ })
	case churnStreamCut:
		meta := `{"progressToken":` + strconv.FormatUint(id, 10) + `}`
		resp, _, err = ch.httpReq(c, br, http.MethodPost, ch.callBody(id, ch.cfg.SSETool, meta), session, both, true)
		if err != nil || resp.StatusCode != 200 {
			reset(c)
			ch.abrupt(false, nil)
			return
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			reset(c)
			ch.count(func(s *ChurnStats) { s.NotStreamed++ })
			return
		}
		// Read up to the end of the first event, then cut while the handler emits the rest.
		for {
			l, err := br.ReadSlice('\n')
			if err != nil {
				reset(c)
				ch.abrupt(false, nil)
				return
			}
			if len(bytes.TrimSpace(l)) == 0 {
				break
			}
		}
		reset(c)
		ch.count(func(s *ChurnStats) { s.CutMidStream++ })
	default: // polite
		resp, body, err = ch.httpReq(c, br, http.MethodPost, ch.callBody(id, "", ""), session, both, false)
		switch {
		case err != nil:
			ch.politeError("call: " + errName(err))
		case resp.StatusCode != 200:
			ch.politeError("call: HTTP " + strconv.Itoa(resp.StatusCode))
		case ch.checkCall(sseData(body), id) != "":
			ch.politeError(ch.checkCall(sseData(body), id))
		default:
			if resp, _, err = ch.httpReq(c, br, http.MethodDelete, nil, session, both, false); err != nil || resp.StatusCode/100 != 2 {
				ch.politeError("delete session")
			} else {
				ch.count(func(s *ChurnStats) { s.Polite++ })
			}
		}
		c.Close()
	}
}

// errName names a network error briefly for the error kinds.
func errName(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed by server"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "connection error"
}

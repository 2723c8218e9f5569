package http1

import (
	"strconv"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/codec/partial"
)

// A caller that drops the bytes Detach names after every "need more" (as
// the engine does, so a body arriving over many reads is held once, in the
// Request) gets the same requests as one that keeps every byte, for a
// stream of pipelined requests fed in pieces of any size; and what it must
// keep between reads stays small.
func TestParseDetachEverySplit(t *testing.T) {
	big := strings.Repeat("b", 3*partial.SegmentSize+5)
	type want struct{ method, path, body string }
	var stream string
	var wants []want
	add := func(wire string, w want) { stream += wire; wants = append(wants, w) }
	add("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: "+strconv.Itoa(len(big))+"\r\n\r\n"+big, want{"POST", "/a", big})
	add("GET /b HTTP/1.1\r\nHost: a\r\n\r\n", want{"GET", "/b", ""})
	add("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n"+
		strconv.FormatInt(int64(len(big)), 16)+"\r\n"+big+"\r\n0\r\nT: v\r\n\r\n", want{"POST", "/c", "hello" + big})
	add("POST /d HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", want{"POST", "/d", "hello"})
	p := Parser{Limits: Limits{MaxBodyBytes: 1 << 20}}
	for _, piece := range []int{1, 2, 3, 7, 100, 1500, 64 << 10} {
		var req Request
		var pending []byte
		got := 0
		for off := 0; off < len(stream); off += piece {
			pending = append(pending, stream[off:min(off+piece, len(stream))]...)
			for {
				n, err := p.Parse(pending, &req)
				if err != nil {
					t.Fatalf("piece %d: request %d: %v", piece, got, err)
				}
				if n == 0 {
					pending = pending[req.Detach():]
					if req.HeaderComplete() && len(pending) > piece+MaxChunkLineBytes {
						t.Fatalf("piece %d: %d body bytes kept by the caller", piece, len(pending))
					}
					break
				}
				w := wants[got]
				if string(req.Method()) != w.method || string(req.Path()) != w.path || string(req.Body()) != w.body {
					t.Fatalf("piece %d: request %d: %s %s with %d body bytes", piece, got, req.Method(), req.Path(), len(req.Body()))
				}
				got++
				pending = pending[n:]
			}
		}
		if got != len(wants) || len(pending) != 0 {
			t.Fatalf("piece %d: %d requests, %d bytes left", piece, got, len(pending))
		}
	}
}

// A body left incomplete counts against the Parser's Budget; past it the
// request fails with ErrBusy (503), and Reset gives the count back.
func TestParseBudget(t *testing.T) {
	bg := partial.NewBudget(256 << 10)
	p := Parser{Limits: Limits{MaxBodyBytes: 4 << 20}, Budget: bg}
	head := "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n"
	var a, b Request
	if n, err := p.Parse([]byte(head+strings.Repeat("x", 200<<10)), &a); n != 0 || err != nil {
		t.Fatalf("first body: %d, %v", n, err)
	}
	if bg.Held() < 200<<10 || int(bg.Held()) != a.BodyHeld() {
		t.Fatalf("held %d for a body holding %d", bg.Held(), a.BodyHeld())
	}
	if _, err := p.Parse([]byte(head+strings.Repeat("x", 100<<10)), &b); err != ErrBusy {
		t.Fatalf("second body past the budget: %v", err)
	}
	b.Reset()
	a.Reset()
	if bg.Held() != 0 {
		t.Fatalf("%d bytes still counted after Reset", bg.Held())
	}
	// A request that completes within one Parse is never counted.
	small := "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
	if n, err := (&Parser{Budget: partial.NewBudget(1)}).Parse([]byte(small), &a); n != len(small) || err != nil {
		t.Fatalf("complete request under a full budget: %d, %v", n, err)
	}
}

package perf

import (
	"bufio"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A server that closes its connections on the signal without answering
// what is outstanding: RunDrain counts those calls lost, and every call
// sent is accounted for.
func TestRunDrainCountsLostCalls(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var signalled atomic.Bool
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				n := 0
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if strings.Contains(line, `"initialize"`) {
						c.Write([]byte(`{"jsonrpc":"2.0","id":0,"result":{}}` + "\n"))
						continue
					}
					if signalled.Load() {
						time.Sleep(50 * time.Millisecond)
						return // cut: what was read and not answered is lost
					}
					id := line[strings.LastIndex(line, `"id":`)+5 : strings.LastIndex(line, "}")]
					if n++; n%2 == 0 { // every other call is held, never answered
						c.Write([]byte(`{"jsonrpc":"2.0","id":` + id + `,"result":{}}` + "\n"))
					}
				}
			}()
		}
	}()
	res, err := RunDrain(DrainConfig{Addr: ln.Addr().String(), Conns: 2, Rate: 400, Before: 300 * time.Millisecond,
		Timeout: 5 * time.Second, Signal: func() error { signalled.Store(true); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lost == 0 || res.Answered == 0 {
		t.Errorf("lost %d, answered %d: want both", res.Lost, res.Answered)
	}
	if res.Sent != res.Answered+res.Refused+res.Errors+res.Lost+res.Unanswered {
		t.Errorf("not every call accounted: %+v", res)
	}
	if _, err := RunDrain(DrainConfig{Addr: "10.1.2.3:80", Conns: 1, Rate: 1, Signal: func() error { return nil }}); err == nil {
		t.Error("a non-loopback address was accepted")
	}
}

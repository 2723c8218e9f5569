package engine

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/router"
)

// Addresses are checked before anything starts, with errors that name
// them.
func TestCheckListen(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	f := func(tcp, http, want string) {
		t.Helper()
		err := CheckListen(tcp, http, false)
		if want == "" {
			if err != nil {
				t.Fatalf("CheckListen(%q, %q): %v", tcp, http, err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("CheckListen(%q, %q) = %v, want %q", tcp, http, err, want)
		}
	}
	free := freeAddr(t)
	f("", free, "")
	f(free, "", "")
	f("127.0.0.1:0", "127.0.0.1:0", "")
	f("", "", "no address")
	f("", taken.Addr().String(), "address "+taken.Addr().String()+" already in use")
	f(taken.Addr().String(), free, "already in use")
	_, takenPort, _ := net.SplitHostPort(taken.Addr().String())
	f("", ":"+takenPort, "already in use") // the wildcard covers 127.0.0.1
	f("", "[::]:"+takenPort, "already in use")
	if v6, err := net.Listen("tcp", "[::1]:0"); err == nil { // where the host has IPv6
		f("", v6.Addr().String(), "already in use")
		v6.Close()
	}
	f("", "127.0.0.1", "missing port")
	f("", "127.0.0.1:http", "not a number")
	f("", "127.0.0.1:70000", "not a number")
	f("", "256.0.0.1:80", "invalid address")
	f("", "192.0.2.1:80", "cannot listen on 192.0.2.1:80") // not a local address
	f(free, free, "need different ports")
	if err := CheckListen("", taken.Addr().String(), false); !errors.Is(err, ErrAddressInUse) {
		t.Fatalf("not ErrAddressInUse: %v", err)
	}
}

// Serve binds exclusively: a second server on a port in use by the first
// fails at once with ErrAddressInUse instead of sharing it; with
// ReusePort on both, the second may share it.
func TestExclusiveBind(t *testing.T) {
	_, addr := startHTTP(t, Config{})
	r := router.New(router.Implementation{Name: "second", Version: "1"}, router.Options{})
	err := New(r, Config{}, nil).Serve("", addr)
	if !errors.Is(err, ErrAddressInUse) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("second server: %v", err)
	}
	err = New(r, Config{ReusePort: true}, nil).Serve("", addr)
	if !errors.Is(err, ErrAddressInUse) {
		t.Fatalf("a ReusePort server joined an exclusive one: %v", err)
	}
}

// The check binds without listening: a client dialing the address while a
// server starts is refused, never accepted by the check's socket and then
// reset when it closes (a connection the server never sees).
func TestCheckListenAcceptsNothing(t *testing.T) {
	addr := freeAddr(t)
	dialed := 0
	probeBound = func() {
		dialed++
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Errorf("a dial to %s was accepted while only the check held it", addr)
		}
	}
	defer func() { probeBound = nil }()
	if err := CheckListen("", addr, false); err != nil {
		t.Fatal(err)
	}
	if dialed != 1 {
		t.Fatalf("the check bound %s %d times, want once", addr, dialed)
	}
}

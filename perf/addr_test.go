//go:build linux

package perf

import (
	"errors"
	"testing"
)

func TestLoopbackSockaddr(t *testing.T) {
	f := func(addr string, want error) {
		t.Helper()
		_, err := loopbackSockaddr(addr)
		if !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Fatalf("loopbackSockaddr(%q) = %v, want %v", addr, err, want)
		}
	}
	f("127.0.0.1:8080", nil)
	f("127.1.2.3:1", nil)
	f("[::1]:8080", nil)
	f("localhost:9", nil)
	f("[::ffff:127.0.0.1]:80", nil)
	f("10.0.0.1:8080", ErrNotLoopback)
	f("192.168.1.1:80", ErrNotLoopback)
	f("8.8.8.8:53", ErrNotLoopback)
	f("0.0.0.0:80", ErrNotLoopback)
	f("[::]:80", ErrNotLoopback)
	f("[fe80::1%lo]:80", ErrNotLoopback)
	f("[::ffff:10.0.0.1]:80", ErrNotLoopback)
	f("example.com:80", ErrNotLoopback)
	f("localhost.example.com:80", ErrNotLoopback)
	f("127.0.0.1", ErrBadAddress)
	f("127.0.0.1:0", ErrBadAddress)
	f("127.0.0.1:70000", ErrBadAddress)
	f("127.0.0.1:http", ErrBadAddress)
}

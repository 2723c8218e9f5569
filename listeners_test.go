package densemcp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serveListeners runs s.ServeListeners(tcp, http) until the test ends and
// checks that it returned cleanly and closed the listeners.
func serveListeners(t *testing.T, s *densemcp.Server, tcp, http net.Listener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeListeners(ctx, tcp, http) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("ServeListeners: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("ServeListeners did not return")
		}
		for _, ln := range []net.Listener{tcp, http} {
			if ln == nil {
				continue
			}
			if c, err := ln.Accept(); err == nil {
				c.Close()
				t.Errorf("listener %s still accepts after ServeListeners returned", ln.Addr())
			}
		}
	})
}

func listen(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// Listeners the program made are served on the event loops: NDJSON on a
// TCP and on a Unix listener, Streamable HTTP on a TCP listener, each
// driven by the official Go SDK client in both eras.
func TestServeListeners(t *testing.T) {
	s := featureServer(t)
	tcp := listen(t, "tcp", "127.0.0.1:0")
	httpLn := listen(t, "tcp", "127.0.0.1:0")
	serveListeners(t, s, tcp, httpLn)
	for _, v := range []string{"2025-11-25", ""} {
		want := v
		if want == "" {
			want = "2026-07-28"
		}
		exerciseSession(t, sdkOverTCP(t, tcp.Addr().String(), v), want, v != "")
	}
	sdkHTTPFlow(t, s, "http://"+httpLn.Addr().String()+"/mcp")

	s2 := newTestServer(t, nil, nil)
	unix := listen(t, "unix", filepath.Join(t.TempDir(), "mcp.sock"))
	serveListeners(t, s2, unix, nil)
	c, err := net.Dial("unix", unix.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "unix", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.IOTransport{Reader: c, Writer: c}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	exerciseSession(t, cs, "2025-11-25", true)
}

// A TLS listener cannot be served on the loops: HTTP on it is served
// through net/http, NDJSON on it is refused.
func TestServeListenersTLS(t *testing.T) {
	cert := selfSigned(t)
	s := featureServer(t)
	tlsLn := tls.NewListener(listen(t, "tcp", "127.0.0.1:0"), &tls.Config{Certificates: []tls.Certificate{cert}})
	err := s.ServeListeners(context.Background(), tlsLn, nil)
	if !errors.Is(err, densemcp.ErrNotRawListener) {
		t.Fatalf("NDJSON on a TLS listener: %v, want ErrNotRawListener", err)
	}
	serveListeners(t, s, nil, tlsLn)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, v := range []string{"2025-11-25", ""} {
		client := mcp.NewClient(&mcp.Implementation{Name: "tls", Version: "1"}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: "https://" + tlsLn.Addr().String() + "/mcp", HTTPClient: hc, MaxRetries: -1},
			&mcp.ClientSessionOptions{ProtocolVersion: v})
		if err != nil {
			cancel()
			t.Fatalf("connect over TLS (%q): %v", v, err)
		}
		want := v
		if want == "" {
			want = "2026-07-28"
		}
		exerciseSession(t, cs, want, v != "")
		cs.Close()
		cancel()
	}
}

// selfSigned returns a certificate for 127.0.0.1, with its Leaf parsed.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "densemcp test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// Package embedded runs a NATS server (with JetStream) inside the process:
// for tests and for `densemcp serve --cluster embedded`, a one-binary
// cluster on one machine. Production clusters run nats-server apart.
package embedded

import (
	"errors"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is an embedded NATS server.
type Server struct {
	ns  *server.Server
	dir string // removed at Shutdown when Start made it
}

// Start runs a NATS server with JetStream listening on host:port (port 0:
// any free port), keeping JetStream data in dir ("" : a temporary folder
// removed at Shutdown).
func Start(host string, port int, dir string) (*Server, error) {
	s := &Server{}
	if dir == "" {
		d, err := os.MkdirTemp("", "densemcp-nats-")
		if err != nil {
			return nil, err
		}
		dir, s.dir = d, d
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	ns, err := server.NewServer(&server.Options{
		Host: host, Port: port, JetStream: true, StoreDir: dir,
		NoSigs: true, NoLog: true, ServerName: "densemcp-embedded",
	})
	if err != nil {
		s.cleanup()
		return nil, err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		s.cleanup()
		return nil, errors.New("embedded nats server did not start")
	}
	s.ns = ns
	return s, nil
}

// URL is the server's client URL (nats://host:port).
func (s *Server) URL() string { return s.ns.ClientURL() }

// Shutdown stops the server and removes its temporary data.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	s.cleanup()
}

func (s *Server) cleanup() {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

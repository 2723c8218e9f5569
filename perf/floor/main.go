// Command floor runs densemcp's benchmark floor server (see package floorsrv): canned,
// correct MCP answers over TCP NDJSON and Streamable HTTP, on loopback only.
//
//	go run ./perf/floor --tcp 127.0.0.1:7071 --http 127.0.0.1:7072
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/densemcp/densemcp/perf/floorsrv"
)

func main() {
	tcp := flag.String("tcp", "127.0.0.1:7071", "loopback address for TCP NDJSON (empty: none)")
	http := flag.String("http", "127.0.0.1:7072", "loopback address for Streamable HTTP (empty: none)")
	loops := flag.Int("loops", runtime.GOMAXPROCS(0), "event loops per listener")
	flag.Parse()
	s, err := floorsrv.Start(*tcp, *http, *loops)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "floor: tcp=%s http=%s loops=%d pid=%d\n", s.TCPAddr, s.HTTPAddr, *loops, os.Getpid())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	<-ch
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

//go:build linux

package perf

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// Point is one sample of a run's time series, taken about once a second: what the calls did
// since the last sample and what the server holds now.
type Point struct {
	// T is seconds from the start of the measured span (negative during warmup).
	T             float64 `json:"t"`
	CallsPerSec   float64 `json:"calls_per_sec"`
	RefusedPerSec float64 `json:"refused_per_sec,omitempty"`
	ErrorsPerSec  float64 `json:"errors_per_sec,omitempty"`
	Conns         int     `json:"conns,omitempty"`
	// RSSBytes, FDs and Goroutines are the server's (0: not measured): RSS from /proc
	// (--server-pid), open descriptors from /proc/PID/fd (holds and soaks), goroutines from
	// its metrics or pprof endpoint (--metrics, --pprof).
	RSSBytes   int64 `json:"rss_bytes,omitempty"`
	FDs        int   `json:"fds,omitempty"`
	Goroutines int   `json:"goroutines,omitempty"`
}

// maxProbeBody bounds what a goroutine probe reads from an endpoint.
const maxProbeBody = 4 << 20

// probeTimeout bounds one goroutine probe.
const probeTimeout = 2 * time.Second

// procFDs counts a process's open file descriptors.
func procFDs(pid int) (int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	for {
		names, err := f.Readdirnames(4096)
		n += len(names)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// goroutineProbe reads a server's goroutine count: from a Prometheus text endpoint
// (go_goroutines) when metricsURL is set, else from net/http/pprof on pprofAddr.
type goroutineProbe struct {
	url     string
	metrics bool
	client  *http.Client
}

// newGoroutineProbe returns nil when neither source is given. Both must be on loopback.
func newGoroutineProbe(metricsURL, pprofAddr string) (*goroutineProbe, error) {
	// No keep-alive: a probe's idle connection would count among the server's descriptors.
	p := &goroutineProbe{client: &http.Client{Timeout: probeTimeout, Transport: &http.Transport{DisableKeepAlives: true}}}
	switch {
	case metricsURL != "":
		host, ok := bytes.CutPrefix([]byte(metricsURL), []byte("http://"))
		if !ok {
			return nil, fmt.Errorf("%w: --metrics %q must be http://HOST:PORT/PATH", ErrBadFlag, metricsURL)
		}
		if i := bytes.IndexByte(host, '/'); i >= 0 {
			host = host[:i]
		}
		if _, err := loopbackSockaddr(string(host)); err != nil {
			return nil, fmt.Errorf("--metrics: %w", err)
		}
		p.url, p.metrics = metricsURL, true
	case pprofAddr != "":
		if _, err := loopbackSockaddr(pprofAddr); err != nil {
			return nil, fmt.Errorf("--pprof: %w", err)
		}
		p.url = "http://" + pprofAddr + "/debug/pprof/goroutine?debug=1"
	default:
		return nil, nil
	}
	return p, nil
}

// count reads the goroutine count; false when the endpoint did not give one.
func (p *goroutineProbe) count() (int, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return 0, false
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false
	}
	return parseGoroutines(io.LimitReader(resp.Body, maxProbeBody), p.metrics)
}

var (
	promGoroutines  = []byte("go_goroutines ")
	pprofGoroutines = []byte("goroutine profile: total ")
)

// parseGoroutines finds the count in a Prometheus exposition (metrics) or in the first line
// of a pprof goroutine profile at debug=1.
func parseGoroutines(r io.Reader, metrics bool) (int, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		prefix := pprofGoroutines
		if metrics {
			prefix = promGoroutines
		}
		v, ok := bytes.CutPrefix(line, prefix)
		if !ok {
			if !metrics {
				return 0, false // the count is the profile's first line
			}
			continue
		}
		f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
		if err != nil || f < 0 {
			return 0, false
		}
		return int(f), true
	}
	return 0, false
}

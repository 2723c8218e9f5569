package ops

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Admin endpoint paths.
const (
	PathMetrics       = "/metrics"
	PathHealthz       = "/healthz"
	PathReadyz        = "/readyz"
	PathDashboard     = "/dashboard"
	PathDashboardData = "/dashboard/data"
	PathPprof         = "/debug/pprof/"
)

// adminReadHeaderTimeout bounds a slow client's request head on the side
// listener (it is net/http: each connection is a goroutine).
const adminReadHeaderTimeout = 10 * time.Second

// Handler returns the admin endpoints for src: /metrics (src's collector
// plus the Go runtime and process collectors), /healthz, /readyz,
// /dashboard (and its data), /debug/pprof/.
func Handler(src Source) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(src),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle(PathMetrics, promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc(PathHealthz, func(w http.ResponseWriter, _ *http.Request) {
		// Alive: this process answers HTTP.
		plain(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc(PathReadyz, func(w http.ResponseWriter, _ *http.Request) {
		if err := src.Ready(); err != nil {
			plain(w, http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
			return
		}
		plain(w, http.StatusOK, "ready\n")
	})
	d := newDashboard(src)
	mux.Handle(PathDashboard, d.page())
	mux.Handle(PathDashboard+"/", d.assets())
	mux.Handle(PathDashboardData, d.data())
	mux.HandleFunc(PathPprof, pprof.Index)
	mux.HandleFunc(PathPprof+"cmdline", pprof.Cmdline)
	mux.HandleFunc(PathPprof+"profile", pprof.Profile)
	mux.HandleFunc(PathPprof+"symbol", pprof.Symbol)
	mux.HandleFunc(PathPprof+"trace", pprof.Trace)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		plain(w, http.StatusOK, "densemcp admin: "+PathMetrics+" "+PathHealthz+" "+PathReadyz+" "+PathDashboard+" "+PathPprof+"\n")
	})
	return mux
}

func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// StartAdmin listens on addr and serves Handler(src) until stop is
// called. It is a side listener: never give it an MCP port.
func StartAdmin(addr string, src Source, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return ServeAdmin(ln, src, log), nil
}

// ServeAdmin serves Handler(src) on ln until stop is called.
func ServeAdmin(ln net.Listener, src Source, log *slog.Logger) (stop func()) {
	if log == nil {
		log = slog.Default()
	}
	srv := &http.Server{Handler: Handler(src), ReadHeaderTimeout: adminReadHeaderTimeout}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener stopped", "err", err)
		}
	}()
	log.Info("admin listening", "addr", ln.Addr().String(), "endpoints", "/metrics /healthz /readyz /dashboard /debug/pprof/")
	return func() { _ = srv.Close() }
}

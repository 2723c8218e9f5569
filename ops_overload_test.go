package densemcp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/ops"
	dto "github.com/prometheus/client_model/go"
)

// adminGet answers GET path on an admin handler: status and body.
func adminGet(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The admission counters reach /metrics: a call held on the loop's only
// slot (MaxInFlightPerLoop 1), a second one refused (loop_limit), then a
// drain in which a third is refused (shutdown) while /readyz says 503;
// admitted, completed, in flight and the loop's limit read what happened.
func TestOverloadMetrics(t *testing.T) {
	h := newHold()
	defer h.free()
	s := newTestServer(t, &densemcp.Options{Metrics: true, MaxInFlightPerLoop: 1, Engine: engine.Config{Loops: 1}},
		func(s *densemcp.Server) { h.add(t, s, "hold", false) })
	admin := httptest.NewServer(ops.Handler(s))
	defer admin.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tcpAddr, _, done := serveBoth(t, ctx, s)

	l := dialLines(t, tcpAddr)
	l.initLegacy()
	l.send(callLine("held", "hold") + "\n")
	<-h.started
	expectRefusal(t, decodeAnswer(t, l.roundTrip(callLine("over", "hold"))), "over", "loop_limit")

	c := func(fams map[string]*dto.MetricFamily, want float64, name string, labels ...string) {
		t.Helper()
		if got := counterValue(t, fams, name, labels...); got != want {
			t.Errorf("%s%v = %v, want %v", name, labels, got, want)
		}
	}
	fams := scrape(t, admin.URL+"/metrics")
	c(fams, 1, "densemcp_refusals_total", "reason", "loop_limit")
	c(fams, 0, "densemcp_refusals_total", "reason", "shutdown")
	c(fams, 1, "densemcp_blocking_calls_admitted_total")
	c(fams, 0, "densemcp_blocking_calls_completed_total")
	c(fams, 1, "densemcp_blocking_calls_in_flight")
	c(fams, 1, "densemcp_loop_blocking_calls_in_flight", "loop", "0")
	c(fams, 0, "densemcp_memory_stage")
	c(fams, 0, "densemcp_handler_timeouts_total")
	if counterValue(t, fams, "densemcp_loop_concurrency_limit", "loop", "0") < 1 {
		t.Errorf("loop 0's concurrency limit: %v", counterValue(t, fams, "densemcp_loop_concurrency_limit", "loop", "0"))
	}
	if counterValue(t, fams, "densemcp_memory_budget_bytes") <= 0 {
		t.Error("the default memory budget is not exported")
	}
	for _, name := range []string{"densemcp_refusals_total", "densemcp_blocking_calls_admitted_total", "densemcp_memory_stage",
		"densemcp_memory_heap_live_bytes", "densemcp_loop_min_latency_seconds", "densemcp_stuck_handlers",
		"densemcp_blocking_calls_cut_off_total", "densemcp_memory_stage_changes_total", "densemcp_overload_shed_connections_total"} {
		if f := fams[name]; f == nil || f.GetHelp() == "" {
			t.Errorf("%s: missing or without HELP", name)
		}
	}
	if code, body := adminGet(t, admin.URL, "/dashboard/data"); code != 200 || !strings.Contains(body, `"refusals":1`) || !strings.Contains(body, `"stage":"normal"`) {
		t.Errorf("dashboard data: %d %s", code, body)
	}

	cancel() // Serve drains; the held call keeps the drain going
	waitFor(t, "/readyz to say draining", func() bool {
		code, body := adminGet(t, admin.URL, "/readyz")
		return code == 503 && strings.Contains(body, "draining")
	})
	expectRefusal(t, decodeAnswer(t, l.roundTrip(callLine("late", "hold"))), "late", "shutdown")
	fams = scrape(t, admin.URL+"/metrics")
	c(fams, 1, "densemcp_refusals_total", "reason", "shutdown")
	c(fams, 1, "densemcp_draining")
	c(fams, 0, "densemcp_ready")

	h.free()
	if a := decodeAnswer(t, l.recv()); string(a.ID) != `"held"` {
		t.Fatalf("the held call's answer: %s %+v", a.ID, a.Error)
	}
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the drain did not end")
	}
}

// While the overload manager sheds load for memory (here a budget far
// below the live heap: the stages engage at the first sample), /readyz
// answers 503 and /metrics shows the stage and the heap against the
// budget.
func TestReadyzWhileShedding(t *testing.T) {
	const budget = 1 << 10
	s := newTestServer(t, &densemcp.Options{Metrics: true, Engine: engine.Config{Loops: 1, MemoryBudget: budget}}, nil)
	admin := httptest.NewServer(ops.Handler(s))
	defer admin.Close()
	serveOverload(t, s)
	waitFor(t, "/readyz to say overloaded", func() bool {
		code, body := adminGet(t, admin.URL, "/readyz")
		return code == 503 && strings.Contains(body, densemcp.ErrOverloaded.Error())
	})
	if code, _ := adminGet(t, admin.URL, "/healthz"); code != 200 {
		t.Errorf("healthz while shedding: %d", code)
	}
	fams := scrape(t, admin.URL+"/metrics")
	if got := counterValue(t, fams, "densemcp_memory_stage"); got < float64(engine.StageRefuseConnections) {
		t.Errorf("memory stage %v while /readyz says overloaded", got)
	}
	if got := counterValue(t, fams, "densemcp_memory_budget_bytes"); got != budget {
		t.Errorf("memory budget %v, want %d", got, budget)
	}
	if got := counterValue(t, fams, "densemcp_memory_heap_live_bytes"); got <= budget {
		t.Errorf("live heap %v, want more than the budget", got)
	}
	if got := counterValue(t, fams, "densemcp_memory_stage_changes_total"); got < 1 {
		t.Errorf("stage changes %v", got)
	}
	if counterValue(t, fams, "densemcp_ready") != 0 {
		t.Error("densemcp_ready is 1 while shedding")
	}
}

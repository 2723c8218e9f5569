package ops_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/ops"
)

// screenshotDir is where the dashboard test leaves its screenshots, a CI
// artifact (ignored by git), relative to this package.
const screenshotDir = "../.ci/artifacts"

// findBrowser returns a Chromium to drive: $CHROME_PATH, or Debian's
// chromium on PATH.
func findBrowser() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// load keeps one NDJSON connection busy with tools/call until stop.
func load(t *testing.T, addr string, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	r := bufio.NewReader(c)
	send := func(line string) bool {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte(line + "\n")); err != nil {
			return false
		}
		_, err := r.ReadString('\n')
		return err == nil
	}
	send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"load","version":"1"}}}`)
	c.Write([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"))
	deadline := time.Now().Add(2 * time.Minute) // bounded even if stop never comes
	for i := 1; time.Now().Before(deadline); i++ {
		select {
		case <-stop:
			return
		default:
		}
		name := "echo"
		if i%10 == 0 {
			name = "nope" // an error now and then
		}
		if !send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":{"text":"x"}}}`, i, name)) {
			return
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond) // leave the loop some air on a 2-core machine
		}
	}
}

// The dashboard in a real headless Chromium while load runs: it loads, its
// tiles show calls per second, its charts are redrawn as new data comes,
// the page logs no console error or exception, and it fits a phone's
// width. Screenshots go to .ci/artifacts.
func TestDashboardInBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no Chromium found (set CHROME_PATH, or apt-get install chromium): the dashboard browser test is skipped")
	}
	s := densemcp.NewServer(densemcp.Implementation{Name: "dash", Version: "1"}, &densemcp.Options{Metrics: true})
	if err := densemcp.AddTool(s, &densemcp.Tool{Name: "echo", Inline: true}, func(_ context.Context, req *densemcp.Request, in struct {
		Text string `json:"text"`
	}) (struct{}, error) {
		req.Result.AddText(in.Text)
		return struct{}{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServeTCP(ctx, addr) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); s.Ready() != nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("server never ready")
		}
	}
	admin := httptest.NewServer(ops.Handler(s))
	defer admin.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go load(t, addr, stop, &wg)
	go load(t, addr, stop, &wg)
	defer func() { close(stop); wg.Wait() }()

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTimeout()

	// The browser starts with the first action; the console is read from
	// then on, in the background, until the context ends.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	var mu sync.Mutex
	var problems []string
	consoleDone := make(chan struct{})
	messages := chromedp.Console(bctx)
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()

	evalInt := func(expr string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return n
	}
	evalString := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	// waitPolls waits until the page has drawn n polls of /dashboard/data.
	waitPolls := func(n int) int {
		t.Helper()
		for {
			got := evalInt(`Number(document.body.dataset.polls || 0)`)
			if got >= n {
				return got
			}
			select {
			case <-bctx.Done():
				t.Fatalf("waiting for %d polls, saw %d: %v", n, got, bctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(admin.URL+ops.PathDashboard), chromedp.WaitVisible(chromedp.ID("c-rate"))); err != nil {
		t.Fatalf("loading the dashboard: %v", err)
	}
	polls := waitPolls(3)
	pointsBefore := evalInt(`Number(document.getElementById("c-rate").dataset.points)`)
	imgBefore := evalString(`document.getElementById("c-rate").toDataURL()`)
	polls = waitPolls(polls + 2)
	pointsAfter := evalInt(`Number(document.getElementById("c-rate").dataset.points)`)
	imgAfter := evalString(`document.getElementById("c-rate").toDataURL()`)
	rate, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("t-rate")))
	if err != nil {
		t.Fatal(err)
	}
	if pointsAfter <= pointsBefore {
		t.Errorf("the calls/s chart did not gain points: %d then %d", pointsBefore, pointsAfter)
	}
	if imgBefore == imgAfter {
		t.Error("the calls/s chart was not redrawn while load ran")
	}
	if rate == "–" || rate == "0" || rate == "" {
		t.Errorf("calls/s tile shows %q under load", rate)
	}
	// The overload tiles: the memory stage (or "off") and the calls in
	// flight against the loops' limit.
	if mem, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("t-memory"))); err != nil || !(mem == "off" || strings.HasPrefix(mem, "normal · ")) {
		t.Errorf("memory tile %q (%v), want off or the normal stage", mem, err)
	}
	if inflight, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("t-inflight"))); err != nil || !strings.Contains(inflight, " / ") || strings.Contains(inflight, "–") {
		t.Errorf("in-flight tile %q (%v)", inflight, err)
	}
	if status, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("status"))); err != nil || status != "ready" {
		t.Errorf("status badge %q (%v), want ready", status, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, "dashboard.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	// A phone: nothing wider than the screen.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	waitPolls(polls + 1)
	if evalInt(`document.documentElement.scrollWidth - window.innerWidth`) > 1 {
		t.Error("the dashboard is wider than a 390 px phone screen")
	}
	if shot, err = chromedp.Run(bctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, "dashboard-phone.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	cancelBrowser()
	<-consoleDone
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the page logged problems:\n%s", strings.Join(problems, "\n"))
	}
}

package densemcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// taskTools registers the tools the task tests drive: "work" (a task that
// waits for the test's gate or its cancellation), "fails" (a tool error),
// "panics" (a protocol error), "ask" (asks the user, then answers), "must"
// (task only) and "plain" (never a task).
type taskTools struct {
	gate chan struct{}
	once sync.Once
}

func (tt *taskTools) release() { tt.once.Do(func() { close(tt.gate) }) }

func taskServer(t *testing.T, opts *densemcp.Options) (*densemcp.Server, *taskTools) {
	tt := &taskTools{gate: make(chan struct{})}
	t.Cleanup(tt.release)
	optional := &densemcp.ToolExecution{TaskSupport: densemcp.TaskOptional}
	s := newTestServer(t, opts, func(s *densemcp.Server) {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.AddRawTool(&densemcp.Tool{Name: "work", Execution: optional}, func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			select {
			case <-tt.gate:
			case <-req.Context().Done():
				return req.Context().Err()
			}
			req.Result.AddText("work done in task " + req.TaskID())
			return nil
		}))
		must(s.AddRawTool(&densemcp.Tool{Name: "fails", Execution: optional}, func(context.Context, *densemcp.Request, json.RawMessage) error {
			return errors.New("it did not work")
		}))
		must(s.AddRawTool(&densemcp.Tool{Name: "panics", Execution: optional}, func(context.Context, *densemcp.Request, json.RawMessage) error {
			panic("boom")
		}))
		must(s.AddRawTool(&densemcp.Tool{Name: "ask", Execution: optional}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			res, err := req.ElicitAs("confirm", &densemcp.ElicitParams{Message: "Sure?",
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"ok": map[string]any{"type": "boolean"}}}})
			if err != nil {
				return err
			}
			req.Result.AddText(fmt.Sprintf("answer %s %v", res.Action, res.Content["ok"]))
			return nil
		}))
		must(s.AddRawTool(&densemcp.Tool{Name: "must", Execution: &densemcp.ToolExecution{TaskSupport: densemcp.TaskRequired}},
			func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
				req.Result.AddText("ran")
				return nil
			}))
		must(s.AddRawTool(&densemcp.Tool{Name: "plain", Inline: true}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			req.Result.AddText("plain")
			return nil
		}))
	})
	return s, tt
}

// modernClient posts stateless 2026-07-28 requests; a fresh connection
// each time, so requests for one task land on different loops.
type modernClient struct {
	t    *testing.T
	url  string
	caps string
	hc   *http.Client
	next int
}

func newModernClient(t *testing.T, url, caps string) *modernClient {
	return &modernClient{t: t, url: url, caps: caps, hc: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true}}}
}

type taskAnswer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

// call posts method with params (an object's members, without braces) and
// returns the HTTP status and the decoded answer.
func (c *modernClient) call(method, name, params string) (int, taskAnswer) {
	c.t.Helper()
	c.next++
	meta := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":` + c.caps + `}`
	if params != "" {
		params += ","
	}
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":{%s%s}}`, c.next, method, params, meta)
	req, _ := http.NewRequest("POST", c.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", method)
	if name != "" {
		req.Header.Set("Mcp-Name", name)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a taskAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		c.t.Fatalf("%s: %d %q: %v", method, resp.StatusCode, raw, err)
	}
	return resp.StatusCode, a
}

// taskState is what the tests read of a task answer.
type taskState struct {
	ResultType     string                     `json:"resultType"`
	TaskID         string                     `json:"taskId"`
	Status         string                     `json:"status"`
	CreatedAt      string                     `json:"createdAt"`
	TTLMs          *int                       `json:"ttlMs"`
	PollIntervalMs *int                       `json:"pollIntervalMs"`
	InputRequests  map[string]json.RawMessage `json:"inputRequests"`
	Result         *struct {
		Content []struct{ Text string } `json:"content"`
		IsError bool                    `json:"isError"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Task *taskState `json:"task"` // legacy CreateTaskResult
	TTL  *int       `json:"ttl"`  // legacy names
}

func (c *modernClient) task(method, id, extra string) (int, taskState, taskAnswer) {
	c.t.Helper()
	params := `"taskId":"` + id + `"`
	if extra != "" {
		params += "," + extra
	}
	status, a := c.call(method, id, params)
	var st taskState
	if a.Result != nil {
		if err := json.Unmarshal(a.Result, &st); err != nil {
			c.t.Fatalf("%s: %s: %v", method, a.Result, err)
		}
	}
	return status, st, a
}

func (c *modernClient) start(tool string) taskState {
	c.t.Helper()
	_, a := c.call("tools/call", tool, `"name":"`+tool+`","arguments":{}`)
	var st taskState
	if a.Error != nil || json.Unmarshal(a.Result, &st) != nil || st.ResultType != "task" || st.TaskID == "" || st.Status != "working" ||
		st.CreatedAt == "" || st.TTLMs == nil || st.PollIntervalMs == nil {
		c.t.Fatalf("tools/call %s: want a CreateTaskResult, got %s %+v", tool, a.Result, a.Error)
	}
	return st
}

// waitStatus polls tasks/get until the task reaches status.
func (c *modernClient) waitStatus(id, status string) taskState {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, st, a := c.task("tasks/get", id, "")
		if a.Error != nil {
			c.t.Fatalf("tasks/get %s: %+v", id, a.Error)
		}
		if st.Status == status {
			return st
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("task %s stayed %q, want %q", id, st.Status, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const tasksCaps = `{"elicitation":{},"extensions":{"io.modelcontextprotocol/tasks":{}}}`

// The tasks extension over modern Streamable HTTP, four loops: started,
// polled, completed, failed, cancelled, input required and answered,
// expired; every request on its own connection, so the task is reached
// from loops other than its owner's.
func TestTasksModern(t *testing.T) {
	s, tt := taskServer(t, &densemcp.Options{TaskTTL: 2 * time.Second, Engine: engine.Config{Loops: 4}})
	c := newModernClient(t, serveHTTP(t, s), tasksCaps)

	// Started and polled while working, then completed with the result inlined.
	w := c.start("work")
	for i := 0; i < 8; i++ {
		if got := c.waitStatus(w.TaskID, "working"); got.Result != nil || got.ResultType != "complete" {
			t.Fatalf("working task: %+v", got)
		}
	}
	tt.release()
	done := c.waitStatus(w.TaskID, "completed")
	if done.Result == nil || len(done.Result.Content) != 1 || done.Result.Content[0].Text != "work done in task "+w.TaskID {
		t.Fatalf("completed task: %+v", done.Result)
	}

	// A tool error completes (isError); a panic fails with the JSON-RPC error.
	if st := c.waitStatus(c.start("fails").TaskID, "completed"); st.Result == nil || !st.Result.IsError {
		t.Fatalf("tool error: %+v", st)
	}
	if st := c.waitStatus(c.start("panics").TaskID, "failed"); st.Error == nil || st.Error.Code != -32603 || st.Result != nil {
		t.Fatalf("protocol error: %+v", st)
	}

	// Input required: tasks/get shows the request; tasks/update answers it.
	a := c.start("ask")
	got := c.waitStatus(a.TaskID, "input_required")
	if _, ok := got.InputRequests["confirm"]; !ok || !strings.Contains(string(got.InputRequests["confirm"]), `"elicitation/create"`) {
		t.Fatalf("input_required: %+v", got.InputRequests)
	}
	_, ack, ans := c.task("tasks/update", a.TaskID, `"inputResponses":{"nope":{"action":"accept"},"confirm":{"action":"accept","content":{"ok":true}}}`)
	if ans.Error != nil || ack.ResultType != "complete" || ack.TaskID != "" {
		t.Fatalf("tasks/update ack: %s %+v", ans.Result, ans.Error)
	}
	if st := c.waitStatus(a.TaskID, "completed"); st.Result.Content[0].Text != "answer accept true" {
		t.Fatalf("answered task: %+v", st.Result)
	}

	// Cancelled while running: the ack is empty, the status settles at once,
	// and cancelling again is the same ack.
	tt2, _ := taskServer(t, nil)
	c2 := newModernClient(t, serveHTTP(t, tt2), tasksCaps)
	x := c2.start("work")
	for i := 0; i < 2; i++ {
		if _, ack, ans := c2.task("tasks/cancel", x.TaskID, ""); ans.Error != nil || ack.ResultType != "complete" || ack.Status != "" {
			t.Fatalf("tasks/cancel: %s %+v", ans.Result, ans.Error)
		}
	}
	if st := c2.waitStatus(x.TaskID, "cancelled"); st.Result != nil {
		t.Fatalf("cancelled task has a result: %+v", st)
	}

	// Expired: after its TTL a task is gone (-32602), result and all.
	time.Sleep(2500 * time.Millisecond)
	if _, _, ans := c.task("tasks/get", w.TaskID, ""); ans.Error == nil || ans.Error.Code != -32602 {
		t.Fatalf("expired task: %+v", ans)
	}

	// Unknown ids, and a client that did not declare the extension.
	for _, id := range []string{"nope", "0000" + strings.Repeat("ab", 16), "ffff" + strings.Repeat("ab", 16)} {
		if _, _, ans := c.task("tasks/get", id, ""); ans.Error == nil || ans.Error.Code != -32602 {
			t.Fatalf("tasks/get %s: %+v", id, ans)
		}
	}
	plain := newModernClient(t, c.url, `{}`)
	if status, _, ans := plain.task("tasks/get", w.TaskID, ""); status != 400 || ans.Error == nil || ans.Error.Code != -32021 {
		t.Fatalf("undeclared tasks/get: %d %+v", status, ans)
	}
	if _, a := plain.call("tools/call", "work", `"name":"plain","arguments":{}`); a.Error == nil || a.Error.Code != -32020 {
		t.Fatalf("Mcp-Name mismatch: %+v", a)
	}
	if _, a := plain.call("tools/call", "must", `"name":"must","arguments":{}`); a.Error == nil || a.Error.Code != -32021 ||
		!strings.Contains(string(a.Error.Data), densemcp.ExtTasks) {
		t.Fatalf("required task tool without the extension: %+v", a)
	}
	// An optional task tool runs synchronously for such a client.
	if _, a := plain.call("tools/call", "fails", `"name":"fails","arguments":{}`); a.Error != nil || !strings.Contains(string(a.Result), `"isError":true`) ||
		strings.Contains(string(a.Result), "taskId") {
		t.Fatalf("optional task tool without the extension: %s %+v", a.Result, a.Error)
	}
	if _, a := c.call("tasks/result", w.TaskID, `"taskId":"`+w.TaskID+`"`); a.Error == nil || a.Error.Code != -32601 {
		t.Fatalf("tasks/result in the modern era: %+v", a)
	}
}

// The official Go SDK client (v1.8.0 has no task API): it neither declares
// the extension nor sends the legacy task param, so task-capable tools
// answer it synchronously in both eras, and a task-only tool is refused.
func TestTasksWithSDKClient(t *testing.T) {
	s, tt := taskServer(t, nil)
	tt.release()
	url := serveHTTP(t, s)
	for _, pv := range []string{"2025-11-25", ""} {
		cs := sdkOverHTTP(t, url, pv, nil, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "work", Arguments: map[string]any{}})
		if err != nil || res.IsError || !strings.HasPrefix(res.Content[0].(*mcp.TextContent).Text, "work done in task ") {
			t.Fatalf("%q: sync call of an optional task tool: %v %+v", pv, err, res)
		}
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "must", Arguments: map[string]any{}}); err == nil {
			t.Fatalf("%q: a task-only tool answered a client without tasks", pv)
		}
		cancel()
	}
}

// legacyTaskConn is a 2025-11-25 session over TCP NDJSON that keeps the
// notifications it sees while waiting for answers.
type legacyTaskConn struct {
	*lineConn
	notes []string
	reqs  []string // server→client requests
	next  int
}

func dialLegacyTasks(t *testing.T, addr string) *legacyTaskConn {
	l := &legacyTaskConn{lineConn: dialLines(t, addr)}
	got := l.roundTrip(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"raw","version":"1"}}}`)
	if !strings.Contains(got, `"tasks":{"list":{},"cancel":{},"requests":{"tools":{"call":{}}}}`) {
		t.Fatalf("initialize: no tasks capability: %s", got)
	}
	l.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	return l
}

// request sends method(params) and returns the answer, keeping what else
// arrives meanwhile.
func (l *legacyTaskConn) request(method, params string) taskAnswer {
	l.t.Helper()
	l.next++
	id := fmt.Sprintf(`"r%d"`, l.next)
	l.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%q,"params":{%s}}`+"\n", id, method, params))
	return l.await(id)
}

func (l *legacyTaskConn) await(id string) taskAnswer {
	l.t.Helper()
	for {
		line := l.recv()
		if strings.Contains(line, `"id":`+id+`,`) && !strings.Contains(line, `"method"`) {
			var a taskAnswer
			if err := json.Unmarshal([]byte(line), &a); err != nil {
				l.t.Fatalf("%s: %v", line, err)
			}
			return a
		}
		if strings.Contains(line, `"id":`) {
			l.reqs = append(l.reqs, line)
		} else {
			l.notes = append(l.notes, line)
		}
	}
}

func (l *legacyTaskConn) get(id string) taskState {
	l.t.Helper()
	a := l.request("tasks/get", `"taskId":"`+id+`"`)
	var st taskState
	if a.Error != nil || json.Unmarshal(a.Result, &st) != nil {
		l.t.Fatalf("tasks/get: %s %+v", a.Result, a.Error)
	}
	return st
}

func (l *legacyTaskConn) start(tool string) string {
	l.t.Helper()
	a := l.request("tools/call", `"name":"`+tool+`","arguments":{},"task":{"ttl":60000}`)
	var st taskState
	if a.Error != nil || json.Unmarshal(a.Result, &st) != nil || st.Task == nil || st.Task.Status != "working" || st.Task.TTL == nil {
		l.t.Fatalf("task-augmented tools/call %s: %s %+v", tool, a.Result, a.Error)
	}
	return st.Task.TaskID
}

// The 2025-11-25 tasks on a legacy session over TCP: started, polled,
// tasks/result blocking until the end, status notifications, tasks/list,
// cancellation (twice: the second is refused), a task that asks for input
// through tasks/result, and expiry.
func TestTasksLegacy(t *testing.T) {
	s, tt := taskServer(t, &densemcp.Options{TaskTTL: 2 * time.Second, PageSize: 1})
	l := dialLegacyTasks(t, serveTCP(t, s))

	id := l.start("work")
	if st := l.get(id); st.Status != "working" || st.TTL == nil || st.TTLMs != nil || st.Result != nil {
		t.Fatalf("legacy tasks/get: %+v", st)
	}
	// tasks/result blocks until the task ends.
	l.next++
	l.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":"res","method":"tasks/result","params":{"taskId":%q}}`+"\n", id))
	if st := l.get(id); st.Status != "working" {
		t.Fatalf("still working: %+v", st)
	}
	tt.release()
	res := l.await(`"res"`)
	if res.Error != nil || !strings.Contains(string(res.Result), `"text":"work done in task `+id+`"`) ||
		!strings.Contains(string(res.Result), `"io.modelcontextprotocol/related-task":{"taskId":"`+id+`"}`) {
		t.Fatalf("tasks/result: %s %+v", res.Result, res.Error)
	}
	if !strings.Contains(strings.Join(l.notes, "\n"), `"method":"notifications/tasks/status","params":{"taskId":"`+id+`","status":"completed"`) {
		t.Fatalf("no completed status notification among %q", l.notes)
	}

	// A failed task's tasks/result is the JSON-RPC error itself.
	fid := l.start("panics")
	if a := l.request("tasks/result", `"taskId":"`+fid+`"`); a.Error == nil || a.Error.Code != -32603 {
		t.Fatalf("failed task result: %s %+v", a.Result, a.Error)
	}

	// Cancel a running task; a finished one cannot be cancelled.
	tt2, _ := taskServer(t, nil)
	l2 := dialLegacyTasks(t, serveTCP(t, tt2))
	cid := l2.start("work")
	a := l2.request("tasks/cancel", `"taskId":"`+cid+`"`)
	var st taskState
	if a.Error != nil || json.Unmarshal(a.Result, &st) != nil || st.Status != "cancelled" {
		t.Fatalf("tasks/cancel: %s %+v", a.Result, a.Error)
	}
	if a := l2.request("tasks/cancel", `"taskId":"`+cid+`"`); a.Error == nil || a.Error.Code != -32602 {
		t.Fatalf("second cancel: %+v", a)
	}

	// A task asks for input: input_required, the question arrives on the
	// tasks/result stream tagged with the task, the answer resumes it.
	aid := l2.start("ask")
	deadline := time.Now().Add(10 * time.Second)
	for l2.get(aid).Status != "input_required" {
		if time.Now().After(deadline) {
			t.Fatal("the asking task never reached input_required")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l2.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":"wait","method":"tasks/result","params":{"taskId":%q}}`+"\n", aid))
	var question struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			Meta map[string]struct {
				TaskID string `json:"taskId"`
			} `json:"_meta"`
		} `json:"params"`
	}
	for question.Method == "" {
		line := l2.recv()
		if strings.Contains(line, `"method":"elicitation/create"`) {
			if err := json.Unmarshal([]byte(line), &question); err != nil {
				t.Fatal(err)
			}
		}
	}
	if question.Params.Meta["io.modelcontextprotocol/related-task"].TaskID != aid {
		t.Fatalf("question not tagged with its task: %+v", question)
	}
	l2.send(`{"jsonrpc":"2.0","id":` + string(question.ID) + `,"result":{"action":"accept","content":{"ok":true}}}` + "\n")
	if a := l2.await(`"wait"`); a.Error != nil || !strings.Contains(string(a.Result), "answer accept true") {
		t.Fatalf("answered task result: %s %+v", a.Result, a.Error)
	}

	// tasks/list pages through the session's own tasks.
	var seen []string
	cursor := ""
	for {
		a := l.request("tasks/list", cursor)
		var page struct {
			Tasks      []taskState `json:"tasks"`
			NextCursor string      `json:"nextCursor"`
		}
		if a.Error != nil || json.Unmarshal(a.Result, &page) != nil || len(page.Tasks) > 1 {
			t.Fatalf("tasks/list: %s %+v", a.Result, a.Error)
		}
		for _, x := range page.Tasks {
			seen = append(seen, x.TaskID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = `"cursor":"` + page.NextCursor + `"`
	}
	if len(seen) != 2 || seen[0] != id || seen[1] != fid {
		t.Fatalf("tasks/list: %v, want [%s %s]", seen, id, fid)
	}

	// Expired after the TTL.
	time.Sleep(2500 * time.Millisecond)
	if a := l.request("tasks/get", `"taskId":"`+id+`"`); a.Error == nil || a.Error.Code != -32602 {
		t.Fatalf("expired legacy task: %+v", a)
	}
	// Task params on a tool without task support, and none on a task-only tool: -32601.
	if a := l.request("tools/call", `"name":"plain","arguments":{},"task":{}`); a.Error == nil || a.Error.Code != -32601 {
		t.Fatalf("task param on a plain tool: %+v", a)
	}
	if a := l.request("tools/call", `"name":"must","arguments":{}`); a.Error == nil || a.Error.Code != -32601 {
		t.Fatalf("task-only tool without task param: %+v", a)
	}
}

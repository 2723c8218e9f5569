package densemcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
)

// clusterTaskTools adds a tool that runs as a task until gate closes.
func clusterTaskTools(t *testing.T, gate chan struct{}) func(s *densemcp.Server) {
	return func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "work", Execution: &densemcp.ToolExecution{TaskSupport: densemcp.TaskOptional}},
			func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
				select {
				case <-gate:
				case <-req.Context().Done():
					return req.Context().Err()
				}
				req.Result.AddText("work done in task " + req.TaskID())
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A task runs on the node that created it, and its id names that node: a
// modern tasks/get, tasks/update or tasks/cancel reaching another node is
// forwarded there, and answered as if the client had asked the owner. A
// legacy session's tasks/result follows its session. When the owner is
// gone, a request for its task gets "task not found", never a hang.
func TestClusterTasksFollowTheirNode(t *testing.T) {
	natsURL := startNATS(t)
	gate := make(chan struct{})
	var closed bool
	defer func() {
		if !closed {
			close(gate)
		}
	}()
	a := startClusterNodeWith(t, natsURL, "tasks", "a", nil, clusterTaskTools(t, gate))
	b := startClusterNodeWith(t, natsURL, "tasks", "b", nil, clusterTaskTools(t, gate))
	ca := newModernClient(t, a.url, tasksCaps)
	cb := newModernClient(t, b.url, tasksCaps)

	w := ca.start("work")
	if !strings.HasPrefix(w.TaskID, "a.") {
		t.Fatalf("task id %q does not name node a", w.TaskID)
	}
	if _, st, an := cb.task("tasks/get", w.TaskID, ""); an.Error != nil || st.TaskID != w.TaskID || st.Status != "working" {
		t.Fatalf("tasks/get of a's task through b: %s %+v", an.Result, an.Error)
	}
	if st, _ := b.s.ClusterStats(); st.Forwarded == 0 {
		t.Fatalf("node b answered a's task without forwarding: %+v", st)
	}
	if st, _ := a.s.ClusterStats(); st.Served == 0 {
		t.Fatalf("node a served no forwarded request: %+v", st)
	}
	// Cancelled through b, seen cancelled on a.
	c := ca.start("work")
	if _, _, an := cb.task("tasks/cancel", c.TaskID, ""); an.Error != nil {
		t.Fatalf("tasks/cancel through b: %+v", an.Error)
	}
	if _, st, an := ca.task("tasks/get", c.TaskID, ""); an.Error != nil || st.Status != "cancelled" {
		t.Fatalf("a's task after tasks/cancel through b: %s %+v", an.Result, an.Error)
	}
	// A task of b's, polled through a, and a's finished one through b.
	wb := cb.start("work")
	if !strings.HasPrefix(wb.TaskID, "b.") {
		t.Fatalf("task id %q does not name node b", wb.TaskID)
	}
	close(gate)
	closed = true
	done := cb.waitStatus(w.TaskID, "completed")
	if done.Result == nil || len(done.Result.Content) == 0 || done.Result.Content[0].Text != "work done in task "+w.TaskID {
		t.Fatalf("a's task completed, read through b: %+v", done)
	}
	ca.waitStatus(wb.TaskID, "completed")
	// An id naming a node that is not there: not found, from either node.
	ghost := "z." + strings.Repeat("0", 36)
	if _, _, an := cb.task("tasks/get", ghost, ""); an.Error == nil || an.Error.Code != -32602 {
		t.Fatalf("tasks/get of a task on no node: %+v", an)
	}

	// Legacy: the task lives with the session; tasks/result through b.
	lc := newLegacyClient(t)
	lc.open(a.url)
	status, body := lc.post(b.url, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"work","arguments":{},"task":{"ttl":60000}}}`)
	var created struct {
		Result struct {
			Task struct {
				TaskID string `json:"taskId"`
			} `json:"task"`
		} `json:"result"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &created) != nil || !strings.HasPrefix(created.Result.Task.TaskID, "a.") {
		t.Fatalf("legacy task through b: %d %s", status, body)
	}
	status, body = lc.post(b.url, fmt.Sprintf(`{"jsonrpc":"2.0","id":3,"method":"tasks/result","params":{"taskId":%q}}`, created.Result.Task.TaskID))
	if status != 200 || !strings.Contains(body, "work done in task "+created.Result.Task.TaskID) {
		t.Fatalf("legacy tasks/result through b: %d %s", status, body)
	}

	// Node a stops: its tasks are gone, and b says so.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, an := cb.task("tasks/get", w.TaskID, "")
	if an.Error == nil || an.Error.Code != -32602 || !strings.Contains(an.Error.Message, "Task not found") {
		t.Fatalf("tasks/get of a task whose node stopped: %+v", an)
	}
}

package densemcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/densemcp/densemcp"
)

// Keys of the server's own (Options.StateKeys, what --state-key-file
// loads) are the cluster's: a requestState minted by node a opens on node
// b, and on a server outside the cluster given the same keys — which a
// key the cluster made up for itself would not.
func TestClusterUsesTheServersStateKeys(t *testing.T) {
	natsURL := startNATS(t)
	key := bytes.Repeat([]byte("s"), 32)
	setup := func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "confirm", Inline: true}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			a, err := req.ElicitAs("ok", &densemcp.ElicitParams{Message: "sure?"})
			if err != nil {
				return err
			}
			req.Result.AddText("answer " + a.Action)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	a := startClusterNodeWith(t, natsURL, "keys", "a", &densemcp.Options{StateKeys: [][]byte{key}}, setup)
	b := startClusterNodeWith(t, natsURL, "keys", "b", &densemcp.Options{StateKeys: [][]byte{key}}, setup)
	alone := newTestServer(t, &densemcp.Options{StateKeys: [][]byte{key}}, setup)
	aloneURL := serveHTTP(t, alone)
	other := newTestServer(t, &densemcp.Options{StateKeys: [][]byte{bytes.Repeat([]byte("o"), 32)}}, setup)
	otherURL := serveHTTP(t, other)

	const caps = `{"elicitation":{}}`
	_, first := newModernClient(t, a.url, caps).call("tools/call", "confirm", `"name":"confirm","arguments":{}`)
	var r1 struct {
		ResultType   string `json:"resultType"`
		RequestState string `json:"requestState"`
	}
	if first.Error != nil || json.Unmarshal(first.Result, &r1) != nil || r1.ResultType != "input_required" || r1.RequestState == "" {
		t.Fatalf("round 1 on node a: %s %+v", first.Result, first.Error)
	}
	round2 := `"name":"confirm","arguments":{},"inputResponses":{"ok":{"action":"accept"}},"requestState":"` + r1.RequestState + `"`
	for _, to := range []struct{ name, url string }{{"node b", b.url}, {"a server outside the cluster with the same keys", aloneURL}} {
		_, got := newModernClient(t, to.url, caps).call("tools/call", "confirm", round2)
		if got.Error != nil || !strings.Contains(string(got.Result), "answer accept") {
			t.Fatalf("%s did not open node a's requestState: %s %+v", to.name, got.Result, got.Error)
		}
	}
	// The check can fail: other keys do not open it.
	if _, got := newModernClient(t, otherURL, caps).call("tools/call", "confirm", round2); strings.Contains(string(got.Result), "answer accept") {
		t.Fatalf("a server with other keys opened node a's requestState: %s", got.Result)
	}
}

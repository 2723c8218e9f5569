package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/router"
)

// chunkReader hands its data over in reads of the sizes in turn (cycling),
// so lines are cut at every kind of place: within a line, at its '\r', at
// its '\n', across several reads.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), c.sizes[c.i%len(c.sizes)])
	c.i++
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// stdioSizeRouter has tool "size", which answers the byte length of its
// arguments.
func stdioSizeRouter(t *testing.T) *router.Router {
	r := router.New(router.Implementation{Name: "stdio-lines", Version: "1"}, router.Options{})
	err := r.AddTool(router.Tool{Name: "size", Inline: true}, func(req *router.Request, args []byte) error {
		req.Result.AddText(strconv.Itoa(len(args)))
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sizeCall is a tools/call of "size" whose arguments are n bytes long.
func sizeCall(id, n int) string {
	args := `{"text":"` + strings.Repeat("x", n-len(`{"text":""}`)) + `"}`
	return `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"size","arguments":` + args + `}}`
}

// answers maps each answer's id to its first text content (or error message).
func stdioAnswers(t *testing.T, out []byte) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var a struct {
			ID     json.RawMessage `json:"id"`
			Result struct {
				Content []struct{ Text string } `json:"content"`
			} `json:"result"`
			Error *struct{ Message string } `json:"error"`
		}
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatalf("answer %q: %v", line, err)
		}
		switch {
		case a.Error != nil:
			got[string(a.ID)] = "error: " + a.Error.Message
		case len(a.Result.Content) > 0:
			got[string(a.ID)] = a.Result.Content[0].Text
		default:
			got[string(a.ID)] = ""
		}
	}
	return got
}

const stdioInit = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n" +
	`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"

// Lines of every size, cut by reads of every size, "\n" and "\r\n" ends and
// blank lines between: each is answered once, whole.
func TestStdioLinesAcrossReads(t *testing.T) {
	lens := []int{20, 100, 70 << 10, 300 << 10, 30, 64 << 10, 1 << 20, 40}
	var in strings.Builder
	in.WriteString(stdioInit)
	for i, n := range lens {
		in.WriteString(sizeCall(i+1, n))
		if i%2 == 1 {
			in.WriteString("\r")
		}
		in.WriteString("\n")
		if i%3 == 2 {
			in.WriteString("\n")
		}
	}
	for _, sizes := range [][]int{{1 << 20}, {64 << 10}, {1, 7, 4093, 65536, 100}, {13}, {150}} {
		var out bytes.Buffer
		st := NewStdio(stdioSizeRouter(t), Config{})
		if err := st.Serve(context.Background(), &chunkReader{data: []byte(in.String()), sizes: sizes}, &out); err != nil {
			t.Fatalf("reads of %v: %v", sizes, err)
		}
		got := stdioAnswers(t, out.Bytes())
		if len(got) != len(lens)+1 {
			t.Errorf("reads of %v: %d answers, want %d", sizes, len(got), len(lens)+1)
		}
		for i, n := range lens {
			if g := got[strconv.Itoa(i+1)]; g != strconv.Itoa(n) {
				t.Errorf("reads of %v: call %d (%d bytes) answered %q", sizes, i+1, n, g)
			}
		}
	}
}

// A line of exactly MaxLineBytes is served (with "\r\n" too); one byte more
// is a parse error and the end of the session, however the reads cut it.
func TestStdioLineLimitAcrossReads(t *testing.T) {
	const max = 1000
	for _, sizes := range [][]int{{1 << 20}, {999}, {1000}, {1001}, {1, 7, 13}} {
		exact := sizeCall(1, 1000-len(sizeCall(1, 100))+100)
		if len(exact) != max {
			t.Fatalf("the exact line is %d bytes", len(exact))
		}
		over := sizeCall(3, 1001-len(sizeCall(3, 100))+100)
		in := stdioInit + exact + "\n" + sizeCall(2, 50) + "\r\n" + strings.Replace(exact, `"id":1`, `"id":4`, 1) + "\r\n" + over + "\n" + sizeCall(5, 50) + "\n"
		var out bytes.Buffer
		st := NewStdio(stdioSizeRouter(t), Config{MaxLineBytes: max})
		err := st.Serve(context.Background(), &chunkReader{data: []byte(in), sizes: sizes}, &out)
		if !errors.Is(err, ErrLineTooLong) {
			t.Fatalf("reads of %v: Serve returned %v, want ErrLineTooLong", sizes, err)
		}
		got := stdioAnswers(t, out.Bytes())
		for id, want := range map[string]string{"1": strconv.Itoa(len(exact) - len(sizeCall(1, 11)) + 11), "2": "50", "4": strconv.Itoa(len(exact) - len(sizeCall(1, 11)) + 11), "null": "error: message exceeds the maximum size"} {
			if got[id] != want {
				t.Errorf("reads of %v: id %s answered %q, want %q (all: %v)", sizes, id, got[id], want, got)
			}
		}
		if _, ok := got["5"]; ok {
			t.Errorf("reads of %v: a call after the over-long line was served", sizes)
		}
	}
}

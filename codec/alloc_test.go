//go:build !race

package codec

import "testing"

// The race detector instruments allocations, so these run without it.

func TestHotPathAllocatesNothing(t *testing.T) {
	stream := []byte(toolsCall + "\r\n" + `{"jsonrpc":"2.0","id":"\u0031","method":"t\u006fols/call","params":{"name":"a"}}` + "\n")
	var d Decoder
	var m Message
	name := make([]byte, 0, 64)
	dst := make([]byte, 0, 1024)
	run := func() {
		buf := stream
		for len(buf) > 0 {
			line, n, err := NextLine(buf, DefaultMaxLineBytes)
			if err != nil || n == 0 {
				t.Fatalf("NextLine: %d, %v", n, err)
			}
			buf = buf[n:]
			if err := d.Decode(line, &m); err != nil {
				t.Fatal(err)
			}
			raw, ok := ObjectField(m.Params, "name")
			if !ok {
				t.Fatal("no name")
			}
			if name, err = Unquote(name[:0], raw); err != nil {
				t.Fatal(err)
			}
			if _, ok := ObjectField(m.Params, "\u005fmeta"); ok != (len(line) == len(toolsCall)) {
				t.Fatal("_meta lookup")
			}
			dst = AppendResponse(dst[:0], m.ID, []byte(`{"content":[]}`))
		}
	}
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Fatalf("NextLine+Decode+ObjectField+Unquote+AppendResponse: %v allocs per run, want 0", n)
	}
}

func TestHelpersAllocateNothing(t *testing.T) {
	params := []byte(`{"arguments":{"a":1,"b":[1,2,3]},"t\u0061sk":{"ttl":1}}`)
	dst := make([]byte, 0, 1024)
	count := 0
	f := func(name string, fn func()) {
		t.Helper()
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Fatalf("%s: %v allocs per run, want 0", name, n)
		}
	}
	f("Valid", func() {
		if Valid(params) != nil {
			t.Fatal("invalid")
		}
	})
	f("ObjectEach+ArrayEach", func() {
		ObjectEach(params, func(key, val []byte) bool {
			ArrayEach(val, func(v []byte) bool { count++; return true })
			return true
		})
	})
	f("ObjectField escaped key", func() {
		if _, ok := ObjectField(params, "task"); !ok {
			t.Fatal("task")
		}
	})
	f("AppendError", func() {
		dst = AppendError(dst[:0], []byte("1"), CodeInvalidParams, "unknown tool \"x\"", []byte(`{"a":1}`))
	})
	f("AppendNotification+AppendRequest", func() {
		dst = AppendNotification(dst[:0], "notifications/progress", params)
		dst = AppendRequest(dst, []byte("9"), "roots/list", nil)
	})
}

type allocResult struct {
	Content []allocContent `json:"content"`
}

type allocContent struct {
	Type, Text string
}

func TestAppendJSONAllocations(t *testing.T) {
	// sonic's EncodeInto boxes the value's pointer on the heap (16 B);
	// everything around it allocates nothing.
	v := &allocResult{Content: []allocContent{{Type: "text", Text: "hi"}}}
	dst := make([]byte, 0, 1024)
	n := testing.AllocsPerRun(100, func() {
		var err error
		if dst, err = AppendJSON(AppendResultHead(dst[:0], []byte("1")), v); err != nil {
			t.Fatal(err)
		}
	})
	if n > 1 {
		t.Fatalf("AppendJSON: %v allocs per run, want at most sonic's 1", n)
	}
}

package http1

import "testing"

func BenchmarkParsePost(b *testing.B) {
	benchmarkParse(b, mcpPost())
}

func BenchmarkParseChunked(b *testing.B) {
	benchmarkParse(b, mcpPostChunked())
}

func benchmarkParse(b *testing.B, in []byte) {
	var p Parser
	var req Request
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if n, err := p.Parse(in, &req); n != len(in) || err != nil {
			b.Fatalf("Parse = %d, %v", n, err)
		}
	}
}

func BenchmarkAppendResponse(b *testing.B) {
	body := make([]byte, 230)
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(AppendResponse(nil, 200, "application/json", body, false))))
	for b.Loop() {
		dst = AppendResponse(dst[:0], 200, "application/json", body, false)
	}
}

func BenchmarkAppendSSEEvent(b *testing.B) {
	data := make([]byte, 230)
	id := []byte("s1-42")
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(AppendSSEEvent(nil, id, "message", data))))
	for b.Loop() {
		dst = AppendSSEEvent(dst[:0], id, "message", data)
	}
}

package router

import (
	"testing"

	"github.com/densemcp/densemcp/codec"
)

// BenchmarkToolsCallInline measures decode → route → validate → handler →
// encode of one tools/call on a legacy session (the per-core hot path).
func BenchmarkToolsCallInline(b *testing.B) {
	r, s, _ := newBenchRouter(b)
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	b.ReportAllocs()
	b.SetBytes(int64(len(lineCall)))
	for b.Loop() {
		handleLine(r, s, &dec, &m, lineCall)
	}
}

func BenchmarkToolsCallInlineModern(b *testing.B) {
	r, s, _ := newBenchRouter(b)
	var dec codec.Decoder
	var m codec.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(lineCallModern)))
	for b.Loop() {
		handleLine(r, s, &dec, &m, lineCallModern)
	}
}

func BenchmarkToolsList(b *testing.B) {
	r, s, _ := newBenchRouter(b)
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	line := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	b.ReportAllocs()
	for b.Loop() {
		handleLine(r, s, &dec, &m, line)
	}
}

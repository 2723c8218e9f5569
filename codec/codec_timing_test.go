package codec

import (
	"bytes"
	"strings"
	"testing"
)

// Run: go test -run '^$' -bench . -benchmem ./codec/

func BenchmarkNextLine(b *testing.B) {
	stream := []byte(strings.Repeat(toolsCall+"\n", 64))
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		buf := stream
		for len(buf) > 0 {
			_, n, err := NextLine(buf, DefaultMaxLineBytes)
			if err != nil || n == 0 {
				b.Fatalf("NextLine: n %d, err %v", n, err)
			}
			buf = buf[n:]
		}
	}
}

func BenchmarkDecodeToolsCall(b *testing.B) {
	line := []byte(toolsCall)
	var d Decoder
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := d.Decode(line, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValid(b *testing.B) {
	f := func(name string, in []byte) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := Valid(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	f("toolsCall", []byte(toolsCall))
	text := `{"type":"text","text":"` + strings.Repeat("The quick brown fox jumps over the lazy dog. ", 200) + `"}`
	f("asciiText", []byte(`{"content":[`+text+`,`+text+`]}`))
	f("unicodeText", []byte(`{"text":"`+strings.Repeat("Grüße, 世界! ", 500)+`"}`))
	var nums bytes.Buffer
	nums.WriteByte('[')
	for i := range 2000 {
		if i > 0 {
			nums.WriteByte(',')
		}
		nums.WriteString("-12.5e3")
	}
	nums.WriteByte(']')
	f("numbers", nums.Bytes())
}

func BenchmarkAppendResponse(b *testing.B) {
	id := []byte("42")
	result := []byte(`{"content":[{"type":"text","text":"Sunny, 21°C"}],"isError":false}`)
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendResponse(dst[:0], id, result)
	}
	b.SetBytes(int64(len(dst)))
}

type benchContent struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type benchResult struct {
	Content []benchContent `json:"content"`
	IsError bool           `json:"isError"`
}

func BenchmarkAppendJSON(b *testing.B) {
	result := &benchResult{Content: []benchContent{{Type: "text", Text: "Sunny, 21°C <b>warm</b> & dry"}}}
	id := []byte("42")
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendResultHead(dst[:0], id)
		var err error
		if dst, err = AppendJSON(dst, result); err != nil {
			b.Fatal(err)
		}
		dst = AppendResultTail(dst)
	}
	b.SetBytes(int64(len(dst)))
}

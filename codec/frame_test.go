package codec

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// framer is the consumer a transport runs: bytes arrive in chunks, complete
// lines are framed, the partial tail waits.
type framer struct {
	pending []byte
	lines   []string
	max     int
}

func (fr *framer) feed(t *testing.T, chunk []byte) {
	t.Helper()
	fr.pending = append(fr.pending, chunk...)
	for {
		line, n, err := NextLine(fr.pending, fr.max)
		if err != nil {
			t.Fatalf("NextLine(%q): %v", fr.pending, err)
		}
		if n == 0 {
			return
		}
		if len(line) > 0 {
			fr.lines = append(fr.lines, string(line))
		}
		fr.pending = fr.pending[n:]
	}
}

// completeLines is what must have been framed once the first fed bytes of
// stream arrived: every non-blank line whose '\n' is among them.
func completeLines(stream string, fed int) []string {
	var want []string
	for _, l := range strings.SplitAfter(stream[:fed], "\n") {
		if !strings.HasSuffix(l, "\n") {
			break
		}
		l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
		if l != "" {
			want = append(want, l)
		}
	}
	return want
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

const threeMessages = `{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n" +
	"\r\n" + // a blank line between messages is skipped
	`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\r\n" +
	`{"jsonrpc":"2.0","id":"x","result":{}}` + "\n"

func TestNextLineOneByteAtATime(t *testing.T) {
	fr := &framer{max: DefaultMaxLineBytes}
	for i := 0; i < len(threeMessages); i++ {
		fr.feed(t, []byte{threeMessages[i]})
		if want := completeLines(threeMessages, i+1); !equalLines(fr.lines, want) {
			t.Fatalf("after %d bytes: framed %q, want %q", i+1, fr.lines, want)
		}
	}
	if len(fr.lines) != 3 || len(fr.pending) != 0 {
		t.Fatalf("framed %q, pending %q", fr.lines, fr.pending)
	}
}

func TestNextLineEverySplit(t *testing.T) {
	for split := 0; split <= len(threeMessages); split++ {
		fr := &framer{max: DefaultMaxLineBytes}
		fr.feed(t, []byte(threeMessages[:split]))
		if want := completeLines(threeMessages, split); !equalLines(fr.lines, want) {
			t.Fatalf("split %d, first part: framed %q, want %q", split, fr.lines, want)
		}
		if want := threeMessages[strings.LastIndexByte(threeMessages[:split], '\n')+1 : split]; string(fr.pending) != want {
			t.Fatalf("split %d: pending %q, want %q", split, fr.pending, want)
		}
		fr.feed(t, []byte(threeMessages[split:]))
		if want := completeLines(threeMessages, len(threeMessages)); !equalLines(fr.lines, want) {
			t.Fatalf("split %d, both parts: framed %q, want %q", split, fr.lines, want)
		}
		if len(fr.pending) != 0 {
			t.Fatalf("split %d: pending %q", split, fr.pending)
		}
	}
}

func TestNextLine(t *testing.T) {
	f := func(in string, max int, wantLine string, wantN int, wantErr error) {
		t.Helper()
		line, n, err := NextLine([]byte(in), max)
		if !errors.Is(err, wantErr) || n != wantN || string(line) != wantLine {
			t.Fatalf("NextLine(%q, %d) = %q, %d, %v; want %q, %d, %v", in, max, line, n, err, wantLine, wantN, wantErr)
		}
	}
	f("", 8, "", 0, nil)
	f("abc", 8, "", 0, nil)
	f("abc\n", 8, "abc", 4, nil)
	f("abc\r\n", 8, "abc", 5, nil)
	f("abc\ndef\n", 8, "abc", 4, nil)
	f("\n", 8, "", 1, nil)   // blank line
	f("\r\n", 8, "", 2, nil) // blank CRLF line
	f("a\r\r\n", 8, "a\r", 4, nil)
	f("a\rb\n", 8, "a\rb", 4, nil) // only a trailing '\r' is stripped
	f("abc\r", 8, "", 0, nil)      // "\r\n" split

	// Exactly max bytes is allowed, with either terminator.
	f("12345678\n", 8, "12345678", 9, nil)
	f("12345678\r\n", 8, "12345678", 10, nil)
	f("12345678", 8, "", 0, nil)
	f("12345678\r", 8, "", 0, nil) // may still be max bytes + "\r\n"

	// A complete line longer than max.
	f("123456789\n", 8, "", 0, ErrLineTooLong)
	f("123456789\r\n", 8, "", 0, ErrLineTooLong)
	// No '\n' within max bytes: known too long before the line ends.
	f("123456789", 8, "", 0, ErrLineTooLong)
	f("12345678\rx", 8, "", 0, ErrLineTooLong)
	f("1234567890123456789", 8, "", 0, ErrLineTooLong)
	// Bytes after the window do not matter.
	f(strings.Repeat("x", 20)+"\n", 8, "", 0, ErrLineTooLong)
}

func TestNextLineTooLongDefault(t *testing.T) {
	big := bytes.Repeat([]byte{'a'}, DefaultMaxLineBytes+1)
	if _, _, err := NextLine(big, DefaultMaxLineBytes); err != ErrLineTooLong {
		t.Fatalf("no newline within max: err = %v", err)
	}
	if _, _, err := NextLine(append(big, '\n'), DefaultMaxLineBytes); err != ErrLineTooLong {
		t.Fatalf("complete over-long line: err = %v", err)
	}
	line, n, err := NextLine(append(big[:DefaultMaxLineBytes:DefaultMaxLineBytes], '\n'), DefaultMaxLineBytes)
	if err != nil || n != DefaultMaxLineBytes+1 || len(line) != DefaultMaxLineBytes {
		t.Fatalf("line of exactly max: len %d, n %d, err %v", len(line), n, err)
	}
}

func TestNextLineBadMaxPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("NextLine with max 0 did not panic")
		}
	}()
	NextLine([]byte("x\n"), 0)
}

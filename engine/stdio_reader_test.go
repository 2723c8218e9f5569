package engine

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// readerGoroutines counts the goroutines running readChunks.
func readerGoroutines() int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	return strings.Count(string(buf[:n]), "engine.readChunks(")
}

// When Serve returns before stdin ends (here: an over-long line), its
// reading goroutine must end too once its read returns, not wait forever
// for a buffer Serve will never hand back.
func TestStdioServeEndsItsReader(t *testing.T) {
	before := readerGoroutines()
	st := NewStdio(stdioSizeRouter(t), Config{MaxLineBytes: 64})
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- st.Serve(context.Background(), pr, io.Discard) }()
	// Two reads without a newline: the second makes the held line too long.
	if _, err := pw.Write([]byte(strings.Repeat("x", 40))); err != nil {
		t.Fatal(err)
	}
	if _, err := pw.Write([]byte(strings.Repeat("x", 40))); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("Serve returned %v, want ErrLineTooLong", err)
	}
	// Stdin goes on: the reader reads this (its read was pending) and
	// hands it over, then wants a buffer back.
	if _, err := pw.Write([]byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	deadline := time.Now().Add(10 * time.Second)
	for readerGoroutines() > before {
		if time.Now().After(deadline) {
			t.Fatalf("the stdin reader goroutine outlived Serve")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

package shards

import (
	"context"
	"errors"
	"testing"
	"time"
)

// ExecuteWait waits out a full inbox: the task runs once the owner drains,
// and the caller returns only then.
func TestExecuteWaitWaitsForRoom(t *testing.T) {
	in := NewInbox(1)
	if err := in.Execute(func() {}); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- ExecuteWait(context.Background(), in, func() { close(ran) }) }()
	select {
	case err := <-done:
		t.Fatalf("returned %v while the inbox was full", err)
	case <-time.After(20 * time.Millisecond):
	}
	(<-in.C)() // the owner drains the filler; the waiting task gets in
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	(<-in.C)()
	select {
	case <-ran:
	default:
		t.Fatal("the task that waited was not the one queued")
	}
}

// It gives up when its context ends, and at once on a closed inbox.
func TestExecuteWaitGivesUp(t *testing.T) {
	in := NewInbox(1)
	if err := in.Execute(func() {}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ExecuteWait(ctx, in, func() { t.Error("ran after giving up") }) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting after its context ended")
	}
	in.Close()
	if err := ExecuteWait(context.Background(), in, func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("on a closed inbox: %v", err)
	}
}

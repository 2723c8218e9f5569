package pool

import (
	"sync"
	"testing"
	"time"
)

func TestSubmitRuns(t *testing.T) {
	p := New(2)
	defer p.Close(time.Second)
	var wg sync.WaitGroup
	wg.Add(1)
	if err := p.Submit(wg.Done); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	wg.Wait()
}

// A full pool refuses immediately instead of blocking the caller (an event loop).
func TestFullPoolRefuses(t *testing.T) {
	p := New(2)
	defer p.Close(time.Second)
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	for i := 0; i < 2; i++ {
		if err := p.Submit(func() { started <- struct{}{}; <-release }); err != nil {
			t.Fatalf("Submit %d: %v", i, err)
		}
	}
	<-started
	<-started
	if err := p.Submit(func() {}); err != ErrBusy {
		t.Fatalf("third Submit on a full pool: got %v, want ErrBusy", err)
	}
	close(release)
	// Once a worker is free, the pool accepts again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := p.Submit(func() {})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool never accepted again: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunningCountsTasksNotWorkers(t *testing.T) {
	p := New(4)
	defer p.Close(time.Second)
	done := make(chan struct{})
	if err := p.Submit(func() { <-done }); err != nil {
		t.Fatal(err)
	}
	if n := p.Running(); n != 1 {
		t.Fatalf("Running with one task = %d", n)
	}
	close(done)
	deadline := time.Now().Add(5 * time.Second)
	for p.Running() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("Running stayed %d after the task finished", p.Running())
		}
		time.Sleep(time.Millisecond)
	}
}

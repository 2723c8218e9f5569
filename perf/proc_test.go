//go:build linux

package perf

import (
	"os"
	"testing"
)

func TestProcReaders(t *testing.T) {
	pid := os.Getpid()
	if _, _, err := procCPU(pid); err != nil {
		t.Fatal(err)
	}
	rss, err := procRSS(pid)
	if err != nil || rss <= 0 {
		t.Fatalf("procRSS = %d, %v", rss, err)
	}
	if _, _, err := procCPU(-5); err == nil {
		t.Fatal("procCPU of a missing process did not fail")
	}
	if n, err := raiseNoFile(); err != nil || n == 0 {
		t.Fatalf("raiseNoFile = %d, %v", n, err)
	}
}

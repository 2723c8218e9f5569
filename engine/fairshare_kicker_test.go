package engine

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Shutdown closes each loop's kicker; a loop that never deferred a pass
// never set one up, and closing its kicker must close no descriptor, even
// the one its zero-valued fd field names (descriptor 0 in a fresh loop).
func TestCloseKickerNeverSetUpClosesNothing(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	l := &loop{}
	l.kick.fd = int(r.Fd()) // stands for descriptor 0, which a test must not close
	l.closeKicker()
	if _, err := unix.FcntlInt(r.Fd(), unix.F_GETFD, 0); err != nil {
		t.Fatalf("closeKicker of a loop without a kicker closed descriptor %d: %v", r.Fd(), err)
	}
	if l0 := (&loop{}); l0.kick.enrolled || l0.kick.fd != 0 {
		t.Fatalf("a fresh loop's kicker is %+v; the test assumes the zero value", l0.kick)
	}
}

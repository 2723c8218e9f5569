//go:build !unix

package engine

import (
	"context"
	"errors"
	"net"
)

// shutdownWrite is not available here: lingering connections are closed
// at once.
func shutdownWrite(int) error { return errors.ErrUnsupported }

// setReusePort is not available here: Config.ReusePort fails the probe.
func setReusePort(uintptr) error { return errors.ErrUnsupported }

// bindProbe listens on addr for a moment (no bind-only socket here): a
// client dialing it meanwhile may be accepted and then reset. With
// reusePort it fails, as setReusePort does.
func bindProbe(addr string, reusePort bool) error {
	if reusePort {
		return errors.ErrUnsupported
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err
		}
		return err
	}
	return ln.Close()
}

//go:build !unix

package engine

import "errors"

// shutdownWrite is not available here: lingering connections are closed
// at once.
func shutdownWrite(int) error { return errors.ErrUnsupported }

// setReusePort is not available here: Config.ReusePort fails the probe.
func setReusePort(uintptr) error { return errors.ErrUnsupported }

//go:build !unix

package engine

import "errors"

// shutdownWrite is not available here: lingering connections are closed
// at once.
func shutdownWrite(int) error { return errors.ErrUnsupported }

package engine

import (
	"log"

	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// quietLogger drops gnet's own debug and info lines (one per listener at
// start) so that only our structured logs reach stderr; warnings and errors
// from gnet go to the standard logger.
type quietLogger struct{}

var _ logging.Logger = quietLogger{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warnf(format string, args ...any) {
	stdLogf("gnet warning: "+format, args...)
}
func (quietLogger) Errorf(format string, args ...any) {
	stdLogf("gnet error: "+format, args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	stdLogf("gnet fatal: "+format, args...)
}

func stdLogf(format string, args ...any) { log.Printf(format, args...) }

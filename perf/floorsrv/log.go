package floorsrv

import "log"

// quietLogger passes gnet's warnings and errors to the standard logger and drops its
// debug and info lines, which would interleave with the load generator's progress output.
type quietLogger struct{}

func (quietLogger) Debugf(string, ...any)          {}
func (quietLogger) Infof(string, ...any)           {}
func (quietLogger) Warnf(format string, a ...any)  { log.Printf("gnet: "+format, a...) }
func (quietLogger) Errorf(format string, a ...any) { log.Printf("gnet: "+format, a...) }
func (quietLogger) Fatalf(format string, a ...any) { log.Fatalf("gnet: "+format, a...) }

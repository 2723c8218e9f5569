package densemcp

import "github.com/densemcp/densemcp/engine"

// LiveEngine gives the external tests the network transport s serves on
// now (its overload stage, drains and connection counters), which the
// public API does not export.
func LiveEngine(s *Server) *engine.Server { return s.liveEngine() }

package router

// Capabilities that depend on the era: the legacy core tasks capability
// (2025-11-25), and the modern extensions map (io.modelcontextprotocol/…).

// appendExtraCapabilities appends the era's extra members to a
// capabilities object whose closing brace the caller writes.
func (r *Router) appendExtraCapabilities(dst []byte, era Era, version string) []byte {
	if era == EraModern {
		dst = append(dst, `,"extensions":{"`+ExtTasks+`":{}}`...)
		return dst
	}
	if version == legacyTasksVersion {
		dst = append(dst, `,"tasks":{"list":{},"cancel":{},"requests":{"tools":{"call":{}}}}`...)
	}
	return dst
}

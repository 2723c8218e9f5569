package router

// Capabilities that depend on the era and on what is registered: the
// legacy core tasks capability (2025-11-25), and the extensions map — the
// tasks extension in the modern era, the skills extension (both eras) once
// a skill is registered.

// appendExtraCapabilities appends the extra members to a capabilities
// object whose closing brace the caller writes.
func (r *Router) appendExtraCapabilities(dst []byte, cat *catalog, era Era, version string) []byte {
	skills := len(cat.skills) > 0
	if era != EraModern && version == legacyTasksVersion {
		dst = append(dst, `,"tasks":{"list":{},"cancel":{},"requests":{"tools":{"call":{}}}}`...)
	}
	if era != EraModern && !skills {
		return dst
	}
	dst = append(dst, `,"extensions":{`...)
	if era == EraModern {
		dst = append(dst, `"`+ExtTasks+`":{}`...)
		if skills {
			dst = append(dst, ',')
		}
	}
	if skills {
		dst = append(dst, `"`+ExtSkills+`":{"directoryRead":true}`...)
	}
	return append(dst, '}')
}

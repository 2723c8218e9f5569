package router

// ModernVersion is the stateless protocol revision.
const ModernVersion = "2026-07-28"

// LatestLegacyVersion is answered to initialize when the client asks for a
// version we do not speak.
const LatestLegacyVersion = "2025-11-25"

// legacyVersions are the handshake revisions we negotiate, newest first.
var legacyVersions = [...]string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

// modernVersions are the per-request revisions we accept.
var modernVersions = [...]string{ModernVersion}

// negotiateLegacy echoes the client's version if we speak it, else our latest.
func negotiateLegacy(requested []byte) string {
	for _, v := range legacyVersions {
		if string(requested) == v {
			return v
		}
	}
	return LatestLegacyVersion
}

func isModernVersion(v []byte) bool {
	for _, m := range modernVersions {
		if string(v) == m {
			return true
		}
	}
	return false
}

// supportedModernJSON is the data.supported list of -32022 and the
// supportedVersions of server/discover.
const supportedModernJSON = `["` + ModernVersion + `"]`

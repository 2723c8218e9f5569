package engine

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// acceptsRef is the reference acceptMedia must agree with: the absent
// header admits everything, otherwise the value must contain the type or
// "*/*".
func acceptsRef(a []byte, mime string) bool {
	if a == nil {
		return true
	}
	return bytes.Contains(a, []byte(mime)) || bytes.Contains(a, []byte("*/*"))
}

func TestAcceptMedia(t *testing.T) {
	values := []string{
		"", "/", "*/*", "*/", "/*", "**/**", "text/*", "application/*",
		"application/json, text/event-stream",
		"text/event-stream", "application/json", "application/jso", "pplication/json",
		"text/event-strea", "ext/event-stream", "TEXT/EVENT-STREAM", "Application/JSON",
		"application/json;q=0.9, */*;q=0.1", "text/html, application/xhtml+xml",
		"xapplication/jsonx", "text/event-streamtext/event-stream", "application//json",
		"text/event-stream;q=1,application/json;q=0.5",
	}
	check := func(v []byte) {
		t.Helper()
		sse, json := acceptMedia(v)
		if want := acceptsRef(v, "text/event-stream"); sse != want {
			t.Fatalf("acceptMedia(%q) sse = %v, want %v", v, sse, want)
		}
		if want := acceptsRef(v, "application/json"); json != want {
			t.Fatalf("acceptMedia(%q) json = %v, want %v", v, json, want)
		}
	}
	check(nil)
	for _, v := range values {
		check([]byte(v))
	}
	// Random values from the bytes that matter, so every substring lands at
	// every place and next to every other.
	const alphabet = "textevn-srampliconjs/*, ;="
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if rng.IntN(4) == 0 && len(b) > 0 {
			// Plant a whole type somewhere.
			ty := []string{"text/event-stream", "application/json", "*/*"}[rng.IntN(3)]
			at := rng.IntN(len(b))
			b = append(b[:at], append([]byte(ty), b[at:]...)...)
		}
		check(b)
	}
}

func TestIsJSONContentType(t *testing.T) {
	for _, v := range []string{
		"", "application/json", "application/json; charset=utf-8", "application/jsonx",
		"application/jso", "Application/json", "text/plain", "\u00a0application/json",
		"\u0085application/json", "\u2003application/json", "\xc2", "\xffapplication/json",
	} { // values as the parser hands them over: no leading SP or HTAB
		want := bytes.HasPrefix(bytes.TrimSpace([]byte(v)), []byte("application/json"))
		if got := isJSONContentType([]byte(v)); got != want {
			t.Errorf("isJSONContentType(%q) = %v, want %v", v, got, want)
		}
	}
}

package http1

import (
	"math/rand/v2"
	"testing"
)

// validFieldValue agrees with the byte table for every byte value at every
// position of a word and of the tail, and on random values.
func TestValidFieldValue(t *testing.T) {
	ref := func(v []byte) bool {
		for _, c := range v {
			if !isValueByte[c] {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 70; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				v := make([]byte, n)
				for i := range v {
					v[i] = 'a'
				}
				v[pos] = byte(c)
				if got, want := validFieldValue(v), ref(v); got != want {
					t.Fatalf("len %d, byte %#x at %d: %v, want %v", n, c, pos, got, want)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		v := make([]byte, rng.IntN(100))
		for i := range v {
			switch rng.IntN(4) {
			case 0:
				v[i] = byte(rng.IntN(256))
			case 1:
				v[i] = byte(0x20 + rng.IntN(0x5f))
			default:
				v[i] = 'A' + byte(rng.IntN(26))
			}
		}
		if got, want := validFieldValue(v), ref(v); got != want {
			t.Fatalf("%q: %v, want %v", v, got, want)
		}
	}
}

// BenchmarkParsePostBearer is BenchmarkParsePost with a bearer token the
// size of a typical JWT access token.
func BenchmarkParsePostBearer(b *testing.B) {
	in := mcpPost()
	tok := "Authorization: Bearer eyJhbGciOiJFUzI1NiIsImtpZCI6IjAxMjM0NTY3ODkiLCJ0eXAiOiJhdCtqd3QifQ." +
		string(make([]byte, 0)) + repeat("eyJhdWQiOiJodHRwOi8vMTI3LjAuMC4xOjgwODAvbWNwIiwic3ViIjoiYWxpY2UifQ", 4) + ".c2lnbmF0dXJl\r\n"
	i := len("POST /mcp HTTP/1.1\r\n")
	in = append(append(append([]byte(nil), in[:i]...), tok...), in[i:]...)
	benchmarkParse(b, in)
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

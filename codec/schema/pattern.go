package schema

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// compilePattern compiles a JSON Schema regular expression (ECMA-262
// syntax) with Go's RE2, which matches in time linear in the input, so a
// client's string can never trigger catastrophic backtracking. The one
// ECMA-262 spelling RE2 lacks but means the same, \uXXXX (and a surrogate
// pair of them), is rewritten to \x{...}. Lookaround, backreferences and
// other syntax RE2 does not have fail here, at Compile. Remaining
// differences: \s, \d, \w and \b are ASCII-only in RE2 (\s is Unicode in
// ECMA-262), and "." does not match "\r", "\u2028" or "\u2029" in ECMA-262
// but does in RE2.
func compilePattern(src string) (*regexp.Regexp, error) {
	return regexp.Compile(translatePattern(src))
}

// translatePattern rewrites \uXXXX escapes as \x{XXXX}.
func translatePattern(src string) string {
	if !strings.Contains(src, `\u`) {
		return src
	}
	b := make([]byte, 0, len(src)+8)
	for i := 0; i < len(src); i++ {
		if src[i] != '\\' || i+1 >= len(src) {
			b = append(b, src[i])
			continue
		}
		if src[i+1] != 'u' {
			b = append(b, src[i], src[i+1]) // keep the escape pair whole: `\\u` is not \u
			i++
			continue
		}
		r, ok := hex4([]byte(src), i+2)
		if !ok {
			b = append(b, src[i], src[i+1]) // RE2 reports the bad escape
			i++
			continue
		}
		next := i + 6
		if utf16.IsSurrogate(r) && strings.HasPrefix(src[next:], `\u`) {
			if r2, ok := hex4([]byte(src), next+2); ok {
				if pair := utf16.DecodeRune(r, r2); pair != '\uFFFD' {
					r, next = pair, next+6
				}
			}
		}
		b = append(b, `\x{`...)
		b = strconv.AppendInt(b, int64(r), 16)
		b = append(b, '}')
		i = next - 1
	}
	return string(b)
}

package uritemplate

import "errors"

var (
	// ErrMalformed: the template does not follow the RFC 6570 grammar (an
	// unclosed or empty expression, a reserved operator, a bad variable name
	// or prefix, or a character that may not appear in a literal).
	ErrMalformed = errors.New("malformed URI template")
	// ErrTooLong: the template is longer than MaxTemplateLength bytes.
	ErrTooLong = errors.New("URI template too long")
	// ErrTooManyVariables: the template has more than MaxVariables varspecs.
	ErrTooManyVariables = errors.New("URI template has too many variables")
	// ErrValueType: Expand got a variable value that is not a string,
	// []string, map[string]string or nil.
	ErrValueType = errors.New("unsupported URI template variable value")
	// ErrPrefixComposite: Expand got a list or map for a variable with a
	// prefix modifier, which RFC 6570 §2.4.1 does not define.
	ErrPrefixComposite = errors.New("prefix modifier applied to a list or map value")
)

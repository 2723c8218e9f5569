package schema

import "errors"

// Sentinel errors of Compile; each is wrapped with the location in the
// schema document and the reason.
var (
	// ErrInvalidSchema: the document is not valid JSON, not a schema object or
	// boolean, names an unsupported $schema dialect, or has a keyword whose
	// value has the wrong shape (a negative minLength, a type name that does
	// not exist, ...).
	ErrInvalidSchema = errors.New("invalid JSON Schema")
	// ErrUnsupportedRef: a $ref that is remote (another document), relative
	// to an embedded $id, or points at nothing in this document.
	ErrUnsupportedRef = errors.New("unsupported or unresolvable $ref")
	// ErrRefCycle: schemas refer to each other in a loop through keywords that
	// apply to the same instance ($ref, allOf, anyOf, oneOf, not, if, then,
	// else, dependentSchemas), so validation would never consume input.
	ErrRefCycle = errors.New("$ref cycle that consumes no input")
	// ErrUnsupportedPattern: a pattern or patternProperties regular
	// expression uses ECMA-262 syntax RE2 does not have (lookaround,
	// backreferences, ...). RE2 is kept for its linear-time guarantee.
	ErrUnsupportedPattern = errors.New("regular expression not supported by RE2")
)

// ValidationError is the first violation Validate found. It is built only
// when validation fails, so the valid path allocates nothing.
type ValidationError struct {
	// InstancePath is the JSON Pointer (RFC 6901) of the offending value in
	// the instance; "" is the instance itself.
	InstancePath string
	// Keyword is the schema keyword that failed ("type", "required", ...),
	// "false" for a false schema, and "" when the validator's own depth
	// limit stopped validation.
	Keyword string
	// Message says what is wrong in words an LLM or a person can act on.
	Message string
}

// Error returns "path: message", or the message alone for the whole
// instance. It is shown to the model as a tool error, so it names the
// location and the expectation, e.g. `/text: expected string, got number`.
func (e *ValidationError) Error() string {
	if e.InstancePath == "" {
		return e.Message
	}
	return e.InstancePath + ": " + e.Message
}

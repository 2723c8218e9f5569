// Package schema is a compiled JSON Schema (draft 2020-12) validator that
// checks a raw JSON instance in place, without decoding it, and allocates
// nothing when the instance is valid.
//
// # Why it is hand-written
//
// MCP tools/call must check the request's arguments against the tool's
// inputSchema on every call (and structuredContent against outputSchema).
// The existing Go validators (github.com/google/jsonschema-go, which the
// official Go SDK uses, and github.com/santhosh-tekuri/jsonschema) validate
// a decoded value: the instance is first unmarshalled into any — maps,
// slices, boxed floats and strings — which costs allocations per call and
// loses integer precision beyond 2^53. densemcp's request path is 0
// allocs/op, so this package walks the argument bytes the codec already
// holds, and jsonschema-go serves as the test oracle and for inference
// (ForType).
//
// # Keywords
//
// Validated:
//
//   - type (a name or an array of names; "integer" is any number with a zero
//     fractional part, so 1.0 and 1e3 are integers), enum, const (JSON
//     equality: numbers by value, strings by decoded text, objects regardless
//     of member order)
//   - properties, required, additionalProperties (boolean or schema),
//     patternProperties, propertyNames, minProperties, maxProperties,
//     dependentRequired, dependentSchemas
//   - items, prefixItems, minItems, maxItems, uniqueItems, contains,
//     minContains, maxContains
//   - minLength, maxLength (in Unicode code points), pattern
//   - minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf
//   - allOf, anyOf, oneOf, not, if/then/else
//   - $ref to "#", "#/json/pointer" (e.g. #/$defs/x, #/definitions/x) and
//     "#name" ($anchor), optionally prefixed by the root's own $id; $defs and
//     definitions; the boolean schemas true and false
//
// Read as annotations and not enforced: $schema (root only: picks the
// dialect), $id (root: base for refs; see below), $comment, title,
// description, default, examples, deprecated, readOnly, writeOnly, format,
// contentEncoding, contentMediaType, contentSchema, $vocabulary. Also not
// enforced (compiled schemas using them are more permissive than the
// specification): unevaluatedProperties, unevaluatedItems, $dynamicRef,
// $dynamicAnchor, $recursiveRef, $recursiveAnchor. Unknown keywords are
// ignored, as the specification requires.
//
// # Dialects
//
// The dialect is 2020-12 when $schema is absent (the MCP default, SEP-1613)
// or names 2020-12. A draft-07 $schema switches to draft-07 rules where
// they differ (see Compile). Other dialects are rejected at Compile.
//
// # Bounds
//
// Compile rejects remote references (there is no loader, so no network or
// file access), $ref inside a subschema that has its own $id, ref cycles
// that consume no input (ErrRefCycle), and patterns RE2 cannot compile.
// Patterns run on RE2, linear in the string length. Validation depth is
// bounded (512 nested schema applications, then a ValidationError with an
// empty Keyword); uniqueItems is n log n for long arrays. Schemas are
// server configuration and are trusted: a schema whose in-place applicators
// fan out (anyOf of anyOf of ...) costs what it says.
//
// # Numbers
//
// Numbers are compared as exact decimals read from the JSON text: minimum
// 9007199254740993 rejects 9007199254740992 (float64 cannot tell them
// apart), and 0.3 is a multiple of 0.1. Exponents saturate at ±10^15.
// multipleOf values are limited to 19 significant digits (the significand
// is a uint64); the instance number may have any length.
package schema

package uritemplate

// MaxTemplateLength is the longest template Parse accepts, in bytes.
//
// Why 4096: templates come from server code, not from clients, and the MCP
// templates seen in the wild are well under 200 bytes. The bound keeps Parse
// and the per-template tables small, and with it the template-dependent part
// of Match's cost (Match is linear in len(uri) plus len(template)).
const MaxTemplateLength = 4096

// MaxVariables is the most variable specifications (varspecs, counting
// repeats) one template may hold.
//
// Why 64: real templates use a handful; 64 leaves ample room while letting
// Match keep its per-variable bookkeeping in fixed arrays on the stack, so
// matching never allocates for it.
const MaxVariables = 64

// maxPrefixLength is the largest prefix modifier ({var:N}). RFC 6570 §2.4.1
// writes max-length as 1 to 4 digits without a leading zero, so N <= 9999.
const maxPrefixLength = 9999

// linearLookupMax is the group size up to which Match finds a query or
// path-style parameter's variable by scanning the group; larger groups use a
// map built by Parse, so a parameter costs O(len(name)), not O(variables).
const linearLookupMax = 8

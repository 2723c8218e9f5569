// Package uritemplate implements RFC 6570 URI Templates, levels 1 to 4, for
// MCP resource templates: [Parse] checks a template (resources/templates/list
// shows it with [Template.String]), [Template.Vars] names its variables (for
// completion/complete), [Template.Expand] builds a URI, and [Template.Match]
// decides whether a URI is an expansion of the template and recovers the
// variables, which is how resources/read finds the template serving a URI.
//
// # Matching takes linear time
//
// A matcher that compiles templates into backtracking regular expressions can
// be driven into super-linear time by a crafted URI; an MCP SDK shipped that
// ReDoS (CVE-2026-0621). This package uses no regular expressions. Match
// walks the URI once, left to right, and never revisits a decision: a literal
// must appear exactly where the previous part ended, and an expression takes
// the run of bytes up to the first byte that may end it. Its cost is
// O(len(uri) + len(template)) for any template and any URI, which is within
// O(len(uri) × number of template parts); a test counts the steps.
//
// The price is that Match is deterministic rather than exhaustive: a URI that
// is an expansion only under a split that needs backtracking to find does
// not match. The rules below say exactly which URIs match.
//
// # Matching rules
//
// Literals match byte for byte. A non-ASCII literal character is compared in
// its pct-encoded UTF-8 form, as Expand writes it.
//
// An expression whose operator has a start character ("." "/" ";" "?" "&"
// "#") is present only if the URI has that character at the current
// position; otherwise all its variables are undefined and absent from the
// result. A query group (below) may start with '?' or '&'.
//
// An expression covers the longest run of bytes that holds none of:
//
//   - its operator's stop bytes: '/' '?' '#' for {var} and {.var}, so
//     {id} is exactly one path segment (as other MCP SDKs treat it) and
//     users/{id} does not match users/a/b; '/' '?' '#' for {;var}; '#' for
//     {?var} and {&var}; nothing for {+var} and {#var}, which may hold '/'
//     '?' '#'; '?' '#' for {/var}, plus the '/' that would begin one segment
//     more than it has variables ({/a,b} takes at most two segments), unless
//     its last variable is exploded ({/path*} takes any number).
//   - the first byte of whatever follows: the start characters of the
//     following expressions (each may expand to nothing) up to the first
//     byte of the next literal. In test://template/{id}/data, {id} ends at
//     '/'; in {name}{.ext}, {name} ends at the first '.'. A following '/'
//     does not end {/a,b} before its second segment: {/a,b}{/c} splits
//     /1/2/3 as a=1, b=2, c=3.
//
// Exception: when the next part is a literal that ends the template, the run
// ends exactly where that literal starts as a suffix of the URI, so
// {name}.json matches report.v2.json with name "report.v2" (the run must
// still hold no stop byte of the operator).
//
// Unnamed expressions ({a,b} {+a,b} {#a,b} {.a,b} {/a,b}) split the run at
// the operator's separator (',' ',' ',' '.' '/') and give the items to the
// variables in order. The last variable takes everything left, separators
// included, so a list comes back as written: {/path*} on /a/b/c gives
// "a/b/c", {list} on red,green,blue gives "red,green,blue". With fewer items
// than variables the trailing variables are undefined (so for {x,y} the URI
// "768" gives x=768, although Expand writes it for x undefined and y=768). An
// empty run gives the first variable the empty string: users/{id} matches
// users/ with id "".
//
// Named expressions ({;a,b} {?a,b} {&a}) next to each other form one group:
// {?q}{&lang} is one group, {;a}{;b} another. The run is split at ';' or '&'
// into name=value parameters, which may come in any order and are all
// optional. A parameter whose name is not a variable of the group is
// ignored, so search{?q} matches search?q=x&page=2 with q "x" only. A
// parameter without '=' has the empty value. Repeats of an exploded variable
// ({?tag*} on ?tag=a&tag=b) are joined with ',' into "a,b"; an exploded
// associative array ({?keys*}) cannot be told apart from unknown parameters,
// so its parameters are ignored.
//
// Values are percent-decoded (%XX in either case); a '%' that does not begin
// a triplet makes the URI not match. The decoded bytes are returned as they
// are, valid UTF-8 or not. A variable with a prefix modifier {var:N} matches
// at most N characters. A variable that occurs more than once must get
// agreeing values ({var:3}/{var} matches val/value with var "value").
//
// Match refuses a URI whose values, expanded again, would split differently.
// That happens when a decoded value's encoding holds a byte that ends its run
// (a decoded %2F in {+dir}/{name}, a decoded %2E in {name}{.ext}), a separator
// in a value that is not the expression's last, or, for {+var} and {#var}, a
// pct-triplet such as the %41 in a decoded %2541, which reserved expansion
// would copy through undecoded. It also happens at a part that Expand writes
// as nothing (an absent expression, a named group whose parameters were all
// ignored) when what follows would then be read differently: with
// {/dir}{+rest}, %2Fx gives rest "/x", which Expand writes as /x, where {/dir}
// would be present. Hence the guarantee, checked by fuzzing: for a template
// whose variables each occur once, if Match(uri) returns vars, then
// Match(Expand(vars)) returns the same vars.
package uritemplate

package router

import (
	"sort"

	"github.com/densemcp/densemcp/router/uritemplate"
)

// registry is the mutable master copy, guarded by Router.mu.
type registry struct {
	tools     map[string]*toolEntry
	prompts   map[string]*promptEntry
	resources map[string]*resourceEntry
	templates []*templateEntry // registration order: first match wins
	skills    map[string]*skillEntry
	skillDirs map[string][]dirChild // rebuilt when skills change (skills.go)
}

// catalog is an immutable snapshot of the registry. Each shard holds its
// own pointer to one; lookups read it without locks.
type catalog struct {
	tools      []*toolEntry // sorted by name: deterministic list order
	byName     map[string]*toolEntry
	prompts    []*promptEntry
	promptBy   map[string]*promptEntry
	resources  []*resourceEntry // sorted by URI
	resourceBy map[string]*resourceEntry
	templates  []*templateEntry
	skills     []*skillEntry // sorted by SKILL.md URI
	skillBy    map[string]*skillEntry
	skillDirs  map[string][]dirChild
}

type promptEntry struct {
	prompt   Prompt
	listJSON []byte
	handler  PromptHandler
	scopes   []string // checked, deduplicated Prompt.Scopes
}

type resourceEntry struct {
	res      Resource
	listJSON []byte
	handler  ResourceHandler
	scopes   []string
}

type templateEntry struct {
	tmpl     ResourceTemplate
	parsed   *uritemplate.Template
	listJSON []byte
	handler  ResourceHandler
	scopes   []string
}

func (g *registry) init() {
	g.tools = make(map[string]*toolEntry)
	g.prompts = make(map[string]*promptEntry)
	g.resources = make(map[string]*resourceEntry)
}

func (g *registry) snapshot() *catalog {
	c := &catalog{
		byName:     make(map[string]*toolEntry, len(g.tools)),
		promptBy:   make(map[string]*promptEntry, len(g.prompts)),
		resourceBy: make(map[string]*resourceEntry, len(g.resources)),
		templates:  append([]*templateEntry(nil), g.templates...),
	}
	for name, e := range g.tools {
		c.tools = append(c.tools, e)
		c.byName[name] = e
	}
	sort.Slice(c.tools, func(i, j int) bool { return c.tools[i].tool.Name < c.tools[j].tool.Name })
	for name, e := range g.prompts {
		c.prompts = append(c.prompts, e)
		c.promptBy[name] = e
	}
	sort.Slice(c.prompts, func(i, j int) bool { return c.prompts[i].prompt.Name < c.prompts[j].prompt.Name })
	for uri, e := range g.resources {
		c.resources = append(c.resources, e)
		c.resourceBy[uri] = e
	}
	sort.Slice(c.resources, func(i, j int) bool { return c.resources[i].res.URI < c.resources[j].res.URI })
	g.snapshotSkills(c)
	return c
}

// page returns the [start,end) window of a sorted list of n keys after the
// cursor key, and the cursor for the next page ("" if last).
func (r *Router) page(n int, key func(i int) string, after []byte) (start, end int) {
	if after != nil {
		start = sort.Search(n, func(i int) bool { return key(i) > string(after) })
	}
	end = start + r.opts.PageSize
	if end > n {
		end = n
	}
	return start, end
}

package router

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/densemcp/densemcp/codec"
)

// Skills (io.modelcontextprotocol/skills, SEP-2640): a skill is a directory
// of files, at least a SKILL.md with YAML frontmatter. Every file is served
// as a resource (skill://<skill-path>/<file-path>, read with resources/read);
// skills/list and skills/get return the skill's entry — its frontmatter and
// the complete list of its files with their SHA-256 digests and sizes; and
// resources/directory/read lists a directory's direct children. The router
// keeps skills in memory as registered; reading them from a directory (and
// watching it) is the skills package's job.

// ExtSkills is the skills extension's identifier.
const ExtSkills = "io.modelcontextprotocol/skills"

// Per-skill limits every conforming host accepts (SEP-2640 "Limits"); a
// larger skill is refused at registration.
const (
	MaxSkillFiles = 512
	MaxSkillBytes = 16 << 20
)

// Skill is one skill to serve.
type Skill struct {
	// URI of its SKILL.md: skill://<skill-path>/SKILL.md, where the last
	// segment of <skill-path> is the skill's name (another scheme may be
	// used, with the same structure).
	URI string
	// Frontmatter is SKILL.md's YAML frontmatter rendered as a JSON object,
	// every field as the author wrote it; name and description required.
	Frontmatter json.RawMessage
	// Files are SKILL.md and every supporting file (nested skills' files
	// included), each under the skill's directory.
	Files []SkillFile
}

// SkillFile is one file of a skill.
type SkillFile struct {
	URI      string
	MimeType string
	Data     []byte
}

type skillEntry struct {
	uri       string
	name      string
	entryJSON []byte   // the Skill entry of skills/list and skills/get
	files     []string // resource URIs of its files
	digests   [][32]byte
}

// dirChild is one direct child of a directory resource.
type dirChild struct {
	uri      string
	listJSON []byte // its Resource metadata
}

// PutSkills registers (or replaces) skills and removes the skills whose
// SKILL.md URIs are in remove, in one change: their files come and go as
// resources, sessions hear resources/list_changed once, and subscribers of
// a file whose content changed hear resources/updated. A skill that breaks
// the extension's rules is refused with the reason, and nothing changes.
func (r *Router) PutSkills(put []Skill, remove []string) error {
	changed, err := r.putSkills(put, remove)
	for _, uri := range changed {
		r.ResourceUpdated(uri)
	}
	return err
}

func (r *Router) putSkills(put []Skill, remove []string) (changed []string, err error) {
	entries := make([]*skillEntry, 0, len(put))
	resources := make([][]*resourceEntry, 0, len(put))
	for i := range put {
		e, res, err := buildSkill(&put[i])
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
		resources = append(resources, res)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	g := &r.registry
	if g.skills == nil {
		g.skills = make(map[string]*skillEntry)
	}
	drop := func(uri string) {
		old := g.skills[uri]
		if old == nil {
			return
		}
		for _, f := range old.files {
			delete(g.resources, f)
		}
		delete(g.skills, uri)
	}
	for _, uri := range remove {
		drop(uri)
	}
	for i, e := range entries {
		if old := g.skills[e.uri]; old != nil {
			for j, f := range e.files {
				for k, of := range old.files {
					if of == f && old.digests[k] != e.digests[j] {
						changed = append(changed, f)
					}
				}
			}
		}
		drop(e.uri)
		g.skills[e.uri] = e
		for _, re := range resources[i] {
			g.resources[re.res.URI] = re
		}
	}
	g.skillDirs = buildSkillDirs(g.skills, g.resources)
	r.publish(changeResources)
	return changed, nil
}

// RemoveSkills unregisters skills by the URI of their SKILL.md.
func (r *Router) RemoveSkills(uris ...string) error { return r.PutSkills(nil, uris) }

// SkillURIs returns the SKILL.md URIs of the registered skills.
func (r *Router) SkillURIs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.registry.skills))
	for u := range r.registry.skills {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// skillNameOK follows the Agent Skills naming rules: 1-64 of a-z 0-9 and
// "-", not at either end, never two in a row.
func skillNameOK(n string) bool {
	if len(n) == 0 || len(n) > 64 || n[0] == '-' || n[len(n)-1] == '-' || strings.Contains(n, "--") {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// buildSkill checks a skill and renders its entry and file resources.
func buildSkill(sk *Skill) (*skillEntry, []*resourceEntry, error) {
	dir, ok := strings.CutSuffix(sk.URI, "/SKILL.md")
	scheme, rest, hasScheme := strings.Cut(dir, "://")
	if !ok || !hasScheme || scheme == "" || rest == "" || strings.Contains(rest, "//") || strings.HasSuffix(rest, "/") {
		return nil, nil, fmt.Errorf("skill %q: the URI must be <scheme>://<skill-path>/SKILL.md", sk.URI)
	}
	var fm struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if !codec.IsObject(sk.Frontmatter) || codec.Unmarshal(sk.Frontmatter, &fm) != nil || fm.Name == nil || fm.Description == nil || *fm.Description == "" {
		return nil, nil, fmt.Errorf("skill %q: the frontmatter must be an object with a name and a description", sk.URI)
	}
	name := *fm.Name
	if !skillNameOK(name) {
		return nil, nil, fmt.Errorf("skill %q: name %q breaks the naming rules (1-64 of a-z 0-9 -, no leading, trailing or double -)", sk.URI, name)
	}
	if path.Base(rest) != name {
		return nil, nil, fmt.Errorf("skill %q: the last segment of the skill path must equal its name %q", sk.URI, name)
	}
	if len(sk.Files) > MaxSkillFiles {
		return nil, nil, fmt.Errorf("skill %q: %d files, more than %d", sk.URI, len(sk.Files), MaxSkillFiles)
	}
	files := append([]SkillFile(nil), sk.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].URI < files[j].URI })
	e := &skillEntry{uri: sk.URI, name: name}
	b := []byte(`{"uri":`)
	b = codec.AppendString(b, sk.URI)
	b = append(b, `,"frontmatter":`...)
	b = append(b, sk.Frontmatter...)
	b = append(b, `,"resources":[`...)
	total, hasMD := 0, false
	var res []*resourceEntry
	for i, f := range files {
		if i > 0 && files[i-1].URI == f.URI {
			return nil, nil, fmt.Errorf("skill %q: file %q listed twice", sk.URI, f.URI)
		}
		if !strings.HasPrefix(f.URI, dir+"/") {
			return nil, nil, fmt.Errorf("skill %q: file %q is outside the skill's directory", sk.URI, f.URI)
		}
		total += len(f.Data)
		if total > MaxSkillBytes {
			return nil, nil, fmt.Errorf("skill %q: more than %d bytes of files", sk.URI, MaxSkillBytes)
		}
		sum := sha256.Sum256(f.Data)
		e.digests = append(e.digests, sum)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"uri":`...)
		b = codec.AppendString(b, f.URI)
		b = append(b, `,"digest":"sha256:`...)
		b = hex.AppendEncode(b, sum[:])
		b = append(b, `","size":`...)
		b = appendInt(b, len(f.Data))
		b = append(b, '}')

		re := Resource{URI: f.URI, Name: path.Base(f.URI), MimeType: f.MimeType, Inline: true}
		size := int64(len(f.Data))
		re.Size = &size
		if f.URI == sk.URI {
			hasMD = true
			re.Name, re.Description = name, *fm.Description
			if re.MimeType == "" {
				re.MimeType = "text/markdown"
			}
		}
		entry, err := fileResource(re, f.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("skill %q: %w", sk.URI, err)
		}
		res = append(res, entry)
		e.files = append(e.files, f.URI)
	}
	if !hasMD {
		return nil, nil, fmt.Errorf("skill %q: its files must include the SKILL.md itself", sk.URI)
	}
	e.entryJSON = append(b, `]}`...)
	return e, res, nil
}

// fileResource makes the resource serving one skill file from memory: text
// when the bytes are UTF-8, else a blob.
func fileResource(re Resource, data []byte) (*resourceEntry, error) {
	var contents ResourceContents
	if utf8.Valid(data) {
		contents = TextContents(re.URI, re.MimeType, string(data))
	} else {
		contents = BlobContents(re.URI, re.MimeType, data)
	}
	e := &resourceEntry{res: re, handler: func(*Request, string, map[string]string) ([]ResourceContents, error) {
		return []ResourceContents{contents}, nil
	}}
	var err error
	if e.listJSON, err = codec.AppendJSON(nil, &e.res); err != nil {
		return nil, fmt.Errorf("file %q: cannot encode: %w", re.URI, err)
	}
	return e, nil
}

// buildSkillDirs indexes every directory level under the skills' files:
// each maps to its direct children, files and subdirectories, sorted by
// URI. Called with Router.mu held, when skills change.
func buildSkillDirs(skills map[string]*skillEntry, resources map[string]*resourceEntry) map[string][]dirChild {
	kids := map[string]map[string]bool{} // dir → child → is a directory
	for _, sk := range skills {
		for _, f := range sk.files {
			scheme, rest, _ := strings.Cut(f, "://")
			segs := strings.Split(rest, "/")
			parent := scheme + "://" + segs[0]
			for i := 1; i < len(segs); i++ {
				child := parent + "/" + segs[i]
				if kids[parent] == nil {
					kids[parent] = map[string]bool{}
				}
				kids[parent][child] = i < len(segs)-1
				parent = child
			}
		}
	}
	out := make(map[string][]dirChild, len(kids))
	for dir, cs := range kids {
		list := make([]dirChild, 0, len(cs))
		for uri, isDir := range cs {
			var meta []byte
			if isDir {
				meta = []byte(`{"uri":`)
				meta = codec.AppendString(meta, uri)
				meta = append(meta, `,"name":`...)
				meta = codec.AppendString(meta, path.Base(uri))
				meta = append(meta, `,"mimeType":"inode/directory"}`...)
			} else if re := resources[uri]; re != nil {
				meta = re.listJSON
			} else { // replaced through RemoveResources: still a child
				meta = append(codec.AppendString([]byte(`{"uri":`), uri), '}')
			}
			list = append(list, dirChild{uri: uri, listJSON: meta})
		}
		sort.Slice(list, func(i, j int) bool { return list[i].uri < list[j].uri })
		out[dir] = list
	}
	return out
}

// snapshotSkills copies the skills into a catalog snapshot.
func (g *registry) snapshotSkills(c *catalog) {
	c.skillBy = make(map[string]*skillEntry, len(g.skills))
	for uri, e := range g.skills {
		c.skills = append(c.skills, e)
		c.skillBy[uri] = e
	}
	sort.Slice(c.skills, func(i, j int) bool { return c.skills[i].uri < c.skills[j].uri })
	c.skillDirs = g.skillDirs
}

// handleSkills routes skills/list, skills/get and resources/directory/read
// when the server has skills, reporting whether it answered.
func (r *Router) handleSkills(q *request) bool {
	switch string(q.method) {
	case "skills/list", "skills/get", "resources/directory/read":
	default:
		return false
	}
	cat := r.catalogOf(q.s.shard)
	if len(cat.skills) == 0 {
		return false // the extension is not declared: method not found
	}
	switch string(q.method) {
	case "skills/list":
		r.listSkills(q, cat)
	case "skills/get":
		r.getSkill(q, cat)
	default:
		r.readDirectory(q, cat)
	}
	return true
}

func (r *Router) listSkills(q *request, cat *catalog) {
	after, ok := q.cursor()
	if !ok {
		q.s.replyError(q.id, codec.CodeInvalidParams, "Invalid cursor", nil)
		return
	}
	start, end := r.page(len(cat.skills), func(i int) string { return cat.skills[i].uri }, after)
	buf := q.s.beginResult(q.id)
	buf = append(buf, `{"skills":[`...)
	for i := start; i < end; i++ {
		if i > start {
			buf = append(buf, ',')
		}
		buf = append(buf, cat.skills[i].entryJSON...)
	}
	buf = append(buf, ']')
	if end < len(cat.skills) {
		buf = appendNextCursor(buf, cat.skills[end-1].uri)
	}
	buf = r.appendEraFields(buf, q.s.era, true)
	buf = append(buf, '}')
	q.s.endResult(q.id, buf)
}

// uriParam returns params.uri unquoted, answering the error itself.
func uriParam(q *request) (string, bool) {
	v, ok := codec.ObjectField(q.params, "uri")
	if !ok || !codec.IsString(v) {
		q.s.replyError(q.id, codec.CodeInvalidParams, string(q.method)+": uri must be a string", nil)
		return "", false
	}
	u, err := codec.Unquote(nil, v)
	if err != nil {
		q.s.replyError(q.id, codec.CodeInvalidParams, string(q.method)+": bad uri", nil)
		return "", false
	}
	return string(u), true
}

func (r *Router) getSkill(q *request, cat *catalog) {
	uri, ok := uriParam(q)
	if !ok {
		return
	}
	e := cat.skillBy[uri]
	if e == nil {
		q.s.replyError(q.id, codec.CodeInvalidParams, "No skill is served at "+uri, nil)
		return
	}
	buf := q.s.beginResult(q.id)
	buf = append(buf, `{"skill":`...)
	buf = append(buf, e.entryJSON...)
	buf = r.appendEraFields(buf, q.s.era, true)
	buf = append(buf, '}')
	q.s.endResult(q.id, buf)
}

// readDirectory answers resources/directory/read: the direct children of a
// directory of the skills' namespace, a page at a time.
func (r *Router) readDirectory(q *request, cat *catalog) {
	uri, ok := uriParam(q)
	if !ok {
		return
	}
	kids, isDir := cat.skillDirs[uri]
	if !isDir {
		q.s.replyError(q.id, codec.CodeInvalidParams, uri+" is not a directory resource", nil)
		return
	}
	after, ok := q.cursor()
	if !ok {
		q.s.replyError(q.id, codec.CodeInvalidParams, "Invalid cursor", nil)
		return
	}
	start, end := r.page(len(kids), func(i int) string { return kids[i].uri }, after)
	buf := q.s.beginResult(q.id)
	buf = append(buf, `{"resources":[`...)
	for i := start; i < end; i++ {
		if i > start {
			buf = append(buf, ',')
		}
		buf = append(buf, kids[i].listJSON...)
	}
	buf = append(buf, ']')
	if end < len(kids) {
		buf = appendNextCursor(buf, kids[end-1].uri)
	}
	buf = r.appendEraFields(buf, q.s.era, false)
	buf = append(buf, '}')
	q.s.endResult(q.id, buf)
}

package densemcp_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// writeSkills lays out a directory of skills: git-workflow (with a
// subdirectory and a nested skill) and acme/billing/refunds.
func writeSkills(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"git-workflow/SKILL.md":                     "---\nname: git-workflow\ndescription: Team Git rules\nmetadata:\n  version: \"2\"\n---\n# Git\nSee references/BRANCHING.md.\n",
		"git-workflow/references/BRANCHING.md":      "Rebase on main.\n",
		"git-workflow/skills/commit/SKILL.md":       "---\nname: commit\ndescription: Commit messages\n---\nSay why.\n",
		"acme/billing/refunds/SKILL.md":             "---\nname: refunds\ndescription: Refund policy\n---\nThirty days.\n",
		"acme/billing/refunds/examples/reply.md":    "Hello,\n",
		"acme/billing/refunds/.editor-swap-ignored": "x",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	return dir
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

type skillEntryJSON struct {
	URI         string            `json:"uri"`
	Frontmatter map[string]any    `json:"frontmatter"`
	Resources   []json.RawMessage `json:"resources"`
}

type skillFileJSON struct {
	URI    string `json:"uri"`
	Digest string `json:"digest"`
	Size   int    `json:"size"`
}

// Skills from a directory, read by the official Go SDK client as resources
// (v1.8.0 has no skills API) in both eras, with every digest in the
// skills/list entries matching the bytes resources/read returns.
func TestSkillsAsResourcesWithSDKClient(t *testing.T) {
	dir := writeSkills(t)
	s := newTestServer(t, &densemcp.Options{SkillsDir: dir, SkillsPollInterval: -1}, nil)
	url := serveHTTP(t, s)
	entries := skillsList(t, newModernClient(t, url, `{}`))
	for _, pv := range []string{"2025-11-25", ""} {
		cs := sdkOverHTTP(t, url, pv, nil, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := cs.ListResources(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		byURI := map[string]*mcp.Resource{}
		for _, r := range res.Resources {
			byURI[r.URI] = r
		}
		md := byURI["skill://git-workflow/SKILL.md"]
		if md == nil || md.Name != "git-workflow" || md.Description != "Team Git rules" || md.MIMEType != "text/markdown" {
			t.Fatalf("%q: SKILL.md resource: %+v", pv, md)
		}
		if byURI["skill://acme/billing/refunds/.editor-swap-ignored"] != nil {
			t.Fatalf("%q: a dot file was served", pv)
		}
		for _, e := range entries {
			for _, raw := range e.Resources {
				var f skillFileJSON
				if err := json.Unmarshal(raw, &f); err != nil {
					t.Fatal(err)
				}
				rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: f.URI})
				if err != nil || len(rr.Contents) != 1 {
					t.Fatalf("%q: read %s: %v", pv, f.URI, err)
				}
				data := []byte(rr.Contents[0].Text)
				sum := sha256.Sum256(data)
				if "sha256:"+hex.EncodeToString(sum[:]) != f.Digest || len(data) != f.Size {
					t.Fatalf("%q: %s: digest %s size %d, read %d bytes hashing to %x", pv, f.URI, f.Digest, f.Size, len(data), sum)
				}
				want, _ := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(f.URI, "skill://")))
				if string(data) != string(want) {
					t.Fatalf("%q: %s: read %q, file holds %q", pv, f.URI, data, want)
				}
			}
		}
		if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "skill://git-workflow/missing.md"}); err == nil {
			t.Fatalf("%q: an unknown skill file was read", pv)
		}
	}
}

// skillsList pages through skills/list (modern) and returns the entries.
func skillsList(t *testing.T, c *modernClient) []skillEntryJSON {
	t.Helper()
	_, a := c.call("skills/list", "", "")
	var page struct {
		Skills     []skillEntryJSON `json:"skills"`
		ResultType string           `json:"resultType"`
		TTLMs      *int             `json:"ttlMs"`
		CacheScope string           `json:"cacheScope"`
	}
	if a.Error != nil || json.Unmarshal(a.Result, &page) != nil || page.ResultType != "complete" || page.TTLMs == nil || page.CacheScope == "" {
		t.Fatalf("skills/list: %s %+v", a.Result, a.Error)
	}
	return page.Skills
}

// skills/list, skills/get and resources/directory/read in both eras: the
// modern one over HTTP, the legacy one on a 2025-11-25 session over TCP.
func TestSkillsMethodsBothEras(t *testing.T) {
	dir := writeSkills(t)
	s := newTestServer(t, &densemcp.Options{SkillsDir: dir, SkillsPollInterval: -1, PageSize: 2}, nil)
	url := serveHTTP(t, s)
	c := newModernClient(t, url, `{}`)

	// Modern: discover declares the extension with directoryRead.
	_, a := c.call("server/discover", "", "")
	if !strings.Contains(string(a.Result), `"io.modelcontextprotocol/skills":{"directoryRead":true}`) {
		t.Fatalf("server/discover: %s", a.Result)
	}
	// Pages of two, each entry whole.
	var uris []string
	cursor := ""
	for {
		_, a := c.call("skills/list", "", cursor)
		var page struct {
			Skills     []skillEntryJSON `json:"skills"`
			NextCursor string           `json:"nextCursor"`
		}
		if a.Error != nil || json.Unmarshal(a.Result, &page) != nil || len(page.Skills) > 2 {
			t.Fatalf("skills/list: %s %+v", a.Result, a.Error)
		}
		for _, e := range page.Skills {
			uris = append(uris, e.URI)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = `"cursor":"` + page.NextCursor + `"`
	}
	if got := strings.Join(uris, " "); got != "skill://acme/billing/refunds/SKILL.md skill://git-workflow/SKILL.md skill://git-workflow/skills/commit/SKILL.md" {
		t.Fatalf("listed %s", got)
	}
	_, a = c.call("skills/get", "", `"uri":"skill://git-workflow/SKILL.md"`)
	var got struct {
		Skill      skillEntryJSON `json:"skill"`
		TTLMs      *int           `json:"ttlMs"`
		NextCursor *string        `json:"nextCursor"`
	}
	if a.Error != nil || json.Unmarshal(a.Result, &got) != nil || got.TTLMs == nil || got.NextCursor != nil ||
		got.Skill.Frontmatter["name"] != "git-workflow" || got.Skill.Frontmatter["metadata"].(map[string]any)["version"] != "2" ||
		len(got.Skill.Resources) != 3 { // SKILL.md, references/BRANCHING.md, and the nested skill's SKILL.md
		t.Fatalf("skills/get: %s %+v", a.Result, a.Error)
	}
	if _, a := c.call("skills/get", "", `"uri":"skill://nope/SKILL.md"`); a.Error == nil || a.Error.Code != -32602 {
		t.Fatalf("skills/get unknown: %+v", a)
	}
	_, a = c.call("resources/directory/read", "", `"uri":"skill://git-workflow"`)
	if a.Error != nil || !strings.Contains(string(a.Result), `{"uri":"skill://git-workflow/references","name":"references","mimeType":"inode/directory"}`) ||
		!strings.Contains(string(a.Result), `"uri":"skill://git-workflow/SKILL.md"`) {
		t.Fatalf("resources/directory/read: %s %+v", a.Result, a.Error)
	}
	for _, notDir := range []string{"skill://git-workflow/SKILL.md", "skill://nowhere"} {
		if _, a := c.call("resources/directory/read", "", `"uri":"`+notDir+`"`); a.Error == nil || a.Error.Code != -32602 {
			t.Fatalf("resources/directory/read %s: %+v", notDir, a)
		}
	}

	// Legacy: the same methods on a 2025-11-25 session.
	l := dialLegacyTasks(t, serveTCP(t, s))
	a = l.request("skills/get", `"uri":"skill://acme/billing/refunds/SKILL.md"`)
	if a.Error != nil || !strings.Contains(string(a.Result), `"frontmatter":{"name":"refunds","description":"Refund policy"}`) || strings.Contains(string(a.Result), "resultType") {
		t.Fatalf("legacy skills/get: %s %+v", a.Result, a.Error)
	}
	a = l.request("skills/list", "")
	if a.Error != nil || strings.Count(string(a.Result), `"frontmatter"`) != 2 || !strings.Contains(string(a.Result), `"nextCursor"`) {
		t.Fatalf("legacy skills/list: %s %+v", a.Result, a.Error)
	}
}

// A watched directory: a changed file gets a new digest and subscribers
// hear list_changed; a new skill appears; a deleted one goes away.
func TestSkillsDirectoryWatched(t *testing.T) {
	dir := writeSkills(t)
	s := newTestServer(t, &densemcp.Options{SkillsDir: dir, SkillsPollInterval: 20 * time.Millisecond}, nil)
	url := serveHTTP(t, s)
	var listChanged atomic.Int32
	cs := sdkOverHTTP(t, url, "2025-11-25", &mcp.ClientOptions{
		ResourceListChangedHandler: func(context.Context, *mcp.ResourceListChangedRequest) { listChanged.Add(1) },
	}, nil)
	c := newModernClient(t, url, `{}`)
	digestOf := func(uri string) string {
		for _, e := range skillsList(t, c) {
			for _, raw := range e.Resources {
				var f skillFileJSON
				_ = json.Unmarshal(raw, &f)
				if f.URI == uri {
					return f.Digest
				}
			}
		}
		return ""
	}
	before := digestOf("skill://git-workflow/references/BRANCHING.md")
	writeFile(t, filepath.Join(dir, "git-workflow/references/BRANCHING.md"), "Rebase on main, always.\n")
	waitFor(t, "a new digest", func() bool {
		d := digestOf("skill://git-workflow/references/BRANCHING.md")
		return d != "" && d != before
	})
	waitFor(t, "resources/list_changed", func() bool { return listChanged.Load() > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "skill://git-workflow/references/BRANCHING.md"})
	if err != nil || rr.Contents[0].Text != "Rebase on main, always.\n" {
		t.Fatalf("read after the change: %v %+v", err, rr)
	}

	writeFile(t, filepath.Join(dir, "new-skill/SKILL.md"), "---\nname: new-skill\ndescription: Added while serving\n---\n")
	has := func(uri string) bool {
		for _, e := range skillsList(t, c) {
			if e.URI == uri {
				return true
			}
		}
		return false
	}
	waitFor(t, "the added skill", func() bool { return has("skill://new-skill/SKILL.md") })
	if err := os.RemoveAll(filepath.Join(dir, "acme")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the removed skill to go", func() bool { return !has("skill://acme/billing/refunds/SKILL.md") })
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "skill://acme/billing/refunds/SKILL.md"}); err == nil {
		t.Fatal("a removed skill's file is still served")
	}
	// A skill broken on disk keeps its last good version.
	writeFile(t, filepath.Join(dir, "new-skill/SKILL.md"), "no frontmatter any more")
	time.Sleep(200 * time.Millisecond)
	if !has("skill://new-skill/SKILL.md") {
		t.Fatal("a skill that became unreadable was dropped instead of kept")
	}
}

// AddSkill from an fs.FS, and the errors of a bad one.
func TestAddSkillFromFS(t *testing.T) {
	dir := writeSkills(t)
	s := densemcp.NewServer(densemcp.Implementation{Name: "t", Version: "1"}, nil)
	if err := s.AddSkill(os.DirFS(dir), "git-workflow"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSkill(os.DirFS(dir), "acme"); err == nil {
		t.Fatal("a directory without SKILL.md was served as a skill")
	}
	if got := strings.Join(s.Skills(), " "); got != "skill://git-workflow/SKILL.md" {
		t.Fatalf("served %s", got)
	}
	if err := s.RemoveSkills("skill://git-workflow/SKILL.md"); err != nil || len(s.Skills()) != 0 {
		t.Fatalf("remove: %v %v", err, s.Skills())
	}
}

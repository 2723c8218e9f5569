package skills

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/densemcp/densemcp/router"
)

func TestFrontmatter(t *testing.T) {
	ok := func(md, wantJSON, wantName string) {
		t.Helper()
		got, name, err := Frontmatter([]byte(md))
		if err != nil || string(got) != wantJSON || name != wantName {
			t.Fatalf("%q:\n got %s %q %v\nwant %s %q", md, got, name, err, wantJSON, wantName)
		}
	}
	bad := func(md, wantErr string) {
		t.Helper()
		if _, _, err := Frontmatter([]byte(md)); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%q: error %v, want %q", md, err, wantErr)
		}
	}
	ok("---\nname: a\ndescription: b\n---\nbody", `{"name":"a","description":"b"}`, "a")
	// Keys keep their order; YAML 1.2 core scalars: a date stays a string.
	ok("\ufeff---\r\ndescription: \"d: x\"\r\nname: z-1\r\nlicense: MIT\r\nmetadata:\r\n  version: 2\r\n  since: 2024-01-02\r\n  ok: true\r\n  list: [a, 1.5, null]\r\n---\r\n",
		`{"description":"d: x","name":"z-1","license":"MIT","metadata":{"version":2,"since":"2024-01-02","ok":true,"list":["a",1.5,null]}}`, "z-1")
	ok("---\nname: a\ndescription: |\n  two\n  lines\nx: &A [1]\ny: *A\n---", `{"name":"a","description":"two\nlines\n","x":[1],"y":[1]}`, "a")

	bad("no frontmatter", "frontmatter")
	bad("---\nname: a\ndescription: b\n", "frontmatter")            // never closed
	bad("---\n- a\n- b\n---\n", "mapping")                          // not a mapping
	bad("---\nname: 7\ndescription: b\n---\n", "must be strings")   // name not a string
	bad("---\nname: a\n---\n", "must be strings")                   // no description
	bad("---\nname: [a\n---\n", "frontmatter")                      // bad YAML
	bad("---\nname: a\ndescription: b\n{a: 1}: x\n---\n", "scalar") // complex key
	// A billion laughs is refused, not expanded.
	laughs := "---\nname: a\ndescription: b\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 9; i++ {
		laughs += "l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [*l" + string(rune('0'+i-1)) + ", *l" + string(rune('0'+i-1)) + ", *l" + string(rune('0'+i-1)) + ", *l" + string(rune('0'+i-1)) + ", *l" + string(rune('0'+i-1)) + ", *l" + string(rune('0'+i-1)) + ", *l" + string(rune('0'+i-1)) + ", *l" + string(rune('0'+i-1)) + ", *l" + string(rune('0'+i-1)) + ", *l" + string(rune('0'+i-1)) + "]\n"
	}
	bad(laughs+"---\n", "too large")
}

func TestLoadTree(t *testing.T) {
	fsys := fstest.MapFS{
		"skills/git-workflow/SKILL.md":                      {Data: []byte("---\nname: git-workflow\ndescription: Git rules\n---\n# Git\n")},
		"skills/git-workflow/scripts/check.sh":              {Data: []byte("#!/bin/sh\n")},
		"skills/git-workflow/.hidden":                       {Data: []byte("x")},
		"skills/git-workflow/img/logo.bin":                  {Data: []byte{0, 1, 2, 0xff}},
		"skills/git-workflow/sub/commit/SKILL.md":           {Data: []byte("---\nname: commit\ndescription: Commits\n---\n")},
		"skills/acme/billing/refunds/SKILL.md":              {Data: []byte("---\nname: refunds\ndescription: Refunds\n---\n")},
		"skills/acme/billing/refunds/examples/my email.txt": {Data: []byte("hi")},
		"skills/misnamed/SKILL.md":                          {Data: []byte("---\nname: other\ndescription: wrong dir\n---\n")},
		"skills/broken/SKILL.md":                            {Data: []byte("no frontmatter")},
	}
	list, errs := LoadTree(fsys, "skills")
	if len(errs) != 2 {
		t.Fatalf("errors: %v", errs)
	}
	got := map[string][]string{}
	for _, sk := range list {
		for _, f := range sk.Files {
			got[sk.URI] = append(got[sk.URI], f.URI+" "+f.MimeType)
		}
	}
	want := map[string][]string{
		"skill://acme/billing/refunds/SKILL.md": {"skill://acme/billing/refunds/SKILL.md text/markdown", "skill://acme/billing/refunds/examples/my%20email.txt text/plain"},
		"skill://git-workflow/SKILL.md": {"skill://git-workflow/SKILL.md text/markdown", "skill://git-workflow/img/logo.bin application/octet-stream",
			"skill://git-workflow/scripts/check.sh text/x-shellscript", "skill://git-workflow/sub/commit/SKILL.md text/markdown"},
		"skill://git-workflow/sub/commit/SKILL.md": {"skill://git-workflow/sub/commit/SKILL.md text/markdown"},
	}
	for uri, files := range want {
		if strings.Join(got[uri], "\n") != strings.Join(files, "\n") {
			t.Fatalf("%s:\n got %q\nwant %q", uri, got[uri], files)
		}
	}
	// The router serves them, and refuses a skill whose path does not end
	// in its name.
	r := router.New(router.Implementation{Name: "t", Version: "1"}, router.Options{})
	if err := r.PutSkills(list, nil); err != nil {
		t.Fatal(err)
	}
	misnamed := router.Skill{URI: "skill://misnamed/SKILL.md", Frontmatter: []byte(`{"name":"other","description":"d"}`),
		Files: []router.SkillFile{{URI: "skill://misnamed/SKILL.md", Data: []byte("x")}}}
	if err := r.PutSkills([]router.Skill{misnamed}, nil); err == nil || !strings.Contains(err.Error(), "last segment") {
		t.Fatalf("misnamed skill: %v", err)
	}
	if got := strings.Join(r.SkillURIs(), " "); got != "skill://acme/billing/refunds/SKILL.md skill://git-workflow/SKILL.md skill://git-workflow/sub/commit/SKILL.md" {
		t.Fatalf("served: %s", got)
	}
}

package router

import (
	"fmt"
	"strings"
	"testing"
)

// A skill breaking the extension's rules is refused with the reason, and
// nothing of it is served.
func TestPutSkillsRefusesBadSkills(t *testing.T) {
	md := func(uri string) SkillFile { return SkillFile{URI: uri, Data: []byte("---\nname: a\n---\n")} }
	fm := []byte(`{"name":"a","description":"d"}`)
	f := func(sk Skill, want string) {
		t.Helper()
		r := New(Implementation{Name: "t", Version: "1"}, Options{})
		err := r.PutSkills([]Skill{sk}, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: error %v, want %q", sk.URI, err, want)
		}
		if len(r.SkillURIs()) != 0 || len(r.registry.resources) != 0 {
			t.Fatalf("%s: something was served anyway", sk.URI)
		}
	}
	f(Skill{URI: "skill://a/README.md", Frontmatter: fm, Files: []SkillFile{md("skill://a/README.md")}}, "SKILL.md")
	f(Skill{URI: "skill://a/SKILL.md", Frontmatter: []byte(`{"name":"a"}`), Files: []SkillFile{md("skill://a/SKILL.md")}}, "description")
	f(Skill{URI: "skill://a/SKILL.md", Frontmatter: []byte(`[1]`), Files: []SkillFile{md("skill://a/SKILL.md")}}, "object")
	f(Skill{URI: "skill://b/SKILL.md", Frontmatter: fm, Files: []SkillFile{md("skill://b/SKILL.md")}}, "last segment")
	f(Skill{URI: "skill://Bad--Name/SKILL.md", Frontmatter: []byte(`{"name":"Bad--Name","description":"d"}`), Files: []SkillFile{md("skill://Bad--Name/SKILL.md")}}, "naming rules")
	f(Skill{URI: "skill://a/SKILL.md", Frontmatter: fm, Files: []SkillFile{{URI: "skill://a/x.md"}}}, "SKILL.md itself")
	f(Skill{URI: "skill://a/SKILL.md", Frontmatter: fm, Files: []SkillFile{md("skill://a/SKILL.md"), {URI: "skill://ab/x.md"}}}, "outside")
	f(Skill{URI: "skill://a/SKILL.md", Frontmatter: fm, Files: []SkillFile{md("skill://a/SKILL.md"), md("skill://a/SKILL.md")}}, "twice")
	many := []SkillFile{md("skill://a/SKILL.md")}
	for i := 0; i < MaxSkillFiles; i++ {
		many = append(many, SkillFile{URI: fmt.Sprintf("skill://a/f%d", i)})
	}
	f(Skill{URI: "skill://a/SKILL.md", Frontmatter: fm, Files: many}, "files")
	big := []SkillFile{md("skill://a/SKILL.md"), {URI: "skill://a/big", Data: make([]byte, MaxSkillBytes)}}
	f(Skill{URI: "skill://a/SKILL.md", Frontmatter: fm, Files: big}, "bytes")

	// A good one next to a bad one in one call: neither is served.
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	good := Skill{URI: "skill://a/SKILL.md", Frontmatter: fm, Files: []SkillFile{md("skill://a/SKILL.md")}}
	if err := r.PutSkills([]Skill{good, {URI: "skill://a/oops"}}, nil); err == nil || len(r.SkillURIs()) != 0 {
		t.Fatalf("mixed batch: %v, served %v", err, r.SkillURIs())
	}
	if err := r.PutSkills([]Skill{good}, nil); err != nil || len(r.SkillURIs()) != 1 {
		t.Fatalf("good skill: %v", err)
	}
}

package densemcp

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/densemcp/densemcp/router"
	"github.com/densemcp/densemcp/skills"
)

// Skills (io.modelcontextprotocol/skills, SEP-2640): each skill is a
// directory with a SKILL.md; its files are served as skill://… resources,
// and skills/list, skills/get and resources/directory/read describe them.

// Skill is one skill to serve (PutSkills).
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

// AddSkill serves the skill in directory dir of fsys (it holds a SKILL.md)
// as skill://<name>/…, name from its frontmatter.
func (s *Server) AddSkill(fsys fs.FS, dir string) error {
	sk, err := skills.Load(fsys, dir, "")
	if err != nil {
		return err
	}
	return s.r.PutSkills([]router.Skill{sk}, nil)
}

// AddSkills serves every skill under root of fsys — each directory holding
// a SKILL.md — at its path relative to root (acme/billing/refunds →
// skill://acme/billing/refunds/SKILL.md). Skills that cannot be served are
// reported in the error; the others are served.
func (s *Server) AddSkills(fsys fs.FS, root string) error {
	list, errs := skills.LoadTree(fsys, root)
	if err := s.r.PutSkills(list, nil); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// PutSkills serves skills given in memory (replacing any with the same
// SKILL.md URI) and removes those whose SKILL.md URIs are in remove.
func (s *Server) PutSkills(put []Skill, remove ...string) error {
	return s.r.PutSkills(convSlice(put, skillToRouter), remove)
}

// Skills returns the SKILL.md URIs of the skills served.
func (s *Server) Skills() []string { return s.r.SkillURIs() }

// RemoveSkills stops serving skills, named by their SKILL.md URIs.
func (s *Server) RemoveSkills(uris ...string) error { return s.r.RemoveSkills(uris...) }

// WatchSkills serves the skills under directory dir (as AddSkills) and
// follows the directory until ctx is done: every interval it looks again
// (DefaultSkillsPollInterval if 0; never if negative) and serves what was
// added, changed or removed; clients hear resources/list_changed.
// Symbolic links cannot lead outside dir.
func (s *Server) WatchSkills(ctx context.Context, dir string, interval time.Duration) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	w := skills.NewWatcher(root.FS(), ".", s.r.PutSkills, s.opts.Logger)
	if err := w.Scan(); err != nil {
		root.Close()
		return err
	}
	if interval < 0 {
		root.Close()
		return nil
	}
	go func() {
		defer root.Close()
		w.Run(ctx, interval)
	}()
	return nil
}

// DefaultSkillsPollInterval is how often a watched skills directory is
// looked at again.
const DefaultSkillsPollInterval = skills.DefaultPollInterval

// startSkills serves Options.SkillsDir for as long as ctx lasts.
func (s *Server) startSkills(ctx context.Context) error {
	if s.opts.SkillsDir == "" {
		return nil
	}
	return s.WatchSkills(ctx, s.opts.SkillsDir, s.opts.SkillsPollInterval)
}

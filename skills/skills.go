// Package skills reads Agent Skills from a file system for the skills
// extension (io.modelcontextprotocol/skills, SEP-2640): a skill is a
// directory holding a SKILL.md whose YAML frontmatter names and describes
// it, plus any supporting files. Load and LoadTree turn directories into
// router.Skill values (the frontmatter rendered as JSON, every file with its
// MIME type); Watch polls a directory and reports what changed. The router
// serves them; this leaf keeps the YAML parser off the core's imports.
package skills

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/densemcp/densemcp/router"
)

// Scheme is the URI scheme skills are served under.
const Scheme = "skill://"

// SkillFileName names the file that makes a directory a skill.
const SkillFileName = "SKILL.md"

// Load reads the skill in directory dir of fsys, served as
// skill://<skillPath>/…; an empty skillPath means the skill's own name.
// Every regular file under dir is part of it (nested skills included),
// except names starting with "." (.git, editor files).
func Load(fsys fs.FS, dir, skillPath string) (router.Skill, error) {
	md, err := fs.ReadFile(fsys, path.Join(dir, SkillFileName))
	if err != nil {
		return router.Skill{}, fmt.Errorf("skill %s: %w", dir, err)
	}
	fm, name, err := Frontmatter(md)
	if err != nil {
		return router.Skill{}, fmt.Errorf("skill %s: %w", dir, err)
	}
	if skillPath == "" {
		skillPath = name
	}
	if path.Base(skillPath) != name {
		return router.Skill{}, fmt.Errorf("skill %s: its directory must be named after the skill (%q)", dir, name)
	}
	base := Scheme + escapePath(skillPath)
	sk := router.Skill{URI: base + "/" + SkillFileName, Frontmatter: fm}
	total := 0
	err = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if len(sk.Files) >= router.MaxSkillFiles {
			return fmt.Errorf("more than %d files", router.MaxSkillFiles)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if total += len(data); total > router.MaxSkillBytes {
			return fmt.Errorf("more than %d bytes of files", router.MaxSkillBytes)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		if dir == "." {
			rel = p
		}
		sk.Files = append(sk.Files, router.SkillFile{URI: base + "/" + escapePath(rel), MimeType: mimeTypeOf(rel, data), Data: data})
		return nil
	})
	if err != nil {
		return router.Skill{}, fmt.Errorf("skill %s: %w", dir, err)
	}
	return sk, nil
}

// LoadTree finds every skill under root of fsys — each directory holding a
// SKILL.md — and reads it, served at its path relative to root (a SKILL.md
// in root itself is served under its name). A skill that cannot be read
// or breaks the rules is reported in errs and left out; the others load.
func LoadTree(fsys fs.FS, root string) (skills []router.Skill, errs []error) {
	dirs, err := skillDirs(fsys, root)
	if err != nil {
		return nil, []error{err}
	}
	for _, d := range dirs {
		sk, err := Load(fsys, d.dir, d.path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		skills = append(skills, sk)
	}
	return skills, errs
}

type skillDir struct{ dir, path string }

// skillDirs lists the directories under root that hold a SKILL.md, sorted.
func skillDirs(fsys fs.FS, root string) ([]skillDir, error) {
	var out []skillDir
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable subdirectory holds no skill we can serve
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if fi, err := fs.Stat(fsys, path.Join(p, SkillFileName)); err == nil && fi.Mode().IsRegular() {
			rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
			if root == "." {
				rel = p
			}
			if rel == "." {
				rel = ""
			}
			out = append(out, skillDir{dir: p, path: rel})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out, err
}

// escapePath percent-encodes each segment of a slash-separated path for a
// URI (a file name with a space or "#" stays addressable).
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// mimeTypes are the types of common skill files, by extension. A fixed
// table rather than mime.TypeByExtension, whose answers depend on the
// machine's /etc/mime.types.
var mimeTypes = map[string]string{
	".md": "text/markdown", ".markdown": "text/markdown", ".txt": "text/plain",
	".py": "text/x-python", ".sh": "text/x-shellscript", ".js": "text/javascript", ".mjs": "text/javascript",
	".ts": "text/typescript", ".go": "text/x-go", ".rb": "text/x-ruby", ".rs": "text/x-rust",
	".json": "application/json", ".yaml": "application/yaml", ".yml": "application/yaml", ".toml": "application/toml",
	".html": "text/html", ".css": "text/css", ".csv": "text/csv", ".xml": "application/xml",
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml",
	".webp": "image/webp", ".pdf": "application/pdf", ".zip": "application/zip",
}

func mimeTypeOf(name string, data []byte) string {
	if t, ok := mimeTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	if utf8.Valid(data) && !bytes.ContainsRune(data, 0) {
		return "text/plain"
	}
	return "application/octet-stream"
}

// ErrNoFrontmatter: a SKILL.md does not start with a --- delimited block.
var ErrNoFrontmatter = errors.New("SKILL.md does not begin with YAML frontmatter between --- lines")

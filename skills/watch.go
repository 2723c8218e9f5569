package skills

import (
	"context"
	"io/fs"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/densemcp/densemcp/router"
)

// DefaultPollInterval is how often Watch looks at the directory again.
const DefaultPollInterval = 2 * time.Second

// Apply receives what changed: skills to add or replace, and the SKILL.md
// URIs of skills that went away.
type Apply func(put []router.Skill, remove []string) error

// Watcher follows the skills under a directory by polling it: each look
// stats the files (names, sizes, modification times) and reads again only
// the skills whose files changed. Polling needs no platform support and no
// new dependency, and a look at a directory of skills costs a few stat
// calls per file.
type Watcher struct {
	fsys  fs.FS
	root  string
	apply Apply
	log   *slog.Logger
	known map[string]watched // by skill directory
}

type watched struct {
	uri   string
	stamp uint64
}

// NewWatcher returns a watcher of root in fsys that reports to apply.
func NewWatcher(fsys fs.FS, root string, apply Apply, log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.Default()
	}
	return &Watcher{fsys: fsys, root: root, apply: apply, log: log, known: map[string]watched{}}
}

// Scan looks once and applies what changed. A skill that fails to load is
// logged and left as it was (kept if it was served before); an error is
// returned only when root cannot be read or apply refused the change.
func (w *Watcher) Scan() error {
	dirs, err := skillDirs(w.fsys, w.root)
	if err != nil {
		return err
	}
	var put []router.Skill
	var remove []string
	seen := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		seen[d.dir] = true
		stamp := w.stamp(d.dir)
		old, ok := w.known[d.dir]
		if ok && old.stamp == stamp {
			continue
		}
		sk, err := Load(w.fsys, d.dir, d.path)
		if err != nil {
			w.log.Warn("cannot serve skill", "dir", d.dir, "err", err)
			continue
		}
		if ok && old.uri != sk.URI {
			remove = append(remove, old.uri)
		}
		put = append(put, sk)
		w.known[d.dir] = watched{uri: sk.URI, stamp: stamp}
	}
	for dir, old := range w.known {
		if !seen[dir] {
			remove = append(remove, old.uri)
			delete(w.known, dir)
		}
	}
	if len(put) == 0 && len(remove) == 0 {
		return nil
	}
	if err := w.apply(put, remove); err != nil {
		// Forget the refused skills, so the next look tries again.
		for _, sk := range put {
			for dir, k := range w.known {
				if k.uri == sk.URI {
					delete(w.known, dir)
				}
			}
		}
		return err
	}
	w.log.Info("skills changed", "served", len(put), "removed", len(remove))
	return nil
}

// stamp summarises the files of a skill directory: names, sizes and
// modification times.
func (w *Watcher) stamp(dir string) uint64 {
	h := xxhash.New()
	var b []byte
	_ = fs.WalkDir(w.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil || d.IsDir() {
			return nil
		}
		b = append(b[:0], p...)
		b = append(b, 0)
		b = strconv.AppendInt(b, fi.Size(), 10)
		b = append(b, 0)
		b = strconv.AppendInt(b, fi.ModTime().UnixNano(), 10)
		b = append(b, '\n')
		_, _ = h.Write(b)
		return nil
	})
	return h.Sum64()
}

// Run scans every interval until ctx is done. Errors are logged.
func (w *Watcher) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.Scan(); err != nil {
				w.log.Warn("cannot refresh skills", "root", path.Clean(w.root), "err", err)
			}
		}
	}
}

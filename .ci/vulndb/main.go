// Command vulndb turns the OSV files that the golang.org/x/vulndb module
// ships (data/osv/*.json) into a database in the v1 layout govulncheck
// reads with -db file://DIR:
//
//	index/db.json       {"modified": the latest entry's modified time}
//	index/modules.json  [{"path": module, "vulns": [{"id", "modified"}]}]
//	index/vulns.json    [{"id", "modified", "aliases"}]
//	ID/<id>.json        each entry, as shipped
//
// The index leaves out each vulnerability's "fixed" version: it only lets
// the client skip fetching entries a module version is known to be past,
// and without it govulncheck reads every entry of a module in use and
// decides from the entry's own ranges — slower by a few files, never
// wrong. So CI needs nothing but the module proxy: no network access to
// vuln.go.dev.
//
// Usage: go run .ci/vulndb/main.go -vulns DIR/data/osv -out DBDIR [-modified TIME]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// entry is the part of an OSV entry the index needs.
type entry struct {
	ID        string    `json:"id"`
	Modified  time.Time `json:"modified"`
	Published time.Time `json:"published"`
	Aliases   []string  `json:"aliases"`
	Affected  []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vulnMeta struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	vulns := flag.String("vulns", "", "directory of OSV JSON files (<ID>.json)")
	out := flag.String("out", "", "directory to write the database to")
	asOf := flag.String("modified", "", "the database's time (RFC 3339), if later than every entry's; the repository's entries mostly leave theirs unset")
	flag.Parse()
	if *vulns == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: vulndb -vulns DIR -out DIR")
		os.Exit(2)
	}
	var t time.Time
	if *asOf != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, *asOf); err != nil {
			fmt.Fprintln(os.Stderr, "vulndb: -modified:", err)
			os.Exit(2)
		}
	}
	n, err := build(*vulns, *out, t)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "vulndb: %d entries from %s\n", n, *vulns)
}

func build(src, dst string, asOf time.Time) (int, error) {
	files, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no OSV files in %s", src)
	}
	if err := os.MkdirAll(filepath.Join(dst, "index"), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Join(dst, "ID"), 0o755); err != nil {
		return 0, err
	}
	modified := asOf
	modules := map[string]*moduleMeta{}
	var vulns []vulnMeta
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		if e.ID == "" || filepath.Base(f) != e.ID+".json" {
			return 0, fmt.Errorf("%s: entry id %q does not match the file name", f, e.ID)
		}
		if e.Modified.IsZero() {
			// The repository's files leave it unset (the published
			// database stamps it); the index wants a time.
			e.Modified = e.Published
		}
		if e.Modified.After(modified) {
			modified = e.Modified
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		seen := map[string]bool{}
		for _, a := range e.Affected {
			p := a.Package.Name
			if a.Package.Ecosystem != "Go" || p == "" || seen[p] {
				continue
			}
			seen[p] = true
			m := modules[p]
			if m == nil {
				m = &moduleMeta{Path: p}
				modules[p] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified})
		}
		if err := os.WriteFile(filepath.Join(dst, "ID", e.ID+".json"), b, 0o644); err != nil {
			return 0, err
		}
	}
	mods := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		slices.SortFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b *moduleMeta) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(vulns, func(a, b vulnMeta) int { return strings.Compare(a.ID, b.ID) })
	for name, v := range map[string]any{
		"db.json":      map[string]time.Time{"modified": modified},
		"modules.json": mods,
		"vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(dst, "index", name), b, 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}

package main

import (
	"embed"
	"flag"
	"io/fs"
	"log/slog"
	"time"

	"github.com/densemcp/densemcp"
)

// The skills flags: a directory of skills to serve, and how often it is
// looked at for changes.
func init() {
	var dir string
	var poll time.Duration
	registerServeExtension(serveExtension{
		name: "skills",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "skills", "", "serve the skills under `DIR` (each directory holding a SKILL.md) as skill:// resources, skills/list and skills/get")
			fs.DurationVar(&poll, "skills-poll", densemcp.DefaultSkillsPollInterval, "how often the --skills directory is looked at for changes (0: never)")
		},
		apply: func(o *densemcp.Options, _ *slog.Logger) error {
			o.SkillsDir = dir
			o.SkillsPollInterval = poll
			if poll <= 0 {
				o.SkillsPollInterval = -1
			}
			return nil
		},
	})
}

// conformanceSkills are the skills the conformance fixtures serve (the
// sep-2640-skills-* scenarios): a skill under a prefix with a
// subdirectory, and one with a nested skill.
//
//go:embed conformance-skills
var conformanceSkills embed.FS

func registerConformanceSkills(s *densemcp.Server) error {
	sub, err := fs.Sub(conformanceSkills, "conformance-skills")
	if err != nil {
		return err
	}
	return s.AddSkills(sub, ".")
}

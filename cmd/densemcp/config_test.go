package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// parse runs parseServeArgs over a fresh serve flag set with the given
// config file contents (none if ""), environment and command line.
func parse(t *testing.T, file string, env map[string]string, args ...string) (*flag.FlagSet, error) {
	t.Helper()
	fs, _ := newServeFlags(io.Discard)
	if file != "" {
		path := filepath.Join(t.TempDir(), "densemcp.toml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", path}, args...)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	return fs, parseServeArgs(fs, args, lookup, io.Discard)
}

func value(fs *flag.FlagSet, name string) string { return fs.Lookup(name).Value.String() }

// Flags beat DENSEMCP_* variables, which beat the file, which beats the
// defaults; each key or variable sets the flag of its name, extensions'
// flags (admin, pprof) included.
func TestConfigPrecedence(t *testing.T) {
	file := `
max-sessions = 10
workers = 20
loops = 3
session-ttl = "5m"
stdio = true
allowed-hosts = ["a.example", "b.example"]
admin = "127.0.0.1:9100"
`
	env := map[string]string{"DENSEMCP_WORKERS": "21", "DENSEMCP_LOOPS": "4", "DENSEMCP_PPROF": "127.0.0.1:6060"}
	fs, err := parse(t, file, env, "--loops", "5")
	if err != nil {
		t.Fatal(err)
	}
	f := func(name, want string) {
		t.Helper()
		if got := value(fs, name); got != want {
			t.Errorf("--%s = %q, want %q", name, got, want)
		}
	}
	f("max-sessions", "10")                   // file
	f("workers", "21")                        // env over file
	f("loops", "5")                           // flag over env and file
	f("session-ttl", "5m0s")                  // file, a duration string
	f("stdio", "true")                        // file, a boolean
	f("allowed-hosts", "a.example,b.example") // an array joins with commas
	f("admin", "127.0.0.1:9100")              // an extension's flag, from the file
	f("pprof", "127.0.0.1:6060")              // an extension's flag, from the environment
	f("endpoint", "/mcp")                     // default
	f("handler-timeout", "10m0s")             // default

	// DENSEMCP_CONFIG names the file when --config does not.
	path := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(path, []byte("max-sessions = 33\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, err = parse(t, "", map[string]string{"DENSEMCP_CONFIG": path})
	if err != nil || value(fs, "max-sessions") != "33" {
		t.Fatalf("DENSEMCP_CONFIG: %v, max-sessions %s", err, value(fs, "max-sessions"))
	}
}

// Every flag of serve is a key of the config file and a DENSEMCP_*
// variable: the set is derived from the flag set itself.
func TestConfigMirrorsEveryFlag(t *testing.T) {
	fs, _ := newServeFlags(io.Discard)
	var out bytes.Buffer
	if err := printConfig(&out, fs); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("config print is not TOML: %v\n%s", err, out.String())
	}
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == configFlag {
			return
		}
		n++
		if _, ok := doc[f.Name]; !ok {
			t.Errorf("flag --%s missing from config print", f.Name)
		}
		if !strings.Contains(out.String(), envName(f.Name)) {
			t.Errorf("config print does not name %s", envName(f.Name))
		}
	})
	if len(doc) != n {
		t.Errorf("config print has %d keys for %d flags", len(doc), n)
	}
	// What config print writes, a config file accepts, with the same values.
	fs2, err := parse(t, out.String(), nil)
	if err != nil {
		t.Fatalf("config print's output as a config file: %v", err)
	}
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == configFlag {
			return
		}
		if got := value(fs2, f.Name); got != f.Value.String() {
			t.Errorf("round trip of --%s: %q, want %q", f.Name, got, f.Value.String())
		}
	})
}

// Unknown keys, wrong TOML types and values a flag rejects are errors at
// start-up that name the key (or variable) and say why.
func TestConfigErrors(t *testing.T) {
	f := func(file string, env map[string]string, want ...string) {
		t.Helper()
		_, err := parse(t, file, env)
		if err == nil {
			t.Fatalf("%q %v: no error", file, env)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q %v: error %q lacks %q", file, env, err, w)
			}
		}
	}
	f("max-sesions = 3\n", nil, `unknown key "max-sesions" (line 1)`, "flag names")
	f("workers = 1\n[http]\nport = 1\n", nil, `key "http": want a string, got a table`)
	f("workers = 1\n[server]\nport = 1\n", nil, `unknown key "server"`)
	f("max-sessions = \"x\"\n", nil, `key "max-sessions": want an integer, got the string "x"`)
	f("max-sessions = 1.5\n", nil, `key "max-sessions": want an integer, got the number 1.5`)
	f("stdio = \"yes\"\n", nil, `key "stdio": want true or false, got the string "yes"`)
	f("session-ttl = 300\n", nil, `key "session-ttl": want a duration string`, "got the integer 300")
	f("session-ttl = \"10 minutes\"\n", nil, `key "session-ttl": invalid value "10 minutes"`, `unknown unit " minutes"`)
	f("endpoint = [1, 2]\n", nil, `key "endpoint": want a string or an array of strings`)
	f("endpoint = { a = 1 }\n", nil, `key "endpoint": want a string, got a table`)
	f("workers = \n", nil, "line 1")
	f("config = \"other.toml\"\n", nil, `unknown key "config"`)
	f("", map[string]string{"DENSEMCP_WORKERS": "many"}, "DENSEMCP_WORKERS", `invalid value "many" for --workers`, "want an integer")
	f("", map[string]string{"DENSEMCP_SESSION_TTL": "soon"}, "DENSEMCP_SESSION_TTL", "want a duration")
	f("", map[string]string{"DENSEMCP_STDIO": "perhaps"}, "DENSEMCP_STDIO", "want true or false")
	f("", map[string]string{"DENSEMCP_CONFIG": "/does/not/exist.toml"}, "config file", "no such file")
}

// Bad values that only serve itself checks (log level and format) are
// refused at start-up too, whichever source they came from.
func TestServeRefusesBadLogSettings(t *testing.T) {
	f := func(args []string, want string) {
		t.Helper()
		var stderr bytes.Buffer
		if code := run(append([]string{"serve"}, args...), nil, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", args, code, stderr.String(), want)
		}
	}
	f([]string{"--log-format", "xml"}, `bad --log-format "xml"`)
	f([]string{"--log-level", "loud"}, `bad --log-level "loud"`)
	f([]string{"--max-sessions", "x"}, `invalid value "x"`)
	f([]string{"extra"}, `unexpected argument "extra"`)
}

// densemcp version names the version, the commit and the Go version.
func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"version"}, nil, &out, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	s := out.String()
	if !strings.Contains(s, "densemcp "+version) || !strings.Contains(s, "commit ") || !strings.Contains(s, "go1.") {
		t.Fatalf("version output: %q", s)
	}
}

// config print shows a value from each source.
func TestConfigPrintCommand(t *testing.T) {
	t.Setenv("DENSEMCP_WORKERS", "77")
	var out, errOut bytes.Buffer
	if code := run([]string{"config", "print", "--max-sessions", "9"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"\nworkers = 77\n", "\nmax-sessions = 9\n", "\nendpoint = '/mcp'\n", "\nsession-ttl = '10m0s'\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config print lacks %q:\n%s", want, out.String())
		}
	}
}

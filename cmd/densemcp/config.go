package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// configFlag names the flag (and DENSEMCP_CONFIG) that points at the
// config file; the file itself cannot set it.
const configFlag = "config"

// envPrefix starts the environment variable of every serve flag:
// --max-sessions is DENSEMCP_MAX_SESSIONS.
const envPrefix = "DENSEMCP_"

// errFlagParse: the flag package has already printed the error and usage.
var errFlagParse = errors.New("bad command line")

// envName is the environment variable of flag name.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// parseServeArgs fills fs from, in rising precedence: the flags' defaults,
// the TOML config file (--config or DENSEMCP_CONFIG), DENSEMCP_* variables,
// and the command line. Every key is a flag name, so the file mirrors
// exactly the flags fs has, extensions' included. Unknown keys and bad
// values are errors naming the key (or variable); unknown DENSEMCP_*
// variables get a warning on warn.
func parseServeArgs(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool), warn io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errFlagParse
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (serve takes only flags)", fs.Arg(0))
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })

	path := fs.Lookup(configFlag).Value.String()
	if path == "" {
		if v, ok := lookupEnv(envName(configFlag)); ok {
			path = v
		}
	}
	if path != "" {
		doc, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		if err := applyConfigFile(fs, doc, onCommandLine); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := lookupEnv(envName(f.Name))
		if !ok || onCommandLine[f.Name] || f.Name == configFlag || envErr != nil {
			return
		}
		if err := setFlag(fs, f, v); err != nil {
			envErr = fmt.Errorf("environment variable %s: invalid value %q for --%s: %v", envName(f.Name), v, f.Name, err)
		}
	})
	if envErr != nil {
		return envErr
	}
	warnUnknownEnv(fs, warn)
	return nil
}

// warnUnknownEnv names DENSEMCP_* variables that match no flag (a typo
// would otherwise be silently ignored). Only a warning: scripts may use
// the prefix for their own variables.
func warnUnknownEnv(fs *flag.FlagSet, warn io.Writer) {
	known := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { known[envName(f.Name)] = true })
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, envPrefix) && !known[k] && warn != nil {
			fmt.Fprintf(warn, "densemcp: warning: %s matches no serve flag; ignored\n", k)
		}
	}
}

// flagKind is the TOML type a flag's key takes.
type flagKind int

const (
	kindString flagKind = iota
	kindBool
	kindInt
	kindFloat
	kindDuration
)

func kindOf(f *flag.Flag) flagKind {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return kindBool
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return kindString
	}
	switch g.Get().(type) {
	case bool:
		return kindBool
	case int, int64, uint, uint64:
		return kindInt
	case float64:
		return kindFloat
	case time.Duration:
		return kindDuration
	}
	return kindString
}

func (k flagKind) String() string {
	return [...]string{"a string", "true or false", "an integer", "a number", `a duration string such as "10m" or "1h30m"`}[k]
}

// applyConfigFile decodes doc strictly into a struct with one field per
// flag (built from fs, so extensions' flags are keys too) and sets every
// flag the command line did not.
func applyConfigFile(fs *flag.FlagSet, doc []byte, onCommandLine map[string]bool) error {
	var names []string
	var fields []reflect.StructField
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == configFlag {
			return
		}
		fields = append(fields, reflect.StructField{
			Name: "F" + strconv.Itoa(len(fields)),
			Type: reflect.TypeFor[any](),
			Tag:  reflect.StructTag(`toml:"` + f.Name + `"`),
		})
		names = append(names, f.Name)
	})
	v := reflect.New(reflect.StructOf(fields))
	dec := toml.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		return tomlError(err)
	}
	for i, name := range names {
		val := v.Elem().Field(i).Interface()
		if val == nil || onCommandLine[name] {
			continue
		}
		f := fs.Lookup(name)
		s, err := configValue(kindOf(f), val)
		if err != nil {
			return fmt.Errorf("key %q: %w", name, err)
		}
		if err := setFlag(fs, f, s); err != nil {
			return fmt.Errorf("key %q: invalid value %q: %v", name, s, err)
		}
	}
	return nil
}

// tomlError rewords go-toml's errors to name the key and the line.
func tomlError(err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var keys []string
		for _, e := range strict.Errors {
			row, _ := e.Position()
			keys = append(keys, fmt.Sprintf("%q (line %d)", strings.Join(e.Key(), "."), row))
		}
		return fmt.Errorf("unknown key %s: keys are serve's flag names (densemcp config print lists them)", strings.Join(keys, ", "))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		if k := de.Key(); len(k) > 0 {
			return fmt.Errorf("key %q (line %d): %v", strings.Join(k, "."), row, de.Error())
		}
		return fmt.Errorf("line %d, column %d: %v", row, col, de.Error())
	}
	return err
}

// configValue turns a decoded TOML value into the flag's text form,
// checking that its TOML type fits the flag.
func configValue(k flagKind, val any) (string, error) {
	bad := func() (string, error) {
		return "", fmt.Errorf("want %s, got %s", k, describe(val))
	}
	switch k {
	case kindBool:
		if b, ok := val.(bool); ok {
			return strconv.FormatBool(b), nil
		}
		return bad()
	case kindInt:
		if n, ok := val.(int64); ok {
			return strconv.FormatInt(n, 10), nil
		}
		return bad()
	case kindFloat:
		switch n := val.(type) {
		case int64:
			return strconv.FormatInt(n, 10), nil
		case float64:
			return strconv.FormatFloat(n, 'g', -1, 64), nil
		}
		return bad()
	case kindDuration:
		if s, ok := val.(string); ok {
			return s, nil
		}
		return bad()
	}
	switch x := val.(type) {
	case string:
		return x, nil
	case []any: // a list flag: ["a", "b"] is "a,b"
		parts := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return "", fmt.Errorf("want a string or an array of strings, got an array holding %s", describe(e))
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	case int64, float64, bool:
		return fmt.Sprint(x), nil
	}
	return bad()
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case int64:
		return fmt.Sprintf("the integer %d", x)
	case float64:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

// setFlag sets f to s, parsing it first by the flag's kind: the flag
// package would only say "parse error", strconv and time say why.
func setFlag(fs *flag.FlagSet, f *flag.Flag, s string) error {
	var err error
	switch kindOf(f) {
	case kindBool:
		_, err = strconv.ParseBool(s)
	case kindInt:
		_, err = strconv.ParseInt(s, 0, 64)
	case kindFloat:
		_, err = strconv.ParseFloat(s, 64)
	case kindDuration:
		_, err = time.ParseDuration(s)
	}
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		return fmt.Errorf("want %s: %w", kindOf(f), err)
	}
	return fs.Set(f.Name, s)
}

// configCommand runs `densemcp config print [serve flags]`: the effective
// serve configuration, as TOML that --config accepts.
func configCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "print" {
		fmt.Fprintln(stderr, "usage: densemcp config print [--config FILE] [serve flags]")
		return 2
	}
	fs, _ := newServeFlags(stderr)
	if err := parseServeArgs(fs, args[1:], os.LookupEnv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if !errors.Is(err, errFlagParse) {
			fmt.Fprintf(stderr, "densemcp: %v\n", err)
		}
		return 2
	}
	if err := printConfig(stdout, fs); err != nil {
		fmt.Fprintf(stderr, "densemcp: %v\n", err)
		return 1
	}
	return 0
}

// printConfig writes every flag of fs (but --config) as a TOML key with
// its usage as a comment, in name order.
func printConfig(w io.Writer, fs *flag.FlagSet) error {
	fmt.Fprintln(w, "# densemcp serve: effective configuration (defaults < --config file < DENSEMCP_* < flags).")
	fmt.Fprintln(w, "# Keys are the flag names; this output is a valid --config file.")
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != configFlag {
			flags = append(flags, f)
		}
	})
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		var v any = f.Value.String()
		switch kindOf(f) {
		case kindBool:
			v = f.Value.String() == "true"
		case kindInt:
			n, err := strconv.ParseInt(f.Value.String(), 10, 64)
			if err != nil {
				return fmt.Errorf("flag --%s: %v", f.Name, err)
			}
			v = n
		case kindFloat:
			x, err := strconv.ParseFloat(f.Value.String(), 64)
			if err != nil {
				return fmt.Errorf("flag --%s: %v", f.Name, err)
			}
			v = x
		}
		line, err := toml.Marshal(map[string]any{f.Name: v})
		if err != nil {
			return fmt.Errorf("flag --%s: %v", f.Name, err)
		}
		_, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "\n# %s (default %q; env %s)\n%s", usage, f.DefValue, envName(f.Name), line)
	}
	return nil
}

// printVersion prints the version, and the commit and Go version from the
// build information (debug.ReadBuildInfo).
func printVersion(w io.Writer) {
	commit, modified, when := "unknown", false, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			case "vcs.time":
				when = s.Value
			}
		}
	}
	if modified {
		commit += "-dirty"
	}
	fmt.Fprintf(w, "densemcp %s\ncommit %s", version, commit)
	if when != "" {
		fmt.Fprintf(w, " (%s)", when)
	}
	fmt.Fprintf(w, "\n%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

package densemcp

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/cluster"
	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
)

var updateAPI = flag.Bool("update", false, "rewrite api.txt from the package's exported API")

// TestAPIGolden keeps api.txt, the exported API of this package, in step
// with the code: a change to the API must come with the golden file's
// (go test -run TestAPIGolden -update .), so it is deliberate and shows in
// review.
func TestAPIGolden(t *testing.T) {
	got := exportedAPI(t, ".")
	if *updateAPI {
		if err := os.WriteFile("api.txt", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("api.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		in := func(l []string) map[string]bool {
			m := map[string]bool{}
			for _, s := range l {
				m[s] = true
			}
			return m
		}
		g, w := in(gl), in(wl)
		var diff []string
		for _, s := range wl {
			if !g[s] {
				diff = append(diff, "- "+s)
			}
		}
		for _, s := range gl {
			if !w[s] {
				diff = append(diff, "+ "+s)
			}
		}
		t.Fatalf("the exported API differs from api.txt (run go test -run TestAPIGolden -update . if the change is meant):\n%s", strings.Join(diff, "\n"))
	}
}

// exportedAPI lists the exported declarations of the package in dir, one
// per line, sorted: functions and methods with their signatures, types with
// their exported fields and methods' sets as declared, constants with their
// values, variables with their types. Doc comments are left out, so only a
// change of the API itself changes it.
func exportedAPI(t *testing.T, dir string) string {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	var lines []string
	print := func(n any) string {
		var b bytes.Buffer
		if err := (&printer.Config{Mode: printer.RawFormat}).Fprint(&b, fset, n); err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(b.String()), " ")
	}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || (d.Recv != nil && !exportedRecv(d.Recv)) {
					continue
				}
				fd := *d
				fd.Body, fd.Doc = nil, nil
				lines = append(lines, print(&fd))
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						if !sp.Name.IsExported() {
							continue
						}
						ts := *sp
						ts.Doc, ts.Comment = nil, nil
						ts.Type = exportedOnly(ts.Type)
						lines = append(lines, "type "+print(&ts))
					case *ast.ValueSpec:
						for i, n := range sp.Names {
							if !n.IsExported() {
								continue
							}
							l := d.Tok.String() + " " + n.Name
							if sp.Type != nil {
								l += " " + print(sp.Type)
							}
							if d.Tok == token.CONST && i < len(sp.Values) {
								l += " = " + print(sp.Values[i])
							}
							lines = append(lines, l)
						}
					}
				}
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func exportedRecv(fl *ast.FieldList) bool {
	typ := fl.List[0].Type
	if st, ok := typ.(*ast.StarExpr); ok {
		typ = st.X
	}
	if ix, ok := typ.(*ast.IndexExpr); ok {
		typ = ix.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// exportedOnly returns a struct type without its unexported fields and
// comments (other types as they are).
func exportedOnly(e ast.Expr) ast.Expr {
	st, ok := e.(*ast.StructType)
	if !ok {
		return e
	}
	out := &ast.StructType{Fields: &ast.FieldList{}}
	for _, f := range st.Fields.List {
		var names []*ast.Ident
		for _, n := range f.Names {
			if n.IsExported() {
				names = append(names, n)
			}
		}
		if len(f.Names) > 0 && len(names) == 0 {
			continue
		}
		out.Fields.List = append(out.Fields.List, &ast.Field{Names: names, Type: f.Type, Tag: f.Tag})
	}
	return out
}

// TestNoExportedAliases: every exported type of the module is defined
// where it is, so go doc and pkg.go.dev show its fields and methods — none
// is an alias of another package's type.
func TestNoExportedAliases(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, sp := range gd.Specs {
				if ts := sp.(*ast.TypeSpec); ts.Assign.IsValid() && ts.Name.IsExported() {
					t.Errorf("%s: exported type %s is an alias", fset.Position(ts.Pos()), ts.Name.Name)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestConversionsCoverEveryField: each public type has the fields of the
// router's (or cluster's) copy it converts to, and a fully set value
// converts without losing any, so a field added on one side cannot be
// forgotten on the other.
func TestConversionsCoverEveryField(t *testing.T) {
	pairs := []struct{ pub, internal any }{
		{Implementation{}, router.Implementation{}}, {Icon{}, router.Icon{}}, {Annotations{}, router.Annotations{}},
		{Tool{}, router.Tool{}}, {ToolAnnotations{}, router.ToolAnnotations{}}, {ToolExecution{}, router.ToolExecution{}},
		{Resource{}, router.Resource{}}, {ResourceTemplate{}, router.ResourceTemplate{}}, {ResourceContents{}, router.ResourceContents{}},
		{Prompt{}, router.Prompt{}}, {PromptArgument{}, router.PromptArgument{}}, {PromptMessage{}, router.PromptMessage{}},
		{Content{}, router.Content{}}, {GetPromptResult{}, router.GetPromptResult{}},
		{ElicitParams{}, router.ElicitParams{}}, {ElicitResult{}, router.ElicitResult{}}, {SamplingMessage{}, router.SamplingMessage{}},
		{CreateMessageParams{}, router.CreateMessageParams{}}, {CreateMessageResult{}, router.CreateMessageResult{}},
		{Root{}, router.Root{}}, {ListRootsResult{}, router.ListRootsResult{}}, {ClientError{}, router.ClientError{}},
		{CapabilityError{}, router.CapabilityError{}}, {RPCError{}, router.RPCError{}}, {Principal{}, router.Principal{}},
		{Skill{}, router.Skill{}}, {SkillFile{}, router.SkillFile{}},
		{ClusterConfig{}, cluster.Config{}},
	}
	for _, p := range pairs {
		a, b := reflect.TypeOf(p.pub), reflect.TypeOf(p.internal)
		if a.NumField() != b.NumField() {
			t.Errorf("%v has %d fields, %v has %d", a, a.NumField(), b, b.NumField())
			continue
		}
		for i := range a.NumField() {
			fa, fb := a.Field(i), b.Field(i)
			if fa.Name != fb.Name || fa.Tag.Get("json") != fb.Tag.Get("json") {
				t.Errorf("%v field %d is %s %q, %v's is %s %q", a, i, fa.Name, fa.Tag.Get("json"), b, fb.Name, fb.Tag.Get("json"))
			}
		}
	}
	// Converted values carry every field (their JSON, and the rest).
	yes, size, prio := true, int64(3), 0.5
	icons := []Icon{{Src: "data:x", MimeType: "image/png", Sizes: []string{"any"}, Theme: "dark"}}
	ann := &Annotations{Audience: []string{"user"}, Priority: &prio, LastModified: "2026-01-01"}
	complete := func(_ context.Context, _ *Request, _, _ string, _ map[string]string) ([]string, error) {
		return nil, nil
	}
	f := func(name string, pub, internal any, internalFields ...string) {
		t.Helper()
		a, _ := json.Marshal(pub)
		b, _ := json.Marshal(internal)
		if string(a) != string(b) {
			t.Errorf("%s: JSON differs after conversion:\n%s\n%s", name, a, b)
		}
		iv := reflect.ValueOf(internal)
		for _, fld := range internalFields {
			if iv.FieldByName(fld).IsZero() {
				t.Errorf("%s: field %s lost in conversion", name, fld)
			}
		}
	}
	tool := Tool{Name: "t", Title: "T", Description: "d", InputSchema: json.RawMessage(`{"type":"object"}`), OutputSchema: json.RawMessage(`{}`),
		Annotations: &ToolAnnotations{Title: "a", ReadOnlyHint: &yes, DestructiveHint: &yes, IdempotentHint: &yes, OpenWorldHint: &yes},
		Icons:       icons, Execution: &ToolExecution{TaskSupport: TaskOptional}, Meta: map[string]any{"k": 1.0},
		Inline: true, OutputConforms: true, Requires: []string{"roots"}, DeferTask: true, Scopes: []string{"s"}}
	f("Tool", tool, toolToRouter(&tool), "Inline", "OutputConforms", "Requires", "DeferTask", "Scopes")
	res := Resource{URI: "u", Name: "n", Title: "t", Description: "d", MimeType: "m", Size: &size, Annotations: ann, Icons: icons,
		Meta: map[string]any{"k": 1.0}, Inline: true, Scopes: []string{"s"}}
	f("Resource", res, resourceToRouter(&res), "Inline", "Scopes")
	tmpl := ResourceTemplate{URITemplate: "u/{x}", Name: "n", Title: "t", Description: "d", MimeType: "m", Annotations: ann, Icons: icons,
		Meta: map[string]any{"k": 1.0}, Inline: true, Complete: complete, Scopes: []string{"s"}}
	f("ResourceTemplate", tmpl, templateToRouter(&tmpl), "Inline", "Complete", "Scopes")
	pr := Prompt{Name: "p", Title: "t", Description: "d", Arguments: []PromptArgument{{Name: "a", Title: "A", Description: "d", Required: true}},
		Icons: icons, Meta: map[string]any{"k": 1.0}, Inline: true, Complete: complete, Scopes: []string{"s"}}
	f("Prompt", pr, promptToRouter(&pr), "Inline", "Complete", "Scopes")
	impl := Implementation{Name: "n", Title: "t", Version: "1", Description: "d", WebsiteURL: "https://x", Icons: icons}
	f("Implementation", impl, implementationToRouter(impl))
	rc := TextContents("u", "text/plain", "x")
	gp := &GetPromptResult{Description: "d", Messages: []PromptMessage{{Role: "user", Content: Content{Type: "resource", Text: "t", Data: "d",
		MimeType: "m", Resource: &rc, URI: "u", Name: "n", Annotations: ann}}}}
	f("GetPromptResult", gp, promptResultToRouter(gp))
	sk := Skill{URI: "skill://x/SKILL.md", Frontmatter: json.RawMessage(`{"name":"x"}`), Files: []SkillFile{{URI: "u", MimeType: "m", Data: []byte("d")}}}
	f("Skill", sk, skillToRouter(sk), "URI", "Frontmatter", "Files")
}

// TestErrorCodes: the public codes are the ones the server answers with.
func TestErrorCodes(t *testing.T) {
	f := func(name string, pub, internal int) {
		t.Helper()
		if pub != internal {
			t.Errorf("%s = %d, the server answers %d", name, pub, internal)
		}
	}
	f("CodeInvalidParams", CodeInvalidParams, codec.CodeInvalidParams)
	f("CodeInternalError", CodeInternalError, codec.CodeInternalError)
	f("CodeServerBusy", CodeServerBusy, codec.CodeServerBusy)
	f("CodeRequestTimeout", CodeRequestTimeout, codec.CodeRequestTimeout)
	f("CodeResourceNotFound", CodeResourceNotFound, codec.CodeResourceNotFound)
	f("CodeInsufficientScope", CodeInsufficientScope, codec.CodeInsufficientScope)
	f("CodeUnauthorized", CodeUnauthorized, codec.CodeUnauthorized)
	f("CodeForbidden", CodeForbidden, codec.CodeForbidden)
}

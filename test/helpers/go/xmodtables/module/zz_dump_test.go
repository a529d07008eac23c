// zz_dump_test.go is copied next to x/mod's own module_test.go and pseudo_test.go (in a temp
// GOPATH) and run with `go test -run TestZZDump`. It walks x/mod's test tables — the
// package-level ones directly, the ones written inline inside test functions through go/ast —
// and asks x/mod itself for the answer to every input. The TypeScript port is then judged
// against these answers, so no expectation is ever written by hand.
package module

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

type zzCase struct {
	Fn  string      `json:"fn"`
	In  []string    `json:"in"`
	Out interface{} `json:"out"`
}

func zzStrOrNil(s string, err error) interface{} {
	if err != nil {
		return nil
	}
	return s
}

// zzInlineTable returns the string fields of every element of the first slice literal inside
// the body of test function fn in file (e.g. the table TestMatchPathMajor ranges over).
func zzInlineTable(t *testing.T, file, fn string) [][]string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != fn {
			continue
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || rows != nil {
				return rows == nil
			}
			if _, isSlice := lit.Type.(*ast.ArrayType); !isSlice {
				return true
			}
			rows = [][]string{}
			for _, e := range lit.Elts {
				var row []string
				collect := func(x ast.Expr) {
					if bl, ok := x.(*ast.BasicLit); ok && bl.Kind == token.STRING {
						s, err := strconv.Unquote(bl.Value)
						if err != nil {
							t.Fatal(err)
						}
						row = append(row, s)
					}
				}
				if el, ok := e.(*ast.CompositeLit); ok {
					for _, x := range el.Elts {
						collect(x)
					}
				} else {
					collect(e)
				}
				rows = append(rows, row)
			}
			return false
		})
	}
	if rows == nil {
		t.Fatalf("no table literal in %s of %s", fn, file)
	}
	return rows
}

func TestZZDump(t *testing.T) {
	dir := os.Getenv("XMOD_DUMP_DIR")
	if dir == "" {
		t.Skip("XMOD_DUMP_DIR not set")
	}
	out := filepath.Join(dir, "module.jsonl")
	var cases []zzCase
	add := func(fn string, out interface{}, in ...string) {
		cases = append(cases, zzCase{fn, in, out})
	}
	paths := map[string]bool{}
	path := func(p string) {
		if paths[p] {
			return
		}
		paths[p] = true
		add("CheckPath", CheckPath(p) == nil, p)
		add("CheckImportPath", CheckImportPath(p) == nil, p)
		add("CheckFilePath", CheckFilePath(p) == nil, p)
		pre, major, ok := SplitPathVersion(p)
		add("SplitPathVersion", []interface{}{pre, major, ok}, p)
		add("EscapePath", zzStrOrNil(EscapePath(p)), p)
		add("UnescapePath", zzStrOrNil(UnescapePath(p)), p)
		add("EscapeVersion", zzStrOrNil(EscapeVersion(p)), p)
		add("UnescapeVersion", zzStrOrNil(UnescapeVersion(p)), p)
		s, ok := unescapeString(p)
		if ok {
			add("unescapeString", s, p)
		} else {
			add("unescapeString", nil, p)
		}
	}
	versions := map[string]bool{}
	version := func(v string) {
		if versions[v] {
			return
		}
		versions[v] = true
		add("CanonicalVersion", CanonicalVersion(v), v)
		add("IsPseudoVersion", IsPseudoVersion(v), v)
		if tm, err := PseudoVersionTime(v); err == nil {
			add("PseudoVersionTime", tm.UTC().Format(PseudoVersionTimestampFormat), v)
		} else {
			add("PseudoVersionTime", nil, v)
		}
		add("PseudoVersionRev", zzStrOrNil(PseudoVersionRev(v)), v)
		add("PseudoVersionBase", zzStrOrNil(PseudoVersionBase(v)), v)
		add("EscapeVersion", zzStrOrNil(EscapeVersion(v)), v)
	}

	for _, tt := range checkTests {
		add("Check", Check(tt.path, tt.version) == nil, tt.path, tt.version)
		path(tt.path)
		version(tt.version)
	}
	for _, tt := range checkPathTests {
		path(tt.path)
	}
	for _, tt := range splitPathVersionTests {
		path(tt.pathPrefix + tt.version)
	}
	for _, tt := range escapeTests {
		path(tt.path)
		if tt.esc != "" {
			path(tt.esc)
		}
	}
	for _, bad := range badUnescape {
		path(bad)
	}
	for _, row := range zzInlineTable(t, "module_test.go", "TestMatchPathMajor") {
		add("MatchPathMajor", MatchPathMajor(row[0], row[1]), row[0], row[1])
		version(row[0])
	}
	stamp := pseudoTime.UTC().Format(PseudoVersionTimestampFormat)
	for _, tt := range pseudoTests {
		add("PseudoVersion", PseudoVersion(tt.major, tt.older, pseudoTime, "hash"), tt.major, tt.older, stamp, "hash")
		version(tt.version)
		version(tt.older)
	}
	for _, row := range zzInlineTable(t, "pseudo_test.go", "TestInvalidPseudoVersionBase") {
		version(row[0])
	}
	version("---") // TestInvalidPseudoVersionTime

	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, c := range cases {
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

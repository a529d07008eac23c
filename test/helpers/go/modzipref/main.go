// modzipref is the Go reference for module zips in tests and benchmarks: it runs
// golang.org/x/mod/zip and dirhash exactly as the go command does, so tests compare
// ameide-pkg against Go's own answers instead of hand-written expectations.
//
//	modzipref create <module> <version> <dir> <out.zip>        prints h1 of the created zip (CreateFromDir)
//	modzipref hash <zip>                                        prints h1 of an existing zip
//	modzipref check <module> <version> <zip>                    JSON verdict: CheckZip, then HashZip
//	modzipref checktxtar <test.txtar> <zip>                     as check, module path and version read from the
//	                                                            archive's comment (path=, version=; raw bytes)
//	modzipref checkfiles <test.txtar>                           JSON CheckFiles over the archive's files
//	modzipref checkdir <dir>                                    JSON CheckDir, paths relative to dir
//	modzipref createfiles <module> <version> <test.txtar> <out> JSON verdict of Create over the archive's files
//	modzipref txtarzip <test.txtar> <out.zip>                   the archive's files as a zip (archive/zip writer)
//	modzipref foldorbits                                        JSON [[rune, fold], …] for every rune whose
//	                                                            case-fold key is not itself (strToFold's rule)
package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/ioutil"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "create":
		need(args, 4)
		f, err := os.Create(args[3])
		if err != nil {
			fail(err)
		}
		m := module.Version{Path: args[0], Version: args[1]}
		if err := modzip.CreateFromDir(f, m, args[2]); err != nil {
			f.Close()
			os.Remove(args[3])
			fail(err)
		}
		if err := f.Close(); err != nil {
			fail(err)
		}
		printHash(args[3])
	case "hash":
		need(args, 1)
		printHash(args[0])
	case "check":
		need(args, 3)
		emit(check(module.Version{Path: args[0], Version: args[1]}, args[2]))
	case "checktxtar":
		need(args, 2)
		_, comment := txtarFiles(args[0])
		emit(check(txtarParams(comment), args[1]))
	case "checkfiles":
		need(args, 1)
		files, _ := txtarFiles(args[0])
		cf, err := modzip.CheckFiles(files)
		emit(checked(cf, err, ""))
	case "checkdir":
		need(args, 1)
		cf, err := modzip.CheckDir(args[0])
		emit(checked(cf, err, args[0]))
	case "createfiles":
		need(args, 4)
		files, _ := txtarFiles(args[2])
		var buf bytes.Buffer
		if err := modzip.Create(&buf, module.Version{Path: args[0], Version: args[1]}, files); err != nil {
			emit(verdict{Stage: "create", Error: err.Error()})
			return
		}
		if err := ioutil.WriteFile(args[3], buf.Bytes(), 0o666); err != nil {
			fail(err)
		}
		h, err := dirhash.HashZip(args[3], dirhash.Hash1)
		if err != nil {
			emit(verdict{Stage: "hash", Error: err.Error()})
			return
		}
		emit(verdict{OK: true, H1: h})
	case "txtarzip":
		need(args, 2)
		files, _ := txtarFiles(args[0])
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, f := range files {
			w, err := zw.Create(f.Path())
			if err != nil {
				fail(err)
			}
			w.Write(f.(fakeFile).data)
		}
		if err := zw.Close(); err != nil {
			fail(err)
		}
		if err := ioutil.WriteFile(args[1], buf.Bytes(), 0o666); err != nil {
			fail(err)
		}
	case "foldorbits":
		var out [][2]rune
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if f := foldRune(r); f != r {
				out = append(out, [2]rune{r, f})
			}
		}
		emit(out)
	default:
		usage()
	}
}

type fileError struct {
	Path string `json:"path"`
	Err  string `json:"err"`
}

type verdict struct {
	OK bool `json:"ok"`
	// Stage is where Go stopped: "check" (zip.CheckZip, including opening the archive),
	// "hash" (dirhash.HashZip, which reads and CRC-checks every entry) or "create".
	Stage   string      `json:"stage,omitempty"`
	H1      string      `json:"h1,omitempty"`
	Error   string      `json:"error,omitempty"`
	Valid   []string    `json:"valid"`
	Omitted []fileError `json:"omitted"`
	Invalid []fileError `json:"invalid"`
	Size    string      `json:"sizeError,omitempty"`
}

func check(m module.Version, zipPath string) verdict {
	cf, err := modzip.CheckZip(m, zipPath)
	v := checked(cf, err, "")
	if err != nil {
		v.Stage = "check"
		return v
	}
	h, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		v.OK, v.Stage, v.Error = false, "hash", err.Error()
		return v
	}
	v.H1 = h
	return v
}

func checked(cf modzip.CheckedFiles, err error, root string) verdict {
	rel := func(p string) string {
		if root == "" {
			return p
		}
		r, e := filepath.Rel(root, p)
		if e != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	v := verdict{OK: err == nil, Valid: []string{}, Omitted: []fileError{}, Invalid: []fileError{}}
	if err != nil {
		v.Error = err.Error()
	}
	for _, p := range cf.Valid {
		v.Valid = append(v.Valid, rel(p))
	}
	for _, e := range cf.Omitted {
		v.Omitted = append(v.Omitted, fileError{rel(e.Path), e.Err.Error()})
	}
	for _, e := range cf.Invalid {
		v.Invalid = append(v.Invalid, fileError{rel(e.Path), e.Err.Error()})
	}
	if cf.SizeError != nil {
		v.Size = cf.SizeError.Error()
	}
	return v
}

// foldRune is x/mod/zip strToFold applied to one rune: the smallest rune of its
// unicode.SimpleFold orbit, with A-Z mapped to a-z.
func foldRune(r rune) rune {
	min := r
	for x := unicode.SimpleFold(r); x != r; x = unicode.SimpleFold(x) {
		if x < min {
			min = x
		}
	}
	if 'A' <= min && min <= 'Z' {
		min += 'a' - 'A'
	}
	return min
}

// fakeFile is a regular file whose content comes from a txtar archive (as x/mod's tests do).
type fakeFile struct {
	name string
	data []byte
}

func (f fakeFile) Path() string                { return f.name }
func (f fakeFile) Lstat() (os.FileInfo, error) { return fakeInfo{f}, nil }
func (f fakeFile) Open() (io.ReadCloser, error) {
	return ioutil.NopCloser(bytes.NewReader(f.data)), nil
}

type fakeInfo struct{ f fakeFile }

func (i fakeInfo) Name() string       { return filepath.Base(i.f.name) }
func (i fakeInfo) Size() int64        { return int64(len(i.f.data)) }
func (i fakeInfo) Mode() os.FileMode  { return 0o644 }
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return false }
func (i fakeInfo) Sys() interface{}   { return nil }

// txtarFiles reads a txtar archive (golang.org/x/tools/txtar format: a comment, then
// "-- name --" marker lines each followed by that file's content) and returns its files,
// except the one named "want", plus the comment.
func txtarFiles(path string) ([]modzip.File, string) {
	data, err := ioutil.ReadFile(path)
	if err != nil {
		fail(err)
	}
	var files []modzip.File
	var comment []byte
	cur := -1
	var contents [][]byte
	var names []string
	for len(data) > 0 {
		line := data
		rest := []byte(nil)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, rest = data[:i+1], data[i+1:]
		}
		data = rest
		trimmed := bytes.TrimRight(line, "\n")
		if bytes.HasPrefix(trimmed, []byte("-- ")) && bytes.HasSuffix(trimmed, []byte(" --")) && len(trimmed) >= 6 {
			names = append(names, strings.TrimSpace(string(trimmed[3:len(trimmed)-3])))
			contents = append(contents, nil)
			cur++
			continue
		}
		if cur < 0 {
			comment = append(comment, line...)
		} else {
			contents[cur] = append(contents[cur], line...)
		}
	}
	for i, n := range names {
		if n == "want" {
			continue
		}
		files = append(files, fakeFile{name: n, data: contents[i]})
	}
	return files, string(comment)
}

// txtarParams reads "key=value" lines (with # comments) as x/mod's zip tests do.
func txtarParams(comment string) module.Version {
	var m module.Version
	for _, line := range strings.Split(comment, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "path":
			m.Path = strings.TrimSpace(v)
		case "version":
			m.Version = strings.TrimSpace(v)
		}
	}
	return m
}

func printHash(zip string) {
	h, err := dirhash.HashZip(zip, dirhash.Hash1)
	if err != nil {
		fail(err)
	}
	fmt.Println(h)
}

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(append(b, '\n'))
}

func need(args []string, n int) {
	if len(args) != n {
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: modzipref create|hash|check|checkfiles|checkdir|createfiles|txtarzip|foldorbits ...")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

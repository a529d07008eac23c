// xmodeval answers questions about Go module rules with the real golang.org/x/mod (Debian's,
// built in GOPATH mode) and Go's own time package. It reads one JSON request a line on stdin,
// {"fn": "...", "in": ["..."]}, and writes {"fn", "in", "out"} a line on stdout, so a property
// test can send thousands of generated inputs through one process.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

type request struct {
	Fn string   `json:"fn"`
	In []string `json:"in"`
}

func strOrNil(s string, err error) interface{} {
	if err != nil {
		return nil
	}
	return s
}

func answer(fn string, in []string) (interface{}, error) {
	arg := func(i int) string {
		if i < len(in) {
			return in[i]
		}
		return ""
	}
	switch fn {
	case "IsValid":
		return semver.IsValid(arg(0)), nil
	case "Canonical":
		return semver.Canonical(arg(0)), nil
	case "Major":
		return semver.Major(arg(0)), nil
	case "MajorMinor":
		return semver.MajorMinor(arg(0)), nil
	case "Prerelease":
		return semver.Prerelease(arg(0)), nil
	case "Build":
		return semver.Build(arg(0)), nil
	case "Compare":
		return semver.Compare(arg(0), arg(1)), nil
	case "Check":
		return module.Check(arg(0), arg(1)) == nil, nil
	case "CheckPath":
		return module.CheckPath(arg(0)) == nil, nil
	case "CheckImportPath":
		return module.CheckImportPath(arg(0)) == nil, nil
	case "CheckFilePath":
		return module.CheckFilePath(arg(0)) == nil, nil
	case "PathClean":
		return path.Clean(arg(0)), nil
	case "SplitPathVersion":
		p, m, ok := module.SplitPathVersion(arg(0))
		return []interface{}{p, m, ok}, nil
	case "MatchPathMajor":
		return module.MatchPathMajor(arg(0), arg(1)), nil
	case "CanonicalVersion":
		return module.CanonicalVersion(arg(0)), nil
	case "EscapePath":
		return strOrNil(module.EscapePath(arg(0))), nil
	case "UnescapePath":
		return strOrNil(module.UnescapePath(arg(0))), nil
	case "EscapeVersion":
		return strOrNil(module.EscapeVersion(arg(0))), nil
	case "UnescapeVersion":
		return strOrNil(module.UnescapeVersion(arg(0))), nil
	case "IsPseudoVersion":
		return module.IsPseudoVersion(arg(0)), nil
	case "PseudoVersion":
		t, err := time.Parse(module.PseudoVersionTimestampFormat, arg(2))
		if err != nil {
			return nil, err
		}
		return module.PseudoVersion(arg(0), arg(1), t, arg(3)), nil
	case "PseudoVersionTime":
		t, err := module.PseudoVersionTime(arg(0))
		if err != nil {
			return nil, nil
		}
		return t.UTC().Format(module.PseudoVersionTimestampFormat), nil
	case "PseudoVersionRev":
		return strOrNil(module.PseudoVersionRev(arg(0))), nil
	case "PseudoVersionBase":
		return strOrNil(module.PseudoVersionBase(arg(0))), nil
	case "TimeParseRFC3339":
		// What a go client makes of an .info Time: the instant, the zone offset it kept, and
		// how Go writes the same instant back (in UTC) — or null when Parse refuses it.
		t, err := time.Parse(time.RFC3339, arg(0))
		if err != nil {
			return nil, nil
		}
		_, offset := t.Zone()
		var utc interface{}
		if b, err := t.UTC().MarshalJSON(); err == nil {
			var s string
			if err := json.Unmarshal(b, &s); err != nil {
				return nil, err
			}
			utc = s
		}
		return map[string]interface{}{"unix": t.Unix(), "nanos": t.Nanosecond(), "offset": offset, "utcJSON": utc}, nil
	case "InfoUnmarshal":
		// An .info document as cmd/go's proxy client decodes it (json.Unmarshal into RevInfo's
		// Version and Time).
		var info struct {
			Version string
			Time    time.Time
		}
		if err := json.Unmarshal([]byte(arg(0)), &info); err != nil {
			return nil, nil
		}
		res := map[string]interface{}{"version": info.Version, "time": nil}
		if !info.Time.IsZero() {
			res["time"] = "!unwritable"
			if b, err := info.Time.UTC().MarshalJSON(); err == nil {
				var s string
				if err := json.Unmarshal(b, &s); err != nil {
					return nil, err
				}
				res["time"] = s
			}
		}
		return res, nil
	case "ModfileParseLax":
		// A dependency's go.mod exactly as the go command reads one (cmd/go modload and
		// modfetch call modfile.ParseLax(name, data, nil)).
		f, err := modfile.ParseLax("go.mod", []byte(arg(0)), nil)
		if err != nil {
			return nil, nil
		}
		res := map[string]interface{}{"module": nil, "go": nil}
		if f.Module != nil {
			res["module"] = f.Module.Mod.Path
		}
		if f.Go != nil {
			res["go"] = f.Go.Version
		}
		return res, nil
	}
	return nil, fmt.Errorf("unknown fn %q", fn)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "bad request:", err)
			os.Exit(2)
		}
		res, err := answer(req.Fn, req.In)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := enc.Encode(map[string]interface{}{"fn": req.Fn, "in": req.In, "out": res}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := out.Flush(); err != nil {
		os.Exit(1)
	}
}

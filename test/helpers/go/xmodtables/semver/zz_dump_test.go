// zz_dump_test.go is copied next to x/mod's own semver_test.go (in a temp GOPATH) and run with
// `go test -run TestZZDump`: for every version in x/mod's `tests` table it records what x/mod
// answers, and Compare for every pair, so the TypeScript port is judged by x/mod itself.
package semver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestZZDump(t *testing.T) {
	dir := os.Getenv("XMOD_DUMP_DIR")
	if dir == "" {
		t.Skip("XMOD_DUMP_DIR not set")
	}
	out := filepath.Join(dir, "semver.jsonl")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	add := func(fn string, out interface{}, in ...string) {
		if err := enc.Encode(map[string]interface{}{"fn": fn, "in": in, "out": out}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		v := tt.in
		add("IsValid", IsValid(v), v)
		add("Canonical", Canonical(v), v)
		add("Major", Major(v), v)
		add("MajorMinor", MajorMinor(v), v)
		add("Prerelease", Prerelease(v), v)
		add("Build", Build(v), v)
		for _, u := range tests {
			add("Compare", Compare(v, u.in), v, u.in)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/sfclient"
)

// helpCases returns, for the top-level usage ("backfill") and each command, the argument
// lists that must all print the same help.
func helpCases() map[string][][]string {
	cases := map[string][][]string{"backfill": {{"help"}, {"--help"}, {"-h"}, {"help", "help"}}}
	for _, c := range commands() {
		cases[c.name] = [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}}
	}
	return cases
}

// TestHelpGolden renders the top-level usage and every command's help and compares each
// with testdata/help/NAME.txt (go test -update, or make golden, rewrites them: review the
// diff like code). backfill help CMD prints exactly what backfill CMD --help prints.
func TestHelpGolden(t *testing.T) {
	t.Parallel()
	for name, argLists := range helpCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var first string
			for i, args := range argLists {
				stdout, stderr, code := runCLI(t, args...)
				if code != 0 || stderr != "" {
					t.Fatalf("backfill %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
				}
				if i == 0 {
					first = stdout
				} else if stdout != first {
					t.Errorf("backfill %s prints other help than backfill %s:\n%s", strings.Join(args, " "), strings.Join(argLists[0], " "), firstDiff(stdout, first))
				}
			}
			golden := filepath.Join("testdata", "help", name+".txt")
			if *update {
				if err := os.WriteFile(golden, []byte(first), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if first != string(want) {
				t.Errorf("backfill %s differs from %s (go test -update rewrites it):\n%s", strings.Join(argLists[0], " "), golden, firstDiff(first, string(want)))
			}
		})
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return "(no line differs)"
}

// flagLine is one flag entry of a help's Flags section: shorthand, name and placeholder.
var flagLine = regexp.MustCompile(`^  (?:-[a-zA-Z], |    )--([a-z0-9-]+)(?: (\S+))?(?:   |$)`)

// emptySection is a section heading with nothing under it.
var emptySection = regexp.MustCompile(`(?m)^(Usage|Commands|Flags):\n(\n|\z)`)

// TestHelpRendering checks what every help must be, whatever its words: no empty section,
// plain booleans, a placeholder in capitals for each flag that takes a value, required
// flags first, no backticks left from pflag's placeholder convention.
func TestHelpRendering(t *testing.T) {
	t.Parallel()
	for name, argLists := range helpCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stdout, _, _ := runCLI(t, argLists[0]...)
			if m := emptySection.FindString(stdout); m != "" {
				t.Errorf("an empty section %q:\n%s", m, stdout)
			}
			for _, bad := range []string{"[=true|false]", "[=", "`"} {
				if strings.Contains(stdout, bad) {
					t.Errorf("help holds %q", bad)
				}
			}
			_, flags, ok := strings.Cut(stdout, "\nFlags:\n")
			if !ok {
				return
			}
			optional := ""
			for _, line := range strings.Split(strings.TrimSuffix(flags, "\n"), "\n") {
				if strings.HasPrefix(line, "        ") {
					continue // a wrapped usage
				}
				m := flagLine.FindStringSubmatch(line)
				if m == nil {
					t.Errorf("not a flag entry: %q", line)
					continue
				}
				if p := m[2]; p != "" && p != strings.ToUpper(p) {
					t.Errorf("--%s: placeholder %q is not a name in capitals (a Go type from pflag?)", m[1], p)
				}
				if p := placeholders[m[1]]; p != "" && m[2] != p {
					t.Errorf("--%s: placeholder %q, want %q", m[1], m[2], p)
				}
				switch usage := strings.TrimSpace(line[len(m[0]):]); {
				case !strings.HasPrefix(usage, "(required"):
					optional = m[1]
				case optional != "":
					t.Errorf("required --%s comes after --%s", m[1], optional)
				}
			}
		})
	}
}

// TestHelpFigures: the numbers help states are the code's. import splits its upload into
// jobs of at most sfclient.DefaultMaxUploadBytes; the emulator refuses uploads above
// emulatorMaxUpload unless told otherwise.
func TestHelpFigures(t *testing.T) {
	t.Parallel()
	stdout, _, _ := runCLI(t, "import", "--help")
	want := fmt.Sprintf("a new job every %d MB", sfclient.DefaultMaxUploadBytes/1_000_000)
	if sfclient.DefaultMaxUploadBytes%1_000_000 != 0 || !strings.Contains(stdout, want) {
		t.Errorf("import --help lacks %q (sfclient.DefaultMaxUploadBytes is %d)", want, sfclient.DefaultMaxUploadBytes)
	}
	if strings.Contains(stdout, "100 MB") {
		t.Errorf("import --help still says 100 MB")
	}
	stdout, _, _ = runCLI(t, "org", "--help")
	if want := fmt.Sprintf("0: %d", emulatorMaxUpload); !strings.Contains(stdout, want) {
		t.Errorf("org --help lacks %q", want)
	}
}

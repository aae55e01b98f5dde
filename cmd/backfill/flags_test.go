package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

const (
	sampleExport   = "../../backfill/demo/sample/export.csv"
	sampleExisting = "../../backfill/demo/sample/existing.csv"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	var cmds []string
	for _, c := range commands() {
		cmds = append(cmds, c.name)
	}
	flags := []string{"export", "since", "date-column", "existing", "existing-key-column", "existing-id-column", "object", "sobject", "yes"}
	tests := []struct {
		name       string
		typed      string
		candidates []string
		want       []string
	}{
		{"command, a letter missing", "clen", cmds, []string{"clean"}},
		{"command, a letter too many", "plann", cmds, []string{"plan"}},
		{"command, two letters swapped", "improt", cmds, []string{"import"}},
		{"command, swapped in a short word", "ogr", cmds, []string{"org"}},
		{"command, two edits in a long word", "prefligth", cmds, []string{"preflight"}},
		{"command, capitals", "VERIFY", cmds, []string{"verify"}},
		{"command, a beginning", "pre", cmds, []string{"preflight"}},
		{"command, nothing close", "frobnicate", cmds, nil},
		{"command, two edits in a short word", "clxxn", cmds, nil},
		{"command, one letter", "x", cmds, nil},
		{"flag, a letter wrong", "sinse", flags, []string{"since"}},
		{"flag, a letter missing", "date-colum", flags, []string{"date-column"}},
		{"flag, an alias", "sobjcet", flags, []string{"sobject"}},
		{"flag, several beginning alike", "exist", flags, []string{"existing", "existing-key-column", "existing-id-column"}},
		{"flag, nothing close", "zzz", flags, nil},
		{"flag, short", "ye", flags, []string{"yes"}},
		{"flag, one letter", "x", flags, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggest(tt.typed, tt.candidates); !slices.Equal(got, tt.want) {
				t.Errorf("suggest(%q) = %q, want %q", tt.typed, got, tt.want)
			}
		})
	}
}

// TestDidYouMean: an unknown command or flag exits 2 and the hint names what was probably
// meant, or nothing when nothing is close.
func TestDidYouMean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		wantErr  string
		wantHint string // "" for a hint without "did you mean"
	}{
		{[]string{"clen"}, `unknown command "clen"`, `did you mean "clean"?`},
		{[]string{"help", "clen"}, `unknown command "clen"`, `did you mean "clean"?`},
		{[]string{"verfiy", "dir"}, `unknown command "verfiy"`, `did you mean "verify"?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, ""},
		{[]string{"--export", "x.csv", "plan"}, `unknown command "--export": a flag before the command`, ""},
		{[]string{"plan", "--sinse", "2025-01-01"}, "plan: unknown flag: --sinse", "did you mean --since?"},
		{[]string{"clean", "--existin", "x.csv"}, "clean: unknown flag: --existin", "did you mean --existing?"},
		{[]string{"plan", "--sobjet", "X"}, "plan: unknown flag: --sobjet", "did you mean --sobject?"},
		{[]string{"plan", "-since", "2025-01-01"}, `plan: unknown shorthand flag: 's' in -since`, "did you mean --since?"},
		{[]string{"import", "--yse"}, "import: unknown flag: --yse", "did you mean --yes?"},
		{[]string{"plan", "--zzz"}, "plan: unknown flag: --zzz", ""},
		{[]string{"plan", "-x"}, "plan: unknown shorthand flag: 'x' in -x", ""},
		{[]string{"verify", "--sobject", "X", "dir"}, "verify: unknown flag: --sobject", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCLI(t, tt.args...)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want exit 2 and nothing on stdout", code, stdout)
			}
			msg, hint, _ := strings.Cut(stderr, "\nhint: ")
			if want := "backfill: " + tt.wantErr; msg != want {
				t.Errorf("error:\n got: %q\nwant: %q", msg, want)
			}
			switch {
			case tt.wantHint == "" && strings.Contains(hint, "did you mean"):
				t.Errorf("hint %q suggests something for %q", hint, tt.args)
			case !strings.Contains(hint, tt.wantHint):
				t.Errorf("hint %q lacks %q", hint, tt.wantHint)
			}
		})
	}
}

// TestDuplicateFlags: a flag that does not repeat, given twice (under any of its names),
// exits 2 naming it; --date-column and -v repeat.
func TestDuplicateFlags(t *testing.T) {
	t.Parallel()
	clean := func(t *testing.T, extra ...string) []string {
		return append([]string{"clean", "--existing", sampleExisting, "--out", t.TempDir() + "/run", "-q"}, extra...)
	}
	tests := []struct {
		name    string
		args    func(t *testing.T) []string
		wantErr string // "" for success
	}{
		{"a scalar twice", func(t *testing.T) []string {
			return clean(t, "--export", sampleExport, "--since", "2025-01-01", "--since", "2025-06-01")
		}, `clean: --since given twice: "2025-01-01", then "2025-06-01"`},
		{"a flag and its alias", func(t *testing.T) []string {
			return clean(t, "--export", sampleExport, "--file", sampleExport)
		}, `clean: --export (or -f, --file) given twice: "` + sampleExport + `", then "` + sampleExport + `"`},
		{"a shorthand and its flag", func(t *testing.T) []string {
			return []string{"undo", "dir", "-y", "--yes"}
		}, "undo: --yes (or -y) given twice"},
		{"a boolean twice", func(t *testing.T) []string {
			return clean(t, "--export", sampleExport, "--case-sensitive-keys", "--case-sensitive-keys")
		}, "clean: --case-sensitive-keys given twice"},
		{"--date-column repeats", func(t *testing.T) []string {
			return clean(t, "--export", sampleExport, "--date-column", "Enrollment Date", "--date-column", "Updated At")
		}, ""},
		{"-v repeats", func(t *testing.T) []string {
			return append(clean(t, "--export", sampleExport, "-v", "-v"), "--log-format", "json")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args(t)
			var stdout, stderr strings.Builder
			err := run(t.Context(), args, &stdout, &stderr)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("backfill %q: %v", args, err)
				}
				return
			}
			if code := exitCode(err); code != exitUsage || err.Error() != tt.wantErr {
				t.Fatalf("backfill %q = %v (exit %d), want exit 2 and %q", args, err, code, tt.wantErr)
			}
			if hint := explain(err).hint; !strings.Contains(hint, "may be repeated") {
				t.Errorf("hint %q does not say which flags repeat", hint)
			}
		})
	}
}

// TestFlagAliases: --sobject, --external-id, --file and -f set the field of the flag they
// stand for, and count as that flag (import --plan refuses them as it refuses it).
func TestFlagAliases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args  []string
		flag  string
		field func(*backfill.PlanOptions) string
	}{
		{[]string{"--sobject", "Enrollment__c"}, "object", func(o *backfill.PlanOptions) string { return o.Target.Object }},
		{[]string{"--external-id", "Key__c"}, "external-id-field", func(o *backfill.PlanOptions) string { return o.Target.ExternalIDField }},
		{[]string{"--file", "export.csv"}, "export", func(o *backfill.PlanOptions) string { return o.Export.File }},
		{[]string{"-f", "export.csv"}, "export", func(o *backfill.PlanOptions) string { return o.Export.File }},
		{[]string{"--file=export.csv"}, "export", func(o *backfill.PlanOptions) string { return o.Export.File }},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			parse := func(args []string) (*backfill.PlanOptions, *pflag.FlagSet) {
				var o backfill.PlanOptions
				fs := newFlagSet("plan", "", "")
				addExportFlags(fs, &o.Export, &o.Out)
				addTargetFlags(fs, &o.Target)
				e := &env{stdout: io.Discard, stderr: io.Discard}
				if err := parseFlags(fs, e, args); err != nil {
					t.Fatalf("parse %q: %v", args, err)
				}
				return &o, fs
			}
			viaAlias, fs := parse(tt.args)
			viaFlag, _ := parse([]string{"--" + tt.flag, strings.TrimPrefix(tt.args[len(tt.args)-1], "--file=")})
			if got, want := tt.field(viaAlias), tt.field(viaFlag); got != want || got == "" {
				t.Errorf("%q sets %q, --%s sets %q", tt.args, got, tt.flag, want)
			}
			if !fs.Lookup(tt.flag).Changed {
				t.Errorf("%q does not count as --%s given", tt.args, tt.flag)
			}
		})
	}
}

// TestFlagAliasesCommand: plan --sobject X behaves as plan --object X, and clean -f as
// clean --export.
func TestFlagAliasesCommand(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	tests := []struct{ alias, flag []string }{
		{[]string{"plan", "--export", sampleExport, "--sobject", "Nope__c"}, []string{"plan", "--export", sampleExport, "--object", "Nope__c"}},
		{[]string{"plan", "--export", sampleExport, "--external-id", "Nope__c"}, []string{"plan", "--export", sampleExport, "--external-id-field", "Nope__c"}},
		{[]string{"clean", "-f", sampleExport, "--existing", sampleExisting}, []string{"clean", "--export", sampleExport, "--existing", sampleExisting}},
		{[]string{"clean", "--file", sampleExport, "--existing", sampleExisting}, []string{"clean", "--export", sampleExport, "--existing", sampleExisting}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.alias, " "), func(t *testing.T) {
			t.Parallel()
			var outs [2]string
			var codes [2]int
			for i, args := range [][]string{tt.alias, tt.flag} {
				dir := t.TempDir()
				args = append(slices.Clone(args), "--out", dir+"/run", "-q")
				if args[0] == "plan" {
					args = append(args, "--instance-url", srv.URL)
				}
				stdout, stderr, code := runCLIEnv(t, token(srv.AccessToken()), args...)
				outs[i], codes[i] = maskRun(stdout+stderr, dir, srv.URL), code
			}
			if codes[0] != codes[1] || outs[0] != outs[1] {
				t.Errorf("%q: exit %d\n%s\n%q: exit %d\n%s", tt.alias, codes[0], outs[0], tt.flag, codes[1], outs[1])
			}
		})
	}
}

// times are the RFC 3339 times of a run's output (started_at, at...).
var times = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

// maskRun replaces the times in out and each of vary (the run's folder, the org's URL)
// by a name, so that two runs compare.
func maskRun(out string, vary ...string) string {
	for i, v := range vary {
		js, _ := json.Marshal(v) // as summary.json writes it (Windows paths: \\)
		out = strings.ReplaceAll(out, string(js[1:len(js)-1]), fmt.Sprintf("VARY%d", i))
		out = strings.ReplaceAll(out, v, fmt.Sprintf("VARY%d", i))
	}
	return times.ReplaceAllString(out, "TIME")
}

// TestJSONFlag: --json prints what --format json prints, on every command that prints a
// summary or a report. Each run gets a fresh org and folder, so the two runs see the same.
func TestJSONFlag(t *testing.T) {
	t.Parallel()
	imported := [][]string{{"import", "--export", sampleExport, "--out", "DIR/run", "--yes"}}
	tests := []struct {
		name string
		prep [][]string // run first, with the org's flags
		args []string
	}{
		{"clean", nil, []string{"clean", "--export", sampleExport, "--existing", sampleExisting, "--out", "DIR/run"}},
		{"preflight", nil, []string{"preflight", "--export", sampleExport}},
		{"plan", nil, []string{"plan", "--export", sampleExport, "--out", "DIR/run"}},
		{"import", nil, []string{"import", "--export", sampleExport, "--out", "DIR/run", "--yes"}},
		{"resume", imported, []string{"resume", "DIR/run"}},
		{"verify", imported, []string{"verify", "DIR/run"}},
		{"undo", imported, []string{"undo", "DIR/run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var outs [2]string
			var codes [2]int
			for i, format := range [][]string{{"--json"}, {"--format", "json"}} {
				srv := sftest.NewServer(t)
				dir := t.TempDir()
				org := []string{"--instance-url", srv.URL, "-q"}
				with := func(args []string) []string {
					var a []string
					for _, s := range args {
						a = append(a, strings.ReplaceAll(s, "DIR", dir))
					}
					if a[0] != "clean" {
						a = append(a, org...)
					}
					return a
				}
				for _, p := range tt.prep {
					if _, stderr, code := runCLIEnv(t, token(srv.AccessToken()), with(p)...); code != 0 {
						t.Fatalf("%q: exit %d\n%s", p, code, stderr)
					}
				}
				args := append(with(tt.args), format...)
				stdout, _, code := runCLIEnv(t, token(srv.AccessToken()), args...)
				if !json.Valid([]byte(stdout)) {
					t.Fatalf("%q: stdout is not JSON:\n%s", args, stdout)
				}
				outs[i], codes[i] = maskRun(stdout, dir, srv.URL), code
			}
			if codes[0] != codes[1] || outs[0] != outs[1] {
				t.Errorf("--json (exit %d) and --format json (exit %d) differ:\n%s", codes[0], codes[1], firstDiff(outs[0], outs[1]))
			}
		})
	}
}

// TestJSONAndFormatDisagree: --json with --format table is a usage error on every
// command that has both.
func TestJSONAndFormatDisagree(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"clean", "--export", sampleExport, "--existing", sampleExisting, "--out", "never-written"},
		{"preflight"}, {"plan", "--export", sampleExport, "--out", "never-written"},
		{"import", "--export", sampleExport, "--out", "never-written"},
		{"resume", "dir"}, {"verify", "dir"}, {"undo", "dir"},
	} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			_, stderr, code := runCLI(t, append(args, "--json", "--format", "table")...)
			if code != exitUsage || !strings.Contains(stderr, "--json and --format table disagree") {
				t.Errorf("exit %d\n%s", code, stderr)
			}
		})
	}
}

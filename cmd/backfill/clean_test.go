package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
)

func TestCleanCommand(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, code := runCLI(t, "clean", "--export", "../../backfill/demo/sample/export.csv",
		"--existing", "../../backfill/demo/sample/existing.csv", "--out", out, "--log-format", "json")
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, stderr)
	}
	for _, want := range []string{"to_insert", "22", "key column:    External Id", out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	// Logs are JSON lines on stderr, not on stdout.
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("stderr line is not JSON: %q", line)
		}
	}
}

func TestCleanCommandJSON(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "run")
	stdout, _, code := runCLI(t, "clean", "--export", "../../backfill/demo/sample/export.csv",
		"--existing", "../../backfill/demo/sample/existing.csv", "--out", out, "--format", "json", "-q")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var sum backfill.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not summary.json: %v\n%s", err, stdout)
	}
	if sum.Rows != 45 || sum.Outcomes["to_insert"] != 22 || sum.Outcomes["exists"] != 8 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestCleanCommandErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing-run")
	os.Mkdir(existing, 0o700)
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr []string
	}{
		{"unknown key column lists headers and the closest match",
			[]string{"--key-column", "External Idd"}, 2, []string{`no key column "External Idd"`, `did you mean "External Id"`, `"Learner Email"`}},
		{"missing export file", []string{"--export", filepath.Join(dir, "nope.csv")}, 2, []string{"nope.csv"}},
		{"existing run folder", []string{"--out", existing}, 2, []string{"already exists"}},
		{"bad --since", []string{"--since", "last tuesday"}, 2, []string{"--since"}},
		{"unknown flag", []string{"--bogus"}, 2, []string{"unknown flag: --bogus"}},
		{"bad encoding", []string{"--encoding", "ebcdic"}, 2, []string{"unknown encoding"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The case's flags replace the defaults (a flag given twice is an error of its own).
			args := []string{"clean", "-q"}
			for _, d := range [][2]string{{"--export", "../../backfill/demo/sample/export.csv"},
				{"--existing", "../../backfill/demo/sample/existing.csv"}, {"--out", filepath.Join(t.TempDir(), "run")}} {
				if !slices.Contains(tt.args, d[0]) {
					args = append(args, d[0], d[1])
				}
			}
			args = append(args, tt.args...)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, &stdout, &stderr)
			if code := exitCode(err); code != tt.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.code)
			}
			msg := err.Error() + "\n" + explain(err).hint
			for _, want := range tt.inStderr {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
		})
	}
}

func TestHelpAndUnknownCommand(t *testing.T) {
	t.Parallel()
	stdout, _, code := runCLI(t, "--help")
	if code != 0 || !strings.Contains(stdout, "clean") || !strings.Contains(stdout, "Exit codes") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
	stdout, _, code = runCLI(t, "clean", "--help")
	if code != 0 || !strings.Contains(stdout, "--existing") || !strings.Contains(stdout, "--since") {
		t.Errorf("clean --help: exit %d\n%s", code, stdout)
	}
	if _, _, code := runCLI(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if _, _, code := runCLI(t); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
	stdout, _, code = runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "backfill ") {
		t.Errorf("version: exit %d %q", code, stdout)
	}
}

func TestDemoCommand(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "demo")
	stdout, stderr, code := runCLI(t, "demo", "--out", out, "--job-delay", "0")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"1/4 preflight", "6 passed, 0 warnings, 0 failed", "2/4 plan", "3/4 import", "created                22", "report:        " + filepath.Join(out, "report.html"), "4/4 verify", "  match                    22  100.0%", "the demo org stops now"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	var sum backfill.Summary
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil || sum.Command != "import" || sum.Rows != 45 || sum.Outcomes["created"] != 22 {
		t.Errorf("summary.json: %v %+v", err, sum.Outcomes)
	}
}

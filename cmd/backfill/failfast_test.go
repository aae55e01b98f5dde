package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFailFast: every flag, URL, credential source and --out is checked before the export
// is read, so a usage error on a 300 MB export exits 2 at once, naming the flag, and leaves
// no run folder. The export here is sparse: reading it would take a while and would log
// "export scanned".
func TestFailFast(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	export := filepath.Join(dir, "big.csv")
	head := "External Id,Enrollment Date\n" + strings.Repeat("k1,2025-12-01T09:00:00Z\n", 1000)
	if err := os.WriteFile(export, []byte(head), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(export, 300<<20); err != nil {
		t.Fatal(err)
	}
	tok := token("00D000000000001!token")
	for _, tt := range []struct {
		name string
		vars []string
		args []string
		want string
	}{
		{"http instance URL", tok, []string{"--instance-url", "http://acme.example.com"}, "must use https"},
		{"bad API version", tok, []string{"--instance-url", "https://acme.my.salesforce.com", "--api-version", "x"}, "API version"},
		{"no credentials", nil, []string{"--instance-url", "https://acme.my.salesforce.com"}, "no Salesforce credentials"},
		{"token without URL", tok, nil, "SF_ACCESS_TOKEN needs --instance-url"},
		{"existing --out", tok, []string{"--instance-url", "https://acme.my.salesforce.com", "--out", dir}, "already exists"},
		{"--out inside a file", tok, []string{"--instance-url", "https://acme.my.salesforce.com", "--out", filepath.Join(export, "run")}, "is not a folder"},
		{"missing --mapping", tok, []string{"--instance-url", "https://acme.my.salesforce.com", "--mapping", filepath.Join(dir, "nope.sdl")}, "--mapping"},
		{"export is a folder", tok, []string{"--instance-url", "https://acme.my.salesforce.com", "--export", dir}, "is a folder"},
	} {
		for _, cmd := range []string{"plan", "import"} {
			t.Run(cmd+"/"+tt.name, func(t *testing.T) {
				args := append([]string{cmd}, tt.args...)
				if !strings.Contains(strings.Join(tt.args, " "), "--export") {
					args = append(args, "--export", export)
				}
				if !strings.Contains(strings.Join(tt.args, " "), "--out") {
					args = append(args, "--out", filepath.Join(t.TempDir(), "run"))
				}
				start := time.Now()
				stdout, stderr, code := runCLIEnv(t, tt.vars, args...)
				if code != exitUsage {
					t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, stdout, stderr)
				}
				if !strings.Contains(stderr, tt.want) && !strings.Contains(stdout+stderr, tt.want) {
					t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
				}
				if stdout != "" || strings.Contains(stderr, "export scanned") {
					t.Errorf("the export was read before the usage error:\nstdout: %s\nstderr: %s", stdout, stderr)
				}
				if d := time.Since(start); d > time.Second {
					t.Errorf("took %v to refuse", d)
				}
			})
		}
	}
}

package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestPromptShowsThePlanOnce: at a terminal, import prints the plan's summary once, before
// the question, which names the org (name, Id, Production or Sandbox, instance, user).
// Answered no, nothing follows the question but the hint; answered yes, the summary after
// the load leaves out what the prompt showed (the choices and the mapping).
func TestPromptShowsThePlanOnce(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	importAt := func(answer, dir string) (string, error) {
		var stdout, stderr bytes.Buffer
		e := &env{stdin: strings.NewReader(answer + "\n"), stdinTerminal: true, stdout: &stdout, stderr: &stderr,
			getenv: envOf(token(srv.AccessToken()))}
		err := e.main(t.Context(), []string{"import", "--export", sampleExport, "--instance-url", srv.URL, "--out", dir, "-q"})
		return stdout.String(), err
	}
	question := "Upsert 22 rows into nplms__Enrollment__c on nplms__External_Id__c in Acme Learning (demo) (00D5g0000000001EAA), Production, " +
		srv.URL + ", as northpass.integration@demo.example.com? Type yes to continue: "

	out, err := importAt("no", filepath.Join(t.TempDir(), "no"))
	if exitCode(err) != exitUsage {
		t.Fatalf("answered no: exit %d (%v)", exitCode(err), err)
	}
	if n := strings.Count(out, "backfill import: 45 rows"); n != 1 {
		t.Errorf("answered no: the summary is printed %d times:\n%s", n, out)
	}
	if !strings.HasSuffix(out, question) {
		t.Errorf("answered no: stdout does not end with the question %q:\n%s", question, out)
	}

	out, err = importAt("yes", filepath.Join(t.TempDir(), "yes"))
	if err != nil {
		t.Fatalf("answered yes: %v", err)
	}
	before, after, ok := strings.Cut(out, question)
	if !ok {
		t.Fatalf("answered yes: no question in:\n%s", out)
	}
	if !strings.Contains(before, "mapping:") || strings.Contains(after, "mapping:") || strings.Contains(after, "key column:") {
		t.Errorf("answered yes: the choices and mapping are not shown once, before the question:\n%s", out)
	}
	if !strings.Contains(after, "backfill import: 45 rows") || !regexp.MustCompile(`(?m)^  created +22 `).MatchString(after) || !strings.Contains(after, "org:  ") {
		t.Errorf("answered yes: the summary after the load lacks the counts or the org:\n%s", after)
	}
}

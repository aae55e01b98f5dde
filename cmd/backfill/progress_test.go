package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestProgressBarsMove drives `plan` and `import` on a real terminal (a tmux pane) against
// the emulator made slow (latency, a large object to scan, a job that takes seconds), and
// reads the pane twice while a step runs: its bar's count must grow between the captures.
// Skipped without tmux.
func TestProgressBarsMove(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	t.Parallel()
	srv := sftest.NewServer(t)
	for i := range 40_000 { // an org whose Enrollments take a 20-page scan
		if _, err := srv.AddRecord("nplms__Enrollment__c", map[string]any{"nplms__External_Id__c": fmt.Sprintf("org-%06d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	export := soakExport(t, 20_000)
	dir := filepath.Join(t.TempDir(), "run")
	socket := filepath.Join(t.TempDir(), "tmux.sock")

	srv.SetLatency(150 * time.Millisecond)
	plan := startInPane(t, socket, "plan", srv, "plan", "--export", export, "--instance-url", srv.URL, "--out", dir)
	watchBar(t, plan, "check which records exist (scan)")
	waitPane(t, plan, "report: ")

	srv.SetLatency(0)
	srv.SetJobDelay(5 * time.Second)
	imp := startInPane(t, socket, "import", srv, "import", "--plan", dir, "--instance-url", srv.URL, "--yes")
	watchBar(t, imp, "Salesforce processes the rows")
	waitPane(t, imp, "report: ")
}

// pane is a tmux pane running one command.
type pane struct{ socket, name string }

// startInPane runs the test binary as backfill in a new tmux session, on a 160x30 terminal.
func startInPane(t *testing.T, socket, name string, srv *sftest.Server, args ...string) pane {
	t.Helper()
	cmd := []string{"env", "BACKFILL_TEST_POLL=300ms", "SF_ACCESS_TOKEN=" + srv.AccessToken(), backfillBin(t)}
	cmd = append(cmd, args...)
	line := ""
	for _, a := range cmd {
		line += strconvQuote(a) + " "
	}
	line += "; echo EXITED $?; sleep 60"
	out, err := exec.Command("tmux", "-S", socket, "new-session", "-d", "-s", name, "-x", "160", "-y", "30", line).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", socket, "kill-session", "-t", name).Run() })
	return pane{socket, name}
}

func strconvQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (p pane) capture(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("tmux", "-S", p.socket, "capture-pane", "-p", "-t", p.name).Output()
	if err != nil {
		t.Fatalf("capture-pane: %v", err)
	}
	return string(out)
}

var barCount = regexp.MustCompile(`\((\d[\d,]*)/(\d[\d,]*)`)

// count is the done count of the bar of step in the pane, -1 when it is not drawn.
func (p pane) count(t *testing.T, step string) int {
	for _, line := range strings.Split(p.capture(t), "\n") {
		if !strings.Contains(line, step) {
			continue
		}
		if m := barCount.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
			return n
		}
	}
	return -1
}

// watchBar waits for the bar of step to show a count, then sees it grow.
func watchBar(t *testing.T, p pane, step string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	first := -1
	for time.Now().Before(deadline) {
		if n := p.count(t, step); n >= 0 && first < 0 {
			first = n
		} else if n > first && first >= 0 {
			t.Logf("%s: %d, then %d", step, first, n)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the bar of %q never grew (first count %d); the pane:\n%s", step, first, p.capture(t))
}

// waitPane waits for text in the pane (the command's summary), and for the command to exit 0.
func waitPane(t *testing.T, p pane, text string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		out := p.capture(t)
		if strings.Contains(out, "EXITED ") {
			if !strings.Contains(out, text) || !strings.Contains(out, "EXITED 0") {
				t.Fatalf("the command ended without %q or with an error:\n%s", text, out)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out; the pane:\n%s", p.capture(t))
}

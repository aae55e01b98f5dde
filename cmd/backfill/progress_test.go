package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestProgressBarsMove is the end-to-end check of the progress bars: `import` on a real
// terminal (a tmux pane) against the emulator, whose Bulk job takes 2 seconds and reports
// its processed rows as they grow; the pane must show the bar of "Salesforce processes the
// rows" at one count, then at a larger one, and the command must end with its summary and
// exit 0. How bars draw each event is TestBarsDrawEvents's (backfill/report), which events
// a job sends TestImportEvents's (backfill). Skipped without tmux.
func TestProgressBarsMove(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux)")
	}
	t.Parallel()
	srv := sftest.NewServer(t)
	srv.SetJobDelay(2 * time.Second) // the count grows over its second half: 5 polls
	dir := filepath.Join(t.TempDir(), "run")
	socket := filepath.Join(t.TempDir(), "tmux.sock")
	imp := startInPane(t, socket, "import", srv, "import", "--export", sampleExport, "--instance-url", srv.URL, "--out", dir, "--yes")
	const step = "Salesforce processes the rows"
	first := imp.waitCount(t, step, -1)
	imp.waitCount(t, step, first)
	imp.waitExit(t, "report: ")
}

// pane is a tmux pane running one command.
type pane struct{ socket, name string }

// startInPane runs backfill with args in a new tmux session, on a 160x30 terminal. Its
// Bulk jobs are polled every 200 ms, so a bar has counts to show.
func startInPane(t *testing.T, socket, name string, srv *sftest.Server, args ...string) pane {
	t.Helper()
	cmd := []string{"env", "BACKFILL_TEST_POLL=200ms", "SF_ACCESS_TOKEN=" + srv.AccessToken(), backfillBin(t)}
	cmd = append(cmd, args...)
	line := ""
	for _, a := range cmd {
		line += shellQuote(a) + " "
	}
	line += "; echo EXITED $?; sleep 600"
	abs, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tmux", "-S", socket, "new-session", "-d", "-s", name, "-x", "160", "-y", "30", "-c", abs, line).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", socket, "kill-server").Run() })
	return pane{socket, name}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (p pane) capture(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("tmux", "-S", p.socket, "capture-pane", "-p", "-t", p.name).Output()
	if err != nil {
		t.Fatalf("capture-pane: %v", err)
	}
	return string(out)
}

// waitFor reads the pane every 50 ms until found returns true for it (tmux tells no one
// when it draws: the pane is polled), for at most a minute.
func (p pane) waitFor(t *testing.T, what string, found func(screen string) bool) string {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for {
		screen := p.capture(t)
		if found(screen) {
			return screen
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no %s in a minute; the pane:\n%s", what, screen)
		}
	}
}

var barCount = regexp.MustCompile(`\((\d[\d,]*)/(\d[\d,]*)`)

// count is the done count of the bar of step on screen, -1 when it is not drawn.
func count(screen, step string) int {
	for _, line := range strings.Split(screen, "\n") {
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

// waitCount waits for the bar of step to show a count above after, and returns it.
func (p pane) waitCount(t *testing.T, step string, after int) int {
	t.Helper()
	n := -1
	p.waitFor(t, "bar of "+strconv.Quote(step)+" above "+strconv.Itoa(after), func(screen string) bool {
		if strings.Contains(screen, "EXITED ") {
			t.Fatalf("the command ended before the bar of %q went above %d:\n%s", step, after, screen)
		}
		n = count(screen, step)
		return n > after
	})
	t.Logf("%s: %d", step, n)
	return n
}

// waitExit waits for the command to end, and checks it printed text and exited 0.
func (p pane) waitExit(t *testing.T, text string) {
	t.Helper()
	screen := p.waitFor(t, "end of the command", func(screen string) bool { return strings.Contains(screen, "EXITED ") })
	if !strings.Contains(screen, text) || !strings.Contains(screen, "EXITED 0") {
		t.Fatalf("the command ended without %q or with an error:\n%s", text, screen)
	}
}

package ui_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/backfill/ui"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// TestIdle: with no request and no job, the server stops after its idle time.
func TestIdle(t *testing.T) {
	s := serve(t, ui.Options{IdleTimeout: 300 * time.Millisecond})
	select {
	case why := <-s.done:
		s.done <- why
		if !strings.HasPrefix(why, "idle for") {
			t.Fatalf("stopped: %s", why)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the idle server did not stop")
	}
}

// TestQuit: the page stops the server; with a job running it asks first, and the job is
// stopped as Ctrl-C stops it.
func TestQuit(t *testing.T) {
	_, login := emulator(t, sftest.WithJobDelay(5*time.Second))
	s := serve(t, ui.Options{Org: login})
	c := session(t, s)
	c.post("/api/org", map[string]string{"kind": "command_line"}, http.StatusOK, nil)
	upload(t, c, sample)
	plan := c.run("/api/plan", "plan", map[string]any{})
	c.run("/api/runs/"+plan.Run+"/approve", "approve", map[string]string{"by": "Dana"})
	d := readDisk(t, runFolder(t, s.runs))
	c.post("/api/runs/"+plan.Run+"/import", map[string]string{"org_id": d.plan.Seal.OrgID}, http.StatusAccepted, nil)
	time.Sleep(300 * time.Millisecond)
	if text := c.post("/api/quit", map[string]any{}, http.StatusConflict, nil); !strings.Contains(text, "A job is running") {
		t.Fatalf("quit with a job running: %s", text)
	}
	c.post("/api/quit", map[string]any{"force": true}, http.StatusAccepted, nil)
	select {
	case why := <-s.done:
		s.done <- why
		if why != "asked from the page" {
			t.Fatalf("stopped: %s", why)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
	}
	if d := readDisk(t, runFolder(t, s.runs)); !d.journal.Started || d.journal.Finished {
		t.Fatalf("the import stopped with the server: started %v, finished %v", d.journal.Started, d.journal.Finished)
	}
}

// TestNew refuses an address other than loopback, and a runs "folder" that is a file.
func TestNew(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.168.1.10:0", "example.com:80", "nonsense"} {
		if _, err := ui.New(ui.Options{Addr: addr}); err == nil {
			t.Errorf("New(%s) listened", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		s, err := ui.New(ui.Options{Addr: addr, Runs: t.TempDir()})
		if err != nil {
			t.Fatalf("New(%s): %v", addr, err)
		}
		if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.Contains(s.URL(), "/?token=") {
			t.Errorf("URL %s", s.URL())
		}
		s.Close()
	}
}

// TestWords: the page names options as its settings and commands as its buttons, and
// rewrites the command line's flags in sentences from below the job.
func TestWords(t *testing.T) {
	w := ui.Words{}
	for _, o := range append(backfill.ShapingOptions(), backfill.OptMaxRejected, backfill.OptSandbox, backfill.OptForce, backfill.OptKeepUpdatedAt, backfill.OptTargetOrg) {
		pageWords(t, string(o), w.Option(o, "x"))
	}
	for c, want := range map[backfill.Command]string{backfill.CmdPreflight: "the Check button", backfill.CmdImportPlan: "the Import button",
		backfill.CmdVerify: "the Verify button", backfill.CmdOrg: "the practice org"} {
		if got := w.Command(c, ""); got != want {
			t.Errorf("Command(%s) = %q, want %q", c, got, want)
		}
	}
	if got := w.Command(backfill.CmdResume, "/x/runs/20261201T000000Z"); got != "the Resume button of run 20261201T000000Z" {
		t.Errorf("Command with a folder: %q", got)
	}
}

// TestExplain: every typed error of the jobs becomes a sentence of the page with what to
// do, naming no flag and no command line.
func TestExplain(t *testing.T) {
	errs := []error{
		&backfill.OptionError{Option: backfill.OptExport, Err: backfill.ErrRequired},
		&backfill.OptionError{Option: backfill.OptDateFormat, Value: "garbage", Err: errors.New("no year in the pattern")},
		&backfill.OptionError{Option: backfill.OptEncoding, Value: "utf-16", Err: backfill.ErrBadValue},
		&csvdiff.FileError{File: "x.csv", Line: 1, Err: errors.New("the header is not valid UTF-8"), Hint: "if the file was saved by Excel on Windows, pass --encoding windows-1252"},
		&runfolder.SealError{File: "run/ledger.csv", Why: "changed since the plan was made"},
		&backfill.OrgError{PlanURL: "https://a.my.salesforce.com", LoginURL: "https://b.my.salesforce.com"},
		&runfolder.InUseError{Dir: "run", Holder: runfolder.LockHolder{PID: 42, Command: "backfill resume", Started: time.Now()}},
		&backfill.FolderError{Dir: "run", Want: backfill.CmdVerify, Err: backfill.ErrNeverImported},
		&backfill.FolderError{Dir: "run", Want: backfill.CmdVerify, Err: backfill.ErrImportRunning},
		&backfill.RejectedError{Rejected: 10, Rows: 100, Percent: 10, Max: 5},
		&backfill.StoppedError{Dir: "run", Cause: backfill.StopInterrupted, Running: 1},
		&backfill.StoppedError{Dir: "run", Cause: backfill.StopTransient, Err: errors.New("connection reset")},
		&backfill.StoppedError{Dir: "run", Cause: backfill.StopRefused, Code: "INVALID_SESSION_ID", Err: errors.New("session expired")},
		&backfill.StoppedError{Dir: "run", Cause: backfill.StopLocal, Err: errors.New("no space left on device")},
		&backfill.PreflightError{Report: &backfill.PreflightReport{Checks: []backfill.Check{{ID: 2, Name: "Installed packages", Status: backfill.CheckFail}}}},
	}
	for _, err := range errs {
		s := ui.Explain(err)
		if s.Text == "" || s.Todo == "" {
			t.Errorf("%T %v: %+v, want what happened and what to do", err, err, s)
		}
		pageWords(t, fmt.Sprintf("%T", err), s.Text+" "+s.Todo)
	}
	if s := ui.Explain(errs[3]); !strings.Contains(s.Todo, "the Encoding setting (windows-1252)") {
		t.Errorf("a csvdiff hint: %+v", s)
	}
}

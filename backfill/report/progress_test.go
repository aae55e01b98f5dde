package report

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
)

// drawn is what the bars drew on their terminal since the last call.
type drawn struct{ bytes.Buffer }

func (d *drawn) take() string { s := d.String(); d.Reset(); return s }

// cleared is a line a bar is erased from: a carriage return, blanks, a carriage return.
var cleared = regexp.MustCompile(`^\r +\r`)

// TestBarsDrawEvents drives Bars with the events of a job, as the terminal gets them, and
// reads what is drawn: a bar per step with its label, percentage and count, redrawn as
// the count grows; a spinner with the count when the total is unknown; bytes in MB; a log
// line through Writer first erases the bar; a step's end erases its bar. Redraws are not
// throttled here (NewBars waits 100 ms between two).
func TestBarsDrawEvents(t *testing.T) {
	var term drawn
	bars := NewBars(&term)
	bars.throttle = 0

	process := backfill.Event{ID: 1, Step: backfill.StepProcess, Total: 1000, Unit: backfill.UnitRows}
	bars.Observe(process)
	term.take()
	for _, done := range []int64{250, 600} {
		process.Phase, process.Done = backfill.PhaseProgress, done
		bars.Observe(process)
		got := term.take()
		line := got[strings.LastIndexByte(got, '\r')+1:]
		want := fmt.Sprintf("Salesforce processes the rows  %d%% |", done/10)
		if !strings.HasPrefix(line, want) || !strings.Contains(line, fmt.Sprintf("| (%d/1000, ", done)) {
			t.Errorf("at %d the bar reads %q, want %q... (%d/1000, ...", done, line, want, done)
		}
		if done > 250 && !cleared.MatchString(got) {
			t.Errorf("the bar was redrawn over the old one without erasing it: %q", got)
		}
	}
	fmt.Fprint(bars.Writer(), "a log line\n")
	if got := term.take(); !cleared.MatchString(got) || cleared.ReplaceAllString(got, "") != "a log line\n" {
		t.Errorf("a log line under a bar: %q, want the bar erased, then the line", got)
	}
	process.Done = 800
	bars.Observe(process)
	if got := term.take(); !strings.HasPrefix(got, "\rSalesforce processes the rows  80% |") {
		t.Errorf("after a log line the bar is drawn again on a fresh line: %q", got)
	}
	process.Phase, process.Done = backfill.PhaseEnd, 1000
	bars.Observe(process)
	if got := term.take(); !cleared.MatchString(got) || cleared.ReplaceAllString(got, "") != "" {
		t.Errorf("the end of the step drew %q, want its bar erased", got)
	}
	fmt.Fprint(bars.Writer(), "after\n")
	if got := term.take(); got != "after\n" {
		t.Errorf("a log line with no bar drawn: %q", got)
	}

	scan := backfill.Event{ID: 2, Step: backfill.StepScan, Unit: backfill.UnitRecords}
	bars.Observe(scan)
	scan.Phase, scan.Done = backfill.PhaseProgress, 2000
	bars.Observe(scan)
	if got := term.take(); !strings.Contains(got, "check which records exist (scan) (2000/-, ") {
		t.Errorf("a step of unknown total draws %q, want a spinner with its count", got)
	}
	scan.Phase = backfill.PhaseEnd
	bars.Observe(scan)
	term.take()

	upload := backfill.Event{ID: 3, Step: backfill.StepUpload, Total: 5 << 20, Unit: backfill.UnitBytes, Part: 2, Parts: 3, Job: "750x"}
	bars.Observe(upload)
	upload.Phase, upload.Done = backfill.PhaseProgress, 1<<20
	bars.Observe(upload)
	if got := term.take(); !strings.Contains(got, "upload part 2  20% |") || !strings.Contains(got, "| (1.0/5.2 MB, ") {
		t.Errorf("an upload draws %q, want its part, 20%% and 1.0/5.2 MB", got)
	}
	if len(bars.bars) != 1 {
		t.Errorf("%d bars kept, want the upload's only (ended steps are dropped)", len(bars.bars))
	}
}

// TestTerminalErasesWholeLines is the Windows rule on every OS: progressbar erases a bar with
// a bare "\r" on Windows, and a shorter line drawn next would end on the old bar's remains.
// terminal turns either erase into blanks over every column drawn.
func TestTerminalErasesWholeLines(t *testing.T) {
	var out bytes.Buffer
	term := &terminal{w: &out}
	for _, erase := range []string{"\r", "\r     \r"} { // Windows' form, then the others'
		out.Reset()
		io.WriteString(term, "\rupload part 1  40% |████      | (2.0/5.0 MB)")
		io.WriteString(term, erase)
		io.WriteString(term, "short\n")
		want := "\rupload part 1  40% |████      | (2.0/5.0 MB)\r" + strings.Repeat(" ", 44) + "\rshort\n"
		if got := out.String(); got != want {
			t.Errorf("erase %q: the terminal got %q, want %q", erase, got, want)
		}
	}
	out.Reset()
	io.WriteString(term, "\r")
	if out.Len() != 0 {
		t.Errorf("an erase with nothing drawn wrote %q", out.String())
	}
}

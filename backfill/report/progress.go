package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill"
)

// Label names a step for people: "read the export", "upload part 2".
func Label(e backfill.Event) string {
	switch e.Step {
	case backfill.StepReadExport:
		return "read the export"
	case backfill.StepExistence:
		return "check which records exist"
	case backfill.StepScan:
		return "check which records exist (scan)"
	case backfill.StepWriteRun:
		return "write the run folder"
	case backfill.StepUpload:
		return fmt.Sprintf("upload part %d", e.Part)
	case backfill.StepProcess:
		return "Salesforce processes the rows"
	case backfill.StepResults:
		return fmt.Sprintf("download the results of part %d", e.Part)
	case backfill.StepFinal:
		return "write the final ledger and result files"
	}
	return string(e.Step)
}

// Bars draws the job's progress on a terminal: one bar at a time with schollz/progressbar (a
// count with rate and ETA when the total is known, a spinner with the count otherwise),
// cleared when the step ends; writes through [Bars.Writer] (the log) clear the bar first, so
// no line lands on it. progressbar is a well-kept library for a solved problem (terminal
// width, rates, ETA, redraw throttling); it is used in this file only.
type Bars struct {
	mu   sync.Mutex // guards bar, bars and the writes to w
	w    *terminal
	bar  *progressbar.ProgressBar
	bars map[int64]*progressbar.ProgressBar // by step id
	// throttle is the least time between two redraws of a bar (tests draw every event).
	throttle time.Duration
}

// NewBars returns the bars drawn on w, a terminal.
func NewBars(w io.Writer) *Bars {
	return &Bars{w: &terminal{w: w}, bars: map[int64]*progressbar.ProgressBar{}, throttle: 100 * time.Millisecond}
}

// terminal is the writer the bars draw on. It erases a bar itself, the same on every OS:
// progressbar erases with "\r", blanks and "\r" except on Windows, where it writes a bare
// "\r" and the next, shorter line (a log line, a redrawn bar) would end on the old one's
// remains. terminal counts the columns drawn since the line began and turns every erase the
// library writes, of either form, into one that blanks them all.
type terminal struct {
	w     io.Writer
	drawn int // columns drawn on the current line since it began or was erased
	col   int // the cursor's column
}

func (t *terminal) Write(b []byte) (int, error) {
	if isErase(b) {
		return len(b), t.erase()
	}
	for _, r := range string(b) {
		switch r {
		case '\n':
			t.drawn, t.col = 0, 0
		case '\r':
			t.col = 0
		default:
			if t.col++; t.col > t.drawn {
				t.drawn = t.col
			}
		}
	}
	return t.w.Write(b)
}

// erase blanks the columns drawn on the current line and returns the cursor to its start.
func (t *terminal) erase() error {
	if t.drawn == 0 {
		return nil
	}
	_, err := io.WriteString(t.w, "\r"+strings.Repeat(" ", t.drawn)+"\r")
	t.drawn, t.col = 0, 0
	return err
}

// isErase reports whether b is progressbar's erase of a line: "\r", or "\r", blanks, "\r".
func isErase(b []byte) bool {
	if len(b) == 0 || b[0] != '\r' || b[len(b)-1] != '\r' {
		return false
	}
	return strings.Trim(string(b), "\r ") == "" && strings.Count(string(b), "\r") <= 2
}

// Writer returns w wrapped so that each write first clears the bar being drawn (the bar is
// drawn again at its next update).
func (p *Bars) Writer() io.Writer { return clearingWriter{p} }

type clearingWriter struct{ p *Bars }

func (c clearingWriter) Write(b []byte) (int, error) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if c.p.bar != nil {
		if err := c.p.w.erase(); err != nil {
			return 0, err
		}
	}
	return c.p.w.Write(b)
}

// Observe implements [backfill.Observer].
func (p *Bars) Observe(e backfill.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Phase {
	case backfill.PhaseStart:
		max := e.Total
		if max <= 0 {
			max = -1 // a spinner
		}
		opts := []progressbar.Option{progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(Label(e)),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(string(e.Unit)),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(p.throttle),
			progressbar.OptionSetWidth(30)}
		if e.Unit == backfill.UnitBytes {
			opts = append(opts, progressbar.OptionShowBytes(true))
		}
		p.bar = progressbar.NewOptions64(max, opts...)
		p.bars[e.ID] = p.bar
	case backfill.PhaseProgress:
		if bar := p.bars[e.ID]; bar != nil {
			bar.Set64(e.Done)
		}
	case backfill.PhaseEnd:
		if bar := p.bars[e.ID]; bar != nil {
			bar.Finish()
			if p.bar == bar {
				p.bar = nil
			}
			delete(p.bars, e.ID)
		}
	}
}

// ProgressLog logs the job's progress as structured lines, for a pipe or a CI log: a
// "progress" line every [ProgressLog.Every] for steps that run that long, and their end.
type ProgressLog struct {
	log   *zap.Logger
	every time.Duration
	now   func() time.Time
	mu    sync.Mutex
	steps map[int64]*loggedStep
}

type loggedStep struct {
	start, last time.Time
	logged      bool
}

// logEvery is how often a step that runs long logs its progress.
const logEvery = 5 * time.Second

// NewProgressLog returns the progress lines written to log.
func NewProgressLog(log *zap.Logger) *ProgressLog {
	return &ProgressLog{log: log, every: logEvery, now: time.Now, steps: map[int64]*loggedStep{}}
}

// Observe implements [backfill.Observer].
func (p *ProgressLog) Observe(e backfill.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	st := p.steps[e.ID]
	switch e.Phase {
	case backfill.PhaseStart:
		p.steps[e.ID] = &loggedStep{start: now, last: now}
		return
	case backfill.PhaseEnd:
		if st != nil && st.logged {
			p.log.Info("progress", zap.String("step", Label(e)), zap.Int64("done", e.Done), zap.String("unit", string(e.Unit)),
				zap.Duration("took", now.Sub(st.start).Round(time.Millisecond)), zap.Bool("finished", true))
		}
		delete(p.steps, e.ID)
		return
	}
	if st == nil || now.Sub(st.last) < p.every {
		return
	}
	st.last, st.logged = now, true
	fields := []zap.Field{zap.String("step", Label(e)), zap.Int64("done", e.Done), zap.String("unit", string(e.Unit))}
	el := now.Sub(st.start)
	if e.Total > 0 {
		fields = append(fields, zap.Int64("total", e.Total))
		if e.Done > 0 {
			eta := time.Duration(float64(el) * float64(e.Total-e.Done) / float64(e.Done))
			fields = append(fields, zap.Duration("eta", eta.Round(time.Second)))
		}
	}
	if e.Job != "" {
		fields = append(fields, zap.String("job", e.Job))
	}
	if s := el.Seconds(); s > 0 {
		fields = append(fields, zap.Float64("per_second", float64(int64(float64(e.Done)/s))))
	}
	p.log.Info("progress", fields...)
}

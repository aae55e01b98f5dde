package report

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill"
)

// Progress is the job's Hooks.Progress. On a terminal it draws one bar at a time with
// schollz/progressbar (a count with rate and ETA when the total is known, a spinner with the
// count otherwise), cleared when the step ends; writes through [Progress.Writer] (the log)
// clear the bar first, so no line lands on it. Elsewhere (a pipe, a CI log) it logs a
// structured "progress" line every logEvery for steps that run that long. progressbar is a
// well-kept library for a solved problem (terminal width, rates, ETA, redraw throttling); it
// is used in this file only.
type Progress struct {
	mu       sync.Mutex // guards bar and the writes to w
	w        io.Writer
	terminal bool
	log      *zap.Logger
	bar      *progressbar.ProgressBar
	every    time.Duration
	now      func() time.Time
}

// logEvery is how often a step that runs long logs its progress when there is no terminal.
const logEvery = 5 * time.Second

// NewProgress returns the progress for w (stderr); terminal says bars can be drawn on it.
// Without a terminal nothing is shown until [Progress.SetLogger] gives it a logger.
func NewProgress(w io.Writer, terminal bool) *Progress {
	return &Progress{w: w, terminal: terminal, every: logEvery, now: time.Now}
}

// SetLogger sets the logger of the progress lines written when there is no terminal.
func (p *Progress) SetLogger(log *zap.Logger) { p.log = log }

// Writer returns w wrapped so that each write first clears the bar being drawn (the bar is
// drawn again at its next update).
func (p *Progress) Writer() io.Writer { return clearingWriter{p} }

type clearingWriter struct{ p *Progress }

func (c clearingWriter) Write(b []byte) (int, error) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if c.p.bar != nil {
		c.p.bar.Clear()
	}
	return c.p.w.Write(b)
}

// Start implements backfill.Progress.
func (p *Progress) Start(what string, total int64, unit string) backfill.Meter {
	if !p.terminal {
		return &logMeter{p: p, what: what, total: total, unit: unit, start: p.now(), last: p.now()}
	}
	max := total
	if max <= 0 {
		max = -1 // a spinner
	}
	opts := []progressbar.Option{progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit),
		progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetWidth(30)}
	if unit == "bytes" {
		opts = append(opts, progressbar.OptionShowBytes(true))
	}
	p.mu.Lock()
	p.bar = progressbar.NewOptions64(max, opts...)
	p.mu.Unlock()
	return &barMeter{p: p, bar: p.bar}
}

type barMeter struct {
	p   *Progress
	bar *progressbar.ProgressBar
}

func (m *barMeter) Set(n int64) {
	m.p.mu.Lock()
	m.bar.Set64(n)
	m.p.mu.Unlock()
}

func (m *barMeter) Add(n int64) {
	m.p.mu.Lock()
	m.bar.Add64(n)
	m.p.mu.Unlock()
}

func (m *barMeter) Done() {
	m.p.mu.Lock()
	m.bar.Finish()
	if m.p.bar == m.bar {
		m.p.bar = nil
	}
	m.p.mu.Unlock()
}

// logMeter logs a step's progress every p.every while it runs, and its end if it logged.
type logMeter struct {
	p           *Progress
	what, unit  string
	total, done int64
	start, last time.Time
	logged      bool
	mu          sync.Mutex
}

func (m *logMeter) Set(n int64) {
	m.mu.Lock()
	m.done = n
	m.tick()
	m.mu.Unlock()
}

func (m *logMeter) Add(n int64) {
	m.mu.Lock()
	m.done += n
	m.tick()
	m.mu.Unlock()
}

func (m *logMeter) tick() {
	now := m.p.now()
	if m.p.log == nil || now.Sub(m.last) < m.p.every {
		return
	}
	m.last, m.logged = now, true
	fields := []zap.Field{zap.String("step", m.what), zap.Int64("done", m.done), zap.String("unit", m.unit)}
	el := now.Sub(m.start)
	if m.total > 0 {
		fields = append(fields, zap.Int64("total", m.total))
		if m.done > 0 {
			eta := time.Duration(float64(el) * float64(m.total-m.done) / float64(m.done))
			fields = append(fields, zap.Duration("eta", eta.Round(time.Second)))
		}
	}
	if s := el.Seconds(); s > 0 {
		fields = append(fields, zap.Float64("per_second", float64(int64(float64(m.done)/s))))
	}
	m.p.log.Info("progress", fields...)
}

func (m *logMeter) Done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.logged && m.p.log != nil {
		m.p.log.Info("progress", zap.String("step", m.what), zap.Int64("done", m.done), zap.String("unit", m.unit),
			zap.Duration("took", m.p.now().Sub(m.start).Round(time.Millisecond)), zap.Bool("finished", true))
	}
}

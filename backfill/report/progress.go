package report

import (
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"

	"github.com/northpass-tools/backfill/backfill"
)

// NewProgress returns the job's Hooks.Progress for w: a progress bar per step when w is a
// terminal, nothing otherwise.
func NewProgress(w io.Writer, terminal bool) backfill.Progress {
	if !terminal {
		return nil
	}
	return &barProgress{w: w}
}

// barProgress draws one bar at a time with schollz/progressbar (a count bar when the total
// is known, a spinner otherwise), cleared when the step ends. progressbar is a well-kept
// library for a solved problem (terminal width, rates, ETA, redraw throttling); it is used
// in this file only.
type barProgress struct {
	w io.Writer
}

func (p *barProgress) Start(what string, total int64, unit string) backfill.Meter {
	max := total
	if max <= 0 {
		max = -1
	}
	opts := []progressbar.Option{progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish()}
	if unit == "bytes" {
		opts = append(opts, progressbar.OptionShowBytes(true))
	}
	return &barMeter{bar: progressbar.NewOptions64(max, opts...)}
}

type barMeter struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func (m *barMeter) Set(n int64) {
	m.mu.Lock()
	m.bar.Set64(n)
	m.mu.Unlock()
}

func (m *barMeter) Add(n int64) {
	m.mu.Lock()
	m.bar.Add64(n)
	m.mu.Unlock()
}

func (m *barMeter) Done() {
	m.mu.Lock()
	m.bar.Finish()
	m.mu.Unlock()
}

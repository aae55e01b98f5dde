package sftest

import (
	"fmt"
	"time"
)

// defaultJobRetention is how long Salesforce keeps a Bulk job after it reached a terminal
// state (bulk_api_2_limits.htm: "jobs in a terminal state are deleted after 7 days").
const defaultJobRetention = 7 * 24 * time.Hour

// jobLife is what ingest and query jobs share for retention: when the job reached a
// terminal state (server clock) and whether it is gone.
type jobLife struct {
	endedAt time.Time
	gone    bool // deleted by DELETE, by retention or by ExpireJobs
}

func terminal(state string) bool {
	return state == StateJobComplete || state == StateFailed || state == StateAborted
}

// ended records that the job reached a terminal state now.
func (l *jobLife) ended(o *org) { l.endedAt = o.now() }

// expired reports whether a terminal job is past the org's retention.
func (l *jobLife) expired(o *org, state string) bool {
	return terminal(state) && !l.endedAt.IsZero() && o.now().Sub(l.endedAt) > o.retention
}

// sweepJobs marks the terminal jobs past the retention gone and frees their data.
func (o *org) sweepJobs() {
	for _, j := range o.jobs {
		if !j.gone && j.expired(o, j.state) {
			j.vanish()
		}
	}
	for _, j := range o.queryJobs {
		if !j.gone && j.expired(o, j.state) {
			j.gone, j.rows = true, nil
		}
	}
}

// vanish makes j gone, as a deleted job, and frees what it holds.
func (j *ingestJob) vanish() {
	j.gone = true
	j.data, j.success, j.failures, j.unprocessed = nil, nil, nil, nil
}

// SetMaxUploadBytes refuses Bulk uploads larger than n bytes with 400
// EXCEEDED_MAX_SIZE_REQUEST, so tests can exercise splitting into several jobs without
// 100 MB files. 0 or less means [DefaultMaxUploadBytes], Salesforce's 100 MB.
func (s *Server) SetMaxUploadBytes(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		n = DefaultMaxUploadBytes
	}
	s.maxUpload = n
}

// SetJobState ends the Bulk job id (ingest or query) that has not ended yet in state
// Aborted (an admin aborts it in Setup) or Failed (Salesforce fails it, with errorMessage
// as the job's errorMessage). An ingest job's uploaded rows are then all listed by
// unprocessedrecords and none is applied.
func (s *Server) SetJobState(id, state, errorMessage string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if state != StateAborted && state != StateFailed {
		return fmt.Errorf("sftest: SetJobState: state %q: want Aborted or Failed", state)
	}
	if j := s.org.job(id); j != nil {
		if terminal(j.state) {
			return fmt.Errorf("sftest: SetJobState: job %s already ended: %s", id, j.state)
		}
		j.fail(s.org, errorMessage)
		j.state = state
		return nil
	}
	if j := s.org.queryJob(id); j != nil {
		if terminal(j.state) {
			return fmt.Errorf("sftest: SetJobState: job %s already ended: %s", id, j.state)
		}
		j.state, j.errorMessage, j.rows = state, errorMessage, nil
		j.ended(s.org)
		return nil
	}
	return fmt.Errorf("sftest: SetJobState: no job %s", id)
}

// SetJobRetention makes a Bulk job that reached a terminal state more than d ago (server
// clock, see [WithClock]) vanish, as Salesforce deletes jobs after 7 days (the default):
// its job info, PATCH, DELETE and result endpoints answer 404 NOT_FOUND and the job lists
// leave it out. [Server.Jobs] still reports it.
func (s *Server) SetJobRetention(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.org.retention = d
	s.org.sweepJobs()
}

// ExpireJobs makes every Bulk job in a terminal state vanish now, as [Server.SetJobRetention]
// does once their time has come.
func (s *Server) ExpireJobs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.org.advanceJobs(s)
	for _, j := range s.org.jobs {
		if terminal(j.state) {
			j.vanish()
		}
	}
	for _, j := range s.org.queryJobs {
		if terminal(j.state) {
			j.gone, j.rows = true, nil
		}
	}
}

// SetLockContention simulates record-lock contention between the internal batches that
// Salesforce processes in parallel: Bulk ingest splits a job's rows, in upload order, into
// batches of batchSize rows (Salesforce: 10,000), and when rows of two different batches
// share a value of field (compared case-insensitively; empty values never collide), the
// rows of every batch after the first that holds the value fail with
// "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: <Id>:--",
// Id being the record written by the first row with that value. Rows of one batch never
// collide. field "" (or batchSize 0) turns it off.
func (s *Server) SetLockContention(field string, batchSize int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lock = contention{field: field, batch: batchSize}
}

// SetBulkBatchesRemaining sets the Remaining of the DailyBulkApiBatches limit: each
// processed ingest job takes ceil(rows/10,000) batches, and a job that needs more than
// remain ends Failed with its rows unprocessed.
func (s *Server) SetBulkBatchesRemaining(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.org.limits[bulkBatchesLimit].Remaining = int(n)
}

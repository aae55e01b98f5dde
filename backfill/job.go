package backfill

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
)

// job is one run of a job: what its front end gave, and the run log that copies the log
// into the run folder. Everything a job touches comes through it or its options: nothing in
// the job changes process-wide state, so several jobs run in one process at once.
type job struct {
	front Front
	log   *zap.Logger
	rl    *runLog
}

// newJob starts a run for front; call close at the end.
func newJob(front Front) *job {
	log := front.Logger
	if log == nil {
		log = zap.NewNop()
	}
	j := &job{front: front}
	j.log, j.rl = withRunLog(log)
	return j
}

// close stops copying the log into the run folder.
func (j *job) close() { j.rl.close() }

// attach starts copying the log into folder's run.log.
func (j *job) attach(folder *runfolder.Folder) error { return j.rl.attach(folder) }

func (j *job) now() time.Time {
	if j.front.Now != nil {
		return j.front.Now().UTC()
	}
	return time.Now().UTC()
}

func (j *job) words() Words {
	if j.front.Words == nil {
		return PlainWords{}
	}
	return j.front.Words
}

// step starts a step whose progress goes to the front end.
func (j *job) step(e Event) *meter { return start(j.front.Progress, e) }

// connect logs in to the org org names, with the job's logger.
func (j *job) connect(ctx context.Context, org sfclient.Config) (Salesforce, error) {
	c, err := sfclient.New(ctx, org, j.log)
	if err != nil {
		return nil, &LoginError{Err: err}
	}
	return c, nil
}

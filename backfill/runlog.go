package backfill

import (
	"bytes"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// maxEarlyLog bounds what is kept in memory before the run folder exists.
const maxEarlyLog = 4 << 20

// runLog copies the command's log, at debug level and as JSON lines, into the run folder's
// run.log. Entries logged before the folder exists are held in memory and written when it
// is attached, so the file tells the whole run. The folder owns the file's handle
// (runfolder.LogFile): it closes it while it renames or removes itself, as Windows requires
// of a folder with a file open inside. A run.log that cannot be written (a full disk) is
// given up at the first failure, said once through the front end's logger: zap would
// otherwise print a raw line of its own for every entry. Safe for concurrent use.
type runLog struct {
	mu     sync.Mutex
	early  bytes.Buffer
	f      *runfolder.LogFile
	front  *zap.Logger // the front end's logger, without the copy
	failed bool
}

// withRunLog tees log into a new runLog and returns both; call attach once the run folder
// exists and close at the end.
func withRunLog(log *zap.Logger) (*zap.Logger, *runLog) {
	rl := &runLog{front: log}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(rl), zapcore.DebugLevel)
	return log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, core) })), rl
}

func (r *runLog) Write(p []byte) (int, error) {
	r.mu.Lock()
	var err error
	switch {
	case r.failed:
	case r.f != nil:
		err = r.write(p)
	case r.early.Len()+len(p) <= maxEarlyLog:
		r.early.Write(p)
	}
	r.mu.Unlock()
	r.warn(err)
	return len(p), nil
}

// write writes p to run.log; on a failure it gives the file up. The caller holds mu.
func (r *runLog) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	_, err := r.f.Write(p)
	if err != nil {
		r.failed = true
		r.f.Close()
		r.f = nil
	}
	return err
}

// warn says, once, that run.log could not be written (err, nil for no failure).
func (r *runLog) warn(err error) {
	if err != nil {
		r.front.Warn("run.log could not be written: the rest of this run's log is not in it", zap.Error(err))
	}
}

// attach starts writing to folder's run.log (appending: resume and import --plan add to the
// plan's log), first with what was logged so far.
func (r *runLog) attach(folder *runfolder.Folder) error {
	f, err := folder.OpenLog(runfolder.RunLogFile)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.f = f
	err = r.write(r.early.Bytes())
	r.early.Reset()
	r.mu.Unlock()
	r.warn(err)
	return nil
}

// close stops writing; later entries are dropped.
func (r *runLog) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
	r.early.Reset()
}

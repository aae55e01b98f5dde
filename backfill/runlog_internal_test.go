package backfill

import (
	"bytes"
	"os"
	"runtime"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// A run.log that cannot be written (a full disk) costs the run its copy of the log, said
// once through the front end's logger: never a raw line of zap's own on stderr.
func TestRunLogOnAFullDisk(t *testing.T) {
	// /dev/full is Linux's (writes fail with ENOSPC); Wine shows the host's /dev as a drive,
	// where the file exists but takes every write.
	if _, err := os.Stat("/dev/full"); err != nil || runtime.GOOS != "linux" {
		t.Skip("no /dev/full to stand for a full disk (Linux only)")
	}
	folder := &runfolder.Folder{Dir: t.TempDir()}
	if err := os.Symlink("/dev/full", folder.Path(runfolder.RunLogFile)); err != nil {
		t.Fatal(err)
	}
	core, seen := observer.New(zapcore.DebugLevel)
	var raw bytes.Buffer
	log, rl := withRunLog(zap.New(core, zap.ErrorOutput(zapcore.AddSync(&raw))))
	defer rl.close()
	if err := rl.attach(folder); err != nil {
		t.Fatal(err)
	}
	log.Info("one")
	log.Info("two")
	if raw.Len() > 0 {
		t.Errorf("zap wrote its own lines: %q", raw.String())
	}
	warned := seen.FilterMessageSnippet("run.log").All()
	if len(warned) != 1 || warned[0].Level != zapcore.WarnLevel {
		t.Errorf("warnings about run.log: %v", warned)
	}
	if n := seen.FilterMessage("two").Len(); n != 1 {
		t.Errorf("the front end's log lost its lines: %d", n)
	}
}

package runfolder

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/northpass-tools/backfill/csvdiff"
)

// Pending is a file being written under a temporary name (name.tmp) and renamed into place
// by Commit once complete and synced: a crash or an error leaves the old file, never half
// of a new one.
type Pending struct {
	f      *Folder
	name   string
	file   *os.File
	buf    *bufio.Writer
	closed bool
}

// Begin starts writing name (its directory is created when missing). A .tmp left by a
// crash is replaced.
func (f *Folder) Begin(name string) (*Pending, error) {
	if err := os.MkdirAll(filepath.Dir(f.Path(name)), DirPerm); err != nil {
		return nil, err
	}
	file, err := os.OpenFile(f.Path(name+".tmp"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FilePerm)
	if err != nil {
		return nil, err
	}
	return &Pending{f: f, name: name, file: file, buf: bufio.NewWriterSize(file, 64<<10)}, nil
}

// Write implements io.Writer.
func (p *Pending) Write(b []byte) (int, error) { return p.buf.Write(b) }

// CSV returns a CSV writer on the file; neutralize as for [csvdiff.NewWriter].
func (p *Pending) CSV(neutralize bool) *csvdiff.Writer { return csvdiff.NewWriter(p.buf, neutralize) }

// Commit flushes, syncs and renames the file into place.
func (p *Pending) Commit() error {
	if p.closed {
		return fmt.Errorf("write %s: already closed", p.name)
	}
	p.closed = true
	err := p.buf.Flush()
	if serr := p.file.Sync(); err == nil {
		err = serr
	}
	if cerr := p.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = p.f.Rename(p.name+".tmp", p.name)
	}
	if err != nil {
		os.Remove(p.f.Path(p.name + ".tmp"))
		return fmt.Errorf("write %s: %w", p.name, err)
	}
	return nil
}

// Abort drops the file; it is a no-op after Commit.
func (p *Pending) Abort() {
	if p.closed {
		return
	}
	p.closed = true
	p.file.Close()
	os.Remove(p.f.Path(p.name + ".tmp"))
}

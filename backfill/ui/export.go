package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/northpass-tools/backfill/backfill/demo"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// Step 2, the export: the page sends the file's bytes as the body of one POST (from an
// <input type=file> or a drop), and the server streams them to a private file in the runs
// folder's exports folder, never holding the file in memory: a 300 MB export takes the
// memory of a copy buffer. The jobs read that file (twice, as they read any export).

// ExportsDir is the folder, inside the runs folder, that uploaded exports are kept in. They
// hold learner emails: the folder is private to the user, as run folders are.
const ExportsDir = "exports"

// MaxExportBytes is the largest export the page takes.
const MaxExportBytes = 16 << 30

// exportFile is the export of step 2.
type exportFile struct {
	path     string // where it is on disk
	name     string // the file's name on the person's computer
	size     int64
	sample   bool
	uploaded time.Time
}

// exportView is the export as the page shows it.
type exportView struct {
	Name     string    `json:"name"`
	Path     string    `json:"path"`
	Size     int64     `json:"size"`
	Sample   bool      `json:"sample"`
	Uploaded time.Time `json:"uploaded"`
}

func (e *exportFile) view() *exportView {
	return &exportView{Name: e.name, Path: e.path, Size: e.size, Sample: e.sample, Uploaded: e.uploaded}
}

// uploadExport stores the request's body as the export of step 2. Its name comes in the
// X-File-Name header, URL-encoded.
func (s *Server) uploadExport(w http.ResponseWriter, r *http.Request) {
	name, _ := url.QueryUnescape(r.Header.Get("X-File-Name"))
	if name == "" {
		name = "export.csv"
	}
	if r.ContentLength > MaxExportBytes {
		fail(w, http.StatusRequestEntityTooLarge, pageErr("The file is larger than backfill ui takes (16 GB).", "Choose the Data Export CSV itself."))
		return
	}
	f, path, err := s.newExportFile(name)
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, MaxExportBytes))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, pageErr("The file is larger than backfill ui takes (16 GB).", "Choose the Data Export CSV itself."))
			return
		}
		fail(w, http.StatusBadRequest, pageErr("The upload stopped before the end: "+sentenceOf(err.Error()), "Choose the file again."))
		return
	}
	if r.ContentLength >= 0 && n != r.ContentLength {
		os.Remove(path)
		fail(w, http.StatusBadRequest, pageErr("The upload stopped before the end.", "Choose the file again."))
		return
	}
	if n == 0 {
		os.Remove(path)
		fail(w, http.StatusBadRequest, pageErr(fmt.Sprintf("%s is empty.", name), "Choose the Data Export CSV Northpass emailed."))
		return
	}
	s.setExport(&exportFile{path: path, name: name, size: n, uploaded: time.Now()})
	writeJSON(w, http.StatusOK, s.exportView())
}

// useSample makes the sample export the export of step 2. Its learners are made up, so it
// is for the practice org only.
func (s *Server) useSample(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	practice := s.org != nil && s.org.view.Kind == orgPractice
	s.mu.Unlock()
	if !practice {
		fail(w, http.StatusBadRequest, pageErr("The sample export is for the practice org only: its learners are made up.", "Choose the practice org in step 1, or your own export."))
		return
	}
	b, err := demo.Sample.ReadFile("sample/export.csv")
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	f, path, err := s.newExportFile("sample-export.csv")
	if err == nil {
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		os.Remove(path)
		fail(w, http.StatusInternalServerError, err)
		return
	}
	s.setExport(&exportFile{path: path, name: "sample-export.csv", size: int64(len(b)), sample: true, uploaded: time.Now()})
	writeJSON(w, http.StatusOK, s.exportView())
}

// newExportFile creates a new private file in the exports folder for an export named name.
func (s *Server) newExportFile(name string) (*os.File, string, error) {
	dir := filepath.Join(s.runs, ExportsDir)
	if err := os.MkdirAll(dir, runfolder.DirPerm); err != nil {
		return nil, "", pageErr("The exports folder cannot be created: "+sentenceOf(err.Error()), "Check that the runs folder can be written.")
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for i := 1; ; i++ {
		p := filepath.Join(dir, fmt.Sprintf("%s-%s", stamp, safeName(name)))
		if i > 1 {
			p = filepath.Join(dir, fmt.Sprintf("%s-%d-%s", stamp, i, safeName(name)))
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, runfolder.FilePerm)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return nil, "", pageErr("The export cannot be saved: "+sentenceOf(err.Error()), "Check that the runs folder can be written and has room.")
		}
		return f, p, nil
	}
}

// safeName is a file name made of name's letters, digits, dots, dashes and underscores, at
// most 80 of them, ending in .csv.
func safeName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	var b strings.Builder
	for _, r := range name {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_'):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte('_')
		}
		if b.Len() >= 80 {
			break
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if out == "" {
		out = "export"
	}
	if !strings.HasSuffix(strings.ToLower(out), ".csv") {
		out += ".csv"
	}
	return out
}

// setExport makes e the export of step 2; the last check is about another export now.
func (s *Server) setExport(e *exportFile) {
	s.mu.Lock()
	s.export = e
	s.mu.Unlock()
	s.events.notify()
}

func (s *Server) exportView() *exportView {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.export == nil {
		return nil
	}
	return s.export.view()
}

package backfill

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// A load's parts. The plan's parts are byte ranges of to_import.csv (1 to len(plan.Parts));
// the load adds parts as it goes, each a CSV file of its own under parts/ with the same
// header: the halves of a part Salesforce refused as too large, and the follow-up of a part
// family's rows still open after a job (lock failures, rows a failed job never processed,
// rows of a job that vanished).

// partsDir holds the added parts' files.
const partsDir = "parts"

// isPlanPart reports whether part n is one of the plan's.
func (l *loader) isPlanPart(n int) bool { return n <= len(l.plan.Parts) }

// partRows returns part n's row count.
func (l *loader) partRows(n int) int {
	if l.isPlanPart(n) {
		return l.plan.Parts[n-1].Rows
	}
	return l.st.Part(n).Rows
}

// openPart returns part n's CSV (the header, then its records) and its size in bytes.
func (l *loader) openPart(n int) (io.ReadCloser, int64, error) {
	folder := l.folder
	if !l.isPlanPart(n) {
		f, err := os.Open(folder.Path(l.st.Part(n).File))
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, st.Size(), nil
	}
	f, err := os.Open(folder.Path(l.file))
	if err != nil {
		return nil, 0, err
	}
	info, pt := l.plan, l.plan.Parts[n-1]
	r := io.MultiReader(io.NewSectionReader(f, 0, info.HeaderBytes), io.NewSectionReader(f, pt.Start, pt.End-pt.Start))
	return readCloser{r, f}, info.HeaderBytes + pt.End - pt.Start, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// eachPartRow calls fn with every record of part n (the header's fields are the plan's) and
// its external id. rec is reused between calls.
func (l *loader) eachPartRow(n int, fn func(key string, rec []string) error) error {
	r, _, err := l.openPart(n)
	if err != nil {
		return err
	}
	defer r.Close()
	return eachCSVRow(r, l.plan.ExternalIDField, fn)
}

// partKeys are the keys of part n, for the existence lookup.
func (l *loader) partKeys(n int) *csvKeys {
	return &csvKeys{
		open: func() (io.ReadCloser, error) {
			r, _, err := l.openPart(n)
			return r, err
		},
		field: l.plan.ExternalIDField, n: l.partRows(n), fold: l.plan.FoldKeys,
	}
}

// writePart writes part n's file: the header and the rows of part src that keep says. The
// journal entry that makes it a part comes after (a part file without one is an orphan the
// next write of that number replaces). It returns the file's name, rows and SHA-256.
func (l *loader) writePart(n, src int, keep func(key string, i int) bool) (runfolder.AddedPart, error) {
	added := runfolder.AddedPart{Part: n, File: filepath.Join(partsDir, l.partName(n)+".csv")}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(l.plan.Fields)
	i := 0
	err := l.eachPartRow(src, func(key string, rec []string) error {
		i++
		if keep(key, i-1) {
			added.Rows++
			return w.Write(rec)
		}
		return nil
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err == nil && added.Rows > 0 {
		err = l.folder.WriteFile(added.File, buf.Bytes())
	}
	sum := sha256.Sum256(buf.Bytes())
	added.Sum = hex.EncodeToString(sum[:])
	return added, err
}

// addFollowUp adds a part holding the rows of plan part root that keep says, following up
// the parts from (retry says why: lock failures or rows never processed), and returns it (Rows 0: no row was kept, no part was added).
func (l *loader) addFollowUp(root int, from []int, note, retry string, keep func(key string, i int) bool) (runfolder.AddedPart, error) {
	added, err := l.writePart(l.lastPart()+1, root, keep)
	if err != nil || added.Rows == 0 {
		return added, err
	}
	added.Retry = retry
	e := runfolder.JournalEntry{Event: runfolder.EvPartAdded, Part: added.Part, Root: root, Parts: from, Note: note,
		Added: []runfolder.AddedPart{added}}
	if err := l.jr.Add(e); err != nil {
		return added, err
	}
	l.st.Apply(e)
	return added, nil
}

// family returns the parts holding rows of plan part root, newest first.
func (l *loader) family(root int) []int {
	var out []int
	for n := l.lastPart(); n >= 1; n-- {
		if n == root || (!l.isPlanPart(n) && l.st.Part(n).Root == root) {
			out = append(out, n)
		}
	}
	return out
}

// results reads what every part of root's family says of its rows into one table, the
// newest attempt winning; source is the part number.
func (l *loader) results(root int) (*runfolder.Results, error) {
	t := runfolder.NewResults(l.partRows(root), l.plan.FoldKeys)
	for _, n := range l.family(root) {
		for _, k := range runfolder.ResultKinds {
			if name := l.resultFile(n, k); name != "" {
				if err := t.AddFile(l.folder, name, k, l.plan.ExternalIDField, uint16(n)); err != nil {
					return nil, err
				}
			}
		}
	}
	return t, nil
}

// resultFile is where the result of kind k of part n is saved, "" when it has none: its
// job's file, or for a part settled without a job, the file that settled it.
func (l *loader) resultFile(n int, k runfolder.ResultKind) string {
	ps := l.st.Part(n)
	switch {
	case ps.Resolved && k.File == runfolder.SuccessFile:
		return runfolder.JobFile(l.resolvedName(n), k)
	case ps.State == runfolder.StateRefused && k.File == runfolder.UnprocessedFile:
		return runfolder.JobFile(l.refusedName(n), k)
	case ps.Saved && ps.Job != "" && !ps.Resolved:
		return runfolder.JobFile(ps.Job, k)
	}
	return ""
}

// partSize returns the bytes part n uploads, its header included.
func (l *loader) partSize(n int) int64 {
	if l.isPlanPart(n) {
		pt := l.plan.Parts[n-1]
		return l.plan.HeaderBytes + pt.End - pt.Start
	}
	return l.folder.Size(l.st.Part(n).File)
}

// partName names part n of the load: "part-N" for the import's, with the load's name
// before it for the other loads of the folder (an undo's delete and update), so that no
// load's files (parts/, the pseudo-jobs under jobs/) overwrite another's.
func (l *loader) partName(n int) string {
	if l.name == "" {
		return fmt.Sprintf("part-%d", n)
	}
	return fmt.Sprintf("%s-part-%d", l.name, n)
}

// refusedName names the pseudo-job whose unprocessed file holds the rows of part n,
// refused as too large.
func (l *loader) refusedName(n int) string { return l.partName(n) + "-refused" }

// resolvedName names the pseudo-job whose success file holds the rows of part n found
// loaded in the org.
func (l *loader) resolvedName(n int) string { return l.partName(n) + "-resolved" }

// resultWalker looks up the results of a load's rows in the order of its data file: one
// plan part (and the parts that followed it up) at a time, so memory holds one part's table.
type resultWalker struct {
	l *loader
	// load reads the table of plan part root; nil means l.results.
	load       func(root int) (*runfolder.Results, error)
	root, left int
	t          *runfolder.Results
}

// next returns the outcome, detail and source part of the next row, whose key is key.
func (w *resultWalker) next(key string) (runfolder.Outcome, string, uint16, bool, error) {
	for w.left == 0 {
		if w.root++; w.root > len(w.l.plan.Parts) {
			return 0, "", 0, false, fmt.Errorf("internal error: more rows than the parts of %s hold", w.l.file)
		}
		w.left = w.l.plan.Parts[w.root-1].Rows
		load := w.load
		if load == nil {
			load = w.l.results
		}
		var err error
		if w.t, err = load(w.root); err != nil {
			return 0, "", 0, false, err
		}
	}
	w.left--
	o, d, src, ok := w.t.Lookup(key)
	return o, d, src, ok, nil
}

// done reports whether every row of every part was walked.
func (w *resultWalker) done() bool { return w.root == len(w.l.plan.Parts) && w.left == 0 }

// Naive does the reference job the plain way, for make bench to compare backfill clean with:
// encoding/csv and a map. It reads every existing key into a map, then reads the export,
// drops the rows enrolled before the cutoff and keeps, per key, the row with the latest
// "Updated At" (the later row on a tie); it writes the kept rows whose key is not in the map
// to DIR/to_import.csv and prints the counts as JSON.
//
//	naive -export E -existing X -out DIR [-since 2025-11-20T00:00:00Z]
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Counts are the job's figures; bench compares them with backfill's and DuckDB's.
type Counts struct {
	Rows         int `json:"rows"`
	Rejected     int `json:"rejected"`      // a missing key, a bad enrollment date or a ragged row
	BeforeCutoff int `json:"before_cutoff"` // enrolled before the cutoff
	Duplicate    int `json:"duplicate"`     // a later or earlier row of the same key won
	Exists       int `json:"exists"`        // the winning row's key is an existing key
	ToImport     int `json:"to_import"`     // written to to_import.csv
}

func main() {
	export := flag.String("export", "", "the export CSV")
	existing := flag.String("existing", "", "the existing records CSV (an \"External Id\" column)")
	out := flag.String("out", "", "the folder to write to_import.csv into")
	since := flag.String("since", "2025-11-20T00:00:00Z", "the cutoff (RFC 3339): rows enrolled before it are dropped")
	flag.Parse()
	cutoff, err := time.Parse(time.RFC3339, *since)
	if err == nil {
		var c Counts
		if c, err = run(*export, *existing, *out, cutoff); err == nil {
			err = json.NewEncoder(os.Stdout).Encode(map[string]Counts{"counts": c})
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "naive:", err)
		os.Exit(1)
	}
}

func run(exportPath, existingPath, outDir string, since time.Time) (Counts, error) {
	var c Counts
	existing, err := readKeys(existingPath)
	if err != nil {
		return c, err
	}
	f, r, header, err := openCSV(exportPath)
	if err != nil {
		return c, err
	}
	defer f.Close()
	key, enrolled, updated := slices.Index(header, "External Id"), slices.Index(header, "Enrollment Date"), slices.Index(header, "Updated At")
	if key < 0 || enrolled < 0 || updated < 0 {
		return c, fmt.Errorf("%s: no External Id, Enrollment Date or Updated At column", exportPath)
	}

	type row struct {
		rec     []string
		updated time.Time // zero when empty or bad
	}
	latest := map[string]*row{}
	var order []string // keys in the order of their first row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			c.Rows++
			c.Rejected++
			continue
		}
		if err != nil {
			return c, err
		}
		c.Rows++
		enr, err := time.Parse(time.RFC3339, rec[enrolled])
		if rec[key] == "" || err != nil {
			c.Rejected++
			continue
		}
		if enr.Before(since) {
			c.BeforeCutoff++
			continue
		}
		upd, _ := time.Parse(time.RFC3339, rec[updated])
		if w := latest[rec[key]]; w != nil {
			c.Duplicate++
			if !upd.Before(w.updated) {
				w.rec, w.updated = slices.Clone(rec), upd
			}
			continue
		}
		latest[rec[key]] = &row{slices.Clone(rec), upd}
		order = append(order, rec[key])
	}

	o, err := os.Create(filepath.Join(outDir, "to_import.csv"))
	if err != nil {
		return c, err
	}
	defer o.Close()
	bw := bufio.NewWriterSize(o, 1<<20)
	w := csv.NewWriter(bw)
	w.Write(header)
	for _, k := range order {
		if _, ok := existing[k]; ok {
			c.Exists++
			continue
		}
		c.ToImport++
		w.Write(latest[k].rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return c, err
	}
	if err := bw.Flush(); err != nil {
		return c, err
	}
	return c, o.Close()
}

// openCSV opens a CSV file and reads its header; the caller closes f.
func openCSV(path string) (f *os.File, r *csv.Reader, header []string, err error) {
	if f, err = os.Open(path); err != nil {
		return nil, nil, nil, err
	}
	r = csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	if header, err = r.Read(); err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, r, slices.Clone(header), nil
}

// readKeys reads the "External Id" column of path into a set.
func readKeys(path string) (map[string]struct{}, error) {
	f, r, header, err := openCSV(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	col := slices.Index(header, "External Id")
	if col < 0 {
		return nil, fmt.Errorf("%s: no External Id column", path)
	}
	keys := map[string]struct{}{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return keys, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		keys[rec[col]] = struct{}{}
	}
}

package backfill_test

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// csvdiffReader parses a whole small CSV file written by the run.
func csvdiffReader(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("run folder CSV does not parse: %v", err)
	}
	return recs
}

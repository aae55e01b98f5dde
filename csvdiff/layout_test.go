package csvdiff_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/csvdiff"
)

// TestDateLayouts: each date column's layout is decided from all its values, and the rows
// are read with it (the first pass is made again when a column turns out day-first).
func TestDateLayouts(t *testing.T) {
	const h = "External Id;Enrollment Date;Updated At;Name\n"
	tests := []struct {
		name    string
		input   string
		opts    csvdiff.Options
		order   csvdiff.DateOrder
		assumed bool
		want    []entry
	}{
		{"a day over 12 first makes the column day-first",
			h + "a;02/12/2025 10:00;;x\nb;25/12/2025 08:00;;y\nc;03/01/2026;;z\nd;15/11/2025;;w\n", csvdiff.Options{},
			csvdiff.DayFirst, false,
			[]entry{{2, "a", "to_insert", ""}, {3, "b", "to_insert", ""}, {4, "c", "to_insert", ""}, {5, "d", "before_cutoff", ""}}},
		{"a day over 12 second keeps month-first",
			h + "a;12/02/2025;;x\nb;12/25/2025;;y\n", csvdiff.Options{}, csvdiff.MonthFirst, false,
			[]entry{{2, "a", "to_insert", ""}, {3, "b", "to_insert", ""}}},
		{"nothing tells: month-first, assumed",
			h + "a;12/02/2025;;x\nb;01/03/2026;;y\n", csvdiff.Options{}, csvdiff.MonthFirst, true,
			[]entry{{2, "a", "to_insert", ""}, {3, "b", "to_insert", ""}}},
		{"a forced pattern decides nothing",
			h + "a;2/12/2025;;x\n", csvdiff.Options{DateFormat: "d/M/yyyy"}, csvdiff.MonthFirst, false,
			[]entry{{2, "a", "to_insert", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := diff(t, tt.input, tt.opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkLedger(t, got, tt.want)
			tt.opts.File, tt.opts.Since = "export.csv", cutoff
			x, err := csvdiff.Scan(t.Context(), strings.NewReader(tt.input), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			l := x.DateLayouts()[0]
			if l.Column != "Enrollment Date" || l.Order != tt.order || l.Assumed != tt.assumed {
				t.Errorf("layout = %+v (%s)", l, l.Describe())
			}
		})
	}
}

// TestDayFirstNeedsASeeker: the rescan needs to read the export again.
func TestDayFirstNeedsASeeker(t *testing.T) {
	in := "External Id,Enrollment Date\na,25/12/2025\n"
	_, err := csvdiff.Scan(t.Context(), io.MultiReader(strings.NewReader(in)), csvdiff.Options{File: "x.csv", Since: time.Now()})
	if err == nil || !strings.Contains(err.Error(), "cannot be re-read") {
		t.Errorf("err = %v", err)
	}
}

// TestValueDateColumns: a column loaded into a date field gets its own decided order, so its
// values convert the way the file writes them.
func TestValueDateColumns(t *testing.T) {
	in := "External Id,Enrollment Date,Completed\na,2025-12-01,25/12/2025\nb,2025-12-02,01/02/2026\n"
	x, err := csvdiff.Scan(t.Context(), strings.NewReader(in), csvdiff.Options{File: "x.csv", Since: cutoff, ValueDateColumns: []string{"Completed"}})
	if err != nil {
		t.Fatal(err)
	}
	ls := x.DateLayouts()
	if len(ls) != 2 || ls[1].Column != "Completed" || ls[1].Order != csvdiff.DayFirst {
		t.Fatalf("layouts = %+v", ls)
	}
	got, ok := x.DateParserFor(2).Parse([]byte("01/02/2026"))
	if want := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC); !ok || got != want.UnixNano() {
		t.Errorf("Completed 01/02/2026 = %v, want %v", time.Unix(0, got).UTC(), want)
	}
}

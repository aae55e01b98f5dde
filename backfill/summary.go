package backfill

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/csvdiff"
)

// Summary is summary.json: the run's counts and choices. Rows always equals the sum of
// Outcomes.
type Summary struct {
	Command         string          `json:"command"`
	Rows            int             `json:"rows"`
	Outcomes        map[string]int  `json:"outcomes"`
	Cutoff          time.Time       `json:"cutoff"`
	Object          string          `json:"object,omitempty"`
	ExternalIDField string          `json:"external_id_field,omitempty"`
	KeyColumn       string          `json:"key_column"`
	DateColumns     []string        `json:"date_columns"`
	UpdatedColumn   string          `json:"updated_column,omitempty"`
	Mapping         []ColumnMapping `json:"mapping,omitempty"`
	Unmapped        []string        `json:"unmapped_columns,omitempty"`
	Export          InputInfo       `json:"export"`
	Existing        *ExistingInfo   `json:"existing,omitempty"`
	APICalls        map[string]int  `json:"api_calls"`
	Jobs            []JobSummary    `json:"jobs"`
	ByDay           []DayCount      `json:"by_day"`
	Reasons         []Reason        `json:"reasons"`
	Files           []string        `json:"files"`
	RunFolder       string          `json:"run_folder"`
	StartedAt       time.Time       `json:"started_at"`
	FinishedAt      time.Time       `json:"finished_at"`
}

// InputInfo describes the export as read.
type InputInfo struct {
	File      string   `json:"file"`
	Columns   []string `json:"columns"`
	Delimiter string   `json:"delimiter"`
	Encoding  string   `json:"encoding"`
	BOM       bool     `json:"bom"`
}

// ExistingInfo describes the --existing file of `backfill clean`.
type ExistingInfo struct {
	File      string `json:"file"`
	KeyColumn string `json:"key_column"`
	IDColumn  string `json:"id_column,omitempty"`
	Rows      int    `json:"rows"`
	Matching  int    `json:"matching"` // keys that are also candidates of the export
	Skipped   int    `json:"skipped"`
}

// JobSummary is one Bulk API 2.0 job of an import.
type JobSummary struct {
	ID           string    `json:"id"`
	Part         int       `json:"part"`  // 1-based part of to_import.csv
	Rows         int       `json:"rows"`  // rows uploaded in this job
	Bytes        int64     `json:"bytes"` // CSV bytes uploaded
	State        string    `json:"state"` // JobComplete, Failed, Aborted, ...
	ErrorMessage string    `json:"error_message,omitempty"`
	Processed    int       `json:"processed"`
	Failed       int       `json:"failed"`
	Created      int       `json:"created"`
	Updated      int       `json:"updated"`
	AlreadyNewer int       `json:"already_newer"`
	Unprocessed  int       `json:"unprocessed"`
	CreatedAt    time.Time `json:"created_at"`
	FinishedAt   time.Time `json:"finished_at"`
	SetupURL     string    `json:"setup_url,omitempty"` // where to find it in Setup
}

// ColumnMapping is one export column mapped to a Salesforce field.
type ColumnMapping struct {
	Column string `json:"column"`
	Field  string `json:"field"`
	Type   string `json:"type"`
	Source string `json:"source"` // "sdl", "api name" or "label"
}

func newSummary(command string, h *csvdiff.Header, cfg *Config, counts csvdiff.Counts, started time.Time) *Summary {
	return &Summary{
		Command:       command,
		Rows:          counts.Total(),
		Outcomes:      counts.Map(),
		Cutoff:        cfg.Since.UTC(),
		KeyColumn:     h.KeyName(),
		DateColumns:   h.DateNames(),
		UpdatedColumn: h.UpdatedName(),
		Export: InputInfo{File: cfg.Export, Columns: h.Names, Delimiter: h.DelimiterName(),
			Encoding: h.Encoding, BOM: h.BOM},
		APICalls:  map[string]int{},
		Jobs:      []JobSummary{},
		StartedAt: started,
	}
}

// writeJSON writes v as indented JSON to a new private file in the folder.
func (f *RunFolder) writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(f.Path(name), append(b, '\n'), filePerm)
}

// PrintSummary writes the human summary table (format "table") or summary.json ("json").
func PrintSummary(w io.Writer, s *Summary, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "backfill %s: %d rows in %s\n\n", s.Command, s.Rows, s.Export.File)
	fmt.Fprintf(&b, "  %-14s %10s %7s\n", "outcome", "rows", "share")
	for _, o := range csvdiff.Outcomes() {
		n := s.Outcomes[o.String()]
		if n == 0 && !alwaysShown(o, s.Command) {
			continue
		}
		fmt.Fprintf(&b, "  %-14s %10d %7s\n", o, n, percent(n, s.Rows))
	}
	fmt.Fprintf(&b, "  %-14s %10d %7s\n", "total", s.Rows, percent(s.Rows, s.Rows))
	b.WriteString("\n")
	fmt.Fprintf(&b, "key column:    %s\n", s.KeyColumn)
	fmt.Fprintf(&b, "date columns:  %s (kept when on or after %s)\n", strings.Join(s.DateColumns, ", "), s.Cutoff.Format(time.RFC3339))
	if s.UpdatedColumn != "" {
		fmt.Fprintf(&b, "dedup:         latest %q wins\n", s.UpdatedColumn)
	} else {
		b.WriteString("dedup:         no updated-at column: the last row of a key wins\n")
	}
	fmt.Fprintf(&b, "export:        %s, %s-separated, %s%s\n", s.Export.File, s.Export.Delimiter, s.Export.Encoding, map[bool]string{true: " with BOM", false: ""}[s.Export.BOM])
	if e := s.Existing; e != nil {
		id := "no Id column"
		if e.IDColumn != "" {
			id = fmt.Sprintf("Id column %q", e.IDColumn)
		}
		fmt.Fprintf(&b, "existing:      %s: %d rows, %d of them match rows to load (key column %q, %s)", e.File, e.Rows, e.Matching, e.KeyColumn, id)
		if e.Skipped > 0 {
			fmt.Fprintf(&b, ", %d rows without a usable key skipped", e.Skipped)
		}
		b.WriteString("\n")
	}
	if s.Object != "" {
		fmt.Fprintf(&b, "object:        %s (upsert on %s)\n", s.Object, s.ExternalIDField)
	}
	for i, m := range s.Mapping {
		label := ""
		if i == 0 {
			label = "mapping:"
		}
		fmt.Fprintf(&b, "%-15s%s -> %s (%s, by %s)\n", label, m.Column, m.Field, m.Type, m.Source)
	}
	if len(s.Unmapped) > 0 {
		fmt.Fprintf(&b, "left out:      %s\n", strings.Join(s.Unmapped, ", "))
	}
	for _, j := range s.Jobs {
		fmt.Fprintf(&b, "%-15s%s %s: %d rows, %d processed, %d created, %d updated, %d already newer, %d failed, %d unprocessed\n",
			fmt.Sprintf("job %d:", j.Part), j.ID, j.State, j.Rows, j.Processed, j.Created, j.Updated, j.AlreadyNewer, j.Failed, j.Unprocessed)
		if j.ErrorMessage != "" {
			fmt.Fprintf(&b, "               error: %s\n", j.ErrorMessage)
		}
		if j.SetupURL != "" {
			fmt.Fprintf(&b, "               Setup: %s\n", j.SetupURL)
		}
	}
	fmt.Fprintf(&b, "\nrun folder:    %s\n", s.RunFolder)
	report := false
	for _, f := range s.Files {
		fmt.Fprintf(&b, "  %s\n", f)
		report = report || strings.HasPrefix(f, "report.html ")
	}
	if report {
		fmt.Fprintf(&b, "\nreport:        %s\n", filepath.Join(s.RunFolder, "report.html"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func alwaysShown(o csvdiff.Outcome, command string) bool {
	switch o {
	case csvdiff.Rejected, csvdiff.BeforeCutoff, csvdiff.Duplicate, csvdiff.Exists:
		return true
	case csvdiff.ToInsert:
		return command != "import"
	}
	return false
}

func percent(n, total int) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
}

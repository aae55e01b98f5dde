package backfill

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// DefaultCutoff is when Salesforce revoked the Gainsight connected apps' tokens: learning data
// from this instant on never reached Salesforce.
var DefaultCutoff = time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)

// Config is everything a command needs, bound from flags by cmd/backfill. Start from
// [DefaultConfig]; tests build it directly.
type Config struct {
	Export            string   // --export: the CE Data Export CSV
	Existing          string   // --existing (clean): CSV of records already in Salesforce
	ExistingKeyColumn string   // --existing-key-column
	ExistingIDColumn  string   // --existing-id-column
	KeyColumn         string   // --key-column
	DateColumns       []string // --date-column (repeatable)
	UpdatedColumn     string   // --updated-column
	Since             time.Time
	DateFormat        string // --date-format
	Encoding          string // --encoding
	Out               string // --out: the run folder; never overwritten
	// SkippedBeforeCutoff also copies before_cutoff rows into skipped.csv. Off by default:
	// they are most of a full export, and ledger.csv already names each one.
	SkippedBeforeCutoff bool
	// MaxRejected (--max-rejected) is the share of rejected rows, in percent, above which
	// plan and import refuse to write to Salesforce and clean exits 3; nil means
	// [DefaultMaxRejectedPercent].
	MaxRejected *float64
	// CaseSensitiveKeys (clean) compares keys case-sensitively; plan and import follow the
	// external id field's describe instead.
	CaseSensitiveKeys bool

	// Salesforce (plan, import, resume, preflight).
	Org             sfclient.Config // instance/login URL, sandbox, API version, target org, credentials
	Object          string          // --object: overrides discovery
	ExternalIDField string          // --external-id-field: overrides discovery
	MappingFile     string          // --mapping: a Data Loader .sdl file
	UpdateStale     bool            // --update-stale
	// OrderBy (--order-by) is the export column each part's rows are ordered by, "" for the
	// learner email column, [OrderNone] to keep the export's order.
	OrderBy string
	Yes     bool   // --yes: do not ask before loading
	PlanDir string // --plan DIR (import): load this reviewed plan
	// PlanFlags are the flags given with --plan that would shape a plan (name -> value);
	// import --plan refuses them, naming the plan's own value.
	PlanFlags map[string]string
	// SkipPreflight (--skip-preflight) loads without running preflight's blocking checks
	// first; the summary says what was skipped.
	SkipPreflight bool
	// Force (undo --force) also undoes records changed in Salesforce after the import.
	Force bool
	// KeepUpdatedAt (undo --keep-updated-at) restores records without moving their Updated
	// At back, which the Northpass package refuses.
	KeepUpdatedAt bool

	// Hooks connect the job to its presentation (progress, the confirmation prompt, the
	// report); the zero value is silent and cannot ask.
	Hooks Hooks
	// Version is the tool's version, recorded in a plan's seal.
	Version string
	// Now returns the current time; tests fix it. Nil means time.Now.
	Now func() time.Time
	// Logger is the one logger; nil means no logging.
	Logger *zap.Logger
}

// DefaultConfig returns the defaults of DESIGN.md section 2.
func DefaultConfig() Config {
	return Config{Since: DefaultCutoff}
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Config) logger() *zap.Logger {
	if c.Logger == nil {
		return zap.NewNop()
	}
	return c.Logger
}

// ParseSince parses a --since value in any form the export's dates may take: RFC 3339
// (with Z or an offset), "2025-11-20 00:00", a bare date (midnight UTC), 11/20/2025 or
// 20.11.2025, or the --date-format pattern (dateFormat, "" for none). A slash date that
// reads both ways (02/12/2025) is refused rather than guessed.
func ParseSince(s, dateFormat string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	if dateFormat != "" {
		if p, err := csvdiff.NewDateParser(dateFormat); err == nil {
			if ns, ok := p.Parse([]byte(s)); ok {
				return time.Unix(0, ns).UTC(), nil
			}
		}
	}
	var p csvdiff.DateParser
	month, mok := p.Parse([]byte(s))
	day, dok := p.WithOrder(csvdiff.DayFirst).Parse([]byte(s))
	switch {
	case mok && dok && month != day:
		return time.Time{}, fmt.Errorf("--since %q could be read month-first or day-first: write it as %s or %s",
			s, time.Unix(0, month).UTC().Format(time.DateOnly), time.Unix(0, day).UTC().Format(time.DateOnly))
	case mok:
		return time.Unix(0, month).UTC(), nil
	case dok:
		return time.Unix(0, day).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a date like 2025-11-20, 11/20/2025 or an instant like 2025-11-20T00:00:00Z", s)
}

// The checks below run before any work, so that a bad flag or file fails at once (exit 2)
// instead of after the export was scanned.

// validateExport checks the export and how to read it.
func (c *Config) validateExport() error {
	if c.Export == "" {
		return UsageError("pass the emailed Data Export CSV with --export FILE", "--export is required")
	}
	if err := readableFile("--export", c.Export); err != nil {
		return err
	}
	if _, err := csvdiff.NewDateParser(c.DateFormat); err != nil {
		return UsageError("see backfill plan --help for the date formats", "%v", err)
	}
	switch strings.ToLower(strings.ReplaceAll(c.Encoding, "_", "-")) {
	case "", "utf-8", "utf8", "windows-1252", "cp1252", "latin1", "iso-8859-1":
	default:
		return UsageError("use --encoding utf-8 or --encoding windows-1252", "--encoding: unknown encoding %q", c.Encoding)
	}
	return nil
}

// validateOrg checks the login flags and credentials without a network call.
func (c *Config) validateOrg() error {
	if err := c.Org.Validate(); err != nil {
		return UsageError(loginHint(err), "%v", err)
	}
	if c.MappingFile != "" {
		if err := readableFile("--mapping", c.MappingFile); err != nil {
			return err
		}
		if _, err := readMapping(c.MappingFile); err != nil {
			return asUsage(err)
		}
	}
	return nil
}

// validateOut checks that the run folder can be created: it does not exist yet, and its
// nearest existing parent is a writable folder.
func validateOut(out string) error {
	if out == "" {
		out = filepath.Join(".", "backfill-runs", "x")
	} else if _, err := os.Lstat(out); err == nil {
		return UsageError("choose a new --out folder (or leave --out out for a fresh timestamped one); a run folder is never overwritten",
			"run folder %s already exists", out)
	}
	dir := filepath.Dir(out)
	for {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				return UsageError("choose an --out folder whose parent is a folder", "--out %s: %s is not a folder", out, dir)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || dir == filepath.Dir(dir) {
			return UsageError("choose an --out folder you can write to", "--out %s: %v", out, err)
		}
		dir = filepath.Dir(dir)
	}
	probe, err := os.MkdirTemp(dir, ".backfill-probe-")
	if err != nil {
		return UsageError("choose an --out folder you can write to", "--out %s: cannot write in %s: %v", out, dir, errors.Unwrap(err))
	}
	os.Remove(probe)
	return nil
}

// readableFile checks that path names a regular file this user can open.
func readableFile(flag, path string) error {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return UsageError("check the path of the file", "%s %s: %v", flag, path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return UsageError("check the path of the file", "%s %s: %v", flag, path, err)
	}
	if st.IsDir() {
		return UsageError("pass the CSV file itself, not the folder it is in", "%s %s is a folder, not a file", flag, path)
	}
	return nil
}

// shapingFlags are the flags that shape a plan, with the values cfg gives them: plan.json
// records them and import --plan refuses to change them.
func (c *Config) shapingFlags() map[string]string {
	return map[string]string{
		"export": c.Export, "since": c.Since.Format(time.RFC3339), "date-column": strings.Join(c.DateColumns, ", "),
		"key-column": c.KeyColumn, "updated-column": c.UpdatedColumn, "date-format": c.DateFormat, "encoding": c.Encoding,
		"object": c.Object, "external-id-field": c.ExternalIDField, "mapping": c.MappingFile,
		"update-stale": strconv.FormatBool(c.UpdateStale), "skipped-before-cutoff": strconv.FormatBool(c.SkippedBeforeCutoff),
		"out": c.Out, "order-by": c.OrderBy,
	}
}

// ShapingFlags names the flags that shape a plan: import --plan accepts none of them.
var ShapingFlags = []string{"export", "since", "date-column", "key-column", "updated-column", "date-format", "encoding",
	"object", "external-id-field", "mapping", "update-stale", "skipped-before-cutoff", "out", "order-by"}

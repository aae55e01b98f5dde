package backfill

import (
	"fmt"
	"io"
	"strings"
	"time"

	"go.uber.org/zap"

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
	Format            string // --format: table or json
	// SkippedBeforeCutoff also copies before_cutoff rows into skipped.csv. Off by default:
	// they are most of a full export, and ledger.csv already names each one.
	SkippedBeforeCutoff bool
	Quiet               bool

	// Salesforce (plan, import, resume, preflight).
	Org             sfclient.Config // instance/login URL, sandbox, API version, target org, credentials
	Object          string          // --object: overrides discovery
	ExternalIDField string          // --external-id-field: overrides discovery
	MappingFile     string          // --mapping: a Data Loader .sdl file
	UpdateStale     bool            // --update-stale
	Yes             bool            // --yes: do not ask before loading
	PlanDir         string          // --plan DIR (import): load this reviewed plan

	// Stdin is where the import confirmation is read; nil means no terminal (then --yes is
	// required).
	Stdin io.Reader
	// Stderr receives progress (a bar on a terminal); nil means none.
	Stderr io.Writer
	// StderrIsTerminal enables the progress bar.
	StderrIsTerminal bool

	// Now returns the current time; tests fix it. Nil means time.Now.
	Now func() time.Time
	// Logger is the one logger; nil means no logging.
	Logger *zap.Logger
}

// DefaultConfig returns the defaults of DESIGN.md section 2.
func DefaultConfig() Config {
	return Config{Since: DefaultCutoff, Format: "table"}
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

// ParseSince parses a --since value: RFC 3339 (with Z or an offset) or a bare date, which
// means midnight UTC.
func ParseSince(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a date like 2025-11-20 or an instant like 2025-11-20T00:00:00Z", s)
}

// ValidateClean checks the configuration of `backfill clean`.
func (c *Config) ValidateClean() error {
	if c.Export == "" {
		return UsageError("pass the emailed Data Export CSV with --export FILE", "--export is required")
	}
	if c.Existing == "" {
		return UsageError("pass a CSV of the Enrollment records already in Salesforce (a report or Data Loader export) with --existing FILE", "--existing is required")
	}
	return c.validateCommon()
}

func (c *Config) validateCommon() error {
	switch c.Format {
	case "table", "json":
	default:
		return UsageError("use --format table or --format json", "--format %q is not known", c.Format)
	}
	return nil
}

// ValidatePlan checks the configuration of `backfill plan` and `backfill import`.
func (c *Config) ValidatePlan() error {
	if c.Export == "" {
		return UsageError("pass the emailed Data Export CSV with --export FILE", "--export is required")
	}
	return c.validateCommon()
}

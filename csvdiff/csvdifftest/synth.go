// Package csvdifftest generates deterministic synthetic CE Data Exports and matching
// "existing records" files for benchmarks and tests. The same Config always gives the same
// bytes, so figures from different runs and machines compare.
//
// Two profiles shape the rows: [Simple], the default that tests and golden files depend on,
// and [Reference], shaped like the reference job of docs/CONTRACT.md §17 ([ReferenceJob]).
package csvdifftest

import (
	"bufio"
	"io"
	"strconv"
	"time"
)

// Config shapes a synthetic export.
type Config struct {
	Rows    int     // data rows in the export
	Seed    uint64  // varies every value; 0 is a fine seed
	Profile Profile // the shape of the rows; the zero value is [Simple]
	// Existing is how many keys the existing file holds. [Simple]: keys of rows dated
	// before the cutoff come first (they were synced before the incident), then keys of
	// later rows. [Reference]: see ExistingAfterPercent.
	Existing int
	// From and To bound the enrollment dates (uniform). Zero values mean 2024-01-01 and
	// 2026-02-28 for [Simple], which puts about 12% of the rows on or after 2025-11-20, and
	// 2024-01-01 and about 2026-03-21 for [Reference], which puts 15% there.
	From, To time.Time
	// DuplicatePermille and RejectPermille set, per thousand rows, the share of duplicates
	// and of rows with a bad date or a missing key. [Simple]: duplicates repeat a recent key
	// with later progress; zero values mean 20 and 1. [Reference]: duplicates copy a recent
	// row byte for byte; zero values mean 10 and none.
	DuplicatePermille, RejectPermille int
	// RepeatPermille ([Reference] only) is the share of rows, per thousand, that repeat a
	// recent key with a later "Updated At" (the learner went on to complete the course).
	// Zero means 5.
	RepeatPermille int
	// ExistingAfterPercent ([Reference] only) is the share of the export's distinct keys
	// dated on or after the cutoff that the existing file holds. The rest of its keys are
	// keys of earlier rows and, when those run out, keys the export does not have. Zero
	// means 40.
	ExistingAfterPercent int
	// Quoting ([Reference] only) changes how many fields are quoted; the zero value quotes
	// only the fields that need it.
	Quoting Quoting
	// Columns ([Reference] only), when set, is the header in the order and with the names
	// the export is written with: each name is one of [ReferenceHeader], or "Enrolled At"
	// for "Enrollment Date" (another name CE exports give that column). Nil means
	// [ReferenceHeader] as it is.
	Columns []string
}

// Quoting is how a [Reference] export quotes its fields.
type Quoting int

const (
	// QuoteNeeded quotes the fields that hold a comma or a quote, as CE does.
	QuoteNeeded Quoting = iota
	// QuoteAll quotes every field, as some spreadsheet tools save CSV.
	QuoteAll
	// QuoteNone writes the names without commas and quotes ("Tanaka Sam", "The Admin
	// Path Part 2"), so that no field needs quoting.
	QuoteNone
)

// Header is the synthetic export's header row.
var Header = []string{"External Id", "Learner Email", "Learner Name", "Company", "Course ID", "Course Name",
	"Learning Path", "Course Attempt Number", "Enrollment Date", "Progress Percentage", "Status",
	"Completion Date", "Updated At"}

var (
	firstNames = []string{"Alex", "Priya", "Jordan", "Sam", "Mei", "Lucas", "Amara", "Noah", "Sofia", "Kenji", "Fatima", "Liam", "Chloe", "Omar", "Hana", "Diego"}
	lastNames  = []string{"Rivera", "Shah", "Lee", "Okafor", "Tanaka", "Mueller", "Nwosu", "Kim", "Rossi", "Sato", "Haddad", "OBrien", "Dubois", "Farouk", "Park", "Garcia"}
	courses    = []string{"Platform Fundamentals", "Admin Certification Prep", "Reporting Deep Dive", "\"Integrations, APIs & Webhooks\"", "Customer Success Essentials", "Data Loader Basics", "Advanced Automation Flows", "Security and Sharing Model"}
	paths      = []string{"Administrator Path Program", "Developer Foundations Path Program", "Customer Education Champions Program", "Analytics Practitioner Track Program"}
	companies  = []string{"Northwind Traders International", "Contoso Pharmaceuticals EMEA", "Fabrikam Residences Holdings", "Tailspin Toys Manufacturing", "Wide World Importers Logistics", "Adventure Works Cycles Europe"}
	statuses   = []string{"enrolled", "in_progress", "in_progress", "completed"}
)

func (c *Config) defaults() {
	if c.Profile == Reference {
		c.referenceDefaults()
		return
	}
	if c.From.IsZero() {
		c.From = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.To.IsZero() {
		c.To = time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)
	}
	if c.DuplicatePermille == 0 {
		c.DuplicatePermille = 20
	}
	if c.RejectPermille == 0 {
		c.RejectPermille = 1
	}
}

// splitmix64 is a tiny, fast, well-mixed hash: row i's values come from mix(seed, i, field).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

const hexdigits = "0123456789abcdef"

// appendUUID appends a version-4-shaped UUID derived from a and b.
func appendUUID(dst []byte, a, b uint64) []byte {
	var raw [16]byte
	for i := 0; i < 8; i++ {
		raw[i] = byte(a >> (8 * i))
		raw[8+i] = byte(b >> (8 * i))
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexdigits[c>>4], hexdigits[c&15])
	}
	return dst
}

// Key returns the external id of logical record k.
func (c *Config) Key(k int) []byte {
	return appendUUID(nil, mix(c.Seed^uint64(k)*3+1), mix(c.Seed^uint64(k)*3+2))
}

// enrolled returns record k's enrollment instant.
func (c *Config) enrolled(k int) time.Time {
	span := uint64(c.To.Sub(c.From) / time.Second)
	return c.From.Add(time.Duration(mix(c.Seed^uint64(k)*7+5)%span) * time.Second)
}

// record returns which logical record row i shows and whether it is a duplicate re-export.
func (c *Config) record(i int) (k int, dup bool) {
	h := mix(c.Seed ^ uint64(i)*11 + 3)
	if i > 100 && int(h%1000) < c.DuplicatePermille {
		return i - 1 - int((h>>10)%100), true // a recent row again, with later progress
	}
	return i, false
}

// Export writes the synthetic export.
func Export(w io.Writer, cfg Config) error {
	cfg.defaults()
	bw := bufio.NewWriterSize(w, 1<<20)
	line := make([]byte, 0, 512)
	header, appendRow := Header, cfg.appendRow
	if cfg.Profile == Reference {
		header, appendRow = ReferenceHeader, cfg.appendReferenceRow
		if cfg.reshaped() {
			var err error
			if header, appendRow, err = cfg.reshape(); err != nil {
				return err
			}
		}
	}
	for i, h := range header {
		if i > 0 {
			line = append(line, ',')
		}
		line = append(line, h...)
	}
	line = append(line, '\n')
	bw.Write(line)
	for i := 0; i < cfg.Rows; i++ {
		line = appendRow(line[:0], i)
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func (c *Config) appendRow(b []byte, i int) []byte {
	k, dup := c.record(i)
	h := mix(c.Seed ^ uint64(k)*13 + 7)
	reject := int(mix(c.Seed^uint64(i)*17+9)%1000) < c.RejectPermille
	if reject && i%2 == 0 {
		// missing key
	} else {
		b = append(b, c.Key(k)...)
	}
	first, last := firstNames[h%16], lastNames[(h>>4)%16]
	b = append(b, ',')
	b = appendLower(b, first)
	b = append(b, '.')
	b = appendLower(b, last)
	b = append(b, strconv.Itoa(int(h>>8)%9973)...)
	b = append(b, "@example.com,"...)
	b = append(b, first...)
	b = append(b, ' ')
	b = append(b, last...)
	b = append(b, ',')
	b = append(b, companies[(h>>32)%uint64(len(companies))]...)
	b = append(b, ',')
	b = appendUUID(b, mix(h), mix(h+1)&^0xffff)
	b = append(b, ',')
	b = append(b, courses[(h>>12)%uint64(len(courses))]...)
	b = append(b, ',')
	b = append(b, paths[(h>>16)%uint64(len(paths))]...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(1+(h>>20)%3/2), 10)
	b = append(b, ',')
	enr := c.enrolled(k)
	if reject && i%2 == 1 {
		b = append(b, "31/31/2025"...)
	} else {
		b = enr.AppendFormat(b, time.RFC3339)
	}
	st := statuses[(h>>24)%4]
	prog := []int{0, 35, 60, 100}[(h>>24)%4]
	upd := enr.Add(time.Duration((h>>28)%(20*24)) * time.Hour)
	if dup {
		st, prog, upd = "completed", 100, upd.Add(72*time.Hour)
	}
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(prog), 10)
	b = append(b, ',')
	b = append(b, st...)
	b = append(b, ',')
	if st == "completed" {
		b = upd.AppendFormat(b, time.RFC3339)
	}
	b = append(b, ',')
	b = upd.AppendFormat(b, time.RFC3339)
	return append(b, '\n')
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// Existing writes a CSV of existing records ("Id,External Id"), as a Salesforce report
// export would: cfg.Existing keys, for [Simple] the ones dated before the cutoff first, for
// [Reference] as ExistingAfterPercent says.
func Existing(w io.Writer, cfg Config, cutoff time.Time) error {
	cfg.defaults()
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("Id,External Id\n")
	n := 0
	line := make([]byte, 0, 64)
	emit := func(k int) error {
		line = append(line[:0], "a0B"...)
		line = strconv.AppendUint(line, mix(uint64(k))%1e12+1e12, 10)
		line = append(line, "AAA,"...)
		line = append(line, cfg.Key(k)...)
		line = append(line, '\n')
		n++
		_, err := bw.Write(line)
		return err
	}
	if cfg.Profile == Reference {
		if err := cfg.referenceExisting(emit, cutoff); err != nil {
			return err
		}
		return bw.Flush()
	}
	for pass := 0; pass < 2 && n < cfg.Existing; pass++ {
		for k := 0; k < cfg.Rows && n < cfg.Existing; k++ {
			before := cfg.enrolled(k).Before(cutoff)
			if before == (pass == 0) {
				if err := emit(k); err != nil {
					return err
				}
			}
		}
	}
	return bw.Flush()
}

package csvdifftest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Profile selects the shape of a synthetic export.
type Profile int

const (
	// Simple is the original shape and the default: the 13 columns of [Header], ASCII
	// values, one course name in eight quoted, 2% of the rows repeating a recent key with
	// later progress. Tests and golden files depend on its bytes.
	Simple Profile = iota
	// Reference is shaped like the reference job's export (docs/CONTRACT.md §17): the 12
	// columns of [ReferenceHeader]; about 30% of the course names quoted (commas and
	// doubled quotes inside); learner names 57% non-ASCII ("José Müller", "Łukasz",
	// "Nguyễn"), 6% with a comma ("Müller, José") and 4% with a quoted nickname; "Started
	// At" empty for the 25% not started and "Completion Date" for the 60% not completed; 1%
	// of the rows exact copies of a recent row, 0.5% repeating a recent key with a later
	// "Updated At"; 15% enrolled on or after [ReferenceCutoff]. 1,000,000 rows are about
	// 266 MB.
	Reference
)

func (p Profile) String() string {
	if p == Reference {
		return "reference"
	}
	return "simple"
}

// ReferenceHeader is the header row of the [Reference] profile.
var ReferenceHeader = []string{"External Id", "Learner Id", "Learner Email", "Learner Name", "Course Id", "Course Name",
	"Status", "Progress Percentage", "Enrollment Date", "Started At", "Completion Date", "Updated At"}

// ReferenceCutoff is backfill's default cutoff, 2025-11-20 UTC. The [Reference] profile's
// default dates put 15% of the rows on or after it.
var ReferenceCutoff = time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)

// ReferenceJob is the reference job of docs/CONTRACT.md §17: a 1,000,000-row export (about
// 266 MB) against 900,000 existing keys, of which 40% of the keys dated on or after the
// cutoff.
var ReferenceJob = Config{Profile: Reference, Rows: 1_000_000, Existing: 900_000}

// version changes whenever the generator's output does, so [CacheDir] names a new folder.
const version = 1

// CacheDir is the folder under os.TempDir where [CachedFiles] keeps cfg's files: one per
// profile, size, seed, shape (Quoting, Columns) and generator version, so benchmarks
// generate them once per machine.
func CacheDir(cfg Config) string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("backfill-bench-%s-g%d-%d-%d-%d%s", cfg.Profile, version, cfg.Rows, cfg.Existing, cfg.Seed, cfg.variant()))
}

// CachedFiles returns the paths of cfg's export and existing records (for cutoff),
// export.csv and existing.csv in [CacheDir], writing them first when they are not there.
// Each file is written under a temporary name and renamed, so an interrupted run leaves
// nothing that a later one would take for complete.
func CachedFiles(cfg Config, cutoff time.Time) (export, existing string, err error) {
	dir := CacheDir(cfg)
	export, existing = filepath.Join(dir, "export.csv"), filepath.Join(dir, "existing.csv")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	for _, f := range []struct {
		path string
		gen  func(*os.File) error
	}{
		{export, func(w *os.File) error { return Export(w, cfg) }},
		{existing, func(w *os.File) error { return Existing(w, cfg, cutoff) }},
	} {
		if _, err := os.Stat(f.path); err == nil {
			continue
		}
		w, err := os.CreateTemp(dir, filepath.Base(f.path)+".*.tmp")
		if err != nil {
			return "", "", err
		}
		err = f.gen(w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(w.Name(), f.path)
		}
		if err != nil {
			os.Remove(w.Name())
			return "", "", fmt.Errorf("generate %s: %w", f.path, err)
		}
	}
	return export, existing, nil
}

type person struct{ name, ascii string }

var (
	// Non-ASCII first names: a learner drawn from this pool has a non-ASCII name.
	utf8Firsts = []person{{"José", "jose"}, {"Łukasz", "lukasz"}, {"Zoë", "zoe"}, {"Søren", "soren"}, {"François", "francois"},
		{"Björn", "bjorn"}, {"Małgorzata", "malgorzata"}, {"Jürgen", "jurgen"}, {"Renée", "renee"}, {"Thảo", "thao"},
		{"Đức", "duc"}, {"Chloé", "chloe"}, {"Iñaki", "inaki"}, {"Siobhán", "siobhan"}, {"Дмитрий", "dmitry"}, {"太郎", "taro"}}
	utf8Lasts = []person{{"Müller", "muller"}, {"Nguyễn", "nguyen"}, {"Kowalski", "kowalski"}, {"Øvergaard", "overgaard"},
		{"García", "garcia"}, {"Dvořák", "dvorak"}, {"Lefèvre", "lefevre"}, {"Åström", "astrom"}, {"Trần", "tran"},
		{"Wójcik", "wojcik"}, {"Yılmaz", "yilmaz"}, {"Novak", "novak"}, {"Żółkiewski", "zolkiewski"}, {"Schröder", "schroder"},
		{"Иванов", "ivanov"}, {"田中", "tanaka"}}
	nicknames = []string{"Bob", "Kiki", "Mimi", "Jo", "Sunny", "Max", "Lulu", "Tom"}
	domains   = []string{"example.com", "example.org", "mail.example.net", "example.net"}
	// The course catalog: 12 of its 40 names need quotes.
	refCourses = []string{
		"Platform Fundamentals", "Admin Certification Prep", "Reporting Deep Dive", "Customer Success Essentials",
		"Data Loader Basics", "Advanced Automation Flows", "Security and Sharing Model", "Onboarding for New Administrators",
		"Building Your First Dashboard", "Product Analytics 101", "Advanced Formula Fields", "Lightning App Builder Workshop",
		"Service Cloud Essentials", "Marketing Journeys in Practice", "Writing Knowledge Articles",
		"Exam Readiness Bootcamp", "Territory Management Basics", "Partner Enablement Program",
		"Einstein Insights for Managers", "Change Sets and Deployment", "Permission Sets Explained",
		"Data Quality Best Practices", "Accessibility in Course Design", "Introduction to Apex Triggers",
		"Email Templates Masterclass", "Field Service Scheduling", "Mobile App Setup Guide", "Sales Pipeline Forecasting",
		"Integrations, APIs & Webhooks", `The "Admin" Path, Part 2`, `Reports, Dashboards, and "Insights"`,
		`Flows: "Before", "After", and Async`, "Sharing, Roles & Profiles", "Leads, Contacts, and Accounts",
		`"Hello, World": Your First Flow`, "Quotes, Orders & Invoicing", "Approvals, Escalations, and Queues",
		`The "Trusted Advisor" Mindset`, "Import, Export, and Backup", "Data Cloud: Ingest, Unify, Act",
	}
	// refCoursesCSV holds the course names as CSV fields (quoted where needed).
	refCoursesCSV = func() []string {
		out := make([]string, len(refCourses))
		for i, c := range refCourses {
			if strings.ContainsAny(c, `,"`) {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			out[i] = c
		}
		return out
	}()
)

// refLearners is the number of distinct learners; each row's enrollment draws one.
const refLearners = 250_000

func (c *Config) referenceDefaults() {
	if c.From.IsZero() {
		c.From = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.To.IsZero() {
		// 15% of the span after the cutoff, 85% before it.
		c.To = ReferenceCutoff.Add(time.Duration(float64(ReferenceCutoff.Sub(c.From)) * 15 / 85))
	}
	if c.DuplicatePermille == 0 {
		c.DuplicatePermille = 10
	}
	if c.RepeatPermille == 0 {
		c.RepeatPermille = 5
	}
	if c.ExistingAfterPercent == 0 {
		c.ExistingAfterPercent = 40
	}
}

// What a [Reference] row is.
const (
	freshRow  = iota // a new enrollment: record k = row i
	copyRow          // an exact copy of row src
	repeatRow        // row src's record again, completed, with a later Updated At
)

// referenceKind returns what row i is and, for copies and repeats, the row it follows.
func (c *Config) referenceKind(i int) (kind, src int) {
	if i <= 100 {
		return freshRow, i
	}
	h := mix(c.Seed ^ uint64(i)*19 + 11)
	src = i - 1 - int((h>>10)%100)
	switch p := int(h % 1000); {
	case p < c.DuplicatePermille:
		return copyRow, src
	case p < c.DuplicatePermille+c.RepeatPermille:
		return repeatRow, src
	}
	return freshRow, i
}

// referenceRecord returns the record (the fresh row) that row i shows.
func (c *Config) referenceRecord(i int) int {
	for {
		kind, src := c.referenceKind(i)
		if kind == freshRow {
			return i
		}
		i = src
	}
}

// refTimes are a record's enrollment, start, completion and update instants (zero when
// empty), its status and progress.
type refTimes struct {
	enrolled, started, completed, updated time.Time
	status                                string
	progress                              int
}

func (c *Config) referenceTimes(k int, h uint64) refTimes {
	t := refTimes{enrolled: c.enrolled(k), status: "enrolled"}
	sec := func(n uint64) time.Duration { return time.Duration(n) * time.Second }
	last := t.enrolled
	switch p := h % 100; {
	case p >= 25:
		t.started = t.enrolled.Add(sec((h >> 8) % (7 * 86400)))
		last = t.started
		t.status, t.progress = "in_progress", 1+int((h>>32)%99)
		if p >= 60 {
			t.completed = t.started.Add(sec(3600 + (h>>16)%(45*86400)))
			last = t.completed
			t.status, t.progress = "completed", 100
		}
	}
	t.updated = last.Add(sec((h >> 40) % (72 * 3600)))
	return t
}

func (c *Config) appendReferenceRow(b []byte, i int) []byte {
	kind, src := c.referenceKind(i)
	if kind == copyRow {
		return c.appendReferenceRow(b, src)
	}
	k := i
	if kind == repeatRow {
		k = c.referenceRecord(src)
	}
	h := mix(c.Seed ^ uint64(k)*31 + 19)
	reject := c.RejectPermille > 0 && int(mix(c.Seed^uint64(i)*17+9)%1000) < c.RejectPermille
	if !reject || i%2 == 1 {
		b = append(b, c.Key(k)...)
	}
	b = append(b, ',')

	learner := h % refLearners
	hl := mix(c.Seed ^ learner*37 + 23)
	b = appendUUID(b, mix(c.Seed^learner*41+1), mix(c.Seed^learner*41+2))
	b = append(b, ',')
	first, last := person{firstNames[(hl>>16)%16], ""}, person{lastNames[(hl>>24)%16], ""}
	first.ascii, last.ascii = first.name, last.name
	if hl%100 < 57 {
		first, last = utf8Firsts[(hl>>16)%16], utf8Lasts[(hl>>24)%16]
	}
	b = appendLower(b, first.ascii)
	b = append(b, '.')
	b = appendLower(b, last.ascii)
	b = strconv.AppendUint(b, learner%9973, 10)
	b = append(b, '@')
	b = append(b, domains[(hl>>32)%uint64(len(domains))]...)
	b = append(b, ',')
	switch form := (hl >> 8) % 100; {
	case form < 6: // "Last, First"
		b = append(b, '"')
		b = append(b, last.name...)
		b = append(b, ", "...)
		b = append(b, first.name...)
		b = append(b, '"')
	case form < 10: // First "Nick" Last
		b = append(b, '"')
		b = append(b, first.name...)
		b = append(b, ` ""`...)
		b = append(b, nicknames[(hl>>40)%uint64(len(nicknames))]...)
		b = append(b, `"" `...)
		b = append(b, last.name...)
		b = append(b, '"')
	default:
		b = append(b, first.name...)
		b = append(b, ' ')
		b = append(b, last.name...)
	}
	b = append(b, ',')

	course := (h >> 20) % uint64(len(refCourses))
	b = appendUUID(b, mix(c.Seed^course*43+3), mix(c.Seed^course*43+4))
	b = append(b, ',')
	b = append(b, refCoursesCSV[course]...)
	b = append(b, ',')

	t := c.referenceTimes(k, mix(h))
	if kind == repeatRow {
		// The learner went on: completed, updated later than every earlier row of the key
		// (later repeats of the same key later still).
		if t.started.IsZero() {
			t.started = t.enrolled.Add(time.Hour)
		}
		t.updated = t.updated.Add(time.Hour + time.Duration(i-k)*time.Minute)
		t.completed, t.status, t.progress = t.updated, "completed", 100
	}
	b = append(b, t.status...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(t.progress), 10)
	b = append(b, ',')
	if reject && i%2 == 1 {
		b = append(b, "31/31/2025"...)
	} else {
		b = appendTime(b, t.enrolled)
	}
	for _, ts := range []time.Time{t.started, t.completed, t.updated} {
		b = append(b, ',')
		b = appendTime(b, ts)
	}
	return append(b, '\n')
}

// appendTime appends t as ISO 8601 in UTC ("2025-11-20T09:30:00Z"), nothing when zero.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return t.AppendFormat(b, "2006-01-02T15:04:05Z")
}

// referenceExisting emits the existing keys of the [Reference] profile, in the export's
// order: ExistingAfterPercent of the distinct keys dated on or after cutoff, then as many
// keys dated before it as make up c.Existing, then keys the export does not have.
func (c *Config) referenceExisting(emit func(k int) error, cutoff time.Time) error {
	held := func(k int) bool { return int(mix(c.Seed^uint64(k)*29+17)%100) < c.ExistingAfterPercent }
	isFresh := func(k int) bool { kind, _ := c.referenceKind(k); return kind == freshRow }
	after := 0
	for k := 0; k < c.Rows; k++ {
		if isFresh(k) && !c.enrolled(k).Before(cutoff) && held(k) {
			after++
		}
	}
	before := c.Existing - after
	n := 0
	for k := 0; k < c.Rows && n < c.Existing; k++ {
		if !isFresh(k) {
			continue
		}
		switch {
		case !c.enrolled(k).Before(cutoff):
			if !held(k) {
				continue
			}
		case before > 0:
			before--
		default:
			continue
		}
		if err := emit(k); err != nil {
			return err
		}
		n++
	}
	for k := c.Rows; n < c.Existing; k++ {
		if err := emit(k); err != nil {
			return err
		}
		n++
	}
	return nil
}

// reshaped reports whether c asks for a [Reference] export other than the default shape.
func (c *Config) reshaped() bool { return c.Quoting != QuoteNeeded || c.Columns != nil }

// variant names c's shape in [CacheDir]: "" for the default one.
func (c *Config) variant() string {
	if !c.reshaped() {
		return ""
	}
	v := fmt.Sprintf("-q%d", c.Quoting)
	if c.Columns != nil {
		h := uint64(0)
		for _, name := range c.Columns {
			for _, b := range []byte(name + "\x00") {
				h = mix(h ^ uint64(b))
			}
		}
		v += fmt.Sprintf("-c%08x", uint32(h))
	}
	return v
}

// enrolledAt is the other name of the "Enrollment Date" column that Columns may use.
const enrolledAt = "Enrolled At"

// reshape returns the header and the row writer of a reshaped [Reference] export: each
// default row is split into its values, which are put in the order of c.Columns and
// written with c.Quoting.
func (c *Config) reshape() ([]string, func([]byte, int) []byte, error) {
	header := ReferenceHeader
	order := make([]int, len(ReferenceHeader))
	for i := range order {
		order[i] = i
	}
	if c.Columns != nil {
		header, order = c.Columns, order[:0]
		seen := map[int]bool{}
		for _, name := range c.Columns {
			if name == enrolledAt {
				name = "Enrollment Date"
			}
			i := slices.Index(ReferenceHeader, name)
			if i < 0 || seen[i] {
				return nil, nil, fmt.Errorf("csvdifftest: column %q is not one of the reference header's, or comes twice", name)
			}
			seen[i] = true
			order = append(order, i)
		}
		if len(order) != len(ReferenceHeader) {
			return nil, nil, fmt.Errorf("csvdifftest: Columns has %d names, the reference header %d", len(order), len(ReferenceHeader))
		}
	}
	var row []byte
	var values [][]byte
	return header, func(b []byte, i int) []byte {
		row = c.appendReferenceRow(row[:0], i)
		values = splitRow(values[:0], row[:len(row)-1])
		for j, col := range order {
			if j > 0 {
				b = append(b, ',')
			}
			v := values[col]
			switch {
			case c.Quoting == QuoteAll:
				b = append(b, '"')
				b = append(b, strings.ReplaceAll(string(v), `"`, `""`)...)
				b = append(b, '"')
			case c.Quoting == QuoteNone:
				b = append(b, strings.Join(strings.Fields(strings.NewReplacer(",", " ", `"`, "").Replace(string(v))), " ")...)
			case bytes.ContainsAny(v, `,"`):
				b = append(b, '"')
				b = append(b, strings.ReplaceAll(string(v), `"`, `""`)...)
				b = append(b, '"')
			default:
				b = append(b, v...)
			}
		}
		return append(b, '\n')
	}, nil
}

// splitRow appends the values of one CSV line (quotes undone) to values.
func splitRow(values [][]byte, line []byte) [][]byte {
	for {
		if len(line) > 0 && line[0] == '"' {
			var v []byte
			i := 1
			for i < len(line) {
				if line[i] == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						v = append(v, '"')
						i += 2
						continue
					}
					break
				}
				v = append(v, line[i])
				i++
			}
			values = append(values, v)
			line = line[min(i+1, len(line)):]
		} else {
			j := bytes.IndexByte(line, ',')
			if j < 0 {
				j = len(line)
			}
			values = append(values, line[:j])
			line = line[j:]
		}
		if len(line) == 0 {
			return values
		}
		line = line[1:] // the comma
	}
}

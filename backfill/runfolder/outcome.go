package runfolder

import "github.com/northpass-tools/backfill/csvdiff"

// Outcome is the final fate of one data row of the export: the `outcome` column of
// ledger.csv and the keys of summary.json's outcomes (docs/CONTRACT.md §4.1). The first seven
// are the diff's ([csvdiff.Outcome], same values); the rest are what Salesforce did with a
// loaded row.
type Outcome uint8

// The outcomes, in the order reports list them.
const (
	Rejected     = Outcome(csvdiff.Rejected)     // the row cannot be used; detail says why
	BeforeCutoff = Outcome(csvdiff.BeforeCutoff) // every cutoff date column is before --since
	Duplicate    = Outcome(csvdiff.Duplicate)    // another row has the same key; detail names the kept line
	Exists       = Outcome(csvdiff.Exists)       // Salesforce has the record and nothing to change
	Stale        = Outcome(csvdiff.Stale)        // Salesforce has the record but mapped values differ
	ToInsert     = Outcome(csvdiff.ToInsert)     // planned insert (dry run)
	ToUpdate     = Outcome(csvdiff.ToUpdate)     // planned update (dry run)
	Created      = Outcome(csvdiff.NumOutcomes)  // loaded as a new record
	Updated      = Created + 1                   // loaded over an existing record
	AlreadyNewer = Created + 2                   // Salesforce refused an older version ("old timestamp")
	Failed       = Created + 3                   // Salesforce rejected the row
	Unprocessed  = Created + 4                   // the job ended before Salesforce processed the row
	numOutcomes  = Created + 5
)

// outcomeNames are the diff's names (csvdiff's, for its outcomes), then the load's.
var outcomeNames = func() (names [numOutcomes]string) {
	for o := csvdiff.Outcome(1); int(o) < csvdiff.NumOutcomes; o++ {
		names[o] = o.String()
	}
	copy(names[Created:], []string{"created", "updated", "already_newer", "failed", "unprocessed"})
	return names
}()

// FromDiff returns the ledger outcome of a diff outcome.
func FromDiff(o csvdiff.Outcome) Outcome { return Outcome(o) }

// String returns the outcome's name as written in the ledger.
func (o Outcome) String() string {
	if o == 0 || o >= numOutcomes {
		return "unknown"
	}
	return outcomeNames[o]
}

// Planned reports whether o is a row planned for loading (to_insert or to_update).
func (o Outcome) Planned() bool { return o == ToInsert || o == ToUpdate }

// ParseOutcome returns the outcome named s.
func ParseOutcome(s string) (Outcome, bool) {
	for o := Rejected; o < numOutcomes; o++ {
		if outcomeNames[o] == s {
			return o, true
		}
	}
	return 0, false
}

// Outcomes returns every outcome in report order.
func Outcomes() []Outcome {
	out := make([]Outcome, 0, numOutcomes-1)
	for o := Rejected; o < numOutcomes; o++ {
		out = append(out, o)
	}
	return out
}

// Counts holds how many rows ended in each outcome.
type Counts [numOutcomes]int

// Add counts one row with outcome o.
func (c *Counts) Add(o Outcome) { c[o]++ }

// AddDiff adds the diff's counts.
func (c *Counts) AddDiff(d csvdiff.Counts) {
	for i, n := range d {
		c[i] += n
	}
}

// Total returns the sum over all outcomes.
func (c *Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Map returns the counts keyed by outcome name, every outcome included.
func (c *Counts) Map() map[string]int {
	m := make(map[string]int, numOutcomes)
	for o := Rejected; o < numOutcomes; o++ {
		m[o.String()] = c[o]
	}
	return m
}

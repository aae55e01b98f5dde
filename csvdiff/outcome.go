package csvdiff

// Outcome is what the diff decided for one data row of the export: it was unusable, fell
// before the cutoff, lost the in-file dedup, or (decided by a [Matcher]) already exists or
// is to be loaded. The names are the ledger's (docs/CONTRACT.md §4.1); what happens to a row
// after it is loaded (created, failed, ...) is not the diff's business and is not here.
type Outcome uint8

// The diff outcomes, in the order reports list them.
const (
	Rejected     Outcome = iota + 1 // the row cannot be used; detail says why
	BeforeCutoff                    // every cutoff date column is before the cutoff
	Duplicate                       // another row has the same key; detail names the kept line
	Exists                          // the key exists and nothing is to change
	Stale                           // the key exists but compared values differ
	ToInsert                        // to be loaded as a new record
	ToUpdate                        // to be loaded over the existing record
	numOutcomes
)

// NumOutcomes is one more than the largest Outcome: outcomes index arrays of this length.
const NumOutcomes = int(numOutcomes)

var outcomeNames = [numOutcomes]string{"", "rejected", "before_cutoff", "duplicate", "exists", "stale",
	"to_insert", "to_update"}

// String returns the outcome's name as written in the ledger.
func (o Outcome) String() string {
	if o == 0 || o >= numOutcomes {
		return "unknown"
	}
	return outcomeNames[o]
}

// Counts holds how many rows ended in each outcome.
type Counts [numOutcomes]int

// Add counts one row with outcome o.
func (c *Counts) Add(o Outcome) { c[o]++ }

// Get returns the count of o.
func (c *Counts) Get(o Outcome) int { return c[o] }

// Total returns the sum over all outcomes.
func (c *Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

package csvdiff

// Outcome is what happened to one data row of the export. Every row ends in exactly one.
// The names are part of the contract (ledger.csv, summary.json): see DESIGN.md section 3.
type Outcome uint8

// The outcomes, in the order reports list them.
const (
	Rejected     Outcome = iota + 1 // the row cannot be used; detail says why
	BeforeCutoff                    // every cutoff date column is before --since
	Duplicate                       // another row has the same key; detail names the kept line
	Exists                          // Salesforce has the record and nothing to change
	Stale                           // Salesforce has the record but mapped values differ
	ToInsert                        // planned insert (dry run)
	ToUpdate                        // planned update (dry run)
	Created                         // loaded as a new record
	Updated                         // loaded over an existing record
	AlreadyNewer                    // Salesforce refused an older version ("old timestamp")
	Failed                          // Salesforce rejected the row
	Unprocessed                     // the job ended before Salesforce processed the row
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"", "rejected", "before_cutoff", "duplicate", "exists", "stale",
	"to_insert", "to_update", "created", "updated", "already_newer", "failed", "unprocessed"}

// String returns the outcome's name as written in the ledger.
func (o Outcome) String() string {
	if o == 0 || o >= numOutcomes {
		return "unknown"
	}
	return outcomeNames[o]
}

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

// Map returns the counts keyed by outcome name, every outcome included.
func (c *Counts) Map() map[string]int {
	m := make(map[string]int, numOutcomes)
	for o := Rejected; o < numOutcomes; o++ {
		m[o.String()] = c[o]
	}
	return m
}

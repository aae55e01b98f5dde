package csvdiff_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/csvdiff"
)

func ExampleScan() {
	export := `External Id,Enrollment Date,Updated At,Progress
e1,2025-09-14T08:22:41Z,2025-09-20T16:05:12Z,100
e2,2025-11-21T10:02:55Z,2025-11-21T10:40:17Z,25
e3,2025-12-02T15:30:00Z,2025-12-05T11:12:47Z,100
e2,2025-11-21T10:02:55Z,2025-11-24T09:15:38Z,60
e4,not a date,,0
`
	ctx := context.Background()
	opts := csvdiff.Options{File: "export.csv", Since: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)}
	idx, err := csvdiff.Scan(ctx, strings.NewReader(export), opts)
	if err != nil {
		panic(err)
	}
	existing := csvdiff.NewKeySet(0, false)
	existing.Add([]byte("e3"), []byte("a0B5g00000XyZ1AAA"))

	idx.Emit(ctx, strings.NewReader(export), csvdiff.SetMatcher{Set: existing}, csvdiff.SinkFunc(func(r *csvdiff.Row) error {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("line %d %s: %s %s", r.Line, r.Key, r.Outcome, r.Detail)))
		return nil
	}))
	// Output:
	// line 2 e1: before_cutoff
	// line 3 e2: duplicate kept line 5
	// line 4 e3: exists a0B5g00000XyZ1AAA
	// line 5 e2: to_insert
	// line 6 e4: rejected column 2 "Enrollment Date": unparseable date "not a date"
}

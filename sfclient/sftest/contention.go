package sftest

import (
	"hash/fnv"
	"strings"
)

// contention is the SetLockContention knob.
type contention struct {
	field string
	batch int
}

// locks decides which rows of a job meet a locked record: the rows of internal batches
// after the first one that holds their value of the contended column.
type locks struct {
	col   int            // the contended column; -1: no contention
	batch int            // rows per internal batch
	first map[string]int // lower-cased value -> first batch holding it
	ids   map[string]string
	t     *table
}

// newLocks prepares the lock contention of run's rows under knob c.
func (r *ingestRun) newLocks(c contention, rows [][]string) *locks {
	l := &locks{col: -1, t: r.t}
	if c.field == "" || c.batch <= 0 {
		return l
	}
	for i, h := range r.j.header {
		if strings.EqualFold(h, c.field) {
			l.col = i
		}
	}
	if l.col < 0 {
		return l
	}
	l.batch, l.first, l.ids = c.batch, map[string]int{}, map[string]string{}
	for i, row := range rows {
		v := strings.ToLower(row[l.col])
		if _, ok := l.first[v]; !ok && v != "" {
			l.first[v] = i / l.batch
		}
	}
	return l
}

// check returns the UNABLE_TO_LOCK_ROW error of row i, or "".
func (l *locks) check(i int, row []string) string {
	if l.col < 0 {
		return ""
	}
	v := strings.ToLower(row[l.col])
	if v == "" || i/l.batch == l.first[v] {
		return ""
	}
	id := l.ids[v]
	if id == "" {
		h := fnv.New32a()
		h.Write([]byte(v))
		id = makeID(l.t.obj.KeyPrefix, int(h.Sum32()%1000000))
	}
	// Wording: Salesforce's record-locking cheat sheet and Data Loader reports
	// (docs/SALESFORCE.md [S38]).
	return sfErr("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: "+id)
}

// hold notes the record id that row i, of the first batch holding its value, wrote.
func (l *locks) hold(i int, row []string, id string) {
	if l.col < 0 || id == "" {
		return
	}
	v := strings.ToLower(row[l.col])
	if v != "" && l.ids[v] == "" && i/l.batch == l.first[v] {
		l.ids[v] = id
	}
}

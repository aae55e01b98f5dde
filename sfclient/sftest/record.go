package sftest

import (
	"fmt"
	"math"
	"time"
)

// A record is stored compactly, so that an org of millions of records fits in memory (about
// 400 bytes for a demo Enrollment, against 2 KB as a map[string]any): its table lays every
// field out in one of two slices of the row, text in strs and numbers, booleans and
// datetimes in nums, with a bit per field for null at the start of nums. The values of
// picklist, reference and date fields, which repeat across records, are interned.

// record is one stored row; its table knows the layout.
type record = *row

type row struct {
	strs    []string // text, ids, dates (yyyy-MM-dd); strs[0] is the Id
	nums    []int64  // null bits (one per field position), then float64 bits, 0/1, unix nanoseconds
	deleted bool     // IsDeleted: in the Recycle Bin
}

// slotKind says where and how a field's value is kept in a row.
type slotKind uint8

const (
	slotText slotKind = iota
	slotNumber
	slotBool
	slotTime
	slotDeleted // IsDeleted: row.deleted
)

// layout is a table's placement of its fields in rows.
type layout struct {
	nullWords int // leading words of nums holding the null bits
	strs      int // len(row.strs)
	nums      int // len(row.nums), null words included
}

// place assigns each field of fields its slot (Field.pos, Field.slot, Field.kind) and
// returns the layout; the field named Id takes strs[0].
func place(fields []Field) layout {
	l := layout{nullWords: (len(fields) + 63) / 64, strs: 1}
	l.nums = l.nullWords
	for i := range fields {
		f := &fields[i]
		f.pos = i
		switch {
		case f.Name == "Id":
			f.kind, f.slot = slotText, 0
		case f.Name == "IsDeleted":
			f.kind = slotDeleted
		case kindOf(f) == kindNumber:
			f.kind, f.slot = slotNumber, l.nums
			l.nums++
		case kindOf(f) == kindBool:
			f.kind, f.slot = slotBool, l.nums
			l.nums++
		case kindOf(f) == kindDateTime:
			f.kind, f.slot = slotTime, l.nums
			l.nums++
		default:
			f.kind, f.slot = slotText, l.strs
			l.strs++
		}
	}
	return l
}

// newRow returns a row of layout l with every field null.
func (l layout) newRow(nfields int) *row {
	r := &row{strs: make([]string, l.strs), nums: make([]int64, l.nums)}
	for i := range nfields {
		r.nums[i/64] |= 1 << (i % 64)
	}
	return r
}

func (r *row) id() string { return r.strs[0] }

func (r *row) isNull(f *Field) bool {
	if f.kind == slotDeleted {
		return false
	}
	return r.nums[f.pos/64]&(1<<(f.pos%64)) != 0
}

// get returns f's value: nil, string (text, ids, dates), float64, bool or time.Time (UTC).
func (r *row) get(f *Field) any {
	if f.kind == slotDeleted {
		return r.deleted
	}
	if r.isNull(f) {
		return nil
	}
	switch f.kind {
	case slotNumber:
		return math.Float64frombits(uint64(r.nums[f.slot]))
	case slotBool:
		return r.nums[f.slot] != 0
	case slotTime:
		return time.Unix(0, r.nums[f.slot]).UTC()
	}
	return r.strs[f.slot]
}

// str returns a text field's value without boxing it; ok is false for null or another kind.
func (r *row) str(f *Field) (string, bool) {
	if f.kind != slotText || r.isNull(f) {
		return "", false
	}
	return r.strs[f.slot], true
}

// set stores v (nil or the type get returns for f; a string also for a datetime) in f.
// Picklist, reference and date values go through in, the table's interner.
func (r *row) set(f *Field, v any, in interner) {
	if f.kind == slotDeleted {
		r.deleted, _ = v.(bool)
		return
	}
	bit := int64(1) << (f.pos % 64)
	if v == nil {
		r.nums[f.pos/64] |= bit
		if f.kind == slotText {
			r.strs[f.slot] = ""
		}
		return
	}
	r.nums[f.pos/64] &^= bit
	ok := true
	switch f.kind {
	case slotText:
		var x string
		x, ok = v.(string)
		r.strs[f.slot] = in.of(f, x)
	case slotNumber:
		var x float64
		x, ok = v.(float64)
		r.nums[f.slot] = int64(math.Float64bits(x))
	case slotBool:
		var x bool
		x, ok = v.(bool)
		r.nums[f.slot] = 0
		if x {
			r.nums[f.slot] = 1
		}
	case slotTime:
		r.nums[f.slot], ok = unixNano(v)
	}
	if !ok {
		panic(fmt.Sprintf("sftest: field %s (%s): unexpected value %v (%T)", f.Name, f.Type, v, v))
	}
}

// unixNano converts a time.Time or an ISO 8601 string to Unix nanoseconds.
func unixNano(v any) (int64, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UnixNano(), true
	case string:
		tm, err := parseDateTime(x)
		return tm.UnixNano(), err == nil
	}
	return 0, false
}

// interner shares the storage of values that repeat across records (picklist values,
// ids of parents and users, dates). It is the org's, guarded by Server.mu.
type interner map[string]string

func (in interner) of(f *Field, s string) string {
	if in == nil || (f.Type != "picklist" && f.Type != "reference" && f.Type != "date") {
		return s
	}
	if v, ok := in[s]; ok {
		return v
	}
	s = string([]byte(s)) // do not pin a larger buffer (a CSV line) in the table
	in[s] = s
	return s
}

package csvdiff

import "fmt"

// Date columns are understood, not guessed row by row: the first pass looks at every value
// of every date column written as N/N/YYYY. A first number over 12 anywhere makes the column
// day-first, a second number over 12 month-first, both make it inconsistent (the file is
// unusable until --date-format says how to read it), neither keeps month-first and says it
// was assumed.

// DateLayout is how the export writes one date column, as the first pass decided it.
type DateLayout struct {
	Column string    // the header
	Order  DateOrder // how N/N/YYYY values are read
	Slash  int       // values written N/N/YYYY
	// Assumed is set when slash values exist but none told the order: month-first was
	// assumed, and people should check.
	Assumed bool
	// Forced is the --date-format pattern when one was given (then nothing was decided).
	Forced string
	// Evidence: the first lines whose values could only be day-first or month-first, and
	// their values.
	DayFirstLines, MonthFirstLines   []int
	DayFirstValues, MonthFirstValues []string
}

// Describe says the layout in words, for summaries and reports.
func (l DateLayout) Describe() string {
	switch {
	case l.Forced != "":
		return "--date-format " + l.Forced
	case l.Slash == 0:
		return "ISO 8601 (no N/N/YYYY dates)"
	case l.Order == DayFirst:
		return fmt.Sprintf("day-first D/M/YYYY (line %d has %q: its first number is over 12)", l.DayFirstLines[0], l.DayFirstValues[0])
	case l.Assumed:
		return fmt.Sprintf("month-first M/D/YYYY assumed: none of its %d slash dates has a number over 12; pass --date-format d/M/yyyy if they are day-first", l.Slash)
	}
	return fmt.Sprintf("month-first M/D/YYYY (line %d has %q: its second number is over 12)", l.MonthFirstLines[0], l.MonthFirstValues[0])
}

// dateEvidence is what the first pass saw of one date column.
type dateEvidence struct {
	slash        int
	day, month   []int    // example lines
	dayV, monthV []string // their values
}

func (e *dateEvidence) observe(v []byte, line int) {
	d, m, ok := SlashOrder(v)
	if !ok {
		return
	}
	e.slash++
	// A value counts only when it is a real date in exactly one order.
	if d || m {
		_, okM := parseSlash(trimSpace(v), '/', false)
		_, okD := parseSlash(trimSpace(v), '/', true)
		d, m = okD && !okM, okM && !okD
	}
	if d && len(e.day) < 2 {
		e.day, e.dayV = append(e.day, line), append(e.dayV, string(v))
	}
	if m && len(e.month) < 2 {
		e.month, e.monthV = append(e.month, line), append(e.monthV, string(v))
	}
}

// dateColumns returns the indexes of the columns whose layout the first pass decides: the
// cutoff columns, the updated-at column and opts.ValueDateColumns.
func dateColumns(h *Header, opts *Options) []int {
	seen := map[int]bool{}
	var out []int
	add := func(i int) {
		if i >= 0 && !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	for _, d := range h.Dates {
		add(d)
	}
	add(h.Updated)
	for _, name := range opts.ValueDateColumns {
		for i, n := range h.Names {
			if n == name {
				add(i)
			}
		}
	}
	return out
}

// decideLayouts turns the evidence into one layout per date column, or a *FileError for a
// column that mixes both orders.
func (x *Index) decideLayouts() error {
	x.layouts = x.layouts[:0]
	for _, c := range x.dateCols {
		l := DateLayout{Column: x.Header.Names[c], Forced: x.opts.DateFormat}
		if x.evidence != nil && x.evidence[c] != nil {
			e := x.evidence[c]
			l.Slash, l.DayFirstLines, l.MonthFirstLines = e.slash, e.day, e.month
			l.DayFirstValues, l.MonthFirstValues = e.dayV, e.monthV
			switch {
			case len(e.day) > 0 && len(e.month) > 0:
				return &FileError{File: x.opts.File, Line: e.day[0],
					Err: fmt.Errorf("column %q mixes day-first and month-first dates: line %d has %q (a day over 12 first), line %d has %q (a day over 12 second)",
						l.Column, e.day[0], e.dayV[0], e.month[0], e.monthV[0]),
					Hint: "fix those rows, or pass --date-format with the pattern most rows use (e.g. --date-format dd/MM/yyyy or MM/dd/yyyy)"}
			case len(e.day) > 0:
				l.Order = DayFirst
			case e.slash > 0:
				l.Assumed = len(e.month) == 0
			}
		}
		x.layouts = append(x.layouts, l)
	}
	return nil
}

// DateLayouts returns how each date column is read: the cutoff columns, the updated-at
// column and Options.ValueDateColumns, in that order.
func (x *Index) DateLayouts() []DateLayout { return append([]DateLayout(nil), x.layouts...) }

// DateParserFor returns the parser for the values of column col: the forced pattern, or the
// built-in formats with the order decided for the column.
func (x *Index) DateParserFor(col int) DateParser {
	if col >= 0 && col < len(x.orders) {
		return x.dates.WithOrder(x.orders[col])
	}
	return x.dates
}

// needsRescan reports whether a column turned out day-first: the pass just made read its
// slash dates month-first and must be made again.
func (x *Index) needsRescan() bool {
	for i, l := range x.layouts {
		if l.Order == DayFirst && x.orders[x.dateCols[i]] != DayFirst {
			return true
		}
	}
	return false
}

// layoutOrders returns, per column, the order decided.
func (x *Index) layoutOrders() []DateOrder {
	orders := make([]DateOrder, len(x.Header.Names))
	for i, l := range x.layouts {
		orders[x.dateCols[i]] = l.Order
	}
	return orders
}

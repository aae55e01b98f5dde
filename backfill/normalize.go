package backfill

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/csvdiff"
)

// Values are converted to the form the Bulk API expects (docs/CONTRACT.md §8.6): dates
// YYYY-MM-DD, datetimes ISO 8601 in UTC with Z, numbers and percents plain decimals,
// booleans true/false; other types go as they are; empty stays empty. The same canonical
// form is used to compare an export row with the record Salesforce holds.

var (
	errNotNumber  = errors.New("not a number")
	errNotDate    = errors.New("not a date")
	errNotBoolean = errors.New("not true or false")
)

// appendBulkValue appends v converted for a field of type typ to dst.
func appendBulkValue(dst []byte, typ string, v []byte, dp csvdiff.DateParser) ([]byte, error) {
	t := bytes.TrimSpace(v)
	if len(t) == 0 {
		return dst, nil
	}
	switch typ {
	case "date":
		ns, ok := dp.Parse(t)
		if !ok {
			return dst, errNotDate
		}
		return time.Unix(0, ns).UTC().AppendFormat(dst, time.DateOnly), nil
	case "datetime":
		ns, ok := dp.Parse(t)
		if !ok {
			return dst, errNotDate
		}
		return time.Unix(0, ns).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z"), nil
	case "double", "currency", "percent", "int", "long":
		s := strings.TrimSuffix(string(t), "%")
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return dst, errNotNumber
		}
		if (typ == "int" || typ == "long") && f != math.Trunc(f) {
			return dst, fmt.Errorf("not a whole number")
		}
		return strconv.AppendFloat(dst, f, 'f', -1, 64), nil
	case "boolean":
		switch strings.ToLower(string(t)) {
		case "true", "1", "yes", "y":
			return append(dst, "true"...), nil
		case "false", "0", "no", "n":
			return append(dst, "false"...), nil
		}
		return dst, errNotBoolean
	}
	return append(dst, v...), nil
}

// sfCanonical renders a value of a SOQL record (JSON decoded: string, float64, bool or nil)
// in the same canonical form appendBulkValue produces, so the two compare with ==.
func sfCanonical(typ string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		switch typ {
		case "datetime":
			for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano} {
				if t, err := time.Parse(layout, x); err == nil {
					return t.UTC().Format("2006-01-02T15:04:05.000Z")
				}
			}
		case "double", "currency", "percent", "int", "long":
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return strconv.FormatFloat(f, 'f', -1, 64)
			}
		}
		return x
	}
	return fmt.Sprint(v)
}

package sftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// table is one sObject: describe metadata plus records.
type table struct {
	obj     Object            // describe metadata incl. system fields; Records unused
	tooling bool              // a Tooling API object
	fields  map[string]*Field // lower-case API name -> field
	rels    map[string]*Field // lower-case relationship name -> reference field
	records []record          // insertion order
	byID    map[string]record // 15-char id -> record
	autoNum int
	layout  layout
	in      interner
	sys     sysFields
}

// sysFields are the system fields of a table, which the server maintains.
type sysFields struct {
	id, isDeleted, createdDate, createdBy, modDate, modBy, modstamp *Field
}

func (t *table) field(name string) *Field { return t.fields[strings.ToLower(name)] }

// systemFields are added to every object unless declared.
func systemFields() []Field {
	ro := func(name, label, typ string) Field {
		return Field{Name: name, Label: label, Type: typ, DefaultedOnCreate: true}
	}
	id := ro("Id", "Record ID", "id")
	id.Length = 18
	id.IDLookup = true
	id.Unique = false
	createdBy := ro("CreatedById", "Created By ID", "reference")
	createdBy.ReferenceTo = []string{"User"}
	createdBy.RelationshipName = "CreatedBy"
	createdBy.Length = 18
	modBy := ro("LastModifiedById", "Last Modified By ID", "reference")
	modBy.ReferenceTo = []string{"User"}
	modBy.RelationshipName = "LastModifiedBy"
	modBy.Length = 18
	return []Field{
		id,
		ro("IsDeleted", "Deleted", "boolean"),
		ro("CreatedDate", "Created Date", "datetime"),
		createdBy,
		ro("LastModifiedDate", "Last Modified Date", "datetime"),
		modBy,
		ro("SystemModstamp", "System Modstamp", "datetime"),
	}
}

func newTable(o Object, tooling bool, in interner) (*table, error) {
	t := &table{tooling: tooling, fields: map[string]*Field{}, rels: map[string]*Field{}, byID: map[string]record{}, in: in}
	seedRecords := o.Records
	o.Records = nil
	declared := map[string]bool{}
	for _, f := range o.Fields {
		declared[strings.ToLower(f.Name)] = true
	}
	var fields []Field
	for _, f := range systemFields() {
		if !declared[strings.ToLower(f.Name)] {
			fields = append(fields, f)
		}
	}
	// Id first, then declared fields, then the other system fields: the order describe shows.
	var all []Field
	if declared["id"] {
		all = append(append(all, o.Fields...), fields...)
	} else {
		all = append(append(append(all, fields[0]), o.Fields...), fields[1:]...)
	}
	o.Fields = all
	t.obj = o
	t.layout = place(t.obj.Fields)
	for i := range t.obj.Fields {
		f := &t.obj.Fields[i]
		t.fields[strings.ToLower(f.Name)] = f
		if f.Type == "reference" && f.RelationshipName != "" {
			t.rels[strings.ToLower(f.RelationshipName)] = f
		}
	}
	t.sys = sysFields{id: t.field("Id"), isDeleted: t.field("IsDeleted"), createdDate: t.field("CreatedDate"),
		createdBy: t.field("CreatedById"), modDate: t.field("LastModifiedDate"), modBy: t.field("LastModifiedById"),
		modstamp: t.field("SystemModstamp")}
	for i, raw := range seedRecords {
		rec := t.newRow()
		for k, v := range raw {
			f := t.field(k)
			if f == nil {
				return nil, fmt.Errorf("object %s record %d: unknown field %s", o.Name, i, k)
			}
			cv, err := convertSeedValue(f, v)
			if err != nil {
				return nil, fmt.Errorf("object %s record %d field %s: %w", o.Name, i, k, err)
			}
			t.set(rec, f, cv)
		}
		t.add(rec)
	}
	return t, nil
}

func (t *table) newRow() record { return t.layout.newRow(len(t.obj.Fields)) }

// set stores v in field f of rec.
func (t *table) set(rec record, f *Field, v any) { rec.set(f, v, t.in) }

// add inserts rec, filling Id and the auto-number fields.
func (t *table) add(rec record) {
	if rec.id() == "" {
		t.set(rec, t.sys.id, makeID(t.obj.KeyPrefix, len(t.records)+1))
	}
	for i := range t.obj.Fields {
		f := &t.obj.Fields[i]
		if f.AutoNumber {
			t.autoNum++
			if rec.isNull(f) {
				t.set(rec, f, fmt.Sprintf("%s-%05d", strings.ToUpper(t.obj.Label[:1]), t.autoNum))
			}
		}
	}
	t.records = append(t.records, rec)
	t.byID[id15(rec.id())] = rec
}

func (t *table) get(id string) record { return t.byID[id15(id)] }

// remove drops the record with the given Id from t (a hard delete).
func (t *table) remove(id string) {
	delete(t.byID, id15(id))
	for i, rec := range t.records {
		if rec.id() == id {
			t.records = append(t.records[:i:i], t.records[i+1:]...)
			break
		}
	}
}

// values returns a copy of rec as a map of every field, as [Server.Records] gives it.
func (t *table) values(rec record) map[string]any {
	m := make(map[string]any, len(t.obj.Fields))
	for i := range t.obj.Fields {
		f := &t.obj.Fields[i]
		m[f.Name] = rec.get(f)
	}
	return m
}

func id15(id string) string {
	if len(id) == 18 {
		return id[:15]
	}
	return id
}

// makeID returns an 18-character Salesforce-style id: prefix, pod, counter, checksum.
func makeID(prefix string, n int) string {
	s := prefix + "000000" + fmt.Sprintf("%06s", strconv.FormatInt(int64(n), 36))
	return s[:15] + idSuffix(s[:15])
}

// idSuffix computes the 3-character case-safety suffix of a 15-character id.
func idSuffix(id string) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var b strings.Builder
	for i := 0; i < 3; i++ {
		flags := 0
		for j := 0; j < 5; j++ {
			if c := id[i*5+j]; c >= 'A' && c <= 'Z' {
				flags |= 1 << j
			}
		}
		b.WriteByte(chars[flags])
	}
	return b.String()
}

// fieldKind groups describe types by how values are stored and compared.
type fieldKind int

const (
	kindText fieldKind = iota
	kindNumber
	kindBool
	kindDate
	kindDateTime
)

func kindOf(f *Field) fieldKind {
	switch f.Type {
	case "double", "percent", "currency", "int", "long":
		return kindNumber
	case "boolean":
		return kindBool
	case "date":
		return kindDate
	case "datetime":
		return kindDateTime
	}
	return kindText
}

func (k fieldKind) soapName() string {
	switch k {
	case kindNumber:
		return "double"
	case kindBool:
		return "boolean"
	case kindDate:
		return "date"
	case kindDateTime:
		return "dateTime"
	}
	return "string"
}

// storedValue converts a value given to AddRecord or EditRecord: a seed value, or a
// time.Time for a datetime field.
func storedValue(f *Field, v any) (any, error) {
	if tm, ok := v.(time.Time); ok && kindOf(f) == kindDateTime {
		return tm.UTC(), nil
	}
	return convertSeedValue(f, v)
}

// convertSeedValue converts a seed's JSON value for field f to its stored type.
func convertSeedValue(f *Field, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch kindOf(f) {
	case kindNumber:
		switch x := v.(type) {
		case float64:
			return x, nil
		case string:
			return strconv.ParseFloat(x, 64)
		}
	case kindBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case kindDate:
		if s, ok := v.(string); ok {
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				return nil, err
			}
			return s, nil
		}
	case kindDateTime:
		if s, ok := v.(string); ok {
			return parseDateTime(s)
		}
	default:
		if s, ok := v.(string); ok {
			return s, nil
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not fit type %s", v, v, f.Type)
}

// parseDateTime accepts ISO 8601 datetimes with Z, +hh:mm or +hhmm offsets and optional
// fractions, as Salesforce does for input.
func parseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid datetime %q", s)
}

// sfTimeLayout is how Salesforce writes datetimes in JSON.
const sfTimeLayout = "2006-01-02T15:04:05.000-0700"

func formatTime(t time.Time) string { return t.UTC().Format(sfTimeLayout) }

// jsonValue converts a stored value to its JSON form for field f.
func jsonValue(f *Field, v any) any {
	switch x := v.(type) {
	case time.Time:
		return formatTime(x)
	case float64:
		if f != nil && (f.Type == "int" || (f.Scale == 0 && x == math.Trunc(x) && math.Abs(x) < 1e15)) {
			return json.Number(strconv.FormatInt(int64(x), 10))
		}
		return x
	}
	return v
}

// csvValue converts a stored value to its Bulk CSV text.
func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return formatTime(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// ordered is a JSON object that keeps key order.
type ordered struct {
	keys []string
	vals map[string]any
}

func newOrdered() *ordered { return &ordered{vals: map[string]any{}} }

func (o *ordered) set(k string, v any) *ordered {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

func (o *ordered) get(k string) (any, bool) { v, ok := o.vals[k]; return v, ok }

// MarshalJSON writes the keys in insertion order.
func (o *ordered) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := marshalJSON(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshalJSON(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// sortedKeys returns m's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func jsonNumber(s string) json.Number { return json.Number(s) }

// marshalJSON is json.Marshal without HTML escaping (Salesforce writes & and < as is).
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

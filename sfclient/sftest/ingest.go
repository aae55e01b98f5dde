package sftest

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// column is one resolved header column.
type column struct {
	name  string
	field *Field // the field written (for a relationship column, the reference field)
	// relationship column Rel.Field: the parent object's lookup field
	parentTable *table
	parentField *Field
}

// sfErr formats a Bulk row error: CODE:message:fields --.
func sfErr(code, msg string, fields ...string) string {
	if len(fields) == 0 {
		return code + ":" + msg + ":--"
	}
	return code + ":" + msg + ":" + strings.Join(fields, ",") + " --"
}

// process validates and applies an uploaded job. Rows are applied in upload order.
func (o *org) process(s *Server, j *ingestJob) {
	j.modstamp = o.now().UTC().Truncate(time.Second)
	rows, msg := j.readUpload()
	if msg != "" {
		j.fail(o, msg)
		return
	}
	run, msg := o.newIngestRun(s, j)
	if msg == "" {
		msg = o.takeBatches(len(rows))
	}
	if msg != "" {
		j.fail(o, msg)
		return
	}
	run.indexKeys(rows)
	locks := run.newLocks(s.lock, rows)
	j.success, j.failures, j.unprocessed = nil, nil, nil
	for i, row := range rows {
		if errText := locks.check(i, row); errText != "" {
			j.failures = append(j.failures, append([]string{"", errText}, row...))
			continue
		}
		id, created, errText := run.applyRow(row)
		locks.hold(i, row, id)
		if errText != "" {
			j.failures = append(j.failures, append([]string{id, errText}, row...))
			continue
		}
		j.success = append(j.success, append([]string{id, strconv.FormatBool(created)}, row...))
	}
	j.processed = len(rows)
	j.failed = len(j.failures)
	j.state = StateJobComplete
	j.ended(o)
	j.data = nil // the rows live on in the results
	shuffle(j.id+"s", j.success)
	shuffle(j.id+"f", j.failures)
}

// bulkBatchesLimit is the /limits entry of the daily Bulk batch allocation, shared by Bulk
// API 1.0 and 2.0 (15,000 per rolling 24 hours).
const bulkBatchesLimit = "DailyBulkApiBatches"

// takeBatches takes the internal batches a job of n rows uses (one per 10,000 rows) from
// the daily allocation, or returns the errorMessage of a job that exceeds it. The code is
// Bulk API's ExceededQuota, with its documented description (developer.salesforce.com
// api_asynch bulk_api_2_0_errors.htm: "ExceededQuota: The job or batch you tried to create
// exceeds the allowed number for the past 24-hour period"); the limit is named as /limits
// names it.
func (o *org) takeBatches(n int) string {
	l := o.limits[bulkBatchesLimit]
	need := (n + 9999) / 10000
	if need > l.Remaining {
		return fmt.Sprintf("ExceededQuota : The job or batch you tried to create exceeds the allowed number for the past 24-hour period (%s: %d needed, %d remaining of %d)",
			bulkBatchesLimit, need, max(l.Remaining, 0), l.Max)
	}
	l.Remaining -= need
	return ""
}

// readUpload parses the uploaded CSV: the header goes to j.header, the rows are returned.
// msg is the InvalidBatch message of an upload that fails the whole job.
func (j *ingestJob) readUpload() (rows [][]string, msg string) {
	if !j.uploaded {
		return nil, "InvalidBatch : No content was uploaded for this job"
	}
	if j.lineEnding == "LF" {
		first, _, _ := bytes.Cut(j.data, []byte("\n"))
		if bytes.HasSuffix(first, []byte("\r")) {
			cols := strings.Split(string(first), string(delimiters[j.delimiter]))
			return nil, "InvalidBatch : Field name not found : " + cols[len(cols)-1]
		}
	}
	r := j.reader()
	head, err := r.Read()
	if err != nil {
		return nil, "InvalidBatch : Failed to parse CSV header: " + err.Error()
	}
	j.header = head
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, ""
		}
		if err != nil {
			return nil, "InvalidBatch : Failed to parse CSV: " + err.Error()
		}
		if len(rec) != len(head) {
			line, _ := r.FieldPos(0)
			return nil, fmt.Sprintf("InvalidBatch : Wrong number of columns at line %d: found %d, expected %d", line, len(rec), len(head))
		}
		rows = append(rows, rec)
	}
}

// ingestRun is one job being processed: its resolved columns and the key lookups that its
// rows share.
type ingestRun struct {
	o      *org
	s      *Server
	j      *ingestJob
	t      *table
	cols   []column
	keyCol int                 // the column rows are matched on; -1 for insert
	dup    map[string]int      // normalised key -> rows of the job that carry it
	index  map[string][]record // normalised key -> records, deleted ones included
}

// newIngestRun resolves j's header against its object; msg is the InvalidBatch message of
// a header that fails the whole job.
func (o *org) newIngestRun(s *Server, j *ingestJob) (*ingestRun, string) {
	t := o.tables[strings.ToLower(j.object)]
	run := &ingestRun{o: o, s: s, j: j, t: t, cols: make([]column, len(j.header)), keyCol: -1,
		dup: map[string]int{}, index: map[string][]record{}}
	seen := map[string]bool{}
	idCol, extCol := -1, -1
	for i, h := range j.header {
		lh := strings.ToLower(h)
		if seen[lh] {
			return nil, "InvalidBatch : Duplicate field name: " + h
		}
		seen[lh] = true
		col, ok := o.resolveColumn(t, h)
		if !ok {
			return nil, "InvalidBatch : Field name not found : " + h
		}
		run.cols[i] = col
		if col.parentField != nil {
			continue
		}
		if col.field.Name == "Id" {
			idCol = i
		}
		if j.extIDField != "" && col.field.Name == j.extIDField {
			extCol = i
		}
	}
	switch j.operation {
	case "upsert":
		if extCol < 0 {
			return nil, "InvalidBatch : Field name not found : " + j.extIDField
		}
		run.keyCol = extCol
	case "update", "delete", "hardDelete":
		if idCol < 0 {
			return nil, "InvalidBatch : Field name not found : Id"
		}
		run.keyCol = idCol
	}
	return run, ""
}

// resolveColumn maps a header to a field of t, or for Rel.Field to the reference field
// Rel and the parent's external-id or idLookup field Field.
func (o *org) resolveColumn(t *table, h string) (column, bool) {
	col := column{name: h}
	rel, pf, ok := strings.Cut(h, ".")
	if !ok {
		col.field = t.field(h)
		return col, col.field != nil
	}
	rf := t.rels[strings.ToLower(rel)]
	if rf == nil {
		return col, false
	}
	pt := o.tables[strings.ToLower(rf.ReferenceTo[0])]
	if pt == nil {
		return col, false
	}
	pfield := pt.field(pf)
	if pfield == nil || (!pfield.ExternalID && !pfield.IDLookup) {
		return col, false
	}
	col.field, col.parentTable, col.parentField = rf, pt, pfield
	return col, true
}

// norm is the form under which two values of the key column match: ids on 15 characters,
// text case-insensitively unless the field is case sensitive.
func (r *ingestRun) norm(v string) string {
	kf := r.cols[r.keyCol].field
	switch {
	case kf.Type == "id":
		return id15(v)
	case !kf.CaseSensitive:
		return strings.ToLower(v)
	}
	return v
}

// indexKeys counts the job's keys (every row sharing a key fails) and indexes the records
// by key once, so a job costs O(rows + records).
func (r *ingestRun) indexKeys(rows [][]string) {
	if r.keyCol < 0 {
		return
	}
	for _, row := range rows {
		if v := row[r.keyCol]; v != "" {
			r.dup[r.norm(v)]++
		}
	}
	kf := r.cols[r.keyCol].field
	for _, rec := range r.t.records {
		if v, ok := rec.str(kf); ok && v != "" {
			r.index[r.norm(v)] = append(r.index[r.norm(v)], rec)
		}
	}
}

// shuffle permutes rows deterministically (seeded by key) and never leaves two or more
// rows in their original order: Salesforce does not keep upload order in results.
func shuffle(key string, rows [][]string) {
	if len(rows) < 2 {
		return
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	rnd := rand.New(rand.NewPCG(h.Sum64(), 7))
	perm := rnd.Perm(len(rows))
	identity := true
	for i, p := range perm {
		if i != p {
			identity = false
			break
		}
	}
	if identity {
		for i := range perm {
			perm[i] = len(perm) - 1 - i
		}
	}
	out := make([][]string, len(rows))
	for i, p := range perm {
		out[i] = rows[p]
	}
	copy(rows, out)
}

// applyRow validates one row and writes it. It returns the record id (if known), whether a
// record was created, and the sf__Error text for a failed row.
func (r *ingestRun) applyRow(row []string) (id string, created bool, errText string) {
	target, errText := r.match(row)
	if errText != "" {
		return "", false, errText
	}
	var targetID string
	if target != nil {
		targetID = target.id()
	}
	if r.j.operation == "delete" || r.j.operation == "hardDelete" {
		r.delete(target)
		return targetID, false, ""
	}
	creating := target == nil
	vals, errText := r.parseRow(row, creating)
	if errText == "" {
		errText = r.checkRequired(vals, creating)
	}
	if errText == "" {
		errText = r.checkOldTimestamp(vals, target)
	}
	if errText == "" {
		errText = r.checkUnique(vals, target)
	}
	if errText != "" {
		return targetID, false, errText
	}
	if creating {
		return r.create(row, vals), true, ""
	}
	for f, v := range vals {
		r.t.set(target, f, v)
	}
	r.o.touch(r.t, target, r.j.createdBy)
	return targetID, false, ""
}

// match finds the record a row writes by its key: nil for a row that creates one (an
// insert, or an upsert whose key matches nothing). It also applies the injected row
// faults to the key, or for an insert to the external-id columns.
func (r *ingestRun) match(row []string) (record, string) {
	if r.keyCol < 0 {
		for i, col := range r.cols {
			if col.parentField == nil && col.field.ExternalID {
				if e, ok := r.s.rowFault(row[i]); ok {
					return nil, e
				}
			}
		}
		return nil, ""
	}
	key := row[r.keyCol]
	if e, ok := r.s.rowFault(key); ok {
		return nil, e
	}
	kf := r.cols[r.keyCol].field
	upsert := r.j.operation == "upsert"
	switch {
	case key == "" && upsert && kf.Name == "Id":
		return nil, "" // upsert on Id with an empty Id inserts
	case key == "" && upsert:
		return nil, sfErr("MISSING_ARGUMENT", kf.Name+" not specified")
	case key == "":
		return nil, sfErr("MISSING_ARGUMENT", "Id not specified in an update call")
	case r.dup[r.norm(key)] > 1:
		return nil, sfErr("DUPLICATE_EXTERNAL_ID", "Duplicate external id specified: "+key, kf.Name)
	}
	byID := !upsert || kf.Name == "Id"
	if byID && len(key) != 15 && len(key) != 18 {
		return nil, sfErr("MALFORMED_ID", fmt.Sprintf("%s ID: id value of incorrect type: %s", r.t.obj.Label, key), "Id")
	}
	var matches []record
	recycled := false
	for _, rec := range r.index[r.norm(key)] {
		if !rec.deleted {
			matches = append(matches, rec)
		}
		recycled = recycled || rec.deleted
	}
	switch {
	case len(matches) == 0 && recycled && byID:
		// An update, delete or upsert on the Id of a record in the Recycle Bin.
		return nil, sfErr("ENTITY_IS_DELETED", "entity is deleted")
	case len(matches) > 1:
		ids := make([]string, len(matches))
		for i, m := range matches {
			ids[i] = m.id()
		}
		return nil, sfErr("DUPLICATE_EXTERNAL_ID", fmt.Sprintf("%s: more than one record found for external id field: %v", r.t.obj.Name, ids))
	case len(matches) == 1:
		return matches[0], ""
	case byID:
		// No record has this Id: an upsert on Id never creates a record with a given Id.
		return nil, sfErr("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
	}
	return nil, ""
}

// delete soft-deletes target; hardDelete also removes it from the table.
func (r *ingestRun) delete(target record) {
	target.deleted = true
	r.o.touch(r.t, target, r.j.createdBy)
	if r.j.operation == "hardDelete" {
		r.t.remove(target.id())
	}
}

// parseRow converts the row's cells to the values to write, by field name (nil = null).
// Empty cells are left out: null on create, unchanged on update.
func (r *ingestRun) parseRow(row []string, creating bool) (map[*Field]any, string) {
	vals := map[*Field]any{}
	for i, col := range r.cols {
		if i == r.keyCol && !creating || row[i] == "" {
			continue
		}
		v, set, errText := r.cellValue(col, row[i], i+1, creating)
		if errText != "" {
			return nil, errText
		}
		if set {
			vals[col.field] = v
		}
	}
	return vals, ""
}

// cellValue converts the non-empty cell raw of column number n; set is false for a cell
// that writes nothing (the Id column of an update or upsert).
func (r *ingestRun) cellValue(col column, raw string, n int, creating bool) (v any, set bool, errText string) {
	f := col.field
	switch {
	case f.Name == "Id" && r.j.operation == "insert":
		return nil, false, sfErr("INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", "Id")
	case f.Name == "Id":
		return nil, false, ""
	case creating && !f.Createable || !creating && !f.Updateable:
		return nil, false, sfErr("INVALID_FIELD_FOR_INSERT_UPDATE", fmt.Sprintf("Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name), f.Name)
	case raw == "#N/A":
		return nil, true, ""
	case col.parentField != nil:
		v, errText = col.parentID(raw)
	default:
		v, errText = parseCell(r.o, f, raw, n)
	}
	return v, true, errText
}

// parentID returns the Id of the live parent record whose lookup field equals raw, for a
// Rel.Field column.
func (col column) parentID(raw string) (string, string) {
	for _, p := range col.parentTable.records {
		if v, ok := p.str(col.parentField); ok && !p.deleted && equalValues(col.parentField, v, raw) {
			return p.id(), ""
		}
	}
	return "", sfErr("INVALID_FIELD", fmt.Sprintf("Foreign key external ID: %s not found for field %s in entity %s", raw, col.parentField.Name, col.parentTable.obj.Name))
}

// checkRequired refuses a create that leaves a required field empty, and an update that
// sets one to null (#N/A).
func (r *ingestRun) checkRequired(vals map[*Field]any, creating bool) string {
	var missing []string
	for i := range r.t.obj.Fields {
		f := &r.t.obj.Fields[i]
		if !f.Createable || f.Nillable || f.DefaultedOnCreate || f.Type == "boolean" {
			continue
		}
		v, set := vals[f]
		if creating && (!set || v == nil) || !creating && set && v == nil {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return sfErr("REQUIRED_FIELD_MISSING", "Required fields are missing: ["+strings.Join(missing, ", ")+"]", missing...)
	}
	return ""
}

// checkOldTimestamp is the package's old-timestamp rule (Object.OldTimestampField): an
// update may not move that datetime back; equal is allowed.
func (r *ingestRun) checkOldTimestamp(vals map[*Field]any, target record) string {
	if target == nil || r.t.obj.OldTimestampField == "" {
		return ""
	}
	f := r.t.field(r.t.obj.OldTimestampField)
	if f == nil {
		return ""
	}
	in, _ := vals[f].(time.Time)
	old, _ := target.get(f).(time.Time)
	if !in.IsZero() && !old.IsZero() && in.Before(old) {
		return sfErr("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Cannot update record due to old timestamp")
	}
	return ""
}

// checkUnique refuses a value of a unique field that another live record holds. The key
// column is skipped: it was matched through the index.
func (r *ingestRun) checkUnique(vals map[*Field]any, target record) string {
	for f, v := range vals {
		if !f.Unique || v == nil || (r.keyCol >= 0 && f == r.cols[r.keyCol].field) {
			continue
		}
		for _, rec := range r.t.records {
			if rec.deleted || rec == target {
				continue
			}
			if rv := rec.get(f); rv != nil && equalValues(f, rv, v) {
				return sfErr("DUPLICATE_VALUE", fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", f.Name, rec.id()))
			}
		}
	}
	return ""
}

// create inserts a record with vals and the row's key, and indexes it for later rows of
// the job; it returns the new Id.
func (r *ingestRun) create(row []string, vals map[*Field]any) string {
	rec := r.t.newRow()
	for f, v := range vals {
		r.t.set(rec, f, v)
	}
	if r.keyCol >= 0 && r.cols[r.keyCol].field.Name != "Id" {
		r.t.set(rec, r.cols[r.keyCol].field, row[r.keyCol])
	}
	r.o.insert(r.t, rec, r.j.createdBy)
	if r.keyCol >= 0 {
		k := r.norm(row[r.keyCol])
		r.index[k] = append(r.index[k], rec)
	}
	return rec.id()
}

// cell is one non-empty CSV value being converted for field f; col is its 1-based column.
type cell struct {
	o   *org
	f   *Field
	raw string
	col int
}

// cellConverters validate and convert a cell, one per field type; any other type is text.
var cellConverters = map[string]func(cell) (any, string){
	"double": cell.number, "percent": cell.number, "currency": cell.number, "int": cell.number, "long": cell.number,
	"boolean": cell.boolean, "date": cell.date, "datetime": cell.dateTime,
	"email": cell.email, "picklist": cell.picklist, "reference": cell.reference,
}

// parseCell converts a CSV cell for field f; col is the 1-based column for messages.
func parseCell(o *org, f *Field, raw string, col int) (any, string) {
	c := cell{o: o, f: f, raw: raw, col: col}
	if conv, ok := cellConverters[f.Type]; ok {
		return conv(c)
	}
	return c.text()
}

// invalid is the INVALID_FIELD error of a cell that does not parse as the XSD type xsd.
func (c cell) invalid(xsd string) string {
	return sfErr("INVALID_FIELD", fmt.Sprintf("Failed to deserialize field at col %d. Due to, '%s' is not a valid value for the type %s", c.col, c.raw, xsd))
}

// number accepts decimal notation only (no exponent, hex or underscores). A double,
// percent or currency field with a precision holds at most precision-scale digits before
// the point: more is NUMBER_OUTSIDE_VALID_RANGE, in the wording of a Bulk API result seen
// from a real org ("NUMBER_OUTSIDE_VALID_RANGE:Normalized Score: value outside of valid
// range on numeric field: 100.0:normalized_score__c --"; docs/SALESFORCE.md). Digits
// after the point beyond the scale are rounded by Salesforce, not refused.
func (c cell) number() (any, string) {
	n, err := strconv.ParseFloat(c.raw, 64)
	if err != nil || strings.ContainsAny(c.raw, "eExX_") {
		if c.f.Type == "int" {
			return nil, c.invalid("xsd:int")
		}
		return nil, c.invalid("xsd:double")
	}
	if c.f.Type != "int" && c.f.Precision > 0 && integerDigits(c.raw) > c.f.Precision-c.f.Scale {
		return nil, sfErr("NUMBER_OUTSIDE_VALID_RANGE", fmt.Sprintf("%s: value outside of valid range on numeric field: %s", c.f.Label, c.raw), c.f.Name)
	}
	return n, ""
}

// integerDigits counts the digits of a decimal before its point, leading zeros aside.
func integerDigits(raw string) int {
	s := strings.TrimLeft(raw, "+-")
	s, _, _ = strings.Cut(s, ".")
	return len(strings.TrimLeft(s, "0"))
}

// Dates Salesforce stores lie from 1700-01-01 to 4000-12-31 (SOQL and SOSL Reference, "Date
// Formats and Date Literals": "Minimum and Maximum Dates"); outside, a write fails with
// FIELD_INTEGRITY_EXCEPTION (the code seen for such a write; the message is the
// emulator's own).
var (
	minDate = time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(4000, 12, 31, 23, 59, 59, 999e6, time.UTC)
)

// inRange refuses an instant outside the dates Salesforce stores.
func (c cell) inRange(t time.Time) string {
	if t.Before(minDate) || t.After(maxDate) {
		return sfErr("FIELD_INTEGRITY_EXCEPTION", fmt.Sprintf("%s: date out of range (1700-01-01 to 4000-12-31): %s", c.f.Label, c.raw), c.f.Name)
	}
	return ""
}

// boolean accepts true/false, 1/0 and yes/no in any case.
func (c cell) boolean() (any, string) {
	switch strings.ToLower(c.raw) {
	case "true", "1", "yes":
		return true, ""
	case "false", "0", "no":
		return false, ""
	}
	return nil, c.invalid("xsd:boolean")
}

// date accepts yyyy-MM-dd from 1700 to 4000 and stores it as written.
func (c cell) date() (any, string) {
	t, err := time.Parse(time.DateOnly, c.raw)
	if err != nil {
		return nil, c.invalid("xsd:date")
	}
	if e := c.inRange(t); e != "" {
		return nil, e
	}
	return c.raw, ""
}

// dateTime accepts ISO 8601 with seconds and an offset, from 1700 to 4000, stored in UTC
// to the millisecond.
func (c cell) dateTime() (any, string) {
	tm, err := parseDateTime(c.raw)
	if err != nil || len(c.raw) < 19 {
		return nil, c.invalid("xsd:dateTime")
	}
	if e := c.inRange(tm.UTC()); e != "" {
		return nil, e
	}
	return tm.Truncate(time.Millisecond), ""
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// email checks the address's shape, then the length as for text.
func (c cell) email() (any, string) {
	if !emailRE.MatchString(c.raw) {
		return nil, sfErr("INVALID_EMAIL_ADDRESS", fmt.Sprintf("%s: invalid email address: %s", c.f.Label, c.raw), c.f.Name)
	}
	return c.text()
}

// picklist checks a restricted picklist's value against its active values' API names,
// case-insensitively and with every space significant, and stores the value as the
// picklist defines it; then the length as for text. Salesforce compares picklist values
// without regard to case (Help article 000386557, "Picklist fields are not case sensitive";
// API "Field Types", Picklist: "This check is case-insensitive") and validates against the
// API names (Help 000381951); that it does not trim spaces first is the emulator's choice
// (no source says either way; docs/SALESFORCE.md).
func (c cell) picklist() (any, string) {
	if c.f.RestrictedPicklist {
		for _, p := range c.f.PicklistValues {
			if p.Active && strings.EqualFold(p.Value, c.raw) {
				c.raw = p.Value
				return c.text()
			}
		}
		return nil, sfErr("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", fmt.Sprintf("%s: bad value for restricted picklist field: %s", c.f.Label, c.raw), c.f.Name)
	}
	return c.text()
}

// reference accepts a 15- or 18-character id of a live record of one of the field's
// objects and stores its 18-character form.
func (c cell) reference() (any, string) {
	f, raw := c.f, c.raw
	if len(raw) != 15 && len(raw) != 18 {
		return nil, sfErr("MALFORMED_ID", fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, raw), f.Name)
	}
	var pt *table
	for _, to := range f.ReferenceTo {
		if tt := c.o.tables[strings.ToLower(to)]; tt != nil && strings.HasPrefix(raw, tt.obj.KeyPrefix) {
			pt = tt
		}
	}
	if pt == nil {
		return nil, sfErr("FIELD_INTEGRITY_EXCEPTION", fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, raw), f.Name)
	}
	p := pt.get(raw)
	if p == nil || p.deleted {
		return nil, sfErr("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
	}
	return p.id(), ""
}

// text checks the field's length in characters.
func (c cell) text() (any, string) {
	if c.f.Length > 0 && utf8.RuneCountInString(c.raw) > c.f.Length {
		return nil, sfErr("STRING_TOO_LONG", fmt.Sprintf("%s: data value too large: %s (max length=%d)", c.f.Label, c.raw, c.f.Length), c.f.Name)
	}
	return c.raw, ""
}

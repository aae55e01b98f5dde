package sftest

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bulk API 2.0 job states.
const (
	StateOpen           = "Open"
	StateUploadComplete = "UploadComplete"
	StateInProgress     = "InProgress"
	StateJobComplete    = "JobComplete"
	StateFailed         = "Failed"
	StateAborted        = "Aborted"
)

var delimiters = map[string]rune{"COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'}

type ingestJob struct {
	id, object, operation, extIDField string
	lineEnding, delimiter             string
	apiVersion                        string
	createdBy                         string
	created, modstamp                 time.Time
	state                             string
	uploaded                          bool
	data                              []byte
	closedAt                          time.Time
	delay                             time.Duration
	processed, failed                 int
	errorMessage                      string
	header                            []string
	success, failures, unprocessed    [][]string
	deleted                           bool
}

func (o *org) job(id string) *ingestJob {
	for _, j := range o.jobs {
		if !j.deleted && id15(j.id) == id15(id) {
			return j
		}
	}
	return nil
}

func (j *ingestJob) info(full bool) *ordered {
	o := newOrdered().set("id", j.id).set("operation", j.operation).set("object", j.object).
		set("createdById", j.createdBy).set("createdDate", formatTime(j.created)).
		set("systemModstamp", formatTime(j.modstamp)).set("state", j.state)
	if j.extIDField != "" {
		o.set("externalIdFieldName", j.extIDField)
	}
	o.set("concurrencyMode", "Parallel").set("contentType", "CSV").set("apiVersion", json.Number(j.apiVersion))
	if full {
		o.set("jobType", "V2Ingest")
	}
	if j.state == StateOpen {
		o.set("contentUrl", fmt.Sprintf("services/data/v%s/jobs/ingest/%s/batches", j.apiVersion, j.id))
	}
	o.set("lineEnding", j.lineEnding).set("columnDelimiter", j.delimiter)
	if full {
		ms := 0
		if j.processed > 0 {
			ms = 40 + j.processed/10
		}
		o.set("numberRecordsProcessed", j.processed).set("numberRecordsFailed", j.failed).set("retries", 0).
			set("totalProcessingTime", ms).set("apiActiveProcessingTime", ms).set("apexProcessingTime", 0)
		if j.state == StateFailed {
			o.set("errorMessage", j.errorMessage)
		}
	}
	return o
}

func readJSONBody(c *call, v any) bool {
	dec := json.NewDecoder(io.LimitReader(c.r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		writeErrors(c.w, http.StatusBadRequest, "JSON_PARSER_ERROR", fmt.Sprintf("Cannot deserialize request body: %v", err))
		return false
	}
	return true
}

func handleIngestCreate(c *call) {
	s := c.s
	var req struct {
		Object              string `json:"object"`
		Operation           string `json:"operation"`
		ExternalIDFieldName string `json:"externalIdFieldName"`
		ContentType         string `json:"contentType"`
		LineEnding          string `json:"lineEnding"`
		ColumnDelimiter     string `json:"columnDelimiter"`
		AssignmentRuleID    string `json:"assignmentRuleId"`
	}
	if !readJSONBody(c, &req) {
		return
	}
	switch req.Operation {
	case "insert", "update", "upsert", "delete", "hardDelete":
	default:
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("InvalidJob : Invalid job operation: %s", req.Operation))
		return
	}
	t := s.org.tables[strings.ToLower(req.Object)]
	if t == nil || !t.obj.Createable {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDENTITY", fmt.Sprintf("Entity '%s' is not supported by the Bulk API.", req.Object))
		return
	}
	ext := ""
	if req.Operation == "upsert" {
		if req.ExternalIDFieldName == "" {
			writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : External ID field is required for upsert operation")
			return
		}
		f := t.field(req.ExternalIDFieldName)
		if f == nil || (!f.ExternalID && f.Name != "Id") {
			writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("InvalidJob : Field %s is not an external ID field of %s", req.ExternalIDFieldName, t.obj.Name))
			return
		}
		ext = f.Name
	}
	if req.ContentType != "" && req.ContentType != "CSV" {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("InvalidJob : Unsupported content type: %s", req.ContentType))
		return
	}
	le := req.LineEnding
	if le == "" {
		le = "LF"
	}
	del := req.ColumnDelimiter
	if del == "" {
		del = "COMMA"
	}
	if _, ok := delimiters[del]; !ok || (le != "LF" && le != "CRLF") {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : Invalid lineEnding or columnDelimiter")
		return
	}
	now := s.org.now().UTC().Truncate(time.Second)
	j := &ingestJob{
		id: makeID("750", 300000+s.org.nextSeq()), object: t.obj.Name, operation: req.Operation, extIDField: ext,
		lineEnding: le, delimiter: del, apiVersion: c.ver, createdBy: c.user.ID, created: now, modstamp: now, state: StateOpen,
	}
	s.org.jobs = append(s.org.jobs, j)
	writeJSON(c.w, http.StatusOK, j.info(false))
}

func handleIngestList(c *call) {
	recs := []*ordered{}
	for _, j := range c.s.org.jobs {
		if !j.deleted {
			recs = append(recs, j.info(true))
		}
	}
	writeJSON(c.w, http.StatusOK, newOrdered().set("done", true).set("records", recs).set("nextRecordsUrl", nil))
}

func (c *call) job() *ingestJob {
	j := c.s.org.job(c.r.PathValue("id"))
	if j == nil {
		writeErrors(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
	return j
}

func handleIngestGet(c *call) {
	if j := c.job(); j != nil {
		writeJSON(c.w, http.StatusOK, j.info(true))
	}
}

func handleIngestUpload(c *call) {
	s := c.s
	j := c.job()
	if j == nil {
		return
	}
	if j.uploaded && j.state == StateOpen {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Found multiple contents for job: <%s>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.", j.id))
		return
	}
	if j.state != StateOpen {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Job %s is not in Open state: %s", j.id, j.state))
		return
	}
	if ct := c.r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "text/csv") {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("InvalidJob : Unsupported content type for upload: %q; use text/csv", ct))
		return
	}
	var body io.Reader = c.r.Body
	if strings.EqualFold(c.r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(c.r.Body)
		if err != nil {
			writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : invalid gzip content")
			return
		}
		body = zr
	}
	limit := s.cfg.maxUploadBytes
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : could not read content")
		return
	}
	if int64(len(data)) > limit {
		writeErrors(c.w, http.StatusBadRequest, "EXCEEDED_MAX_SIZE_REQUEST", fmt.Sprintf("Exceeded max size limit of %d bytes for job data", limit))
		return
	}
	j.data = data
	j.uploaded = true
	j.modstamp = s.org.now().UTC().Truncate(time.Second)
	c.w.WriteHeader(http.StatusCreated)
}

func handleIngestPatch(c *call) {
	s := c.s
	j := c.job()
	if j == nil {
		return
	}
	var req struct {
		State string `json:"state"`
	}
	if !readJSONBody(c, &req) {
		return
	}
	switch {
	case req.State == StateUploadComplete && j.state == StateOpen:
		j.state = StateUploadComplete
		j.closedAt = time.Now()
		j.delay = s.jobDelay
	case req.State == StateAborted && (j.state == StateOpen || j.state == StateUploadComplete || j.state == StateInProgress):
		j.state = StateAborted
		j.parseForUnprocessed()
	default:
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Invalid state transition from %s to %s", j.state, req.State))
		return
	}
	j.modstamp = s.org.now().UTC().Truncate(time.Second)
	writeJSON(c.w, http.StatusOK, j.info(true))
}

func handleIngestDelete(c *call) {
	j := c.job()
	if j == nil {
		return
	}
	if j.state == StateOpen || j.state == StateInProgress {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Cannot delete job %s in state %s", j.id, j.state))
		return
	}
	j.deleted = true
	c.w.WriteHeader(http.StatusNoContent)
}

func handleIngestResults(c *call) {
	j := c.job()
	if j == nil {
		return
	}
	kind := strings.ToLower(strings.TrimSuffix(c.r.URL.Path, "/"))
	kind = kind[strings.LastIndexByte(kind, '/')+1:]
	var head []string
	var rows [][]string
	final := j.state == StateJobComplete || j.state == StateFailed || j.state == StateAborted
	switch kind {
	case "successfulresults":
		head = append([]string{"sf__Id", "sf__Created"}, j.header...)
		if final {
			rows = j.success
		}
	case "failedresults":
		head = append([]string{"sf__Id", "sf__Error"}, j.header...)
		if final {
			rows = j.failures
		}
	default:
		head = j.header
		if final {
			rows = j.unprocessed
		}
	}
	c.w.Header().Set("Content-Type", "text/csv")
	c.w.WriteHeader(http.StatusOK)
	writeQuotedCSV(c.w, head, rows)
}

// writeQuotedCSV writes every value double-quoted with LF line endings, as Salesforce does.
func writeQuotedCSV(w io.Writer, head []string, rows [][]string) {
	var b bytes.Buffer
	line := func(vals []string) {
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(v, `"`, `""`))
			b.WriteByte('"')
		}
		b.WriteByte('\n')
	}
	if len(head) > 0 {
		line(head)
	}
	for _, r := range rows {
		line(r)
	}
	w.Write(b.Bytes())
}

// advanceJobs moves closed jobs along by elapsed time and processes the due ones.
func (o *org) advanceJobs(s *Server) {
	for _, j := range o.jobs {
		if j.state != StateUploadComplete && j.state != StateInProgress {
			continue
		}
		el := time.Since(j.closedAt)
		switch {
		case el >= j.delay:
			o.process(s, j)
		case el >= j.delay/2:
			j.state = StateInProgress
		}
	}
	for _, j := range o.queryJobs {
		if (j.state == StateUploadComplete || j.state == StateInProgress) && time.Since(j.createdAt) >= j.delay {
			j.state = StateJobComplete
		} else if j.state == StateUploadComplete && time.Since(j.createdAt) >= j.delay/2 {
			j.state = StateInProgress
		}
	}
}

func (j *ingestJob) reader() *csv.Reader {
	r := csv.NewReader(bytes.NewReader(j.data))
	r.Comma = delimiters[j.delimiter]
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	return r
}

// parseForUnprocessed fills header and unprocessed rows from the upload, for jobs that end
// without processing (Aborted, Failed).
func (j *ingestJob) parseForUnprocessed() {
	r := j.reader()
	head, err := r.Read()
	if err != nil {
		return
	}
	j.header = head
	j.unprocessed = nil
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		j.unprocessed = append(j.unprocessed, rec)
	}
}

func (j *ingestJob) fail(msg string) {
	j.state = StateFailed
	j.errorMessage = msg
	j.parseForUnprocessed()
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

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
	t := o.tables[strings.ToLower(j.object)]
	if !j.uploaded {
		j.fail("InvalidBatch : No content was uploaded for this job")
		return
	}
	if j.lineEnding == "LF" {
		first, _, _ := bytes.Cut(j.data, []byte("\n"))
		if bytes.HasSuffix(first, []byte("\r")) {
			cols := strings.Split(string(first), string(delimiters[j.delimiter]))
			j.fail("InvalidBatch : Field name not found : " + cols[len(cols)-1])
			return
		}
	}
	r := j.reader()
	head, err := r.Read()
	if err != nil {
		j.fail("InvalidBatch : Failed to parse CSV header: " + err.Error())
		return
	}
	j.header = head
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			j.fail("InvalidBatch : Failed to parse CSV: " + err.Error())
			return
		}
		if len(rec) != len(head) {
			line, _ := r.FieldPos(0)
			j.fail(fmt.Sprintf("InvalidBatch : Wrong number of columns at line %d: found %d, expected %d", line, len(rec), len(head)))
			return
		}
		rows = append(rows, rec)
	}
	cols := make([]column, len(head))
	seen := map[string]bool{}
	keyCol, idCol := -1, -1
	for i, h := range head {
		lh := strings.ToLower(h)
		if seen[lh] {
			j.fail("InvalidBatch : Duplicate field name: " + h)
			return
		}
		seen[lh] = true
		col := column{name: h}
		if rel, pf, ok := strings.Cut(h, "."); ok {
			rf := t.rels[strings.ToLower(rel)]
			var pt *table
			if rf != nil {
				pt = o.tables[strings.ToLower(rf.ReferenceTo[0])]
			}
			var pfield *Field
			if pt != nil {
				pfield = pt.field(pf)
			}
			if pfield == nil || (!pfield.ExternalID && !pfield.IDLookup) {
				j.fail("InvalidBatch : Field name not found : " + h)
				return
			}
			col.field, col.parentTable, col.parentField = rf, pt, pfield
		} else {
			f := t.field(h)
			if f == nil {
				j.fail("InvalidBatch : Field name not found : " + h)
				return
			}
			col.field = f
			if f.Name == "Id" {
				idCol = i
			}
			if j.extIDField != "" && f.Name == j.extIDField {
				keyCol = i
			}
		}
		cols[i] = col
	}
	switch j.operation {
	case "upsert":
		if keyCol < 0 {
			j.fail("InvalidBatch : Field name not found : " + j.extIDField)
			return
		}
	case "update", "delete", "hardDelete":
		if idCol < 0 {
			j.fail("InvalidBatch : Field name not found : Id")
			return
		}
		keyCol = idCol
	}

	// Duplicate keys within the job: every row sharing a key fails.
	dup := map[string]int{}
	norm := func(v string) string { return v }
	if keyCol >= 0 {
		kf := cols[keyCol].field
		norm = func(v string) string {
			if kf.Type == "id" {
				return id15(v)
			}
			if !kf.CaseSensitive {
				return strings.ToLower(v)
			}
			return v
		}
		for _, row := range rows {
			if v := row[keyCol]; v != "" {
				dup[norm(v)]++
			}
		}
	}

	// Index the records by key once, so a job costs O(rows + records).
	index := map[string][]record{}
	if keyCol >= 0 {
		kf := cols[keyCol].field
		for _, rec := range t.records {
			if v, ok := rec[kf.Name].(string); ok && v != "" {
				index[norm(v)] = append(index[norm(v)], rec)
			}
		}
	}
	j.success, j.failures, j.unprocessed = nil, nil, nil
	for rowIdx, row := range rows {
		id, created, errText := o.applyRow(s, j, t, cols, keyCol, row, rowIdx, dup, norm, index)
		if errText != "" {
			j.failures = append(j.failures, append([]string{id, errText}, row...))
			continue
		}
		j.success = append(j.success, append([]string{id, strconv.FormatBool(created)}, row...))
	}
	j.processed = len(rows)
	j.failed = len(j.failures)
	j.state = StateJobComplete
	if l := o.limits["DailyBulkApiBatches"]; l != nil {
		l.Remaining -= max(1, (len(rows)+9999)/10000)
	}
	shuffle(j.id+"s", j.success)
	shuffle(j.id+"f", j.failures)
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
func (o *org) applyRow(s *Server, j *ingestJob, t *table, cols []column, keyCol int, row []string, rowIdx int,
	dup map[string]int, norm func(string) string, index map[string][]record) (string, bool, string) {
	var target record
	var targetID string
	if keyCol >= 0 {
		key := row[keyCol]
		if e, ok := s.rowFault(key); ok {
			return "", false, e
		}
		kf := cols[keyCol].field
		if key == "" {
			if j.operation == "upsert" && kf.Name == "Id" {
				// upsert on Id with an empty Id inserts
			} else if j.operation == "upsert" {
				return "", false, sfErr("MISSING_ARGUMENT", kf.Name+" not specified")
			} else {
				return "", false, sfErr("MISSING_ARGUMENT", "Id not specified in an update call")
			}
		} else {
			if dup[norm(key)] > 1 {
				return "", false, sfErr("DUPLICATE_EXTERNAL_ID", "Duplicate external id specified: "+key, kf.Name)
			}
			var matches []record
			for _, rec := range index[norm(key)] {
				if rec["IsDeleted"] != true {
					matches = append(matches, rec)
				}
			}
			switch {
			case len(matches) > 1:
				ids := make([]string, len(matches))
				for i, m := range matches {
					ids[i] = m["Id"].(string)
				}
				return "", false, sfErr("DUPLICATE_EXTERNAL_ID", fmt.Sprintf("%s: more than one record found for external id field: %v", t.obj.Name, ids))
			case len(matches) == 1:
				target = matches[0]
				targetID = target["Id"].(string)
			case j.operation != "upsert":
				return "", false, sfErr("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			}
		}
	} else {
		for i, col := range cols {
			if col.parentField == nil && col.field.ExternalID {
				if e, ok := s.rowFault(row[i]); ok {
					return "", false, e
				}
			}
		}
	}
	if j.operation == "delete" || j.operation == "hardDelete" {
		target["IsDeleted"] = true
		o.touch(target, j.createdBy)
		if j.operation == "hardDelete" {
			delete(t.byID, id15(targetID))
			for i, rec := range t.records {
				if rec["Id"] == targetID {
					t.records = append(t.records[:i:i], t.records[i+1:]...)
					break
				}
			}
		}
		return targetID, false, ""
	}
	creating := target == nil

	// Parse every cell.
	vals := map[string]any{} // field name -> new value (nil = null)
	for i, col := range cols {
		raw := row[i]
		f := col.field
		if i == keyCol && !creating {
			continue
		}
		if raw == "" {
			continue // empty: null on create, unchanged on update
		}
		if f.Name == "Id" {
			if j.operation == "insert" {
				return targetID, false, sfErr("INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", "Id")
			}
			continue
		}
		if (creating && !f.Createable) || (!creating && !f.Updateable) {
			return targetID, false, sfErr("INVALID_FIELD_FOR_INSERT_UPDATE", fmt.Sprintf("Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name), f.Name)
		}
		if raw == "#N/A" {
			vals[f.Name] = nil
			continue
		}
		if col.parentField != nil {
			var parentID string
			for _, p := range col.parentTable.records {
				if v, ok := p[col.parentField.Name].(string); ok && p["IsDeleted"] != true && equalValues(col.parentField, v, raw) {
					parentID = p["Id"].(string)
					break
				}
			}
			if parentID == "" {
				return targetID, false, sfErr("INVALID_FIELD", fmt.Sprintf("Foreign key external ID: %s not found for field %s in entity %s", raw, col.parentField.Name, col.parentTable.obj.Name))
			}
			vals[f.Name] = parentID
			continue
		}
		v, errText := parseCell(o, f, raw, i+1)
		if errText != "" {
			return targetID, false, errText
		}
		vals[f.Name] = v
	}

	// Required fields.
	var missing []string
	for i := range t.obj.Fields {
		f := &t.obj.Fields[i]
		if !f.Createable || f.Nillable || f.DefaultedOnCreate || f.Type == "boolean" {
			continue
		}
		v, set := vals[f.Name]
		if creating && (!set || v == nil) || !creating && set && v == nil {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return targetID, false, sfErr("REQUIRED_FIELD_MISSING", "Required fields are missing: ["+strings.Join(missing, ", ")+"]", missing...)
	}

	// The package's old-timestamp rule.
	if !creating && t.obj.OldTimestampField != "" {
		f := t.field(t.obj.OldTimestampField)
		if f != nil {
			in, _ := vals[f.Name].(time.Time)
			old, _ := target[f.Name].(time.Time)
			if !in.IsZero() && !old.IsZero() && in.Before(old) {
				return targetID, false, sfErr("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Cannot update record due to old timestamp")
			}
		}
	}

	// Unique fields.
	for name, v := range vals {
		f := t.field(name)
		if !f.Unique || v == nil || (keyCol >= 0 && f == cols[keyCol].field) {
			continue // the key was matched through the index above
		}
		for _, rec := range t.records {
			if rec["IsDeleted"] == true || (target != nil && rec["Id"] == target["Id"]) {
				continue
			}
			if rv := rec[f.Name]; rv != nil && equalValues(f, rv, v) {
				return targetID, false, sfErr("DUPLICATE_VALUE", fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", f.Name, rec["Id"]))
			}
		}
	}

	if creating {
		rec := record{}
		for k, v := range vals {
			rec[k] = v
		}
		if keyCol >= 0 && cols[keyCol].field.Name != "Id" {
			rec[cols[keyCol].field.Name] = row[keyCol]
		}
		o.insert(t, rec, j.createdBy)
		if keyCol >= 0 {
			k := norm(row[keyCol])
			index[k] = append(index[k], rec)
		}
		return rec["Id"].(string), true, ""
	}
	for k, v := range vals {
		target[k] = v
	}
	o.touch(target, j.createdBy)
	return targetID, false, ""
}

// parseCell converts a CSV cell for field f; col is the 1-based column for messages.
func parseCell(o *org, f *Field, raw string, col int) (any, string) {
	deser := func(xsd string) string {
		return sfErr("INVALID_FIELD", fmt.Sprintf("Failed to deserialize field at col %d. Due to, '%s' is not a valid value for the type %s", col, raw, xsd))
	}
	switch f.Type {
	case "double", "percent", "currency", "int", "long":
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil || strings.ContainsAny(raw, "eExX_") {
			if f.Type == "int" {
				return nil, deser("xsd:int")
			}
			return nil, deser("xsd:double")
		}
		return n, ""
	case "boolean":
		switch strings.ToLower(raw) {
		case "true", "1", "yes":
			return true, ""
		case "false", "0", "no":
			return false, ""
		}
		return nil, deser("xsd:boolean")
	case "date":
		if _, err := time.Parse(time.DateOnly, raw); err != nil {
			return nil, deser("xsd:date")
		}
		return raw, ""
	case "datetime":
		tm, err := parseDateTime(raw)
		if err != nil || len(raw) < 19 {
			return nil, deser("xsd:dateTime")
		}
		return tm.Truncate(time.Millisecond), ""
	case "email":
		if !emailRE.MatchString(raw) {
			return nil, sfErr("INVALID_EMAIL_ADDRESS", fmt.Sprintf("%s: invalid email address: %s", f.Label, raw), f.Name)
		}
	case "picklist":
		if f.RestrictedPicklist {
			ok := false
			for _, p := range f.PicklistValues {
				if p.Active && p.Value == raw {
					ok = true
				}
			}
			if !ok {
				return nil, sfErr("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", fmt.Sprintf("%s: bad value for restricted picklist field: %s", f.Label, raw), f.Name)
			}
		}
	case "reference":
		if len(raw) != 15 && len(raw) != 18 {
			return nil, sfErr("MALFORMED_ID", fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, raw), f.Name)
		}
		var pt *table
		for _, to := range f.ReferenceTo {
			if tt := o.tables[strings.ToLower(to)]; tt != nil && strings.HasPrefix(raw, tt.obj.KeyPrefix) {
				pt = tt
			}
		}
		if pt == nil {
			return nil, sfErr("FIELD_INTEGRITY_EXCEPTION", fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, raw), f.Name)
		}
		if p := pt.get(raw); p == nil || p["IsDeleted"] == true {
			return nil, sfErr("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
		}
		return pt.get(raw)["Id"], ""
	}
	if f.Length > 0 && utf8.RuneCountInString(raw) > f.Length {
		return nil, sfErr("STRING_TOO_LONG", fmt.Sprintf("%s: data value too large: %s (max length=%d)", f.Label, raw, f.Length), f.Name)
	}
	return raw, ""
}

package backfill

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// Plan runs the dry run: it discovers the target in Salesforce, reads the export, looks up
// which candidate keys already exist, and writes the run folder; it changes nothing in
// Salesforce. It returns the summary; its Status is [StatusTooManyRejected], with a
// [*RejectedError], when the plan must not be loaded.
func Plan(ctx context.Context, opts PlanOptions) (*Summary, error) {
	j := newJob(opts.Front)
	defer j.close()
	w, err := makePlan(ctx, j, &opts, CmdPlan)
	if w == nil {
		return nil, err
	}
	w.folder.Unlock()
	return w.summary, err
}

// planning is a plan being made: what the first pass and discovery found, before the run
// folder exists.
type planning struct {
	j         *job
	opts      *PlanOptions
	sf        Salesforce
	idx       *csvdiff.Index
	target    *Target
	preflight *PreflightReport // the blocking checks, run read-only
}

// makePlan makes a plan and returns its run folder, opened for work (locked). Order matters
// for people: every option and the export's header are checked first, then the login and
// the target, and only then is the export read in full. When the plan is written but must
// not be loaded (too many rejected rows) it returns the folder with a [*RejectedError].
func makePlan(ctx context.Context, j *job, opts *PlanOptions, command Command) (*workFolder, error) {
	if err := opts.Export.validate(); err != nil {
		return nil, err
	}
	if err := validateOrg(opts.Org, opts.Target.Mapping); err != nil {
		return nil, err
	}
	if err := validateOut(&opts.Out); err != nil {
		return nil, err
	}
	p := &planning{j: j, opts: opts}
	started := j.now()
	h, err := readHeader(&opts.Export)
	if err != nil && !keyFromSDL(opts, err) {
		return nil, err
	}
	if p.sf, err = j.connect(ctx, opts.Org); err != nil {
		return nil, err
	}
	if p.target, err = targetForExport(ctx, p.sf, j, opts, h); err != nil {
		return nil, err
	}
	logTarget(j.log, p.target)
	if p.idx, err = scanExport(ctx, j, &opts.Export, p.target.scanSpec()); err != nil {
		return nil, err
	}
	// What an import of this plan would refuse on, read-only, for the summary.
	p.preflight = runChecks(ctx, p.sf, j, opts.checkOptions(), checkScope{ids: blockingChecks, idx: p.idx, header: p.target.header, target: p.target})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j.log.Info("export scanned", zap.String("file", opts.Export.File), zap.Int("rows", p.idx.Rows()),
		zap.String("key_column", p.idx.Header.KeyName()), zap.Strings("date_columns", p.idx.Header.DateNames()),
		zap.Int("candidates", p.idx.NumCandidates()))
	ex, err := lookupExisting(ctx, p.sf, j, p.target, p.idx)
	if err != nil {
		return nil, err
	}
	folder, err := createFolder(j, opts.Out, command, started)
	if err != nil {
		return nil, err
	}
	if err := j.attach(folder); err != nil {
		folder.Remove()
		return nil, err
	}
	w, err := p.write(ctx, folder, ex, command, started)
	if err != nil {
		folder.Remove()
		return nil, err
	}
	// The plan is complete: only now does the folder take its name.
	if err := folder.Commit(); err != nil {
		folder.Remove()
		return nil, err
	}
	w.dir = folder.Dir
	w.journal = &runfolder.JournalState{Planned: true, PlanID: w.info.Seal.ID, Parts: map[int]*runfolder.PartState{}}
	return w, checkRejected(w.summary)
}

// checkOptions are what preflight's checks need of a plan's options.
func (o *PlanOptions) checkOptions() checkOptions {
	return checkOptions{export: &o.Export, target: o.Target, org: o.Org, updateStale: o.UpdateStale}
}

// keyFromSDL reports whether a header error can wait: the export has no "External Id"
// column, but the .sdl may name the key column (a line mapping it to the external id
// field), which is known once the target is found.
func keyFromSDL(opts *PlanOptions, err error) bool {
	return opts.Export.KeyColumn == "" && opts.Target.Mapping != "" && errors.Is(err, csvdiff.ErrNoKeyColumn)
}

// targetForExport discovers the target and maps the export's columns to it: the key
// column is the one the .sdl maps to the external id field, when it maps one. h is the
// export's header when it could be read before discovery (nil when the key column comes
// from the .sdl).
func targetForExport(ctx context.Context, sf Salesforce, j *job, opts *PlanOptions, h *csvdiff.Header) (*Target, error) {
	t, err := discover(ctx, sf, j.words(), opts.Target, false, nil, nil)
	if err != nil {
		return nil, err
	}
	if opts.Export.KeyColumn == "" && opts.Target.Mapping != "" {
		sdl, err := readMapping(j.words(), opts.Target.Mapping)
		if err != nil {
			return nil, err
		}
		if col := sdl.columnOf(t.ExternalIDField); col != "" {
			opts.Export.KeyColumn = col
			h = nil // read again with the key column the .sdl names
		}
	}
	if h == nil {
		if h, err = readHeader(&opts.Export); err != nil {
			return nil, err
		}
	}
	if err := t.mapExport(j.words(), opts.Target.Mapping, len(opts.Export.DateColumns) > 0, h); err != nil {
		return nil, err
	}
	if _, err := t.orderColumn(opts.Target.OrderBy); err != nil {
		return nil, err
	}
	return t, nil
}

// write runs the second pass into the run folder and writes plan.json, summary.json, the
// report and the journal's first line; it returns the folder, opened for work.
func (p *planning) write(ctx context.Context, folder *runfolder.Folder, ex *existingSet, command Command, started time.Time) (*workFolder, error) {
	opts, j := p.opts, p.j
	orderCol, _ := p.target.orderColumn(opts.Target.OrderBy) // checked when the target was found
	rows := newPlanRows(p.target, ex, p.idx, opts, orderCol)
	out, err := newOutputs(folder, p.idx, rows, opts.Export.SkippedBeforeCutoff)
	if err != nil {
		return nil, err
	}
	err = emit(ctx, j, opts.Export.File, p.idx, rows, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	sum := newSummary(string(command), &p.idx.Header, &opts.Export, out.counts, started.UTC())
	sum.Keys = keysWord(p.target.foldKeys())
	sum.Object, sum.ExternalIDField = p.target.Object, p.target.ExternalIDField
	sum.Mapping, sum.Unmapped = p.target.mappingSummary()
	sum.RunFolder = folder.Name()
	sum.Files = append(out.Files(), files(runfolder.DifferencesFile, runfolder.ReportFile, runfolder.PlanFile, runfolder.BeforeFile, runfolder.RunLogFile)...)
	sum.ByDay, sum.Reasons = out.stats.Days(), out.stats.Reasons()
	sum.APICalls = p.sf.CallCounts()
	sum.DateLayouts, sum.Warnings = dateLayouts(j.words(), p.idx)
	sum.Foreseen, sum.SkipInvalid = rows.foreseen.list(j.words(), p.target.ObjectLabel), opts.SkipInvalid
	sum.Samples, sum.Options = rows.samples, opts.given()
	sum.Warnings = append(append(sum.Warnings, rejectedWarnings(j.words(), sum)...), cutoffWarning(j, opts.Export.Since)...)
	sum.Warnings = append(sum.Warnings, foreseenWarnings(j.words(), sum.Foreseen)...)
	if p.preflight != nil {
		sum.Preflight, sum.Warnings = p.preflight.Failed(), append(sum.Warnings, preflightWarnings(p.preflight)...)
	}
	sum.decide(false)

	parts := rows.parts(out.toImport.Offset())
	if orderCol >= 0 {
		c := p.target.Columns[orderCol]
		sum.OrderBy = fmt.Sprintf("%s (%s)", c.Column, c.Field.Name)
	}
	sha, err := folder.SHA256(runfolder.ToImportFile)
	if err != nil {
		return nil, err
	}
	info := &runfolder.Plan{Export: opts.Export.File, Object: p.target.Object, ExternalIDField: p.target.ExternalIDField,
		Fields: rows.header(&p.idx.Header), HeaderBytes: rows.hdrLen, ToImportSHA256: sha, Parts: parts,
		Mapping: sum.Mapping, UpdateStale: opts.UpdateStale, InstanceURL: p.sf.InstanceURL(), APIVersion: p.sf.APIVersion(),
		FoldKeys: p.target.foldKeys(), Flags: opts.shaping(), Login: loginOf(opts.Org)}
	w := &workFolder{j: j, folder: folder, info: info, summary: sum, sf: p.sf, preflight: p.preflight}
	if sum.Differences, err = readDifferences(ctx, p.sf, j, folder, info, rows); err != nil {
		return nil, err
	}
	seal, org, err := identify(ctx, p.sf, nil)
	if err != nil {
		return nil, err
	}
	org.Login, sum.Org = info.Login, org
	if err := w.writeSummary(); err != nil {
		return nil, err
	}
	seal.ID, seal.Version = runfolder.NewSealID(), j.front.Version
	if err := folder.WritePlan(info, seal, runfolder.SealedFiles...); err != nil {
		return nil, err
	}
	jr, _, err := folder.OpenJournal(j.now)
	if err != nil {
		return nil, err
	}
	defer jr.Close()
	return w, jr.Add(runfolder.JournalEntry{Event: runfolder.EvPlanned, Plan: seal.ID, Note: fmt.Sprintf("%d parts", len(info.Parts))})
}

// identify returns the org, user and instance a plan is made for, for its seal and its
// summary. org is the Organization record when the caller has read it already, else nil.
func identify(ctx context.Context, sf Salesforce, org *sfclient.Organization) (runfolder.Seal, *OrgInfo, error) {
	if org == nil {
		var err error
		if org, err = sf.Organization(ctx); err != nil {
			return runfolder.Seal{}, nil, fmt.Errorf("read the org's Id for the plan's seal: %w", err)
		}
	}
	s := runfolder.Seal{OrgID: org.ID, OrgName: org.Name, InstanceURL: sf.InstanceURL()}
	info := &OrgInfo{Name: org.Name, ID: org.ID, InstanceURL: sf.InstanceURL(), Sandbox: org.IsSandbox}
	id, err := sf.CurrentUserID(ctx)
	if err != nil {
		return s, nil, fmt.Errorf("read the user for the plan's seal: %w", err)
	}
	u, err := sf.User(ctx, id)
	if err != nil {
		return s, nil, fmt.Errorf("read the user for the plan's seal: %w", err)
	}
	s.User, info.User = u.Username, u.Username
	return s, info, nil
}

// loginOf records how org was given, without its secrets.
func loginOf(org sfclient.Config) *runfolder.Login {
	flow, _ := org.Flow() // checked before the plan was made
	return &runfolder.Login{TargetOrg: org.TargetOrg, InstanceURL: org.InstanceURL, LoginURL: org.LoginURL,
		Sandbox: org.Sandbox, Flow: string(flow)}
}

// planRows decides the outcome of each candidate row against Salesforce (it is the
// csvdiff.Matcher) and writes the rows to load with the fields' API names and Bulk API
// value forms (it is the to_import.csv layout).
type planRows struct {
	t           *Target
	ex          *existingSet
	dps         []csvdiff.DateParser // per t.Columns
	updateStale bool
	maxPart     int64

	num   int      // row whose values are in vals
	vals  [][]byte // converted values, one per t.Columns
	buf   []byte
	offs  []int
	diffs []string

	partList  []runfolder.Part
	partStart int64
	partRows  int
	hdrLen    int64 // bytes of to_import.csv's header line
	sawFirst  bool
	order     *partOrder // nil: rows in the export's order
	rec       []byte
	consts    []string // the values a .sdl sets for every row, after the columns
	// updates are the keys of the rows planned as to_update: the before-image reads them.
	updates *sliceKeys
	// fore judges the rows to load as Salesforce would; foreseen counts what it foresaw;
	// skipInvalid rejects those rows instead of planning them.
	fore        *foreseer
	foreseen    foreseenSet
	skipInvalid bool
	// diff keeps the rows that differ, for differences.csv; updCol is the column of the
	// export's Updated At (-1 for none), which tells whose version is newer.
	diff   diffRows
	updCol int
	dcols  []int // the compared fields that differ in the row being matched
	// samples are the first rows of each outcome written, with the outcome's count.
	samples []OutcomeSample
}

// maxOutcomeSamples is how many rows of each planned outcome the summary shows.
const maxOutcomeSamples = 5

// sample counts row r (to_insert or to_update, its values in vals) and keeps it when it
// is among its outcome's first.
func (pr *planRows) sample(r *csvdiff.Row) {
	o := runfolder.FromDiff(r.Outcome).String()
	i := 0
	for i < len(pr.samples) && pr.samples[i].Outcome != o {
		i++
	}
	if i == len(pr.samples) {
		pr.samples = append(pr.samples, OutcomeSample{Outcome: o, Fields: pr.header(nil)})
	}
	s := &pr.samples[i]
	s.Count++
	if len(s.Rows) < maxOutcomeSamples {
		vals := make([]string, 0, len(pr.vals)+len(pr.consts))
		for _, v := range pr.vals {
			vals = append(vals, string(v))
		}
		s.Rows = append(s.Rows, SampleRow{Line: r.Line, Values: append(vals, pr.consts...)})
	}
}

func newPlanRows(t *Target, ex *existingSet, idx *csvdiff.Index, opts *PlanOptions, orderCol int) *planRows {
	pr := &planRows{t: t, ex: ex, updateStale: opts.UpdateStale, maxPart: maxUploadBytes(opts.Org), vals: make([][]byte, len(t.Columns)),
		updates: &sliceKeys{fold: t.foldKeys()}, fore: newForeseer(t), skipInvalid: opts.SkipInvalid,
		diff: diffRows{fold: t.foldKeys()}, updCol: t.updatedColumn(&idx.Header)}
	for _, f := range t.constantFields() {
		pr.consts = append(pr.consts, t.Constants[f])
	}
	if orderCol >= 0 {
		pr.order = &partOrder{col: orderCol, max: int(pr.maxPart)}
	}
	for _, c := range t.Columns {
		pr.dps = append(pr.dps, idx.DateParserFor(c.Index)) // each column's own date order
	}
	return pr
}

// convert fills r.vals with the row's values in Bulk API form.
func (pr *planRows) convert(r *csvdiff.Row) error {
	f := r.Fields()
	pr.buf = pr.buf[:0]
	offs := pr.offs[:0]
	for i, c := range pr.t.Columns {
		start := len(pr.buf)
		var err error
		v := f[c.Index]
		if c.Source == "key" {
			v = r.Key
		}
		pr.buf, err = appendBulkValue(pr.buf, c.Field.Type, v, pr.dps[i])
		if err != nil {
			return fmt.Errorf("column %d %q: %w %q (field %s is a %s)", c.Index+1, c.Column, err, truncateValue(string(v)), c.Field.Name, c.Field.Type)
		}
		offs = append(offs, start, len(pr.buf))
	}
	pr.offs = offs
	for i := range pr.t.Columns {
		pr.vals[i] = pr.buf[offs[2*i]:offs[2*i+1]:offs[2*i+1]]
	}
	pr.num = r.Num
	return nil
}

func truncateValue(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// Match implements csvdiff.Matcher.
func (pr *planRows) Match(r *csvdiff.Row) (csvdiff.Outcome, string) {
	if err := pr.convert(r); err != nil {
		return csvdiff.Rejected, err.Error()
	}
	id, hashes, ok := pr.ex.lookup(r.Key)
	if !ok {
		return pr.load(r, csvdiff.ToInsert, "")
	}
	pr.diffs, pr.dcols = pr.diffs[:0], pr.dcols[:0]
	for i, c := range pr.ex.compared {
		v := pr.vals[c.col]
		if len(v) == 0 {
			continue // an empty cell leaves the Salesforce value unchanged
		}
		if pr.ex.differs(hashes, i, v) {
			pr.diffs = append(pr.diffs, c.field)
			pr.dcols = append(pr.dcols, i)
		}
	}
	if len(pr.diffs) == 0 {
		return csvdiff.Exists, id
	}
	dr := diffRow{line: r.Line, key: string(r.Key), id: id, outcome: runfolder.Stale, fields: append([]int(nil), pr.dcols...),
		sfAt: pr.ex.updatedAt(hashes)}
	for _, i := range pr.dcols {
		dr.export = append(dr.export, string(pr.vals[pr.ex.compared[i].col]))
	}
	if pr.updCol >= 0 {
		dr.exAt = parseBulkTime(string(pr.vals[pr.updCol]))
	}
	dr.later = laterOf(dr.sfAt, dr.exAt)
	detail := id + ": Salesforce differs in " + strings.Join(pr.diffs, ", ")
	switch dr.later {
	case LaterSalesforce:
		// The package refuses an older version ("old timestamp"): nothing to send.
		detail += fmt.Sprintf("; Salesforce holds a newer version (Updated At %s, the export's %s)", fmtInstant(dr.sfAt), fmtInstant(dr.exAt))
	case LaterExport:
		detail += "; the export's Updated At is later"
	}
	o := csvdiff.Stale
	if pr.updateStale && dr.later != LaterSalesforce {
		o, detail = pr.load(r, csvdiff.ToUpdate, detail)
	}
	if o != csvdiff.Rejected {
		dr.outcome = runfolder.FromDiff(o)
		pr.diff.rows = append(pr.diff.rows, dr)
	}
	return o, detail
}

// load plans row r as o (to_insert or to_update, with detail), unless Salesforce is
// foreseen to refuse it: then its detail begins with the refusal, and with skipInvalid it
// is rejected instead.
func (pr *planRows) load(r *csvdiff.Row, o csvdiff.Outcome, detail string) (csvdiff.Outcome, string) {
	if rf, bad := pr.fore.judge(pr.vals, pr.consts, o == csvdiff.ToInsert); bad {
		d := rf.detail()
		if detail != "" {
			d += "; " + detail
		}
		if pr.skipInvalid {
			pr.foreseen.add(rf, r.Line, runfolder.Rejected)
			return csvdiff.Rejected, d
		}
		pr.foreseen.add(rf, r.Line, runfolder.FromDiff(o))
		detail = d
	}
	if o == csvdiff.ToUpdate {
		pr.updates.keys = append(pr.updates.keys, string(r.Key))
	}
	return o, detail
}

func (pr *planRows) header(*csvdiff.Header) []string {
	h := make([]string, 0, len(pr.t.Columns)+len(pr.t.Constants))
	for _, c := range pr.t.Columns {
		h = append(h, c.Field.Name)
	}
	return append(h, pr.t.constantFields()...)
}

func (pr *planRows) write(w *csvdiff.Writer, _ *csvdiff.Header, r *csvdiff.Row) error {
	if pr.num != r.Num {
		if err := pr.convert(r); err != nil {
			return err
		}
	}
	if !pr.sawFirst {
		pr.hdrLen, pr.sawFirst = w.Offset(), true
	}
	pr.sample(r)
	if pr.order != nil {
		return pr.writeOrdered(w)
	}
	start := w.Offset()
	err := w.Write(pr.vals, pr.consts...)
	// A part is at most maxPart bytes with its header; a record that would pass the limit
	// starts the next part.
	if pr.partRows > 0 && pr.hdrLen+(w.Offset()-pr.partStart) > pr.maxPart {
		pr.partList = append(pr.partList, runfolder.Part{Start: pr.partStart, End: start, Rows: pr.partRows})
		pr.partRows = 0
	}
	if pr.partRows == 0 {
		pr.partStart = start
	}
	pr.partRows++
	return err
}

// writeOrdered adds the row to the part held in memory; when the part is full it is written,
// in order, and the row starts the next one.
func (pr *planRows) writeOrdered(w *csvdiff.Writer) error {
	o := pr.order
	pr.rec = w.AppendRecord(pr.rec[:0], pr.vals, pr.consts...)
	o.add(pr.rec)
	if n := len(o.rows) - 1; n > 0 && pr.hdrLen+o.size() > pr.maxPart {
		return pr.flushPart(w, n)
	}
	return nil
}

// flushPart writes the first n rows held in memory, in order, as the next part.
func (pr *planRows) flushPart(w *csvdiff.Writer, n int) error {
	start := w.Offset()
	if err := pr.order.writeTo(w, n); err != nil {
		return err
	}
	pr.partList = append(pr.partList, runfolder.Part{Start: start, End: w.Offset(), Rows: n})
	return nil
}

// finish writes the rows still held in memory as the last part.
func (pr *planRows) finish(w *csvdiff.Writer) error {
	if pr.order == nil || len(pr.order.rows) == 0 {
		return nil
	}
	return pr.flushPart(w, len(pr.order.rows))
}

// parts closes the last part at end and returns them all.
func (pr *planRows) parts(end int64) []runfolder.Part {
	out := append([]runfolder.Part{}, pr.partList...)
	if pr.partRows > 0 {
		out = append(out, runfolder.Part{Start: pr.partStart, End: end, Rows: pr.partRows})
	}
	return out
}

// existingSet holds, for each candidate key Salesforce already has, the record's Id and a
// hash of each compared field's value in canonical form: enough to tell exists from stale
// in a bounded amount of memory. plan attaches them to its Index's candidates (no second
// table of the same keys: per existing key, the packed Id and 4 bytes per compared field,
// see BenchmarkPlanBytesPerKey); the commands that read records for other keys keep them in
// a KeySet of their own.
type existingSet struct {
	set      *csvdiff.KeySet // nil when idx holds the records
	idx      *csvdiff.Index
	seed     maphash.Seed
	compared []comparedField
	// updated is the compared field whose value is also kept as an instant (the Updated
	// At, differences.go), -1 for none.
	updated int
	buf     []byte
}

type comparedField struct {
	col   int // index into Target.Columns
	field string
	typ   string
}

// newExistingSet keeps, for each record added, its Id and the hashes of the fields compared:
// every field of cols (a plan's columns, in to_import.csv's order) but the external id.
func newExistingSet(cols []runfolder.Mapping, extField string, fold bool, sizeHint int) *existingSet {
	ex := &existingSet{set: csvdiff.NewKeySet(sizeHint, fold)}
	ex.compare(cols, extField)
	return ex
}

// attachedExistingSet is newExistingSet keeping the records with idx's candidates (a record
// whose key is no candidate is dropped: no row would look it up).
func attachedExistingSet(cols []runfolder.Mapping, extField string, idx *csvdiff.Index) *existingSet {
	ex := &existingSet{idx: idx}
	ex.compare(cols, extField)
	return ex
}

func (ex *existingSet) compare(cols []runfolder.Mapping, extField string) {
	ex.seed, ex.updated = maphash.MakeSeed(), -1
	for i, c := range cols {
		if c.Field != extField {
			ex.compared = append(ex.compared, comparedField{col: i, field: c.Field, typ: c.Type})
		}
	}
}

// len is the number of records kept.
func (ex *existingSet) len() int {
	if ex.idx != nil {
		return ex.idx.NumAttached()
	}
	return ex.set.Len()
}

// query is the existence query of object that reads the compared fields, and extra ones.
func (ex *existingSet) query(object, extField string, extra ...string) existenceQuery {
	q := existenceQuery{Object: object, ExtField: extField, Fields: append([]string(nil), extra...)}
	for _, c := range ex.compared {
		q.Fields = append(q.Fields, c.field)
	}
	return q
}

// hash is the hash of a value of a field of type typ in canonical form. Picklist values
// compare case-insensitively, as Salesforce matches them (docs/SALESFORCE.md): an export's
// "Completed" is the record's "completed".
func (ex *existingSet) hash(typ string, v []byte) uint32 {
	if typ == "picklist" {
		v = bytes.ToLower(v)
	}
	return uint32(maphash.Bytes(ex.seed, v))
}

// add records one Salesforce record; get returns a field's value as SOQL decoded it.
func (ex *existingSet) add(key, id string, get func(field string) any) error {
	v := ex.buf[:0]
	if ex.idx == nil {
		v = append(append(v, id...), 0)
	}
	for _, c := range ex.compared {
		h := ex.hash(c.typ, []byte(sfCanonical(c.typ, get(c.field))))
		v = binary.LittleEndian.AppendUint32(v, h)
	}
	if ex.updated >= 0 {
		c := ex.compared[ex.updated]
		v = appendUpdated(v, sfCanonical(c.typ, get(c.field)))
	}
	ex.buf = v
	if ex.idx != nil {
		_, err := ex.idx.Attach([]byte(key), []byte(id), v)
		return err
	}
	return ex.set.Add([]byte(key), v)
}

// lookup returns the Id of key and its stored field hashes (4 bytes per compared field),
// valid until the next lookup.
func (ex *existingSet) lookup(key []byte) (id string, hashes []byte, ok bool) {
	if ex.idx != nil {
		i, h, ok := ex.idx.Attached(key)
		return string(i), h, ok
	}
	v, ok := ex.set.Lookup(key)
	if !ok {
		return "", nil, false
	}
	i := bytes.IndexByte(v, 0)
	return string(v[:i]), v[i+1:], true
}

// differs reports whether value, in canonical form, differs from compared field i's hash.
func (ex *existingSet) differs(hashes []byte, i int, value []byte) bool {
	return ex.hash(ex.compared[i].typ, value) != binary.LittleEndian.Uint32(hashes[4*i:])
}

// differing returns the compared fields (indexes into ex.compared) whose non-empty value in
// rec, a to_import.csv row, differs from the record's: an empty cell leaves a value as it is.
func (ex *existingSet) differing(hashes []byte, rec []string) []int {
	var out []int
	for i, c := range ex.compared {
		if v := rec[c.col]; v != "" && ex.differs(hashes, i, []byte(v)) {
			out = append(out, i)
		}
	}
	return out
}

// readRecords asks Salesforce for the records of keys (the keys of to_import.csv's rows, or
// some of them) and keeps each one's Id and the hashes of the plan's fields, the external id
// aside, to compare with to_import.csv's rows as plan compares. fn, when set, sees each
// record too, for the extra fields asked for.
func readRecords(ctx context.Context, sf Salesforce, j *job, info *runfolder.Plan, keys keySource, extra []string,
	fn func(key string, r sfclient.Record) error) (*existingSet, error) {
	ex := newExistingSet(planColumns(info), info.ExternalIDField, info.FoldKeys, keys.Len())
	q := ex.query(info.Object, info.ExternalIDField, extra...)
	_, err := lookup(ctx, sf, j, q, keys, func(r sfclient.Record) error {
		key := r.String(info.ExternalIDField)
		if fn != nil {
			if err := fn(key, r); err != nil {
				return err
			}
		}
		return ex.add(key, r.String("Id"), func(field string) any { v, _ := r.Get(field); return v })
	})
	return ex, err
}

// timeSet holds one instant per key (a record's Updated At or LastModifiedDate).
type timeSet struct{ set *csvdiff.KeySet }

func newTimeSet(fold bool) timeSet { return timeSet{csvdiff.NewKeySet(0, fold)} }

func (s timeSet) add(key string, t time.Time) error {
	return s.set.Add([]byte(key), binary.LittleEndian.AppendUint64(nil, uint64(t.UnixNano())))
}

func (s timeSet) get(key string) (time.Time, bool) {
	v, ok := s.set.Lookup([]byte(key))
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.LittleEndian.Uint64(v))).UTC(), true
}

// lookupExisting asks Salesforce which candidate keys exist, keeping the Id and the
// compared fields' hashes of each.
func lookupExisting(ctx context.Context, sf Salesforce, j *job, t *Target, idx *csvdiff.Index) (*existingSet, error) {
	cols, _ := t.mappingSummary()
	ex := attachedExistingSet(cols, t.ExternalIDField, idx)
	ex.keepUpdated(t.updatedColumn(&idx.Header))
	q := ex.query(t.Object, t.ExternalIDField)
	_, err := lookup(ctx, sf, j, q, indexKeys{idx}, func(r sfclient.Record) error {
		key := r.String(t.ExternalIDField)
		if key == "" {
			return nil
		}
		return ex.add(key, r.String("Id"), func(field string) any { v, _ := r.Get(field); return v })
	})
	if err != nil {
		return nil, err
	}
	j.log.Info("existing records found", zap.Int("count", ex.len()))
	return ex, nil
}

// maxUploadBytes is the most CSV bytes per Bulk job.
func maxUploadBytes(org sfclient.Config) int64 {
	if org.MaxUploadBytes > 0 {
		return org.MaxUploadBytes
	}
	return sfclient.DefaultMaxUploadBytes
}

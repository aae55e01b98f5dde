package backfill

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// planFile is plan.json: what `import --plan DIR` and `resume DIR` need to load exactly the
// reviewed plan.
const planFile = "plan.json"

// PlanInfo is plan.json.
type PlanInfo struct {
	Export          string          `json:"export"`
	Object          string          `json:"object"`
	ExternalIDField string          `json:"external_id_field"`
	Fields          []string        `json:"fields"`       // to_import.csv's header
	HeaderBytes     int64           `json:"header_bytes"` // length of that header line
	ToImportSHA256  string          `json:"to_import_sha256"`
	Parts           []Part          `json:"parts"`
	Mapping         []ColumnMapping `json:"mapping"`
	UpdateStale     bool            `json:"update_stale"`
	InstanceURL     string          `json:"instance_url"`
	APIVersion      string          `json:"api_version"`
}

// Part is a byte range of to_import.csv's records uploaded as one Bulk job (the header is
// sent before each part).
type Part struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	Rows  int   `json:"rows"`
}

// planRun is a plan being made or loaded.
type planRun struct {
	cfg     *Config
	log     *zap.Logger
	client  *sfclient.Client
	idx     *csvdiff.Index
	target  *Target
	folder  *RunFolder
	summary *Summary
	info    *PlanInfo
}

// Plan runs `backfill plan`: the dry run. It reads the export, discovers the target in
// Salesforce, looks up which candidate keys already exist, and writes the run folder; it
// changes nothing in Salesforce. It prints the summary to stdout and returns it.
func Plan(ctx context.Context, cfg Config, stdout io.Writer) (*Summary, error) {
	rl := withRunLog(&cfg)
	defer rl.close()
	p, err := makePlan(ctx, &cfg, "plan", rl)
	if err != nil {
		return nil, err
	}
	return p.summary, PrintSummary(stdout, p.summary, cfg.Format)
}

// makePlan does the work of Plan and of the planning half of Import.
func makePlan(ctx context.Context, cfg *Config, command string, rl *runLog) (*planRun, error) {
	if err := cfg.ValidatePlan(); err != nil {
		return nil, err
	}
	p := &planRun{cfg: cfg, log: cfg.logger()}
	started := cfg.now()
	var err error
	if p.idx, err = scanExport(ctx, cfg); err != nil {
		return nil, err
	}
	p.log.Info("export scanned", zap.String("file", cfg.Export), zap.Int("rows", p.idx.Rows()),
		zap.String("key_column", p.idx.Header.KeyName()), zap.Strings("date_columns", p.idx.Header.DateNames()),
		zap.Int("candidates", p.idx.NumCandidates()))
	if p.client, err = connect(ctx, cfg); err != nil {
		return nil, err
	}
	if p.target, err = discover(ctx, p.client, &p.idx.Header, cfg, p.log); err != nil {
		return nil, err
	}
	ex, err := lookupExisting(ctx, p.client, p.target, p.idx, p.log)
	if err != nil {
		return nil, err
	}
	if p.folder, err = createRunFolder(cfg.Out, started); err != nil {
		return nil, err
	}
	if err := rl.attach(p.folder); err != nil {
		p.folder.Remove()
		return nil, err
	}
	if err := p.write(ctx, ex, command, started); err != nil {
		p.folder.Remove()
		return nil, err
	}
	return p, nil
}

// write runs the second pass into the run folder and writes plan.json, summary.json, the
// report and the journal's first line.
func (p *planRun) write(ctx context.Context, ex *existingSet, command string, started time.Time) error {
	cfg := p.cfg
	f, err := os.Open(cfg.Export)
	if err != nil {
		return inputError(err)
	}
	defer f.Close()
	rows := newPlanRows(p.target, ex, p.idx, cfg.UpdateStale, maxUploadBytes(cfg))
	out, err := newOutputs(p.folder, p.idx, rows, cfg.SkippedBeforeCutoff)
	if err != nil {
		return err
	}
	counts, err := p.idx.Emit(ctx, f, rows, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	sum := newSummary(command, &p.idx.Header, cfg, counts, started.UTC())
	sum.Object, sum.ExternalIDField = p.target.Object, p.target.ExternalIDField
	sum.Mapping, sum.Unmapped = p.target.mappingSummary()
	sum.RunFolder = p.folder.Dir
	sum.Files = append(out.Files(), reportFileLine, planFile+"       what import --plan loads: object, external id, parts, checksum",
		runLogName+"         the run's log (JSON lines)")
	sum.ByDay, sum.Reasons = out.stats.Days(), out.stats.Reasons()
	sum.APICalls = p.client.CallCounts()
	p.summary = sum

	sha, err := fileSHA256(p.folder.Path("to_import.csv"))
	if err != nil {
		return err
	}
	p.info = &PlanInfo{Export: cfg.Export, Object: p.target.Object, ExternalIDField: p.target.ExternalIDField,
		Fields: rows.header(&p.idx.Header), HeaderBytes: rows.hdrLen, ToImportSHA256: sha, Parts: rows.parts(out.toImport.Offset()),
		Mapping: sum.Mapping, UpdateStale: cfg.UpdateStale, InstanceURL: p.client.InstanceURL(), APIVersion: p.client.APIVersion()}
	if err := p.folder.writeJSON(planFile, p.info); err != nil {
		return err
	}
	j, err := openJournal(p.folder, cfg.now)
	if err != nil {
		return err
	}
	defer j.Close()
	if err := j.add(journalEntry{Event: evPlanned, Note: fmt.Sprintf("%d parts", len(p.info.Parts))}); err != nil {
		return err
	}
	return p.finishSummary()
}

// finishSummary stamps, writes summary.json and the report.
func (p *planRun) finishSummary() error {
	p.summary.FinishedAt = p.cfg.now()
	if err := writeReplace(p.folder, "summary.json", p.summary); err != nil {
		return err
	}
	return WriteReport(p.folder, p.summary)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeReplace writes v as JSON to name through a temporary file and a rename, so a crash
// never leaves a half-written file.
func writeReplace(folder *RunFolder, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := folder.Path(name + ".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), filePerm); err != nil {
		return err
	}
	return os.Rename(tmp, folder.Path(name))
}

// planRows decides the outcome of each candidate row against Salesforce (it is the
// csvdiff.Matcher) and writes the rows to load with the fields' API names and Bulk API
// value forms (it is the to_import.csv layout).
type planRows struct {
	t           *Target
	ex          *existingSet
	dp          csvdiff.DateParser
	updateStale bool
	maxPart     int64

	num   int      // row whose values are in vals
	vals  [][]byte // converted values, one per t.Columns
	buf   []byte
	offs  []int
	diffs []string

	partList  []Part
	partStart int64
	partRows  int
	hdrLen    int64 // bytes of to_import.csv's header line
	sawFirst  bool
}

func newPlanRows(t *Target, ex *existingSet, idx *csvdiff.Index, updateStale bool, maxPart int64) *planRows {
	return &planRows{t: t, ex: ex, dp: idx.DateParser(), updateStale: updateStale, maxPart: maxPart, vals: make([][]byte, len(t.Columns))}
}

// convert fills r.vals with the row's values in Bulk API form.
func (pr *planRows) convert(r *csvdiff.Row) error {
	f := r.Fields()
	pr.buf = pr.buf[:0]
	offs := pr.offs[:0]
	for _, c := range pr.t.Columns {
		start := len(pr.buf)
		var err error
		v := f[c.Index]
		if c.Source == "key" {
			v = r.Key
		}
		pr.buf, err = appendBulkValue(pr.buf, c.Field.Type, v, pr.dp)
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
		return csvdiff.ToInsert, ""
	}
	pr.diffs = pr.diffs[:0]
	for i, c := range pr.ex.compared {
		v := pr.vals[c.col]
		if len(v) == 0 {
			continue // an empty cell leaves the Salesforce value unchanged
		}
		if pr.ex.differs(hashes, i, v) {
			pr.diffs = append(pr.diffs, c.field)
		}
	}
	if len(pr.diffs) == 0 {
		return csvdiff.Exists, id
	}
	detail := id + ": Salesforce differs in " + strings.Join(pr.diffs, ", ")
	if pr.updateStale {
		return csvdiff.ToUpdate, detail
	}
	return csvdiff.Stale, detail
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
	start := w.Offset()
	if !pr.sawFirst {
		pr.hdrLen, pr.sawFirst = start, true
	}
	var err error
	if len(pr.t.Constants) == 0 {
		err = w.Write(pr.vals)
	} else {
		consts := pr.t.constantFields()
		extra := make([]string, len(consts))
		for i, f := range consts {
			extra[i] = pr.t.Constants[f]
		}
		err = w.Write(pr.vals, extra...)
	}
	// A part is at most maxPart bytes with its header; a record that would pass the limit
	// starts the next part.
	if pr.partRows > 0 && pr.hdrLen+(w.Offset()-pr.partStart) > pr.maxPart {
		pr.partList = append(pr.partList, Part{Start: pr.partStart, End: start, Rows: pr.partRows})
		pr.partRows = 0
	}
	if pr.partRows == 0 {
		pr.partStart = start
	}
	pr.partRows++
	return err
}

// parts closes the last part at end and returns them all.
func (pr *planRows) parts(end int64) []Part {
	out := append([]Part{}, pr.partList...)
	if pr.partRows > 0 {
		out = append(out, Part{Start: pr.partStart, End: end, Rows: pr.partRows})
	}
	return out
}

// existingSet holds, for each candidate key Salesforce already has, the record's Id and a
// hash of each compared field's value in canonical form: enough to tell exists from stale
// in a bounded amount of memory.
type existingSet struct {
	set      *csvdiff.KeySet
	seed     maphash.Seed
	compared []comparedField
}

type comparedField struct {
	col   int // index into Target.Columns
	field string
	typ   string
}

func newExistingSet(t *Target, sizeHint int) *existingSet {
	ex := &existingSet{set: csvdiff.NewKeySet(sizeHint), seed: maphash.MakeSeed()}
	for i, c := range t.Columns {
		if c.Source == "key" {
			continue
		}
		ex.compared = append(ex.compared, comparedField{col: i, field: c.Field.Name, typ: c.Field.Type})
	}
	return ex
}

func (ex *existingSet) hash(v []byte) uint32 {
	return uint32(maphash.Bytes(ex.seed, v))
}

// add records one Salesforce record; get returns a field's value as SOQL decoded it.
func (ex *existingSet) add(key, id string, get func(field string) any) error {
	v := make([]byte, 0, len(id)+1+4*len(ex.compared))
	v = append(v, id...)
	v = append(v, 0)
	for _, c := range ex.compared {
		h := ex.hash([]byte(sfCanonical(c.typ, get(c.field))))
		v = binary.LittleEndian.AppendUint32(v, h)
	}
	return ex.set.Add([]byte(key), v)
}

// lookup returns the Id of key and its stored field hashes (4 bytes per compared field).
func (ex *existingSet) lookup(key []byte) (id string, hashes []byte, ok bool) {
	v, ok := ex.set.Lookup(key)
	if !ok {
		return "", nil, false
	}
	i := bytes.IndexByte(v, 0)
	return string(v[:i]), v[i+1:], true
}

// differs reports whether value, in canonical form, differs from compared field i's hash.
func (ex *existingSet) differs(hashes []byte, i int, value []byte) bool {
	return ex.hash(value) != binary.LittleEndian.Uint32(hashes[4*i:])
}

// maxUploadBytes is the most CSV bytes per Bulk job.
func maxUploadBytes(cfg *Config) int64 {
	if cfg.Org.MaxUploadBytes > 0 {
		return cfg.Org.MaxUploadBytes
	}
	return sfclient.DefaultMaxUploadBytes
}

package sftest

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Query page sizes (Sforce-Query-Options: batchSize=N is clamped to this range).
const (
	defaultBatchSize = 2000
	minBatchSize     = 200
)

// cursor is an open query locator.
type cursor struct {
	records []*ordered
	batch   int
	base    string // "/services/data/v62.0/query" or ".../tooling/query"
	tooling bool
	entity  string
}

func batchSize(r *http.Request) int {
	for _, opt := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if !ok || !strings.EqualFold(k, "batchSize") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			continue
		}
		return min(max(n, minBatchSize), defaultBatchSize)
	}
	return defaultBatchSize
}

func writeQueryError(w http.ResponseWriter, err error) {
	var qe *queryError
	if errors.As(err, &qe) {
		writeErrors(w, http.StatusBadRequest, qe.Code, qe.Message)
		return
	}
	writeErrors(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", err.Error())
}

func handleQuery(c *call) {
	s := c.s
	q := c.r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		writeErrors(c.w, http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified")
		return
	}
	tooling := strings.HasPrefix(c.name, "tooling")
	var sch schema = restSchema{s.org}
	urlBase := "/services/data/v" + c.ver
	base := urlBase + "/query"
	if tooling {
		sch = toolingSchema{s.org}
		urlBase += "/tooling"
		base = urlBase + "/query"
	} else if c.name == "query-all" {
		base = urlBase + "/queryAll"
	}
	parsed, t, err := compileSOQL(q, sch)
	if err != nil {
		writeQueryError(c.w, err)
		return
	}
	if c.r.URL.Query().Get("columns") == "true" {
		writeJSON(c.w, http.StatusOK, parsed.columnMetadata(t))
		return
	}
	recs := parsed.run(sch, t, c.name == "query-all", c.user)
	cur := &cursor{batch: batchSize(c.r), base: base, tooling: tooling, entity: t.obj.Name}
	if parsed.count {
		cur.records = nil
		s.writeQueryPage(c.w, cur, len(recs), 0)
		return
	}
	for _, rec := range recs {
		cur.records = append(cur.records, parsed.project(sch, t, rec, urlBase))
	}
	s.writeQueryPage(c.w, cur, len(cur.records), 0)
}

func (s *Server) writeQueryPage(w http.ResponseWriter, cur *cursor, total, offset int) {
	end := min(offset+cur.batch, len(cur.records))
	page := cur.records[offset:end]
	if page == nil {
		page = []*ordered{}
	}
	done := end >= len(cur.records)
	var next, locator any
	if !done {
		id := makeID("01g", 200000+s.org.nextSeq())
		s.org.cursors[id] = cur
		locator = fmt.Sprintf("%s-%d", id, end)
		next = cur.base + "/" + locator.(string)
	}
	o := newOrdered()
	if cur.tooling {
		o.set("size", total).set("totalSize", total).set("done", done)
		if !done {
			o.set("nextRecordsUrl", next)
		}
		o.set("queryLocator", locator).set("entityTypeName", cur.entity)
	} else {
		o.set("totalSize", total).set("done", done)
		if !done {
			o.set("nextRecordsUrl", next)
		}
	}
	o.set("records", page)
	writeJSON(w, http.StatusOK, o)
}

func handleQueryMore(c *call) {
	loc := c.r.PathValue("locator")
	i := strings.LastIndexByte(loc, '-')
	var cur *cursor
	var offset int
	if i > 0 {
		cur = c.s.org.cursors[loc[:i]]
		n, err := strconv.Atoi(loc[i+1:])
		if err != nil || n < 0 || (cur != nil && n > len(cur.records)) {
			cur = nil
		}
		offset = n
	}
	if cur == nil || cur.tooling != strings.HasPrefix(c.name, "tooling") {
		writeErrors(c.w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	c.s.writeQueryPage(c.w, cur, len(cur.records), offset)
}

func sobjectURLs(ver, name string) *ordered {
	base := "/services/data/v" + ver + "/sobjects/" + name
	return newOrdered().set("rowTemplate", base+"/{ID}").set("defaultValues", base+"/defaultValues?recordTypeId&fields").
		set("describe", base+"/describe").set("sobject", base)
}

func describeSummary(t *table, ver string) *ordered {
	o := t.obj
	return newOrdered().
		set("activateable", false).set("associateEntityType", nil).set("associateParentEntity", nil).
		set("createable", o.Createable).set("custom", o.Custom).set("customSetting", false).set("deepCloneable", false).
		set("deletable", o.Deletable).set("deprecatedAndHidden", false).set("feedEnabled", false).set("hasSubtypes", false).
		set("isInterface", false).set("isSubtype", false).set("keyPrefix", o.KeyPrefix).set("label", o.Label).
		set("labelPlural", o.LabelPlural).set("layoutable", true).set("mergeable", false).set("mruEnabled", false).
		set("name", o.Name).set("queryable", o.Queryable).set("replicateable", true).set("retrieveable", true).
		set("searchable", true).set("triggerable", true).set("undeletable", o.Deletable).set("updateable", o.Updateable).
		set("urls", sobjectURLs(ver, o.Name))
}

func handleDescribeGlobal(c *call) {
	var objs []*ordered
	for _, name := range c.s.org.names {
		objs = append(objs, describeSummary(c.s.org.tables[strings.ToLower(name)], c.ver))
	}
	writeJSON(c.w, http.StatusOK, newOrdered().set("encoding", "UTF-8").set("maxBatchSize", 200).set("sobjects", objs))
}

func soapType(f *Field) string {
	switch f.Type {
	case "id", "reference":
		return "tns:ID"
	case "double", "percent", "currency":
		return "xsd:double"
	case "int":
		return "xsd:int"
	case "boolean":
		return "xsd:boolean"
	case "date":
		return "xsd:date"
	case "datetime":
		return "xsd:dateTime"
	}
	return "xsd:string"
}

func describeField(f *Field) *ordered {
	custom := strings.HasSuffix(f.Name, "__c")
	var rel, refTo any = nil, f.ReferenceTo
	if f.RelationshipName != "" {
		rel = f.RelationshipName
	}
	if f.ReferenceTo == nil {
		refTo = []string{}
	}
	picks := []*ordered{}
	for _, p := range f.PicklistValues {
		picks = append(picks, newOrdered().set("active", p.Active).set("defaultValue", p.DefaultValue).set("label", p.Label).
			set("validFor", nil).set("value", p.Value))
	}
	text := kindOf(f) == kindText && f.Type != "id" && f.Type != "reference"
	return newOrdered().
		set("aggregatable", f.Type != "textarea").set("aiPredictionField", false).set("autoNumber", f.AutoNumber).
		set("byteLength", f.Length*3).set("calculated", f.Calculated).set("calculatedFormula", nil).set("cascadeDelete", false).
		set("caseSensitive", f.CaseSensitive).set("compoundFieldName", nil).set("controllerName", nil).
		set("createable", f.Createable).set("custom", custom).set("defaultValue", nil).set("defaultValueFormula", nil).
		set("defaultedOnCreate", f.DefaultedOnCreate).set("dependentPicklist", false).set("deprecatedAndHidden", false).
		set("digits", 0).set("displayLocationInDecimal", false).set("encrypted", false).set("externalId", f.ExternalID).
		set("extraTypeInfo", nil).set("filterable", true).set("filteredLookupInfo", nil).set("groupable", text || f.Type == "boolean").
		set("highScaleNumber", false).set("htmlFormatted", false).set("idLookup", f.IDLookup).set("inlineHelpText", nil).
		set("label", f.Label).set("length", f.Length).set("mask", nil).set("maskType", nil).set("name", f.Name).
		set("nameField", f.Name == "Name").set("namePointing", false).set("nillable", f.Nillable).
		set("permissionable", custom && f.Nillable).set("picklistValues", picks).set("polymorphicForeignKey", len(f.ReferenceTo) > 1).
		set("precision", f.Precision).set("queryByDistance", false).set("referenceTargetField", nil).set("referenceTo", refTo).
		set("relationshipName", rel).set("relationshipOrder", nil).set("restrictedDelete", false).
		set("restrictedPicklist", f.RestrictedPicklist).set("scale", f.Scale).set("searchPrefilterable", false).
		set("soapType", soapType(f)).set("sortable", f.Type != "textarea").set("type", f.Type).set("unique", f.Unique).
		set("updateable", f.Updateable).set("writeRequiresMasterRead", false)
}

func handleDescribe(c *call) {
	name := c.r.PathValue("object")
	t := c.s.org.tables[strings.ToLower(name)]
	if t == nil {
		writeErrors(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	o := describeSummary(t, c.ver)
	var fields []*ordered
	for i := range t.obj.Fields {
		fields = append(fields, describeField(&t.obj.Fields[i]))
	}
	o.set("actionOverrides", []any{}).set("childRelationships", []any{}).set("fields", fields).
		set("namedLayoutInfos", []any{}).set("networkScopeFieldName", nil).
		set("recordTypeInfos", []any{}).set("supportedScopes", []any{}).set("sobjectDescribeOption", "FULL")
	writeJSON(c.w, http.StatusOK, o)
}

func handleLimits(c *call) {
	o := newOrdered()
	for _, k := range sortedKeys(c.s.org.limits) {
		l := c.s.org.limits[k]
		o.set(k, newOrdered().set("Max", l.Max).set("Remaining", l.Remaining))
	}
	writeJSON(c.w, http.StatusOK, o)
}

package sftest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxSOQLLength is Salesforce's default statement length limit.
const maxSOQLLength = 100000

// queryError is a SOQL error answered with HTTP 400 and errorCode Code.
type queryError struct {
	Code    string // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE
	Message string
}

func (e *queryError) Error() string { return e.Code + ": " + e.Message }

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDate
	tDateTime
	tOp // = != <> < <= > >=
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string // raw text; for tString the unescaped value
	pos  int    // byte offset in the statement
}

// soqlLexer splits a statement into tokens.
type soqlLexer struct {
	src  string
	toks []token
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (l *soqlLexer) errAt(pos int, format string, args ...any) *queryError {
	return malformed(l.src, pos, fmt.Sprintf(format, args...))
}

// malformed builds a MALFORMED_QUERY error in Salesforce's layout: the statement, a caret
// under the offending column, then "ERROR at Row:R:Column:C" and the reason.
func malformed(src string, pos int, reason string) *queryError {
	return &queryError{Code: "MALFORMED_QUERY", Message: positioned(src, pos, reason)}
}

func positioned(src string, pos int, reason string) string {
	if pos > len(src) {
		pos = len(src)
	}
	row := 1 + strings.Count(src[:pos], "\n")
	lineStart := strings.LastIndex(src[:pos], "\n") + 1
	col := utf8.RuneCountInString(src[lineStart:pos]) + 1
	line := src[lineStart:]
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	caret := strings.Repeat(" ", min(col-1, 200)) + "^"
	return fmt.Sprintf("\n%s\n%s\nERROR at Row:%d:Column:%d\n%s", line, caret, row, col, reason)
}

func lex(src string) ([]token, error) {
	l := &soqlLexer{src: src}
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && (isIdentStart(src[j]) || isDigit(src[j]) || src[j] == '.') {
				j++
			}
			l.toks = append(l.toks, token{tIdent, src[i:j], i})
			i = j
		case c == '\'':
			s, n, err := l.lexString(i)
			if err != nil {
				return nil, err
			}
			l.toks = append(l.toks, token{tString, s, i})
			i = n
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			tok, n, err := l.lexNumberOrDate(i)
			if err != nil {
				return nil, err
			}
			l.toks = append(l.toks, tok)
			i = n
		case c == '(':
			l.toks = append(l.toks, token{tLParen, "(", i})
			i++
		case c == ')':
			l.toks = append(l.toks, token{tRParen, ")", i})
			i++
		case c == ',':
			l.toks = append(l.toks, token{tComma, ",", i})
			i++
		case c == '=':
			l.toks = append(l.toks, token{tOp, "=", i})
			i++
		case c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(src) && (src[j] == '=' || (c == '<' && src[j] == '>')) {
				j++
			}
			op := src[i:j]
			if op == "!" {
				return nil, l.errAt(i, "unexpected token: '!'")
			}
			if op == "<>" {
				op = "!="
			}
			l.toks = append(l.toks, token{tOp, op, i})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, l.errAt(i, "unexpected token: '%c'", r)
		}
	}
	l.toks = append(l.toks, token{tEOF, "", len(src)})
	return l.toks, nil
}

// lexString reads a quoted literal starting at src[i] == '\” and unescapes it with
// SOQL's rules. LIKE wildcards \_ and \% are kept escaped for the LIKE matcher.
func (l *soqlLexer) lexString(i int) (string, int, error) {
	src := l.src
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch c {
		case '\'':
			return b.String(), j + 1, nil
		case '\\':
			if j+1 >= len(src) {
				return "", 0, l.errAt(j, "Invalid string literal '%s'. Illegal character sequence '\\' in string literal.", src[i:])
			}
			e := src[j+1]
			switch e {
			case 'n', 'N':
				b.WriteByte('\n')
			case 'r', 'R':
				b.WriteByte('\r')
			case 't', 'T':
				b.WriteByte('\t')
			case 'b', 'B':
				b.WriteByte('\b')
			case 'f', 'F':
				b.WriteByte('\f')
			case '"', '\'', '\\':
				b.WriteByte(e)
			case '_', '%':
				b.WriteByte('\\')
				b.WriteByte(e)
			case 'u', 'U':
				if j+6 > len(src) {
					return "", 0, l.errAt(j, "Invalid string literal. Illegal character sequence '\\u' in string literal.")
				}
				n, err := strconv.ParseUint(src[j+2:j+6], 16, 32)
				if err != nil {
					return "", 0, l.errAt(j, "Invalid string literal. Illegal character sequence '\\u%s' in string literal.", src[j+2:j+6])
				}
				b.WriteRune(rune(n))
				j += 6
				continue
			default:
				return "", 0, l.errAt(j, "Invalid string literal. Illegal character sequence '\\%c' in string literal.", e)
			}
			j += 2
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, l.errAt(i, "line 1:%d mismatched character '<EOF>' expecting '''", len(src))
}

func (l *soqlLexer) lexNumberOrDate(i int) (token, int, error) {
	src := l.src
	if len(src)-i >= 10 && isDigit(src[i]) && src[i+4] == '-' && src[i+7] == '-' {
		j := i + 10
		if j < len(src) && src[j] == 'T' {
			for j < len(src) && (isDigit(src[j]) || strings.IndexByte("T:.+-Z", src[j]) >= 0) {
				j++
			}
			text := src[i:j]
			if _, err := parseDateTime(text); err != nil {
				return token{}, 0, l.errAt(i, "line 1:%d no viable alternative at character '%s'", i, text)
			}
			return token{tDateTime, text, i}, j, nil
		}
		text := src[i:j]
		if _, err := time.Parse(time.DateOnly, text); err != nil {
			return token{}, 0, l.errAt(i, "unexpected token: %s", text)
		}
		return token{tDate, text, i}, j, nil
	}
	j := i
	if src[j] == '-' {
		j++
	}
	for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
		j++
	}
	text := src[i:j]
	if _, err := strconv.ParseFloat(text, 64); err != nil {
		return token{}, 0, l.errAt(i, "unexpected token: %s", text)
	}
	return token{tNumber, text, i}, j, nil
}

// soqlQuery is a parsed SELECT statement.
type soqlQuery struct {
	src     string
	count   bool
	fields  []fieldRef
	from    token
	where   expr
	orderBy []orderItem
	limit   int // -1: none
	offset  int
}

type fieldRef struct {
	path string // as written
	pos  int
	// resolved:
	chain []*Field // reference fields followed (one per relationship hop)
	field *Field   // the final field
	rels  []string // canonical relationship names
}

type orderItem struct {
	ref        fieldRef
	desc       bool
	nullsFirst bool
}

type expr interface{}

type boolExpr struct {
	op   string // AND, OR
	args []expr
}

type notExpr struct{ arg expr }

type cmpExpr struct {
	ref    fieldRef
	op     string // = != < <= > >= LIKE IN NOTIN
	values []literal
	set    map[string]bool // IN / NOT IN over text: normalised values, built on first use
}

type literal struct {
	tok token
	val any // nil, string, float64, bool, date string, time.Time
}

type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) unexpected(t token) *queryError {
	if t.kind == tEOF {
		return malformed(p.src, t.pos, "unexpected token: '<EOF>'")
	}
	text := t.text
	if t.kind == tString {
		text = "'" + text + "'"
	}
	return malformed(p.src, t.pos, "unexpected token: "+text)
}

func (p *parser) expectKeyword(kw string) error {
	if !p.isKeyword(kw) {
		return p.unexpected(p.peek())
	}
	p.next()
	return nil
}

var soqlReserved = map[string]bool{
	"select": true, "from": true, "where": true, "and": true, "or": true, "not": true, "order": true,
	"by": true, "limit": true, "offset": true, "in": true, "like": true, "null": true, "true": true,
	"false": true, "asc": true, "desc": true, "nulls": true, "first": true, "last": true, "group": true,
	"having": true, "with": true, "for": true, "using": true, "includes": true, "excludes": true,
}

// parseSOQL parses the supported subset: SELECT fields | COUNT() FROM object [WHERE ...]
// [ORDER BY ...] [LIMIT n] [OFFSET n].
func parseSOQL(src string) (*soqlQuery, error) {
	if len(src) > maxSOQLLength {
		return nil, &queryError{Code: "MALFORMED_QUERY", Message: fmt.Sprintf("SOQL statements cannot be longer than %d characters", maxSOQLLength)}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	q := &soqlQuery{src: src, limit: -1}
	if err := p.expectKeyword("SELECT"); err != nil {
		return nil, err
	}
	if p.isKeyword("COUNT") && p.toks[p.i+1].kind == tLParen {
		p.next()
		p.next()
		if t := p.next(); t.kind != tRParen {
			return nil, malformed(src, t.pos, "the emulator supports only COUNT() without a field")
		}
		q.count = true
	} else {
		seen := map[string]bool{}
		for {
			t := p.next()
			if t.kind != tIdent || soqlReserved[strings.ToLower(t.text)] {
				return nil, p.unexpected(t)
			}
			if p.peek().kind == tLParen {
				return nil, malformed(src, t.pos, "the emulator does not support aggregate functions other than COUNT()")
			}
			if seen[strings.ToLower(t.text)] {
				return nil, malformed(src, t.pos, "duplicate field selected: "+t.text)
			}
			seen[strings.ToLower(t.text)] = true
			q.fields = append(q.fields, fieldRef{path: t.text, pos: t.pos})
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
	}
	if err := p.expectKeyword("FROM"); err != nil {
		return nil, err
	}
	q.from = p.next()
	if q.from.kind != tIdent || soqlReserved[strings.ToLower(q.from.text)] || strings.Contains(q.from.text, ".") {
		return nil, p.unexpected(q.from)
	}
	if p.isKeyword("WHERE") {
		p.next()
		e, err := p.parseCond()
		if err != nil {
			return nil, err
		}
		q.where = e
	}
	if p.isKeyword("ORDER") {
		p.next()
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		for {
			t := p.next()
			if t.kind != tIdent || soqlReserved[strings.ToLower(t.text)] {
				return nil, p.unexpected(t)
			}
			it := orderItem{ref: fieldRef{path: t.text, pos: t.pos}, nullsFirst: true}
			if p.isKeyword("ASC") {
				p.next()
			} else if p.isKeyword("DESC") {
				p.next()
				it.desc = true
				it.nullsFirst = false
			}
			if p.isKeyword("NULLS") {
				p.next()
				switch {
				case p.isKeyword("FIRST"):
					it.nullsFirst = true
				case p.isKeyword("LAST"):
					it.nullsFirst = false
				default:
					return nil, p.unexpected(p.peek())
				}
				p.next()
			}
			q.orderBy = append(q.orderBy, it)
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
	}
	for _, kw := range []string{"LIMIT", "OFFSET"} {
		if p.isKeyword(kw) {
			p.next()
			t := p.next()
			n, err := strconv.Atoi(t.text)
			if t.kind != tNumber || err != nil || n < 0 {
				return nil, p.unexpected(t)
			}
			if kw == "LIMIT" {
				q.limit = n
			} else {
				q.offset = n
			}
		}
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return q, nil
}

// parseCond parses a condition. Like Salesforce, it refuses AND and OR mixed at one
// level without parentheses.
func (p *parser) parseCond() (expr, error) {
	first, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	var be *boolExpr
	for p.isKeyword("AND") || p.isKeyword("OR") {
		t := p.next()
		op := strings.ToUpper(t.text)
		if be == nil {
			be = &boolExpr{op: op, args: []expr{first}}
		} else if be.op != op {
			return nil, malformed(p.src, t.pos, "unexpected token: "+t.text)
		}
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		be.args = append(be.args, e)
	}
	if be == nil {
		return first, nil
	}
	return be, nil
}

func (p *parser) parseUnary() (expr, error) {
	if p.isKeyword("NOT") {
		p.next()
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &notExpr{e}, nil
	}
	if p.peek().kind == tLParen {
		p.next()
		e, err := p.parseCond()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tRParen {
			return nil, p.unexpected(t)
		}
		return e, nil
	}
	t := p.next()
	if t.kind != tIdent || soqlReserved[strings.ToLower(t.text)] {
		return nil, p.unexpected(t)
	}
	c := &cmpExpr{ref: fieldRef{path: t.text, pos: t.pos}}
	switch {
	case p.peek().kind == tOp:
		c.op = p.next().text
		lit, err := p.parseLiteral()
		if err != nil {
			return nil, err
		}
		c.values = []literal{lit}
	case p.isKeyword("LIKE"):
		p.next()
		c.op = "LIKE"
		lit, err := p.parseLiteral()
		if err != nil {
			return nil, err
		}
		c.values = []literal{lit}
	case p.isKeyword("IN"), p.isKeyword("NOT"):
		c.op = "IN"
		if p.isKeyword("NOT") {
			p.next()
			if !p.isKeyword("IN") {
				return nil, p.unexpected(p.peek())
			}
			c.op = "NOTIN"
		}
		p.next()
		if t := p.next(); t.kind != tLParen {
			return nil, p.unexpected(t)
		}
		if p.isKeyword("SELECT") {
			return nil, malformed(p.src, p.peek().pos, "the emulator does not support semi-join subqueries")
		}
		for {
			lit, err := p.parseLiteral()
			if err != nil {
				return nil, err
			}
			c.values = append(c.values, lit)
			if p.peek().kind == tComma {
				p.next()
				continue
			}
			if t := p.next(); t.kind != tRParen {
				return nil, p.unexpected(t)
			}
			break
		}
	default:
		return nil, p.unexpected(p.peek())
	}
	return c, nil
}

func (p *parser) parseLiteral() (literal, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return literal{t, t.text}, nil
	case tNumber:
		f, _ := strconv.ParseFloat(t.text, 64)
		return literal{t, f}, nil
	case tDate:
		return literal{t, t.text}, nil
	case tDateTime:
		tm, _ := parseDateTime(t.text)
		return literal{t, tm}, nil
	case tIdent:
		switch strings.ToLower(t.text) {
		case "null":
			return literal{t, nil}, nil
		case "true":
			return literal{t, true}, nil
		case "false":
			return literal{t, false}, nil
		}
	}
	return literal{}, p.unexpected(t)
}

// schema resolves object and field names for one API (REST or Tooling).
type schema interface {
	table(name string) *table
}

// resolve checks object and field names against the schema and fills in the resolved
// fields, returning INVALID_TYPE / INVALID_FIELD errors as Salesforce words them.
func (q *soqlQuery) resolve(s schema) (*table, error) {
	t := s.table(q.from.text)
	if t == nil || !t.obj.Queryable {
		return nil, &queryError{Code: "INVALID_TYPE", Message: positioned(q.src, q.from.pos, fmt.Sprintf(
			"sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", q.from.text))}
	}
	res := func(r *fieldRef) error { return resolveRef(s, t, q.src, r) }
	for i := range q.fields {
		if err := res(&q.fields[i]); err != nil {
			return nil, err
		}
	}
	for i := range q.orderBy {
		if err := res(&q.orderBy[i].ref); err != nil {
			return nil, err
		}
	}
	var walk func(e expr) error
	walk = func(e expr) error {
		switch x := e.(type) {
		case *boolExpr:
			for _, a := range x.args {
				if err := walk(a); err != nil {
					return err
				}
			}
		case *notExpr:
			return walk(x.arg)
		case *cmpExpr:
			if err := res(&x.ref); err != nil {
				return err
			}
			return checkLiterals(q.src, x)
		}
		return nil
	}
	if q.where != nil {
		if err := walk(q.where); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func resolveRef(s schema, t *table, src string, r *fieldRef) error {
	parts := strings.Split(r.path, ".")
	cur := t
	for i, part := range parts[:len(parts)-1] {
		if i == 0 && len(parts) > 1 && strings.EqualFold(part, cur.obj.Name) {
			continue // "Contact.Email" on Contact
		}
		rf := cur.rels[strings.ToLower(part)]
		if rf == nil {
			return &queryError{Code: "INVALID_FIELD", Message: positioned(src, r.pos, fmt.Sprintf(
				"Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", part))}
		}
		next := s.table(rf.ReferenceTo[0])
		if next == nil {
			return &queryError{Code: "INVALID_FIELD", Message: positioned(src, r.pos, fmt.Sprintf("Didn't understand relationship '%s' in field path.", part))}
		}
		r.chain = append(r.chain, rf)
		r.rels = append(r.rels, rf.RelationshipName)
		cur = next
	}
	name := parts[len(parts)-1]
	f := cur.field(name)
	if f == nil {
		return &queryError{Code: "INVALID_FIELD", Message: positioned(src, r.pos, fmt.Sprintf(
			"No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, cur.obj.Name))}
	}
	r.field = f
	return nil
}

// checkLiterals refuses literals whose type does not fit the field, as Salesforce does
// (e.g. a quoted datetime).
func checkLiterals(src string, c *cmpExpr) error {
	k := kindOf(c.ref.field)
	for _, lit := range c.values {
		if lit.val == nil {
			if c.op != "=" && c.op != "!=" && c.op != "IN" && c.op != "NOTIN" {
				return &queryError{Code: "INVALID_FIELD", Message: positioned(src, lit.tok.pos, "invalid operator on null")}
			}
			continue
		}
		ok := false
		switch lit.tok.kind {
		case tString:
			ok = k == kindText
		case tNumber:
			ok = k == kindNumber
		case tIdent:
			ok = k == kindBool
		case tDate:
			ok = k == kindDate
		case tDateTime:
			ok = k == kindDateTime
		}
		if !ok {
			quote := "should not be enclosed in quotes"
			if k == kindText {
				quote = "should be enclosed in quotes"
			}
			return &queryError{Code: "INVALID_FIELD", Message: positioned(src, lit.tok.pos, fmt.Sprintf(
				"value of filter criterion for field '%s' must be of type %s and %s", c.ref.field.Name, k.soapName(), quote))}
		}
	}
	if c.op == "LIKE" && k != kindText {
		return &queryError{Code: "INVALID_FIELD", Message: positioned(src, c.ref.pos, fmt.Sprintf("invalid operator on field '%s'", c.ref.field.Name))}
	}
	return nil
}

// lookup follows a resolved reference from rec; ok is false when a relationship on the way
// is null.
func lookup(s schema, rec record, r *fieldRef) (any, bool) {
	cur := rec
	for _, rf := range r.chain {
		id, _ := cur[rf.Name].(string)
		if id == "" {
			return nil, false
		}
		t := s.table(rf.ReferenceTo[0])
		cur = t.get(id)
		if cur == nil {
			return nil, false
		}
	}
	return cur[r.field.Name], true
}

func eval(s schema, e expr, rec record) bool {
	switch x := e.(type) {
	case *boolExpr:
		for _, a := range x.args {
			v := eval(s, a, rec)
			if x.op == "AND" && !v {
				return false
			}
			if x.op == "OR" && v {
				return true
			}
		}
		return x.op == "AND"
	case *notExpr:
		return !eval(s, x.arg, rec)
	case *cmpExpr:
		v, _ := lookup(s, rec, &x.ref)
		f := x.ref.field
		switch x.op {
		case "IN", "NOTIN":
			if sv, ok := v.(string); ok && kindOf(f) == kindText {
				if x.set == nil {
					x.set = map[string]bool{}
					for _, lit := range x.values {
						if ls, ok := lit.val.(string); ok {
							x.set[normText(f, ls)] = true
						}
					}
				}
				return x.set[normText(f, sv)] == (x.op == "IN")
			}
			in := false
			for _, lit := range x.values {
				if equalValues(f, v, lit.val) {
					in = true
					break
				}
			}
			return in == (x.op == "IN")
		case "LIKE":
			s, ok := v.(string)
			return ok && likeMatch(fmt.Sprint(x.values[0].val), s)
		case "=":
			return equalValues(f, v, x.values[0].val)
		case "!=":
			return !equalValues(f, v, x.values[0].val)
		default:
			if v == nil || x.values[0].val == nil {
				return false
			}
			c := compareValues(f, v, x.values[0].val)
			switch x.op {
			case "<":
				return c < 0
			case "<=":
				return c <= 0
			case ">":
				return c > 0
			case ">=":
				return c >= 0
			}
		}
	}
	return false
}

func equalValues(f *Field, a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return compareValues(f, a, b) == 0
}

// normText is the form under which two text values of f compare equal.
func normText(f *Field, s string) string {
	if f.Type == "id" || f.Type == "reference" {
		return id15(s)
	}
	if !f.CaseSensitive {
		return strings.ToLower(s)
	}
	return s
}

// compareValues orders two non-nil values of field f. Text compares case-insensitively
// unless the field is case sensitive; ids compare on their first 15 characters.
func compareValues(f *Field, a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		if f.Type == "id" || f.Type == "reference" {
			x, y = id15(x), id15(y)
			return strings.Compare(x, y)
		}
		if !f.CaseSensitive {
			x, y = strings.ToLower(x), strings.ToLower(y)
		}
		return strings.Compare(x, y)
	case float64:
		y, _ := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	return 0
}

// likeMatch matches s against a LIKE pattern (% any run, _ one character, \% \_ literal),
// case-insensitively.
func likeMatch(pattern, s string) bool {
	p := []rune(strings.ToLower(pattern))
	r := []rune(strings.ToLower(s))
	var match func(pi, si int) bool
	match = func(pi, si int) bool {
		for pi < len(p) {
			switch c := p[pi]; {
			case c == '%':
				for k := si; k <= len(r); k++ {
					if match(pi+1, k) {
						return true
					}
				}
				return false
			case c == '_':
				if si >= len(r) {
					return false
				}
			case c == '\\' && pi+1 < len(p):
				pi++
				if si >= len(r) || r[si] != p[pi] {
					return false
				}
			default:
				if si >= len(r) || r[si] != c {
					return false
				}
			}
			pi++
			si++
		}
		return si == len(r)
	}
	return match(0, 0)
}

// run executes q against s and returns the matching records (not yet projected).
func (q *soqlQuery) run(s schema, t *table, all bool) []record {
	var out []record
	for _, rec := range t.records {
		if !all && rec["IsDeleted"] == true {
			continue
		}
		if q.where != nil && !eval(s, q.where, rec) {
			continue
		}
		out = append(out, rec)
	}
	if len(q.orderBy) > 0 {
		sort.SliceStable(out, func(i, j int) bool {
			for _, it := range q.orderBy {
				a, _ := lookup(s, out[i], &it.ref)
				b, _ := lookup(s, out[j], &it.ref)
				var c int
				switch {
				case a == nil && b == nil:
					continue
				case a == nil:
					if it.nullsFirst {
						return true
					}
					return false
				case b == nil:
					return !it.nullsFirst
				default:
					c = compareValues(it.ref.field, a, b)
				}
				if c == 0 {
					continue
				}
				if it.desc {
					return c > 0
				}
				return c < 0
			}
			return false
		})
	}
	if q.offset > 0 {
		if q.offset >= len(out) {
			out = nil
		} else {
			out = out[q.offset:]
		}
	}
	if q.limit >= 0 && len(out) > q.limit {
		out = out[:q.limit]
	}
	return out
}

// project builds the JSON record for rec: attributes, then the selected fields in order,
// with parent relationships as nested objects carrying their own attributes (or null).
func (q *soqlQuery) project(s schema, t *table, rec record, urlBase string) *ordered {
	o := newOrdered()
	o.set("attributes", attributes(t, rec, urlBase))
	for i := range q.fields {
		r := &q.fields[i]
		cur, curRec, curTable := o, rec, t
		for _, rf := range r.chain {
			name := rf.RelationshipName
			if v, ok := cur.get(name); ok {
				if v == nil {
					curRec = nil
					break
				}
				id, _ := curRec[rf.Name].(string)
				curTable = s.table(rf.ReferenceTo[0])
				curRec = curTable.get(id)
				cur = v.(*ordered)
				continue
			}
			id, _ := curRec[rf.Name].(string)
			pt := s.table(rf.ReferenceTo[0])
			var parent record
			if id != "" {
				parent = pt.get(id)
			}
			if parent == nil {
				cur.set(name, nil)
				curRec = nil
				break
			}
			child := newOrdered()
			child.set("attributes", attributes(pt, parent, urlBase))
			cur.set(name, child)
			cur, curRec, curTable = child, parent, pt
		}
		if curRec == nil {
			continue
		}
		_ = curTable
		cur.set(r.field.Name, jsonValue(r.field, curRec[r.field.Name]))
	}
	return o
}

func attributes(t *table, rec record, urlBase string) *ordered {
	return newOrdered().set("type", t.obj.Name).set("url", fmt.Sprintf("%s/sobjects/%s/%s", urlBase, t.obj.Name, rec["Id"]))
}

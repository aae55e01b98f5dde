package sftest

import (
	"fmt"
	"strconv"
	"strings"
)

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
	if err := p.parseSelectList(q); err != nil {
		return nil, err
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
		if q.where, err = p.parseCond(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("ORDER") {
		p.next()
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		if q.orderBy, err = p.parseOrderBy(); err != nil {
			return nil, err
		}
	}
	if err := p.parseLimitOffset(q); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return q, nil
}

// fieldName reads a field path: an identifier that is not a reserved word.
func (p *parser) fieldName() (token, error) {
	t := p.next()
	if t.kind != tIdent || soqlReserved[strings.ToLower(t.text)] {
		return t, p.unexpected(t)
	}
	return t, nil
}

// parseSelectList reads COUNT() or the selected fields, each at most once.
func (p *parser) parseSelectList(q *soqlQuery) error {
	if p.isKeyword("COUNT") && p.toks[p.i+1].kind == tLParen {
		p.next()
		p.next()
		if t := p.next(); t.kind != tRParen {
			return malformed(p.src, t.pos, "the emulator supports only COUNT() without a field")
		}
		q.count = true
		return nil
	}
	seen := map[string]bool{}
	for {
		t, err := p.fieldName()
		if err != nil {
			return err
		}
		if p.peek().kind == tLParen {
			return malformed(p.src, t.pos, "the emulator does not support aggregate functions other than COUNT()")
		}
		if seen[strings.ToLower(t.text)] {
			return malformed(p.src, t.pos, "duplicate field selected: "+t.text)
		}
		seen[strings.ToLower(t.text)] = true
		q.fields = append(q.fields, fieldRef{path: t.text, pos: t.pos})
		if p.peek().kind != tComma {
			return nil
		}
		p.next()
	}
}

// parseOrderBy reads the items after ORDER BY.
func (p *parser) parseOrderBy() ([]orderItem, error) {
	var items []orderItem
	for {
		it, err := p.parseOrderItem()
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		if p.peek().kind != tComma {
			return items, nil
		}
		p.next()
	}
}

// parseOrderItem reads field [ASC|DESC] [NULLS FIRST|LAST]; nulls come first ascending and
// last descending unless NULLS says otherwise.
func (p *parser) parseOrderItem() (orderItem, error) {
	t, err := p.fieldName()
	if err != nil {
		return orderItem{}, err
	}
	it := orderItem{ref: fieldRef{path: t.text, pos: t.pos}, nullsFirst: true}
	if p.isKeyword("ASC") {
		p.next()
	} else if p.isKeyword("DESC") {
		p.next()
		it.desc = true
		it.nullsFirst = false
	}
	if !p.isKeyword("NULLS") {
		return it, nil
	}
	p.next()
	switch {
	case p.isKeyword("FIRST"):
		it.nullsFirst = true
	case p.isKeyword("LAST"):
		it.nullsFirst = false
	default:
		return orderItem{}, p.unexpected(p.peek())
	}
	p.next()
	return it, nil
}

// parseLimitOffset reads [LIMIT n] [OFFSET n], in that order.
func (p *parser) parseLimitOffset(q *soqlQuery) error {
	for _, kw := range []string{"LIMIT", "OFFSET"} {
		if !p.isKeyword(kw) {
			continue
		}
		p.next()
		t := p.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != tNumber || err != nil || n < 0 {
			return p.unexpected(t)
		}
		if kw == "LIMIT" {
			q.limit = n
		} else {
			q.offset = n
		}
	}
	return nil
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

// parseUnary reads NOT cond, a parenthesised condition or a comparison.
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
	return p.parseComparison()
}

// parseComparison reads field op literal, field LIKE literal or field [NOT] IN (list).
func (p *parser) parseComparison() (expr, error) {
	t, err := p.fieldName()
	if err != nil {
		return nil, err
	}
	c := &cmpExpr{ref: fieldRef{path: t.text, pos: t.pos}}
	switch {
	case p.peek().kind == tOp:
		c.op = p.next().text
	case p.isKeyword("LIKE"):
		p.next()
		c.op = "LIKE"
	case p.isKeyword("IN"), p.isKeyword("NOT"):
		if err := p.parseInList(c); err != nil {
			return nil, err
		}
		return c, nil
	default:
		return nil, p.unexpected(p.peek())
	}
	lit, err := p.parseLiteral()
	if err != nil {
		return nil, err
	}
	c.values = []literal{lit}
	return c, nil
}

// parseInList reads [NOT] IN (literal, ...) into c; semi-join subqueries are refused.
func (p *parser) parseInList(c *cmpExpr) error {
	c.op = "IN"
	if p.isKeyword("NOT") {
		p.next()
		if !p.isKeyword("IN") {
			return p.unexpected(p.peek())
		}
		c.op = "NOTIN"
	}
	p.next()
	if t := p.next(); t.kind != tLParen {
		return p.unexpected(t)
	}
	if p.isKeyword("SELECT") {
		return malformed(p.src, p.peek().pos, "the emulator does not support semi-join subqueries")
	}
	for {
		lit, err := p.parseLiteral()
		if err != nil {
			return err
		}
		c.values = append(c.values, lit)
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	if t := p.next(); t.kind != tRParen {
		return p.unexpected(t)
	}
	return nil
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

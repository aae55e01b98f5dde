package sftest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

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

// lex splits src into tokens, ending with a tEOF token.
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

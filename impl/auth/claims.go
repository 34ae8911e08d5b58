package auth

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// scanClaims reads a JWT payload: it calls member with the name and raw JSON
// value of each top-level member of the payload's object, in order, and
// reports whether the payload is valid JSON that encoding/json would decode
// into a struct (an object, or null).
//
// Why not json.Unmarshal: it is two passes of encoding/json's byte-at-a-time
// state machine over the whole payload, a good kilobyte from Databricks,
// to pick out two claims; that was a tenth of the CPU of a whole request
// under load (docs/BENCHMARKS.md). This is one pass, and allocates nothing
// for a usual payload.
// FuzzScanClaims checks it against encoding/json on every input.
//
// Member names are compared as written (after unescaping), as JWT claim
// names are case-sensitive (RFC 7519, section 4); encoding/json would also
// take "SCOPE" for "scope".
func scanClaims(payload []byte, member func(name, value []byte)) bool {
	s := scanner{b: payload}
	s.space()
	switch {
	case s.literal("null"):
	case s.peek('{'):
		if !s.object(member) {
			return false
		}
	default:
		return false
	}
	s.space()
	return s.i == len(s.b)
}

// maxDepth is encoding/json's limit on nesting.
const maxDepth = 10000

// scanner checks JSON as RFC 8259 and encoding/json have it, from b[i] on.
// Strings are not checked for valid UTF-8: encoding/json accepts any bytes
// in a string.
type scanner struct {
	b     []byte
	i     int
	depth int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek(c byte) bool { return s.i < len(s.b) && s.b[s.i] == c }

// literal consumes word if it comes next.
func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

func (s *scanner) value() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(nil)
	case c == '[':
		return s.array()
	case c == '"':
		return s.str()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

// object consumes an object, calling member (if not nil) for each member.
func (s *scanner) object(member func(name, value []byte)) bool {
	if s.depth++; s.depth > maxDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++ // {
	s.space()
	if s.peek('}') {
		s.i++
		return true
	}
	for {
		s.space()
		start := s.i
		if !s.str() {
			return false
		}
		nameEnd := s.i
		s.space()
		if !s.peek(':') {
			return false
		}
		s.i++
		s.space()
		valueStart := s.i
		if !s.value() {
			return false
		}
		if member != nil {
			member(stringText(s.b[start:nameEnd]), s.b[valueStart:s.i])
		}
		s.space()
		switch {
		case s.peek(','):
			s.i++
		case s.peek('}'):
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) array() bool {
	if s.depth++; s.depth > maxDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++ // [
	s.space()
	if s.peek(']') {
		s.i++
		return true
	}
	for {
		s.space()
		if !s.value() {
			return false
		}
		s.space()
		switch {
		case s.peek(','):
			s.i++
		case s.peek(']'):
			s.i++
			return true
		default:
			return false
		}
	}
}

// str consumes a string: its text is stringText of what it consumed.
func (s *scanner) str() bool {
	if !s.peek('"') {
		return false
	}
	s.i++
	for s.i < len(s.b) {
		// The run of plain bytes, with the index in a local: this loop is
		// where most of a payload's bytes go by.
		i, b := s.i, s.b
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if s.i = i; i == len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if len(s.b)-s.i < 6 || !isHex(s.b[s.i+2]) || !isHex(s.b[s.i+3]) || !isHex(s.b[s.i+4]) || !isHex(s.b[s.i+5]) {
					return false
				}
				s.i += 6
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
	return false
}

// plainByte marks the bytes that stand for themselves in a JSON string: all
// but the quote, the backslash and the control characters. Most of a
// payload is string text, so str looks each byte up once.
var plainByte = func() (plain [256]bool) {
	for c := 0x20; c < len(plain); c++ {
		plain[c] = c != '"' && c != '\\'
	}
	return plain
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number consumes -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	if s.peek('-') {
		s.i++
	}
	switch {
	case s.peek('0'):
		s.i++
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.peek('.') {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.peek('e') || s.peek('E') {
		s.i++
		if s.peek('+') || s.peek('-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits consumes one digit or more.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// stringText returns the text of raw, a JSON string that the scanner
// accepted. A string without escapes, of valid UTF-8 (every claim name and
// scope seen), is its own text; any other goes through encoding/json, which
// unescapes it and replaces invalid UTF-8.
func stringText(raw []byte) []byte {
	if ownText(raw) {
		return raw[1 : len(raw)-1]
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return []byte(s)
}

// ownText reports whether raw, a JSON string that the scanner accepted, is
// its own text between its quotes: no escapes, valid UTF-8.
func ownText(raw []byte) bool {
	text := raw[1 : len(raw)-1]
	return bytes.IndexByte(text, '\\') < 0 && utf8.Valid(text)
}

// stringArray returns the strings of raw, a JSON array that scanClaims
// accepted, with "" for a null (as encoding/json decodes into []string),
// and ok=false when an item is anything else. Items that are their own text
// (no escapes, valid UTF-8: every scope seen) share one copy of raw rather
// than each being copied.
func stringArray(raw []byte) (list []string, ok bool) {
	s := scanner{b: raw, i: 1}   // after [
	list = make([]string, 0, 16) // room for the usual handful of scopes
	copied := string(raw)
	for {
		s.space()
		switch {
		case s.peek(']'):
			return list, true
		case s.peek(','):
			s.i++
			continue
		case s.literal("null"):
			list = append(list, "")
			continue
		}
		start := s.i
		if !s.str() {
			return nil, false
		}
		if ownText(raw[start:s.i]) {
			list = append(list, copied[start+1:s.i-1])
		} else {
			list = append(list, string(stringText(raw[start:s.i])))
		}
	}
}

// Package observe is how onbehalf reports on itself: JSON logs through
// log/slog with the request's correlation id on every line, the request log,
// and correlation ids.
package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// NewLogger returns a JSON logger writing to w. Every line logged with a
// request's context carries that request's correlation_id (and user_id once
// known), so one id follows a request through every line, retries included.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(&jsonHandler{out: &lockedWriter{w: w}, level: level})
}

// logLines logs the records of one request's end (its auth_event and
// request lines). Through a logger of NewLogger they are written in one
// write: a line is a write to stdout, and what reads it (the platform's log
// collector) pays for each write too (docs/BENCHMARKS.md). Unlike
// slog.Logger's methods, it takes no caller's program counter, which costs a
// stack walk per line; NewLogger's handler never writes a source location.
func logLines(ctx context.Context, log *slog.Logger, records ...slog.Record) {
	h := log.Handler() // a nil ctx is the handler's to accept, as jsonHandler does
	// As slog.Logger does, the level is checked here, not in Handle; records,
	// the caller's argument list, is filtered in place.
	enabled := records[:0]
	for _, r := range records {
		if h.Enabled(ctx, r.Level) {
			enabled = append(enabled, r)
		}
	}
	if len(enabled) == 0 {
		return
	}
	if jh, ok := h.(*jsonHandler); ok {
		_ = jh.handle(ctx, enabled...)
		return
	}
	for _, r := range enabled {
		_ = h.Handle(ctx, r)
	}
}

// jsonHandler writes each record as one line of JSON. The line is what
// slog.JSONHandler writes for the record with the request's correlation_id
// and user_id added to its attributes, byte for byte (TestJSONHandlerWritesWhatSlogWrites
// and FuzzJSONHandler compare the two): the same keys in the same order, the
// same escaping, the same numbers. Three exceptions, none of which our code
// logs: where slog's own line is not JSON (a time outside years 0-9999, a
// group whose attributes are all empty), this one's is; and the stack in
// the error of a LogValuer that panicked names this handler's frames.
//
// Why not slog.JSONHandler itself: every request writes two lines, and
// through slog's handler they were among the largest costs of a request
// after the call to Databricks (docs/BENCHMARKS.md). It recovers from panics
// around each value, formats floats and []string values through
// encoding/json, and the identity fields had to be added to a copy of each
// record. This one writes the usual kinds straight into one buffer: the two
// lines of a request take about half the time, with 3 allocations instead
// of 7 (BenchmarkLogLines).
type jsonHandler struct {
	out   *lockedWriter
	level slog.Leveler
	// pre holds the attributes given to WithAttrs, already written, with the
	// groups opened before them; nOpen is how many of groups that is.
	pre    []byte
	groups []string
	nOpen  int
}

// lockedWriter makes each line one Write, never interleaved with another.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (h *jsonHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

func (h *jsonHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	empty := 0
	for _, a := range attrs {
		if a.Value.Kind() == slog.KindGroup && len(a.Value.Group()) == 0 {
			empty++
		}
	}
	if empty == len(attrs) {
		return h // only empty groups: nothing to add, no group to open
	}
	e := encoder{buf: append([]byte(nil), h.pre...), sep: continues(h.pre)}
	for _, g := range h.groups[h.nOpen:] {
		e.openGroup(g)
	}
	if !e.attrs(attrs) {
		return h // nothing written: no group is opened for nothing
	}
	h2 := *h
	h2.pre, h2.nOpen = e.buf, len(h.groups)
	return &h2
}

func (h *jsonHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	h2.groups = append(h.groups[:len(h.groups):len(h.groups)], name)
	return &h2
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// continues reports whether a member written after pre needs a comma: not
// after an opened group (a WithGroup whose attributes wrote nothing).
func continues(pre []byte) bool {
	return len(pre) > 0 && pre[len(pre)-1] != '{'
}

func (h *jsonHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.handle(ctx, r)
}

// handle writes records, each as one line, in one write. Like any
// slog.Handler's Handle, it writes whatever it is given: the level is the
// caller's to check.
func (h *jsonHandler) handle(ctx context.Context, records ...slog.Record) error {
	if ctx == nil {
		ctx = context.Background()
	}
	meta := reqctx.MetaFrom(ctx)
	bp := bufPool.Get().(*[]byte)
	e := encoder{buf: (*bp)[:0]}
	for _, r := range records {
		h.appendLine(&e, meta, r)
	}
	h.out.mu.Lock()
	_, err := h.out.w.Write(e.buf)
	h.out.mu.Unlock()
	if cap(e.buf) <= 16<<10 { // keep only small buffers for reuse
		*bp = e.buf
		bufPool.Put(bp)
	}
	return err
}

// appendLine appends r as one line of JSON, with the request's identity
// from meta.
func (h *jsonHandler) appendLine(e *encoder, meta *reqctx.Meta, r slog.Record) {
	e.sep = false
	e.buf = append(e.buf, '{')
	if !r.Time.IsZero() {
		e.key(slog.TimeKey)
		e.time(r.Time.Round(0))
	}
	e.key(slog.LevelKey)
	e.string(r.Level.String())
	e.key(slog.MessageKey)
	e.string(r.Message)
	if len(h.pre) > 0 {
		e.buf = append(e.buf, ',')
		e.buf = append(e.buf, h.pre...)
		e.sep = continues(h.pre)
	}

	// The record's attributes, then the request's identity, in the groups
	// opened by WithGroup; none of those groups is written without one.
	nOpen := h.nOpen
	if r.NumAttrs() > 0 || meta.CorrelationID != "" || meta.UserID != "" {
		pos, sep := len(e.buf), e.sep
		for _, g := range h.groups[h.nOpen:] {
			e.openGroup(g)
		}
		written, hasUserID := false, false
		r.Attrs(func(a slog.Attr) bool {
			hasUserID = hasUserID || a.Key == "user_id"
			written = e.attr(a) || written
			return true
		})
		if meta.CorrelationID != "" {
			written = e.attr(slog.String("correlation_id", meta.CorrelationID)) || written
		}
		// The auth_event line states user_id itself, empty when unknown.
		if meta.UserID != "" && !hasUserID {
			written = e.attr(slog.String("user_id", meta.UserID)) || written
		}
		if written {
			nOpen = len(h.groups)
		} else {
			e.buf, e.sep = e.buf[:pos], sep
		}
	}
	for range nOpen {
		e.buf = append(e.buf, '}')
	}
	e.buf = append(e.buf, '}', '\n')
}

// encoder writes JSON members into buf; sep says a comma comes before the
// next one.
type encoder struct {
	buf []byte
	sep bool
}

func (e *encoder) key(k string) {
	if e.sep {
		e.buf = append(e.buf, ',')
	}
	e.string(k)
	e.buf = append(e.buf, ':')
	e.sep = true
}

func (e *encoder) openGroup(name string) {
	e.key(name)
	e.buf = append(e.buf, '{')
	e.sep = false
}

func (e *encoder) attrs(as []slog.Attr) bool {
	written := false
	for _, a := range as {
		written = e.attr(a) || written
	}
	return written
}

// attr writes a and reports whether it wrote anything, as slog's handler
// does: an empty attribute (no key, no value) and an empty source are left
// out, a group without a key is written inline, and a group whose
// attributes are all left out is too. An empty group (a LogValuer's, say)
// writes nothing but counts as written, so that the groups around it stay
// (slog's "g":{}).
func (e *encoder) attr(a slog.Attr) bool {
	v := a.Value
	if v.Kind() == slog.KindLogValuer {
		v = v.Resolve()
	}
	if a.Key == "" && v.Kind() == slog.KindAny && v.Any() == nil {
		return false
	}
	if v.Kind() == slog.KindAny {
		if src, ok := v.Any().(*slog.Source); ok {
			if src == nil || *src == (slog.Source{}) {
				return false
			}
			v = sourceValue(src)
		}
	}
	if v.Kind() != slog.KindGroup {
		e.key(a.Key)
		e.value(v)
		return true
	}
	group := v.Group()
	if len(group) == 0 {
		return true
	}
	// slog leaves no comma before the next member when a group turns out to
	// be empty; the comma is kept here, so that the line stays JSON.
	pos, sep := len(e.buf), e.sep
	if a.Key != "" {
		e.openGroup(a.Key)
	}
	if !e.attrs(group) {
		e.buf, e.sep = e.buf[:pos], sep
		return false
	}
	if a.Key != "" {
		e.buf = append(e.buf, '}')
		e.sep = true
	}
	return true
}

// sourceValue is how slog writes a *slog.Source: as a group.
func sourceValue(s *slog.Source) slog.Value {
	var as []slog.Attr
	if s.Function != "" {
		as = append(as, slog.String("function", s.Function))
	}
	if s.File != "" {
		as = append(as, slog.String("file", s.File))
	}
	if s.Line != 0 {
		as = append(as, slog.Int("line", s.Line))
	}
	return slog.GroupValue(as...)
}

func (e *encoder) value(v slog.Value) {
	switch v.Kind() {
	case slog.KindString:
		e.string(v.String())
	case slog.KindInt64:
		e.buf = strconv.AppendInt(e.buf, v.Int64(), 10)
	case slog.KindUint64:
		e.buf = strconv.AppendUint(e.buf, v.Uint64(), 10)
	case slog.KindBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case slog.KindDuration:
		e.buf = strconv.AppendInt(e.buf, int64(v.Duration()), 10)
	case slog.KindTime:
		e.time(v.Time())
	case slog.KindFloat64:
		if f := v.Float64(); !math.IsInf(f, 0) && !math.IsNaN(f) {
			e.buf = appendJSONFloat(e.buf, f)
			return
		}
		e.marshal(v.Any()) // encoding/json's error, as slog writes it
	default:
		if ss, ok := v.Any().([]string); ok && ss != nil {
			e.buf = append(e.buf, '[')
			for i, s := range ss {
				if i > 0 {
					e.buf = append(e.buf, ',')
				}
				e.buf = append(e.buf, '"')
				e.buf = appendEscaped(e.buf, s, true)
				e.buf = append(e.buf, '"')
			}
			e.buf = append(e.buf, ']')
			return
		}
		e.marshal(v.Any())
	}
}

// marshal writes any other value as slog does: an error as its message
// (unless it marshals itself), anything else through encoding/json, a
// failure as "!ERROR:…", and a panic (a method called on a nil pointer) as
// "<nil>" or "!PANIC: …".
func (e *encoder) marshal(a any) {
	pos := len(e.buf)
	defer func() {
		if r := recover(); r != nil {
			e.buf = e.buf[:pos]
			if v := reflect.ValueOf(a); v.Kind() == reflect.Pointer && v.IsNil() {
				e.string("<nil>")
				return
			}
			e.string(fmt.Sprintf("!PANIC: %v", r))
		}
	}()
	if err, ok := a.(error); ok {
		if _, marshals := a.(json.Marshaler); !marshals {
			e.string(err.Error())
			return
		}
	}
	enc := jsonEncoders.Get().(*jsonEncoder)
	defer func() {
		if cap(enc.buf) <= 16<<10 {
			jsonEncoders.Put(enc)
		}
	}()
	enc.buf = enc.buf[:0]
	if err := enc.enc.Encode(a); err != nil {
		e.string(fmt.Sprintf("!ERROR:%v", err))
		return
	}
	e.buf = append(e.buf, enc.buf[:len(enc.buf)-1]...) // without Encode's newline
}

type jsonEncoder struct {
	buf []byte
	enc *json.Encoder
}

func (j *jsonEncoder) Write(p []byte) (int, error) {
	j.buf = append(j.buf, p...)
	return len(p), nil
}

var jsonEncoders = sync.Pool{New: func() any {
	j := &jsonEncoder{}
	j.enc = json.NewEncoder(j)
	j.enc.SetEscapeHTML(false) // as slog
	return j
}}

func (e *encoder) time(t time.Time) {
	if y := t.Year(); y < 0 || y >= 10000 {
		// slog writes this error and then the time as well, which is not
		// JSON; the error alone is.
		e.string("!ERROR:" + errYear.Error())
		return
	}
	e.buf = append(e.buf, '"')
	e.buf = t.AppendFormat(e.buf, time.RFC3339Nano)
	e.buf = append(e.buf, '"')
}

var errYear = errors.New("time.Time year outside of range [0,9999]")

func (e *encoder) string(s string) {
	e.buf = append(e.buf, '"')
	e.buf = appendEscaped(e.buf, s, false)
	e.buf = append(e.buf, '"')
}

// appendJSONFloat writes a finite f as encoding/json does.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendEscaped writes s as the inside of a JSON string, the way slog does
// for its strings; jsonShort writes \b and \f as encoding/json does (slog
// passes []string values through it). Invalid UTF-8 becomes U+FFFD, and
// U+2028 and U+2029 are escaped; HTML characters are not.
func appendEscaped(buf []byte, s string, jsonShort bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if safeChars[b] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch {
			case b == '\\' || b == '"':
				buf = append(buf, '\\', b)
			case b == '\n':
				buf = append(buf, '\\', 'n')
			case b == '\r':
				buf = append(buf, '\\', 'r')
			case b == '\t':
				buf = append(buf, '\\', 't')
			case jsonShort && b == '\b':
				buf = append(buf, '\\', 'b')
			case jsonShort && b == '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(buf, s[start:]...)
}

const hexDigits = "0123456789abcdef"

// safeChars marks the ASCII bytes written as they are in a JSON string.
var safeChars = func() (set [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		set[b] = b != '"' && b != '\\'
	}
	return set
}()

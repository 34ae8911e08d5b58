package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// slogReference is what the logger must write, made from slog itself: its
// JSONHandler, with the request's identity added to each record as
// NewLogger promises (correlation_id, then user_id unless the record has a
// user_id of its own).
type slogReference struct{ slog.Handler }

func (h slogReference) Handle(ctx context.Context, r slog.Record) error {
	m := reqctx.MetaFrom(ctx)
	hasUserID := false
	r.Attrs(func(a slog.Attr) bool {
		hasUserID = hasUserID || a.Key == "user_id"
		return true
	})
	if m.CorrelationID != "" {
		r.AddAttrs(slog.String("correlation_id", m.CorrelationID))
	}
	if m.UserID != "" && !hasUserID {
		r.AddAttrs(slog.String("user_id", m.UserID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h slogReference) WithAttrs(as []slog.Attr) slog.Handler {
	return slogReference{h.Handler.WithAttrs(as)}
}
func (h slogReference) WithGroup(name string) slog.Handler {
	return slogReference{h.Handler.WithGroup(name)}
}

// logBoth sends one record through NewLogger's handler and through the
// reference, each shaped by derive (With, WithGroup), and returns both lines.
func logBoth(ctx context.Context, derive func(*slog.Logger) *slog.Logger, r slog.Record) (ours, want []byte) {
	var a, b bytes.Buffer
	_ = derive(NewLogger(&a, slog.LevelDebug)).Handler().Handle(ctx, r.Clone())
	_ = derive(slog.New(slogReference{slog.NewJSONHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})})).Handler().Handle(ctx, r.Clone())
	return a.Bytes(), b.Bytes()
}

// sameAsSlog fails unless ours is what slog writes, byte for byte. Only
// for the values after which slog's own line may not be JSON (mayNotBeJSON:
// a group whose attributes are all empty, followed by another member; a
// time past year 9999), and only when it is not, must ours be JSON instead.
func sameAsSlog(t *testing.T, name string, ours, want []byte, mayNotBeJSON bool) {
	t.Helper()
	if mayNotBeJSON && !json.Valid(want) {
		if !json.Valid(ours) {
			t.Errorf("%s: not JSON: %s", name, ours)
		}
		return
	}
	if !bytes.Equal(ours, want) {
		t.Errorf("%s:\n got %s\nwant %s", name, ours, want)
	}
}

type marshals struct{ N int }

func (m marshals) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf(`{"n": %d}`, m.N)), nil }

type failsToMarshal struct{}

func (failsToMarshal) MarshalJSON() ([]byte, error) { return nil, errors.New("no") }

type nilError struct{ msg string }

func (e *nilError) Error() string { return e.msg } // panics on a nil *nilError

type valuer struct{ v slog.Value }

func (v valuer) LogValue() slog.Value { return v.v }

type scopes []string

// TestJSONHandlerWritesWhatSlogWrites: for every kind of value and every way
// to shape a record (attributes given to With, groups, empty groups and
// attributes, the request's identity), the logger writes exactly the line
// slog.JSONHandler writes.
func TestJSONHandlerWritesWhatSlogWrites(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 30, 1, 123456789, time.FixedZone("X", 3600))
	plain := func(l *slog.Logger) *slog.Logger { return l }
	awkward := "quote\" backslash\\ nl\n cr\r tab\t bs\b ff\f nul\x00 del\x7f <&> é \u2028\u2029 bad\xff\xfe end"
	values := map[string]slog.Value{
		"string":                slog.StringValue(awkward),
		"empty string":          slog.StringValue(""),
		"int":                   slog.Int64Value(math.MinInt64),
		"uint":                  slog.Uint64Value(math.MaxUint64),
		"bool":                  slog.BoolValue(false),
		"duration":              slog.DurationValue(-1500 * time.Millisecond),
		"time":                  slog.TimeValue(at),
		"year 10000":            slog.TimeValue(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)),
		"float":                 slog.Float64Value(3.214),
		"float zero":            slog.Float64Value(math.Copysign(0, -1)),
		"float tiny":            slog.Float64Value(1e-7),
		"float huge":            slog.Float64Value(1e21),
		"float e-100":           slog.Float64Value(-2.5e-100),
		"float 1e20":            slog.Float64Value(1e20),
		"NaN":                   slog.Float64Value(math.NaN()),
		"+Inf":                  slog.Float64Value(math.Inf(1)),
		"strings":               slog.AnyValue([]string{"sql", awkward, ""}),
		"strings empty":         slog.AnyValue([]string{}),
		"strings nil":           slog.AnyValue([]string(nil)),
		"named strings":         slog.AnyValue(scopes{"a", "b"}),
		"map":                   slog.AnyValue(map[string]any{"b": 1, "a": []int{1, 2}, "<": "&"}),
		"struct":                slog.AnyValue(struct{ A, B string }{"x", awkward}),
		"nil":                   slog.AnyValue(nil),
		"error":                 slog.AnyValue(errors.New(awkward)),
		"nil error ptr":         slog.AnyValue((*nilError)(nil)),
		"marshaler":             slog.AnyValue(marshals{7}),
		"bad marshaler":         slog.AnyValue(failsToMarshal{}),
		"func":                  slog.AnyValue(func() {}),
		"source":                slog.AnyValue(&slog.Source{Function: "f", File: "a.go", Line: 3}),
		"empty source":          slog.AnyValue(&slog.Source{}),
		"valuer":                slog.AnyValue(valuer{slog.IntValue(4)}),
		"valuer group":          slog.AnyValue(valuer{slog.GroupValue(slog.String("in", "side"))}),
		"valuer empty":          slog.AnyValue(valuer{slog.GroupValue()}),
		"nil source":            slog.AnyValue((*slog.Source)(nil)),
		"group of valuer empty": slog.GroupValue(slog.Any("v", valuer{slog.GroupValue()})),
		"group":                 slog.GroupValue(slog.Int("a", 1), slog.Group("b", slog.String("c", "d")), slog.Group("", slog.Bool("inline", true))),
		"empty group":           slog.GroupValue(),
		"group of empty":        slog.GroupValue(slog.Attr{}, slog.Group("g")),
	}
	ctxs := map[string]context.Context{
		"no request": context.Background(),
		"request":    reqctx.WithMeta(context.Background(), &reqctx.Meta{CorrelationID: "0123456789abcdef", UserID: "alice@example.com"}),
		"anonymous":  reqctx.WithMeta(context.Background(), &reqctx.Meta{CorrelationID: "0123456789abcdef"}),
	}
	shapes := map[string]func(*slog.Logger) *slog.Logger{
		"plain":           plain,
		"With":            func(l *slog.Logger) *slog.Logger { return l.With("component", "x", "n", 2) },
		"WithGroup":       func(l *slog.Logger) *slog.Logger { return l.WithGroup("g") },
		"WithGroup With":  func(l *slog.Logger) *slog.Logger { return l.WithGroup("g").With("k", "v").WithGroup("h") },
		"With empty":      func(l *slog.Logger) *slog.Logger { return l.With(slog.Attr{}).With(slog.Group("e")) },
		"WithGroup empty": func(l *slog.Logger) *slog.Logger { return l.WithGroup("g").With(slog.Attr{}) },
		"With group values": func(l *slog.Logger) *slog.Logger {
			return l.With(slog.Group("p", slog.Int("q", 1)), slog.Group("", slog.Int("r", 2)))
		},
		// A group opened by With on nothing but an empty group: slog's
		// preformatted attributes end with '{'.
		"WithGroup With valuer empty": func(l *slog.Logger) *slog.Logger {
			return l.WithGroup("g").With(slog.Any("v", valuer{slog.GroupValue()})).With("k", "v")
		},
		"WithGroup With empty group": func(l *slog.Logger) *slog.Logger { return l.WithGroup("g").With(slog.Group("e")) },
		"WithGroup With empties": func(l *slog.Logger) *slog.Logger {
			return l.WithGroup("g").With(slog.Attr{Key: "e", Value: slog.GroupValue()}, slog.Attr{})
		},
	}
	// The values after which slog's own line may not be JSON.
	notJSON := map[string]bool{"year 10000": true, "group of empty": true}
	for cname, ctx := range ctxs {
		for sname, derive := range shapes {
			// Each value alone, keyed and with an empty key, and all together.
			all := slog.NewRecord(at, slog.LevelInfo, "all", 0)
			for vname, v := range values {
				for _, key := range []string{"k" + awkward, ""} {
					r := slog.NewRecord(at, slog.LevelWarn+1, "msg "+awkward, 0)
					r.AddAttrs(slog.Attr{Key: key, Value: v})
					ours, want := logBoth(ctx, derive, r)
					sameAsSlog(t, fmt.Sprintf("%s/%s/%s/key %q", cname, sname, vname, key), ours, want, notJSON[vname])
				}
				if !notJSON[vname] {
					all.AddAttrs(slog.Attr{Key: vname, Value: v})
				}
			}
			ours, want := logBoth(ctx, derive, all)
			sameAsSlog(t, cname+"/"+sname+"/all", ours, want, false)

			// A record with no attributes, one without a time, and the
			// auth_event's own user_id, empty.
			bare := slog.NewRecord(at, slog.LevelDebug, "", 0)
			ours, want = logBoth(ctx, derive, bare)
			sameAsSlog(t, cname+"/"+sname+"/bare", ours, want, false)
			untimed := slog.NewRecord(time.Time{}, slog.LevelError, "untimed", 0)
			untimed.AddAttrs(slog.Int("n", 1))
			ours, want = logBoth(ctx, derive, untimed)
			sameAsSlog(t, cname+"/"+sname+"/untimed", ours, want, false)
			own := slog.NewRecord(at, slog.LevelInfo, "auth_event", 0)
			own.AddAttrs(slog.String("user_id", ""), slog.Any("scopes", []string{"sql"}))
			ours, want = logBoth(ctx, derive, own)
			sameAsSlog(t, cname+"/"+sname+"/own user_id", ours, want, false)
		}
	}
}

// TestJSONHandlerLinesAreWholeUnderConcurrency: lines written at once from
// many goroutines, through handlers derived with With, never interleave.
func TestJSONHandlerLinesAreWholeUnderConcurrency(t *testing.T) {
	var out bytes.Buffer
	log := NewLogger(&out, slog.LevelInfo)
	derived := log.With("component", "x")
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			l := log
			if g%2 == 1 {
				l = derived
			}
			for i := range 200 {
				l.Info("line", "g", g, "i", i, "pad", strings.Repeat("x", 300))
			}
		}()
	}
	for range 8 {
		<-done
	}
	lines := bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if !json.Valid(l) {
			t.Fatalf("not one JSON line: %s", l)
		}
	}
}

// TestLoggerLevel: lines below the level are not written, at or above it
// are, also when several are logged at once; a nil context is accepted.
func TestLoggerLevel(t *testing.T) {
	var out bytes.Buffer
	log := NewLogger(&out, slog.LevelWarn)
	log.Info("no")
	now := time.Now()
	//lint:ignore SA1012 a nil context is accepted, as slog.Logger accepts one
	logLines(nil, log, slog.NewRecord(now, slog.LevelInfo, "no either", 0), slog.NewRecord(now, slog.LevelError, "yes too", 0))
	log.Warn("yes")
	logLines(context.Background(), log, slog.NewRecord(now, slog.LevelDebug, "no, none", 0))
	got := out.String()
	if strings.Contains(got, `"no`) || strings.Count(got, "\n") != 2 || !strings.Contains(got, `"msg":"yes too"}`) {
		t.Errorf("written: %s", got)
	}
	// The level is the Logger's to check, as with slog's handlers: Handle
	// writes what it is given.
	out.Reset()
	_ = log.Handler().Handle(context.Background(), slog.NewRecord(now, slog.LevelInfo, "handled", 0))
	if !strings.Contains(out.String(), `"msg":"handled"`) {
		t.Errorf("Handle left out a record below the level: %q", out.String())
	}
}

// FuzzJSONHandler compares the logger with slog.JSONHandler on arbitrary
// strings, numbers and record shapes.
func FuzzJSONHandler(f *testing.F) {
	f.Add("msg", "key", "value \x00\b\f\u2028\xff", "a,b\x01", 3.5, int64(-3), uint64(7), byte(0))
	f.Add("", "", "", "", 1e-7, int64(0), uint64(0), byte(0xff))
	// A level below the handler's: Handle writes it all the same, as slog's does.
	f.Add("below", "k", "v", "x", 1.0, int64(-7), uint64(1), byte(0x3f))
	f.Fuzz(func(t *testing.T, msg, key, s, list string, fl float64, i int64, u uint64, shape byte) {
		at := time.Date(2026, 11, 24, 9, 30, 1, int(u%1e9), time.UTC)
		r := slog.NewRecord(at, slog.Level(i%12), msg, 0)
		attrs := []slog.Attr{
			slog.String(key, s), slog.Float64(s, fl), slog.Int64("i", i), slog.Uint64(key, u),
			slog.Any("list", strings.Split(list, ",")), slog.Group(key, slog.String(s, key)),
		}
		for bit, a := range attrs {
			if shape&(1<<bit) != 0 {
				r.AddAttrs(a)
			}
		}
		derive := func(l *slog.Logger) *slog.Logger {
			if shape&0x40 != 0 {
				l = l.WithGroup(key)
			}
			if shape&0x80 != 0 {
				l = l.With(key, s)
			}
			return l
		}
		ctx := context.Background()
		if i%3 == 0 {
			ctx = reqctx.WithMeta(ctx, &reqctx.Meta{CorrelationID: list, UserID: s})
		}
		ours, want := logBoth(ctx, derive, r)
		sameAsSlog(t, "fuzz", ours, want, false)
	})
}

// BenchmarkLogLines: the two lines every API request writes at its end, an
// auth_event and a request line as observe.Requests logs them, through
// NewLogger (in one write) and through slog's JSONHandler with the identity
// added as NewLogger used to add it (one write each).
func BenchmarkLogLines(b *testing.B) {
	ctx := reqctx.WithMeta(context.Background(), &reqctx.Meta{CorrelationID: "0123456789abcdef0123456789abcdef", UserID: "alice@example.com"})
	granted := []string{"all-apis", "offline_access", "sql", "serving.serving-endpoints", "iam.current-user:read"}
	required := []string{"unity-catalog"}
	lines := func(log *slog.Logger) {
		now := time.Now()
		event := slog.NewRecord(now, slog.LevelInfo, "auth_event", 0)
		event.AddAttrs(slog.String("decision", "success"), slog.String("endpoint", "listCatalogs"), slog.Bool("token_present", true),
			slog.String("auth_method", "obo"), slog.String("user_id", "alice@example.com"), slog.Int("retry_attempt", 0),
			slog.String("reason", ""), slog.Int("token_length", 812), slog.Bool("token_is_jwt", true),
			slog.Any("scopes", granted), slog.Any("required_scopes", required), slog.Bool("required_present", true))
		request := slog.NewRecord(now, slog.LevelInfo, "request", 0)
		request.AddAttrs(slog.String("method", "GET"), slog.String("route", "GET /api/unity-catalog/catalogs"), slog.Int("status", 200),
			slog.Float64("duration_ms", 3.214), slog.String("auth_method", "obo"))
		logLines(ctx, log, event, request)
	}
	b.Run("observe", func(b *testing.B) {
		log := NewLogger(io.Discard, slog.LevelInfo)
		b.ReportAllocs()
		for b.Loop() {
			lines(log)
		}
	})
	b.Run("slog", func(b *testing.B) {
		log := slog.New(slogReference{slog.NewJSONHandler(io.Discard, nil)})
		b.ReportAllocs()
		for b.Loop() {
			lines(log)
		}
	})
}

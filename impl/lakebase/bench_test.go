package lakebase_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// The cost of one store operation against the local Postgres: a
// transaction that names the user (set_config) around one query.

func BenchmarkGetPreference(b *testing.B) {
	s, _ := lakebasetest.NewStore(b)
	ctx := context.Background()
	if _, err := s.PutPreference(ctx, alice, "theme", json.RawMessage(`{"mode":"dark","cols":3}`)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetPreference(ctx, alice, "theme"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutPreference(b *testing.B) {
	s, _ := lakebasetest.NewStore(b)
	ctx := context.Background()
	value := json.RawMessage(`{"mode":"dark","cols":3}`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.PutPreference(ctx, alice, fmt.Sprintf("k%d", i%100), value); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListInferenceLogs(b *testing.B) {
	s, _ := lakebasetest.NewStore(b)
	ctx := context.Background()
	for range 200 {
		if _, err := s.RecordInference(ctx, alice, lakebase.Invocation{Endpoint: "agent-chat", Request: json.RawMessage(`{}`), Success: true, HTTPStatus: 200}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.ListInferenceLogs(ctx, alice, lakebase.Page{Limit: 50}); err != nil {
			b.Fatal(err)
		}
	}
}

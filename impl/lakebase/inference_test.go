package lakebase_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

func TestInferenceLogIsTheCallersNewestFirst(t *testing.T) {
	s, _ := lakebasetest.NewStore(t)
	ctx := context.Background()
	record := func(user, endpoint string, ok bool, status int) int64 {
		t.Helper()
		id, err := s.RecordInference(ctx, user, lakebase.Invocation{
			Endpoint: endpoint, Request: json.RawMessage(`{"input":[]}`), Response: json.RawMessage(`{"output":[]}`),
			Success: ok, HTTPStatus: status, Latency: 42 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := record(alice, "agent-chat", true, 200)
	record(bob, "hr-assistant", true, 200)
	second := record(alice, "sales-forecast", false, 0)
	third := record(alice, "agent-chat", false, 429)

	logs, more, err := s.ListInferenceLogs(ctx, alice, lakebase.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids(logs), more); got != fmt.Sprint([]int64{third, second}, true) {
		t.Errorf("first page %s, want newest first [%d %d] with more", got, third, second)
	}
	if l := logs[0]; l.Endpoint != "agent-chat" || l.Success || l.HTTPStatus != 429 || l.Latency != 42*time.Millisecond {
		t.Errorf("newest log %+v", l)
	}
	if logs[1].HTTPStatus != 0 {
		t.Errorf("a call that got no answer has http status %d, want none", logs[1].HTTPStatus)
	}
	logs, more, _ = s.ListInferenceLogs(ctx, alice, lakebase.Page{Limit: 2, Offset: 2})
	if got := fmt.Sprint(ids(logs), more); got != fmt.Sprint([]int64{first}, false) {
		t.Errorf("second page %s, want [%d] and no more", got, first)
	}
	logs, _, _ = s.ListInferenceLogs(ctx, bob, lakebase.Page{Limit: 50})
	if len(logs) != 1 || logs[0].Endpoint != "hr-assistant" {
		t.Errorf("bob's log %+v, want only his hr-assistant call", logs)
	}
}

func ids(logs []lakebase.InferenceLog) []int64 {
	out := make([]int64, len(logs))
	for i, l := range logs {
		out[i] = l.ID
	}
	return out
}

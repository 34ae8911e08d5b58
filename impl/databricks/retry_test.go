package databricks

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/databricks/databricks-sdk-go/apierr"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

func TestRetryPolicyRetriesOnlyUpstreamFailuresOnItsSchedule(t *testing.T) {
	policy := RetryPolicy{Waits: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}, Budget: time.Second, AttemptTimeout: time.Second}
	tests := []struct {
		name      string
		err       error
		wantCalls int
		wantKind  apperr.Kind
	}{
		{"5xx retried three times", &apperr.Error{Kind: apperr.Upstream}, 4, apperr.Upstream},
		{"429 never retried", &apperr.Error{Kind: apperr.RateLimited}, 1, apperr.RateLimited},
		{"403 never retried", &apperr.Error{Kind: apperr.Forbidden}, 1, apperr.Forbidden},
		{"404 never retried", &apperr.Error{Kind: apperr.NotFound}, 1, apperr.NotFound},
		{"another 4xx never retried", &apierr.APIError{StatusCode: 409, Message: "conflict"}, 1, apperr.Internal},
		{"timeout not retried", &apperr.Error{Kind: apperr.Timeout}, 1, apperr.Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var retries []int
			err := policy.do(context.Background(), "op", func(_ context.Context, _ string, attempt int, _ error) {
				retries = append(retries, attempt)
			}, func(context.Context) error { calls++; return tt.err })
			if calls != tt.wantCalls || apperr.KindOf(err) != tt.wantKind {
				t.Errorf("calls=%d kind=%v, want %d %v", calls, apperr.KindOf(err), tt.wantCalls, tt.wantKind)
			}
			if len(retries) != tt.wantCalls-1 {
				t.Errorf("observed retries %v, want %d", retries, tt.wantCalls-1)
			}
		})
	}
}

func TestRetryPolicyStopsAtSuccess(t *testing.T) {
	policy := RetryPolicy{Waits: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}, Budget: time.Second, AttemptTimeout: time.Second}
	calls := 0
	err := policy.do(context.Background(), "op", nil, func(context.Context) error {
		calls++
		if calls < 3 {
			return &apperr.Error{Kind: apperr.Upstream}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err=%v calls=%d, want success on the third call", err, calls)
	}
}

func TestRetryPolicyStartsNoRetryPastItsBudget(t *testing.T) {
	// Each attempt takes 30 ms and the budget is 50 ms: the first retry
	// (after 10 ms) starts at 40 ms, the second would start past 50 ms.
	policy := RetryPolicy{Waits: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}, Budget: 50 * time.Millisecond, AttemptTimeout: time.Second}
	calls := 0
	err := policy.do(context.Background(), "op", nil, func(context.Context) error {
		calls++
		time.Sleep(30 * time.Millisecond)
		return &apperr.Error{Kind: apperr.Upstream}
	})
	if calls != 2 || apperr.KindOf(err) != apperr.Upstream {
		t.Fatalf("calls=%d err=%v, want 2 attempts then the upstream error", calls, err)
	}
}

func TestRetryPolicyAttemptTimeoutIsATimeout(t *testing.T) {
	policy := RetryPolicy{Waits: []time.Duration{time.Millisecond}, Budget: time.Second, AttemptTimeout: 20 * time.Millisecond}
	err := policy.do(context.Background(), "op", nil, func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if apperr.KindOf(err) != apperr.Timeout {
		t.Fatalf("err=%v, want a Timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the cause should be kept for the logs: %v", err)
	}
}

// TestOnlyUnprocessedRetriesWhatDatabricksDidNotTakeOn: a policy for calls
// that may act (agent invocations) retries a 503 and a connection never made,
// and nothing after which the call may have been carried out.
func TestOnlyUnprocessedRetriesWhatDatabricksDidNotTakeOn(t *testing.T) {
	policy := RetryPolicy{Waits: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}, Budget: time.Second, AttemptTimeout: time.Second, OnlyUnprocessed: true}
	refused := &networkError{err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	reset := &networkError{err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	for _, tt := range []struct {
		name      string
		err       error
		wantCalls int
	}{
		{"503 retried", &apierr.APIError{StatusCode: 503, Message: "scaling up"}, 4},
		{"no connection retried", refused, 4},
		{"500 not retried", &apierr.APIError{StatusCode: 500}, 1},
		{"502 not retried", &apierr.APIError{StatusCode: 502}, 1},
		{"connection reset not retried", reset, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, only := range []bool{true, false} {
				p := policy
				p.OnlyUnprocessed = only
				calls := 0
				err := p.do(context.Background(), "op", nil, func(context.Context) error { calls++; return tt.err })
				want := tt.wantCalls
				if !only {
					want = 4 // every upstream failure, as for every other call
				}
				if calls != want || apperr.KindOf(err) != apperr.Upstream {
					t.Errorf("OnlyUnprocessed=%v: %d calls (%v), want %d and an upstream failure", only, calls, err, want)
				}
			}
		})
	}
}

// TestARetryWaitCutShortByTheParentSaysWhy: a retry's wait ends when the
// context the call was made under ends. A parent whose deadline passed (a
// listing bounded like one call) is a Timeout, 504; a parent cancelled
// because the client went away is Canceled, 499. No attempt starts after.
func TestARetryWaitCutShortByTheParentSaysWhy(t *testing.T) {
	policy := RetryPolicy{Waits: []time.Duration{time.Minute}, Budget: 2 * time.Minute, AttemptTimeout: time.Second}
	for _, tt := range []struct {
		name   string
		parent func() (context.Context, context.CancelFunc)
		want   apperr.Kind
	}{
		{"deadline passed", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, apperr.Timeout},
		{"client went away", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			return ctx, cancel
		}, apperr.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.parent()
			defer cancel()
			calls := 0
			err := policy.do(ctx, "op", nil, func(context.Context) error {
				calls++
				return &apperr.Error{Kind: apperr.Upstream}
			})
			if apperr.KindOf(err) != tt.want || calls != 1 {
				t.Errorf("err %v after %d calls, want %v after 1", err, calls, tt.want)
			}
		})
	}
}

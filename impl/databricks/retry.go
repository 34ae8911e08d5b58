package databricks

import (
	"context"
	"time"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// RetryPolicy is the one retry policy of every Databricks call made for a
// request. The SDK's own retries are switched off (see newSDKClient), its
// token fetch's too (spTokens), so this is the only one.
type RetryPolicy struct {
	// Waits are the pauses before each retry; their count is the most retries.
	Waits []time.Duration
	// Budget is the time since the first attempt after which no retry starts.
	Budget time.Duration
	// AttemptTimeout bounds one attempt; an attempt that runs out is a Timeout.
	AttemptTimeout time.Duration
	// OnlyUnprocessed retries only the failures after which Databricks did
	// not take the call on: a 503 answer (the endpoint is scaling up or
	// overloaded), or no connection at all. It is for calls that may act on
	// the user's behalf (an agent invocation), where a 500, a 502 or a
	// connection lost after the call was sent may come after the work was
	// done, and doing it twice is worse than answering 502.
	OnlyUnprocessed bool
}

// DefaultRetryPolicy is the policy of the seed requirements: the first attempt
// plus at most 3 retries after 100, 200 and 400 ms, no retry starting once
// 5 s have passed since the first attempt (NFR-006), while one attempt may
// take up to 30 s (NFR-010).
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		Waits:          []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond},
		Budget:         5 * time.Second,
		AttemptTimeout: 30 * time.Second,
	}
}

// Longest is the most a call under p can take, its retries included: no
// retry starts once the budget is spent, and each attempt ends by the
// attempt timeout.
func (p RetryPolicy) Longest() time.Duration {
	return p.Budget + p.AttemptTimeout
}

// RetryObserver hears about each retry as it starts (attempt 2 is the first
// retry), for the logs and the metrics.
type RetryObserver func(ctx context.Context, operation string, attempt int, cause error)

// do runs call under the policy. call gets a context bounded by the attempt
// timeout; its error is translated by translate. Only Upstream errors (5xx
// and network failures) are retried: never a 429, never any other 4xx, never
// a timeout (the budget is spent by then), and with OnlyUnprocessed only what
// Databricks did not take on. Each call retries on its own, with nothing
// shared between requests.
func (p RetryPolicy) do(ctx context.Context, operation string, observe RetryObserver, call func(ctx context.Context) error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := p.attempt(ctx, call)
		if err == nil {
			return nil
		}
		retry := attempt - 1 // index of the next wait
		if apperr.KindOf(err) != apperr.Upstream || retry >= len(p.Waits) || (p.OnlyUnprocessed && !unprocessed(err)) {
			return err
		}
		wait := p.Waits[retry]
		if time.Since(start)+wait > p.Budget {
			return err
		}
		if observe != nil {
			observe(ctx, operation, attempt+1, err)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return translate(ctx, ctx.Err())
		case <-timer.C:
		}
	}
}

func (p RetryPolicy) attempt(ctx context.Context, call func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, p.AttemptTimeout)
	defer cancel()
	err := call(actx)
	if err == nil {
		return nil
	}
	return translate(ctx, err)
}

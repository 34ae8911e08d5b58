package databricks

import (
	"context"
	"time"
)

// Window is an offset/limit view of a listing.
type Window struct {
	Offset int
	Limit  int
}

// maxUpstreamPage is the largest page asked of Databricks.
const maxUpstreamPage = 1000

// pageSize is how many items to ask of Databricks for the next page: what
// the window still needs, plus one to tell whether there is more.
func (w Window) pageSize(have int) int {
	n := w.Offset + w.Limit + 1 - have
	return max(1, min(n, maxUpstreamPage))
}

// fetchPage reads one upstream page from pageToken ("" for the first).
type fetchPage[T any] func(ctx context.Context, size int, pageToken string) (items []T, next string, err error)

// collectWindow reads upstream pages in order until the window (plus one
// item, to know whether more exist) is covered or the listing ends. It reads
// no page the window does not need, and walks through the empty pages that
// Databricks may return mid-listing. Items before the offset are counted,
// not kept: a request far into a long listing holds the window and one
// page, not everything before it.
//
// The whole listing takes no longer than longest from its start, however
// many pages it reads: each page is a call under the retry policy, and what
// waits for the answer (the front end's timeout, the server's write
// deadline) allows for the longest one call can take, not one per page.
// Once longest has passed, the listing ends with a Timeout (see translate).
// The first page is one call, bounded by the policy already: the deadline
// is set only when a second page is needed, so that most listings, one page
// long, do not pay for a timer.
func collectWindow[T any](ctx context.Context, w Window, longest time.Duration, fetch fetchPage[T]) (items []T, hasMore bool, err error) {
	var (
		kept    []T // the items from the offset on
		skipped int // the items before the offset, read and dropped
		token   string
		start   = time.Now()
	)
	for {
		page, next, err := fetch(ctx, w.pageSize(skipped+len(kept)), token)
		if err != nil {
			return nil, false, err
		}
		skip := min(w.Offset-skipped, len(page))
		skipped += skip
		kept = append(kept, page[skip:]...)
		if len(kept) > w.Limit || next == "" {
			break
		}
		if token == "" { // the first page: bound the rest from the start
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, start.Add(longest))
			defer cancel()
		}
		token = next
	}
	if len(kept) > w.Limit {
		return kept[:w.Limit], true, nil
	}
	if kept == nil {
		kept = []T{}
	}
	return kept, false, nil
}

// sliceWindow cuts the window out of a complete (or long enough) listing.
func sliceWindow[T any](all []T, w Window) ([]T, bool, error) {
	if w.Offset >= len(all) {
		return []T{}, false, nil
	}
	end := min(w.Offset+w.Limit, len(all))
	return all[w.Offset:end], len(all) > end, nil
}

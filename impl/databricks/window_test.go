package databricks

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"
)

// pagedSource serves items in pages of pageSize, with an empty page after
// every page when empties is set (as Databricks may), counting the calls.
type pagedSource struct {
	items    []int
	pageSize int
	empties  bool
	calls    int
}

func (p *pagedSource) fetch(_ context.Context, size int, token string) ([]int, string, error) {
	p.calls++
	pos, empty := 0, false
	if token != "" {
		if token[0] == 'e' {
			empty, token = true, token[1:]
		}
		pos, _ = strconv.Atoi(token)
	}
	if empty {
		return nil, strconv.Itoa(pos), nil
	}
	n := min(size, p.pageSize)
	end := min(pos+n, len(p.items))
	next := ""
	if end < len(p.items) {
		next = strconv.Itoa(end)
		if p.empties {
			next = "e" + next
		}
	}
	return p.items[pos:end], next, nil
}

func TestCollectWindowIsRightAcrossPagesAndReadsNoMore(t *testing.T) {
	items := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	tests := []struct {
		name      string
		w         Window
		empties   bool
		want      []int
		wantMore  bool
		wantCalls int
	}{
		{"first page", Window{0, 3}, false, []int{0, 1, 2}, true, 2},
		{"middle", Window{4, 3}, false, []int{4, 5, 6}, true, 4},
		{"to the end exactly", Window{7, 3}, false, []int{7, 8, 9}, false, 5},
		{"past the end", Window{20, 5}, false, []int{}, false, 5},
		{"all", Window{0, 100}, false, items, false, 5},
		{"with empty pages", Window{2, 3}, true, []int{2, 3, 4}, true, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &pagedSource{items: items, pageSize: 2, empties: tt.empties}
			got, more, err := collectWindow(context.Background(), tt.w, time.Minute, src.fetch)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) || more != tt.wantMore {
				t.Errorf("got %v more=%v, want %v more=%v", got, more, tt.want, tt.wantMore)
			}
			if src.calls != tt.wantCalls {
				t.Errorf("read %d upstream pages, want %d", src.calls, tt.wantCalls)
			}
		})
	}
}

// TestCollectWindowKeepsOnlyTheWindow: a window far into a long listing
// holds its own items and a page at a time, not every item before it. The
// items here are 4 KiB each: keeping the 10,000 before the offset would
// allocate over 40 MB.
func TestCollectWindowKeepsOnlyTheWindow(t *testing.T) {
	type item struct {
		n int
		_ [4088]byte
	}
	items := make([]item, 10_100)
	for i := range items {
		items[i].n = i
	}
	var calls int
	fetch := func(_ context.Context, size int, token string) ([]item, string, error) {
		calls++
		pos, _ := strconv.Atoi(token)
		end := min(pos+min(size, maxUpstreamPage), len(items))
		next := ""
		if end < len(items) {
			next = strconv.Itoa(end)
		}
		return items[pos:end], next, nil // the source's own memory: no allocation
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, more, err := collectWindow(context.Background(), Window{Offset: 10_000, Limit: 50}, time.Minute, fetch)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 || !more || got[0].n != 10_000 || got[49].n != 10_049 {
		t.Fatalf("got %d items, more=%v; want items 10000 to 10049 and more", len(got), more)
	}
	if calls != 11 {
		t.Errorf("read %d upstream pages, want 11", calls)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 4<<20 {
		t.Errorf("allocated %d MB to return 50 items of 4 KiB: the items before the offset were kept", allocated>>20)
	}
}

package web_test

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/onbehalf/onbehalf/web"
)

// TestDistIsWhole: the embedded build has an index.html whose every script
// and style sheet is embedded too (a half-committed build fails here; a stale
// one fails `make check-web`).
func TestDistIsWhole(t *testing.T) {
	index, err := fs.ReadFile(web.Dist(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="/(assets/[^"]+)"`).FindAllStringSubmatch(string(index), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d assets, want the script and the style sheet:\n%s", len(refs), index)
	}
	for _, r := range refs {
		if _, err := fs.Stat(web.Dist(), r[1]); err != nil {
			t.Errorf("index.html names %s, which is not embedded: %v", r[1], err)
		}
	}
}

package httpapi

import (
	"fmt"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The validator leaves absent parameters absent (SkipSettingDefaults), so the
// handlers' defaults must be the contract's.
func TestHandlersDefaultAsTheContractSays(t *testing.T) {
	doc, _, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	defaults := window(nil, nil)
	seen := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, ref := range append(openapi3.Parameters{}, append(item.Parameters, op.Parameters...)...) {
				p := ref.Value
				if p.Schema == nil || p.Schema.Value == nil || p.Schema.Value.Default == nil {
					continue
				}
				seen++
				var ours int
				switch p.Name {
				case "limit":
					ours = defaults.Limit
				case "offset":
					ours = defaults.Offset
				default:
					t.Errorf("%s %s: parameter %q has a default (%v) that no handler applies", method, path, p.Name, p.Schema.Value.Default)
					continue
				}
				if contract := fmt.Sprint(p.Schema.Value.Default); contract != fmt.Sprint(ours) {
					t.Errorf("%s %s: %s defaults to %d here, to %s in the contract", method, path, p.Name, ours, contract)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no parameter of the contract has a default")
	}
}

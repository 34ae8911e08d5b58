package httpapi

import (
	"encoding/json"
	"testing"
)

// TestAnswersThatAreNotObjectsComeWrappedAsValue: the contract promises an
// object as `response`; an endpoint that answers anything else has its
// answer wrapped as {"value": ...}, as written, and an object passes as it
// came, digits and all.
func TestAnswersThatAreNotObjectsComeWrappedAsValue(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{`{"id": 12345678901234567891}`, `{"id": 12345678901234567891}`},
		{" \n{}", " \n{}"},
		{`[1, 12345678901234567891]`, `{"value":[1,12345678901234567891]}`},
		{`"text"`, `{"value":"text"}`},
		{`null`, `{"value":null}`},
		{`3.14159265358979323846`, `{"value":3.14159265358979323846}`},
	} {
		if got := string(asObject(json.RawMessage(c.raw))); got != c.want {
			t.Errorf("asObject(%s) = %s, want %s", c.raw, got, c.want)
		}
	}
}

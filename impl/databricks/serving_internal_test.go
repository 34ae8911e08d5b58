package databricks

import "testing"

// TestOutputTextReadsEachShapeItemByItem: the assistant's text is found in
// both answer shapes, with a content of either form, and an item of a shape
// not known here loses only itself, not the whole answer's text.
func TestOutputTextReadsEachShapeItemByItem(t *testing.T) {
	for _, tc := range []struct{ name, raw, want string }{
		{"responses", `{"output":[{"type":"message","content":[{"type":"output_text","text":"Hello"}]}]}`, "Hello"},
		{"chat completion", `{"choices":[{"message":{"role":"assistant","content":"Paris"}}]}`, "Paris"},
		{"chat completion of a reasoning model", `{"choices":[{"message":{"role":"assistant","content":[{"type":"reasoning","summary":[{"type":"summary_text","text":"thinking"}]},{"type":"text","text":"Paris"}]}}]}`, "Paris"},
		{"responses with a reasoning item and a tool call", `{"output":[{"type":"reasoning","summary":[]},{"type":"function_call","name":"f","arguments":"{}"},{"type":"message","content":[{"type":"output_text","text":"Done"}]}]}`, "Done"},
		{"a message whose content is a string", `{"output":[{"type":"message","content":[{"type":"output_text","text":"Hello"}]},{"type":"message","content":"plain"}]}`, "Hello\nplain"},
		{"an item of an odd shape", `{"output":[{"type":"message","content":{"text":"odd"}},7,{"type":"message","content":[{"type":"output_text","text":"kept"},{"type":"output_text","text":{"odd":1}}]}]}`, "kept"},
		{"both shapes", `{"output":[{"content":[{"type":"output_text","text":"a"}]}],"choices":[{"message":{"content":[{"type":"text","text":"b"}]}}]}`, "a\nb"},
		{"no text", `{"output":"none","choices":null}`, ""},
		{"not an object", `[1,2]`, ""},
	} {
		if got := outputText([]byte(tc.raw)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

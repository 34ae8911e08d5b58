package lakebase

import (
	"unicode"
	"unicode/utf8"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// maxUserIDLen is the width of the user_id columns.
const maxUserIDLen = 255

// checkUserID refuses a user id that is empty or could not be a Databricks
// user name: every method calls it before any query, so a missing identity
// is an error, never a query for "nobody". The id comes from Databricks, not
// from the client, so a bad one is our bug (Internal), not a 400.
func checkUserID(id string) error {
	bad := func(why string) error {
		return &apperr.Error{Kind: apperr.Internal, Detail: "The request has no valid user id.", Reason: "invalid_user_id", Err: apperr.New(apperr.Internal, why)}
	}
	switch {
	case id == "":
		return bad("empty user id")
	case utf8.RuneCountInString(id) > maxUserIDLen:
		return bad("user id longer than 255 characters")
	case !utf8.ValidString(id):
		return bad("user id is not UTF-8")
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return bad("user id holds a space or control character")
		}
	}
	return nil
}

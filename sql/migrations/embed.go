// Package migrations holds the Lakebase schema migrations, numbered, in
// tern's format (the up step, then "---- create above / drop below ----",
// then the down step), which sqlc reads as the schema.
package migrations

import "embed"

// FS holds the migration files, embedded into the binary so the server can
// apply them at start-up.
//
//go:embed *.sql
var FS embed.FS

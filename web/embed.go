// Package web holds the React front end (sources in src/, see package.json)
// and its built files (dist/), embedded in the server binary so that one
// binary is the whole app. dist/ is committed and rebuilt by `make web`;
// `make check-web` fails when it is stale, so `go build` needs no npm.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built front end, rooted at its index.html.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// dist is embedded at build time; fs.Sub fails only on an invalid name.
		panic(err)
	}
	return sub
}

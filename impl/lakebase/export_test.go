package lakebase

// JSONBLength is jsonbLength, for the tests that hold it against Postgres.
var JSONBLength = jsonbLength

# The project's commands: the same locally and in CI (see README.md).
# Every target installs what it needs itself: Go modules through the module
# proxy, npm packages from package-lock.json.

GO ?= go
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

.PHONY: run test generate check-generated lint vet unit contract fuzz bench load npm-deps clean

## run: start the server; with no DATABRICKS_HOST it runs the demo workspace.
run:
	$(GO) run ./cmd/server

## test: everything CI checks: generated code up to date, lint, all tests.
test: check-generated lint unit fuzz

## unit: every Go test, with the race detector.
unit:
	$(GO) test -race -count=1 ./...

## fuzz: a short run of each fuzz target (FUZZTIME each); seeds are in testdata/fuzz.
FUZZTIME ?= 10s
FUZZ_TARGETS = ./impl/auth:FuzzTokenScopes ./impl/auth:FuzzScopeClaims ./impl/auth:FuzzMissingScopes \
	./impl/httpapi:FuzzRequestPipeline
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$fn ($$pkg, $(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## contract: the contract tests, red against the empty server and green against the real one.
contract:
	$(GO) test -count=1 -v -run 'TestContract' ./tests/contract/

npm-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

## generate: regenerate everything in gen/ from contracts/ and sql/.
generate: npm-deps
	$(GO) run ./cmd/contractbundle -dir contracts -out gen/apidocs/openapi.json
	rm -rf gen/apidocs/swagger-ui && mkdir -p gen/apidocs/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/favicon-32x32.png node_modules/swagger-ui-dist/LICENSE gen/apidocs/swagger-ui/
	$(GO) tool oapi-codegen -config oapi-codegen.yaml gen/apidocs/openapi.json
	@if [ -f sqlc.yaml ]; then $(GO) tool sqlc generate; fi
	mkdir -p gen/ts
	npx --no-install openapi-typescript gen/apidocs/openapi.json --output gen/ts/schema.d.ts

## check-generated: fail if gen/ differs from what the contract and queries generate.
check-generated: generate
	@if [ -n "$$(git status --porcelain -- gen)" ]; then \
	  echo "gen/ is out of date: run 'make generate' and commit the result"; git status --short -- gen; exit 1; fi

## lint: go vet, staticcheck, sqlc vet, and the TypeScript client type-check.
lint: vet npm-deps
	$(GO) tool staticcheck $$($(GO) list ./... | grep -v /gen/)
	@if [ -f sqlc.yaml ]; then $(GO) tool sqlc vet; fi
	npx --no-install tsc -p tests/ts

vet:
	$(GO) vet ./...

## bench: the benchmarks (figures, not pass/fail; see docs/BENCHMARKS.md).
BENCH_BIN ?= $(shell mktemp -d)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./...
	$(GO) build -o $(BENCH_BIN)/server ./cmd/server
	$(GO) build -o $(BENCH_BIN)/forwarder ./tests/bench/forwarder
	$(GO) run ./tests/bench/loadcompare -server $(BENCH_BIN)/server -forwarder $(BENCH_BIN)/forwarder

## load: the load-with-isolation tests at full size (the race-detector run in unit is smaller).
load:
	$(GO) test -count=1 -v -run 'TestLoadIsolation' ./tests/e2e/ -load.users 50 -load.duration 20s

clean:
	rm -rf node_modules

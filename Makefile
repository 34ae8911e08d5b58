# The project's commands: the same locally and in CI (see README.md).
# Every target installs what it needs itself: Go modules through the module
# proxy, npm packages from package-lock.json.

GO ?= go
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
# sqlc is built from source (a tool directive in go.mod), and its Postgres
# parser is a large C library: compiled unoptimised, it builds in half the
# time. It is only ever run on our few queries.
SQLC = CGO_CFLAGS=-O0 $(GO) tool sqlc
# gen/db/sqlc.sum records what sqlc generate and sqlc vet last ran on (the
# sqlc version, sqlc.yaml, sql/) and what generate wrote (gen/db). When all of
# it is as recorded, neither is run again: building sqlc from source is a
# good two minutes of every CI run, and its answer cannot have changed. Any
# other state (a changed query, migration, rule or sqlc version, a hand edit
# in gen/db) runs both, and rewrites the record.
SQLC_SUM = gen/db/sqlc.sum
sqlc_state = { grep 'sqlc-dev/sqlc ' go.mod; LC_ALL=C sha256sum sqlc.yaml sql/migrations/*.sql sql/queries/*.sql gen/db/*.go; }

.PHONY: run test generate check-generated lint vet unit contract fuzz fuzz-short bench load npm-deps clean \
	web web-deps check-web server-bin e2e-db node-test browser-test build-app

## run: start the server; with no DATABRICKS_HOST it runs the demo workspace.
run:
	$(GO) run ./cmd/server

## test: everything CI checks: generated code up to date, lint, all tests.
test: check-generated check-web lint unit fuzz-short node-test browser-test

## unit: every Go test, with the race detector.
unit:
	$(GO) test -race -count=1 ./...

## fuzz: a short run of every fuzz target (FUZZTIME each); seeds are in testdata/fuzz.
# A count of executions, not a duration: Go 1.26's fuzz coordinator can fail
# a run at the end of a duration with a bare "context deadline exceeded" and
# no failing input (golang/go#75804, fixed in Go 1.27). 200000 executions are
# 8 to 30 s of fuzzing a target on these machines.
FUZZTIME ?= 200000x
# How long a new interesting input (or a failing one) is minimised: go test's
# default, 60 s. A pipeline input takes about a millisecond a run, and one
# minimisation stalled a CI run's short fuzz for a minute with no new
# executions; fuzz-short caps it.
FUZZMINIMIZE ?= 60s
# The quick targets: the token and scope parsers, and the log line encoder
# (compared with slog's own on every input).
FUZZ_QUICK = ./impl/auth:FuzzTokenScopes ./impl/auth:FuzzScanClaims ./impl/auth:FuzzScopeClaims ./impl/auth:FuzzMissingScopes \
	./impl/observe:FuzzJSONHandler
FUZZ_TARGETS = $(FUZZ_QUICK) ./impl/httpapi:FuzzRequestPipeline
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$fn ($$pkg, $(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg; \
	done

## fuzz-short: the short fuzz run of make test: the quick targets (parsers, log encoder) for QUICK_FUZZTIME each, the request pipeline for PIPELINE_FUZZTIME.
# An execution of the pipeline's target is a whole request through the stack
# (about 4,000 a second here), and fuzzing it first rebuilds its dependency
# tree with coverage instrumentation (about 1.5 minutes on a cold build
# cache); the hostile sweep sends another ~1,400 requests through it.
PIPELINE_FUZZTIME ?= 20000x
# The parsers and the log encoder have had millions of executions; in every
# run of make test they get a quarter of make fuzz's (CI's time is bounded).
QUICK_FUZZTIME ?= 50000x
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZ_TARGETS="$(FUZZ_QUICK)" FUZZTIME=$(QUICK_FUZZTIME)
	@$(MAKE) --no-print-directory fuzz FUZZ_TARGETS=./impl/httpapi:FuzzRequestPipeline FUZZTIME=$(PIPELINE_FUZZTIME) FUZZMINIMIZE=2000x

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
	@if [ -f sqlc.yaml ]; then \
	  if $(sqlc_state) | cmp -s - $(SQLC_SUM); then echo "sqlc: nothing changed since $(SQLC_SUM)"; \
	  else $(SQLC) generate && $(SQLC) vet && $(sqlc_state) > $(SQLC_SUM); fi; fi
	mkdir -p gen/ts
	npx --no-install openapi-typescript gen/apidocs/openapi.json --output gen/ts/schema.d.ts

## check-generated: fail if gen/ differs from what the contract and queries generate.
check-generated: generate
	@if [ -n "$$(git status --porcelain -- gen)" ]; then \
	  echo "gen/ is out of date: run 'make generate' and commit the result"; git status --short -- gen; exit 1; fi

## lint: go vet, staticcheck, sqlc vet, and the TypeScript type-checks (client, front end, end-to-end tests).
lint: vet npm-deps web-deps
	$(GO) tool staticcheck $$($(GO) list ./... | grep -v /gen/)
	@if [ -f sqlc.yaml ]; then \
	  if $(sqlc_state) | cmp -s - $(SQLC_SUM); then echo "sqlc vet: passed on these queries and rules ($(SQLC_SUM))"; \
	  else $(SQLC) vet; fi; fi
	npx --no-install tsc -p tests/ts
	cd web && npx --no-install tsc -p . && npx --no-install tsc -p e2e

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

## web: build the front end into web/dist (committed; embedded in the binary).
web: web-deps
	cd web && npm run build

web-deps: web/node_modules/.package-lock.json

# Not `npm ci`: the npm registry these machines reach lacks rollup's native
# builds for other platforms, so the lockfile cannot list them and `npm ci`
# refuses it as out of sync. `npm install --no-save` installs the lockfile's
# versions and never rewrites it.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-save --no-audit --no-fund

## check-web: fail if web/dist differs from what the front end's sources build.
check-web: web
	@if [ -n "$$(git status --porcelain -- web/dist)" ]; then \
	  echo "web/dist is out of date: run 'make web' and commit the result"; git status --short -- web/dist; exit 1; fi

## server-bin: the server binary the Node and browser tests run.
server-bin:
	$(GO) build -o build/server ./cmd/server

# The demo server of the Node and browser tests keeps its data in a database
# of its own, made anew for each run and reached as a role that is not a
# superuser (a superuser would bypass row-level security, as the app's
# service principal on Lakebase does not). E2E_REQUIRE_LAKEBASE=1 makes a 503
# from the preferences endpoint a failure.
E2E_DB ?= onbehalf_e2e
E2E_ROLE ?= onbehalf_e2e_app
E2E_DB_URL ?= postgres://$(E2E_ROLE)@127.0.0.1:5432/$(E2E_DB)?sslmode=disable
E2E_REQUIRE_LAKEBASE ?= 1
E2E_ENV = SERVER_BIN=$(CURDIR)/build/server DATABASE_URL='$(E2E_DB_URL)' E2E_REQUIRE_LAKEBASE=$(E2E_REQUIRE_LAKEBASE)

e2e-db:
	psql "$(PG_URL)" -v ON_ERROR_STOP=1 -q \
	  -c "DROP DATABASE IF EXISTS $(E2E_DB) WITH (FORCE)" \
	  -c "DO \$$\$$ BEGIN CREATE ROLE $(E2E_ROLE) LOGIN NOSUPERUSER NOBYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END \$$\$$" \
	  -c "CREATE DATABASE $(E2E_DB) OWNER $(E2E_ROLE)"

## node-test: the generated TypeScript client against the running server (node --test).
node-test: npm-deps server-bin e2e-db
	$(E2E_ENV) node --test tests/client/

## browser-test: the front end in Debian's Chromium (CHROMIUM=/usr/bin/chromium) against the running server.
# CHROMIUM_INSTALL_PID: a Chromium install still running (.ci/run starts one
# on a fresh machine), waited for before the test.
browser-test: web-deps server-bin e2e-db
	@if [ -n "$(CHROMIUM_INSTALL_PID)" ]; then \
	  echo "waiting for the Chromium install (.ci/run)"; \
	  while kill -0 $(CHROMIUM_INSTALL_PID) 2>/dev/null; do sleep 1; done; fi
	cd web && $(E2E_ENV) node --test e2e/

## build-app: the app for Databricks Apps (linux/amd64) in build/app, with app.yaml.
build-app:
	rm -rf build/app && mkdir -p build/app
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='-s -w' -o build/app/server ./cmd/server
	cp app.yaml build/app/

clean:
	rm -rf node_modules web/node_modules build

# Ferry — make run starts the server on its embedded default; make test runs every test.
GO        ?= go
# bash, for pipefail in the test recipe.
SHELL     := /bin/bash
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 15s
# PostgreSQL for the store conformance suite; .ci/run makes sure it runs.
export FERRY_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
# staticcheck, pinned: the newest honnef.co/go/tools release that supports go1.26
# (v0.8.2 is staticcheck 2026.2.2). make lint installs it when missing or of another version.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: run build test deps vet lint fuzz bench bench-smoke generate clean

run: ## run Ferry in dev mode: local registry, local env repo, SQLite in ./data
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/ferry serve --dev

build: ## build bin/ferry
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ferry ./cmd/ferry

test: deps vet lint ## every test: unit, contract, store (SQLite and PostgreSQL), end-to-end, bounded fuzzing
	@# -json through test/testsummary: failing tests print in full, passing ones stay quiet,
	@# and every skip is listed with its reason at the end; with CI=true a skip fails the run.
	set -o pipefail; $(GO) test -json -race -count=1 -timeout 20m ./... 2>&1 | $(GO) run ./test/testsummary
	$(MAKE) fuzz
	$(MAKE) bench-smoke

deps: ## install (as root, from Debian) and start what the tests need: git, docker-registry, PostgreSQL
	@bash .ci/deps.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

lint: ## staticcheck ./... with the pinned version
	@$(STATICCHECK) -version 2>/dev/null | grep -qF '($(STATICCHECK_VERSION:v%=%))' || \
		GOBIN=$(dir $(STATICCHECK)) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...

fuzz: ## bounded runs of every fuzz target
	$(GO) test -run='^$$' -fuzz='^FuzzSet$$' -fuzztime=$(FUZZTIME) ./internal/manifest
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeBuild$$' -fuzztime=$(FUZZTIME) ./internal/server
	$(GO) test -run='^$$' -fuzz='^FuzzVerify$$' -fuzztime=$(FUZZTIME) ./internal/stdwebhook
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./internal/commitmsg

bench: ## the performance suite (test/bench): Ferry against the script baseline, every scenario, designed to finish under 20 minutes on 2 cores
	$(GO) run ./test/bench -scale full

bench-smoke: ## a seconds-long run of every bench scenario, to keep the suite working
	$(GO) run ./test/bench -scale smoke

clean:
	rm -rf bin data

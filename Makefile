# Ferry — make run starts the server on its embedded default; make test runs every test.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 15s
# PostgreSQL for the store conformance suite; .ci/run makes sure it runs.
export FERRY_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: run build test deps vet fuzz bench bench-smoke generate clean

run: ## run Ferry in dev mode: local registry, local env repo, SQLite in ./data
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/ferry serve --dev

build: ## build bin/ferry
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ferry ./cmd/ferry

test: deps vet ## every test: unit, contract, store (SQLite and PostgreSQL), end-to-end, bounded fuzzing
	$(GO) test -race -count=1 -timeout 20m ./...
	$(MAKE) fuzz
	$(MAKE) bench-smoke

deps: ## install (as root, from Debian) and start what the tests need: git, docker-registry, PostgreSQL
	@bash .ci/deps.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

fuzz: ## bounded runs of every fuzz target
	$(GO) test -run='^$$' -fuzz='^FuzzSet$$' -fuzztime=$(FUZZTIME) ./internal/manifest
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeBuild$$' -fuzztime=$(FUZZTIME) ./internal/server
	$(GO) test -run='^$$' -fuzz='^FuzzVerifySignature$$' -fuzztime=$(FUZZTIME) ./internal/server

bench: ## the performance suite (test/bench): Ferry against the script baseline, five scenarios, under 15 minutes
	$(GO) run ./test/bench -scale full

bench-smoke: ## a seconds-long run of every bench scenario, to keep the suite working
	$(GO) run ./test/bench -scale smoke

clean:
	rm -rf bin data

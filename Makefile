# tandem: build, test and run the test environment. `make help` lists the targets.
SHELL   := /bin/bash
GO      ?= go
ENV     := itest/env/tandem-env
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/tandemcdc/tandem/internal/buildinfo.Version=$(VERSION)
# Integration tests run against the servers in this env file. Left empty, `make test` starts its own
# environment with $(ENV) and stops it afterwards; set it to use servers of your own (see README).
TANDEM_ENV_FILE ?=
ITEST_TIMEOUT   ?= 25m
# The server flavors the environment starts and the integration tests run against, once per flavor:
# mariadb (MariaDB 10.11 from Debian) and/or mysql (MySQL 9.7 from Debian sid; its first install takes
# about 3 minutes). A TANDEM_ENV_FILE of your own names one flavor itself.
FLAVORS ?= mariadb
export TANDEM_ENV_FLAVORS := $(FLAVORS)
# env_file FLAVOR: the env file tandem-env writes for a flavor.
env_file = $(CURDIR)/.tandem-env/$(if $(filter mysql,$(1)),env-mysql,env)
# Fault tests stop and start services through this script: only in an environment the Makefile runs.
TANDEM_ENV_SCRIPT ?= $(if $(TANDEM_ENV_FILE),,$(CURDIR)/$(ENV))

FUZZTIME ?= 30s

.PHONY: help build test unit itest env-up env-down env-status env-clean compose-check vet fuzz bench bench-codecs bench-source bench-sink bench-pipeline test-faults demo demo-stop

help:
	@echo "make demo           start the environment and the bidirectional pipeline A <-> B, write, show checksums"
	@echo "make demo-stop      stop the demo's connectors (make env-down stops the servers)"
	@echo "make build          build bin/source-connector and bin/sink-connector"
	@echo "make test           start MariaDB A+B (and/or MySQL A+B: FLAVORS) and Kafka, run unit + integration tests, stop them"
	@echo "make unit           unit tests only (go test -race ./...)"
	@echo "make itest          integration tests against a running environment (make env-up)"
	@echo "make env-up         install and start the test environment; make env-down stops it"
	@echo "make compose-check  validate docker-compose.yml with docker-compose config"
	@echo "make fuzz           run every fuzz test for FUZZTIME each (default 30s)"
	@echo "make bench          codec micro-benchmarks, bench-source, bench-sink, bench-pipeline (need make env-up)"
	@echo "make test-faults    fault, burst and size tests at full size (about ten minutes)"

demo:
	demo/run

demo-stop:
	demo/run stop

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./source-connector ./sink-connector

# test returns the tests' status; the environment it started is stopped whatever happens.
test:
ifeq ($(TANDEM_ENV_FILE),)
	@$(ENV) up || { $(ENV) down; echo "make test: the test environment did not start" >&2; exit 1; }; \
	trap 'st=$$?; if [ $$st -eq 0 ]; then $(ENV) clean; else $(ENV) down; echo "make test: logs kept in .tandem-env/" >&2; fi; exit $$st' EXIT; \
	$(MAKE) --no-print-directory checks TANDEM_ENV_SCRIPT=$(CURDIR)/$(ENV)
else
	@$(MAKE) --no-print-directory checks
endif

# checks runs every suite even when one fails, then reports failure.
checks:
	@status=0; \
	$(MAKE) --no-print-directory vet || status=1; \
	$(MAKE) --no-print-directory compose-check || status=1; \
	$(MAKE) --no-print-directory unit || status=1; \
	$(MAKE) --no-print-directory itest || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED" >&2; fi; exit $$status

unit:
	$(GO) test -race -count=1 ./...

# itest runs the suite once per flavor of FLAVORS (against the env file of each), or once against TANDEM_ENV_FILE.
itest:
ifeq ($(TANDEM_ENV_FILE),)
	@status=0; for f in $(FLAVORS); do \
	  case $$f in mariadb) ef=$(call env_file,mariadb) ;; mysql) ef=$(call env_file,mysql) ;; \
	    *) echo "FLAVORS: unknown flavor $$f (want mariadb, mysql)" >&2; exit 2 ;; esac; \
	  echo "== integration tests on $$f ($$ef)"; \
	  TANDEM_ENV_FILE=$$ef TANDEM_ENV_SCRIPT=$(TANDEM_ENV_SCRIPT) \
	    $(GO) test -race -count=1 -tags integration -timeout $(ITEST_TIMEOUT) ./itest/... ./sink-connector/... || status=1; \
	done; exit $$status
else
	TANDEM_ENV_FILE=$(TANDEM_ENV_FILE) TANDEM_ENV_SCRIPT=$(TANDEM_ENV_SCRIPT) \
	  $(GO) test -race -count=1 -tags integration -timeout $(ITEST_TIMEOUT) ./itest/... ./sink-connector/...
endif

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags integration ./itest/... ./sink-connector/...

env-up:
	@$(ENV) up
env-down:
	@$(ENV) down
env-status:
	@$(ENV) status
env-clean:
	@$(ENV) clean

# docker-compose.yml is checked with Debian's docker-compose (installed when missing); no Docker engine is needed.
compose-check:
	@$(ENV) compose-check docker-compose.yml

# fuzz runs each fuzz test in turn: the decoders, and the sink's path from a record to its SQL (loop
# marker, schema to DDL, decode + plan + bind). Minimisation is bounded: a long one stalls the engine.
# make unit runs their seed corpora as ordinary tests.
FUZZ_PKGS ?= ./envelope/ ./sink-connector/internal/batch/ ./sink-connector/internal/apply/
fuzz:
	@for p in $(FUZZ_PKGS); do for f in $$($(GO) test $$p -list '^Fuzz' | grep ^Fuzz); do \
	  echo "== $$p $$f"; $(GO) test $$p -run XXX -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s || exit 1; done; done

# test-faults runs the fault, burst and size tests at the sizes the issues ask for (about ten minutes on our machine),
# against the environment it starts. make test runs the same tests small.
test-faults:
	@$(ENV) up
	@status=0; for f in $(FLAVORS); do \
	echo "== fault tests on $$f"; \
	TANDEM_ITEST_KILLS=10 TANDEM_ITEST_OUTAGE_SECONDS=30 TANDEM_ITEST_BIG_ROWS=1000000 \
	  TANDEM_ITEST_SINK_KILLS=10 TANDEM_ITEST_SINK_CHANGES=1000000 \
	  TANDEM_ITEST_SNAPSHOT_ROWS=2000000 TANDEM_ITEST_SNAPSHOT_KILLS=2 TANDEM_ITEST_BIDI_CHANGES=100000 \
	  TANDEM_ITEST_FAULT_ROUNDS=3 TANDEM_ITEST_BURST_ROWS=1000000 TANDEM_ITEST_SAVEPOINT_ROWS=200000 \
	  TANDEM_ENV_FILE=$$([ $$f = mysql ] && echo $(call env_file,mysql) || echo $(call env_file,mariadb)) \
	  TANDEM_ENV_SCRIPT=$(CURDIR)/$(ENV) \
	  $(GO) test -count=1 -tags integration -timeout 180m -v \
	  -run 'Survives|SavepointsAndXA|BigTransaction|SnapshotConsistent|Bidirectional|PipelineFaults|PipelineBurst' ./itest/ || status=1; \
	done; exit $$status

# bench prints one summary (bench/results/summary.md): the machine, then every table.
bench: bench-codecs bench-source bench-sink bench-pipeline
	@{ echo "# tandem benchmarks, $$(date -u +%F)"; echo; \
	  echo "machine: $$(nproc) cores, $$(free -g | awk '/Mem:/{print $$2}') GiB; $$($(GO) version | cut -d' ' -f3); MariaDB $$(/usr/sbin/mariadbd --version 2>/dev/null | awk '{print $$3}'); Kafka 4.1.1 (KRaft, 1 broker)"; \
	  cat bench/results/source.md bench/results/sink.md bench/results/pipeline.md; } > bench/results/summary.md
	@cat bench/results/summary.md

bench-codecs:
	$(GO) test ./envelope/ -run XXX -bench . -benchmem -benchtime 2s

# bench-source needs the environment (make env-up). Sizes: BULK_ROWS, TXNS.
BULK_ROWS ?= 1000000
TXNS      ?= 200000
bench-source:
	@mkdir -p bench/results
	TANDEM_BENCH=1 TANDEM_BENCH_BULK_ROWS=$(BULK_ROWS) TANDEM_BENCH_TXNS=$(TXNS) \
	  TANDEM_BENCH_OUT=$(CURDIR)/bench/results/source.md TANDEM_ENV_FILE=$(or $(TANDEM_ENV_FILE),$(CURDIR)/.tandem-env/env) \
	  $(GO) test -count=1 -tags integration -timeout 60m -run TestBenchSource -v ./itest/ | grep -v '^=== '
	@cat bench/results/source.md

# bench-pipeline needs the environment (make env-up). LATENCY_SECONDS per rate, RAW_ROWS for the limits.
LATENCY_SECONDS ?= 60
RAW_ROWS        ?= 1000000
bench-pipeline:
	@mkdir -p bench/results
	TANDEM_BENCH=1 TANDEM_BENCH_LATENCY_SECONDS=$(LATENCY_SECONDS) TANDEM_BENCH_RAW_ROWS=$(RAW_ROWS) \
	  TANDEM_BENCH_OUT=$(CURDIR)/bench/results/pipeline.md TANDEM_ENV_FILE=$(or $(TANDEM_ENV_FILE),$(CURDIR)/.tandem-env/env) \
	  $(GO) test -count=1 -tags integration -timeout 60m -run TestBenchPipeline -v ./itest/ | grep -v '^=== '
	@cat bench/results/pipeline.md

# bench-sink needs the environment (make env-up). Size: SINK_CHANGES.
SINK_CHANGES ?= 1000000
bench-sink:
	@mkdir -p bench/results
	TANDEM_BENCH=1 TANDEM_BENCH_SINK_CHANGES=$(SINK_CHANGES) \
	  TANDEM_BENCH_OUT=$(CURDIR)/bench/results/sink.md TANDEM_ENV_FILE=$(or $(TANDEM_ENV_FILE),$(CURDIR)/.tandem-env/env) \
	  $(GO) test -count=1 -tags integration -timeout 60m -run TestBenchSink -v ./itest/ | grep -v '^=== '
	@cat bench/results/sink.md

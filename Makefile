# Trappan: the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
BUF_VERSION := 1.75.0
TOOLS := .tools

.PHONY: run test test-slow lint fmt build image k8s-check buf bench loadgen stubs web

## make run: build and start the whole suite on SQLite (.trappan/) with the demo municipality 0767.
run:
	cargo build --bin trappan
	@echo "Starting bistand :50051, insatser :50052, ungsam :50053, rapport :50054 (Ctrl-C stops);"
	@echo "the suite says when it is ready and what to try first."
	target/debug/trappan serve all --demo

## make test: unit tests, integration tests on SQLite and PostgreSQL, and the Kubernetes checks.
test:
	bash scripts/test.sh

## make bench: criterion benches of the hot pure code (identity numbers, the norm and a whole calculation,
## report aggregation at a city's size) and the load generator's default mix beside its bare tonic baseline.
bench:
	cargo bench -p trappan-platform --bench personnummer
	cargo bench -p trappan-bistand --bench norm
	cargo bench -p trappan-rapport --bench scale
	$(MAKE) loadgen

## make loadgen: bistand's calls under load, each beside a bare tonic baseline (docs/performance.md).
loadgen:
	cargo build --release --bin trappan
	target/release/trappan loadgen

## make test-slow: the long tests (CI runs them after make test): 2 000 rounds of racing payments and
## omprövningar on PostgreSQL, checking that no month is paid above its standing grant.
test-slow:
	cargo test --test suite bistand::payments -- --ignored

## make lint: formatting, clippy, buf lint of the contracts and buf breaking against main (the previous commit on
## main, or the merge-base with main on a branch: scripts/buf-breaking.sh).
lint: buf
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(TOOLS)/node_modules/.bin/buf lint
	bash scripts/buf-breaking.sh

## make stubs: Python and TypeScript client stubs from proto/ into gen/python and gen/ts (git-ignored; tools from
## PyPI and npm into .tools/); examples/python/walkthrough.py uses them.
stubs:
	bash scripts/stubs.sh

## make web: the gRPC-Web example page (examples/web) bundled with esbuild from npm into examples/web/dist
## (git-ignored), from the TypeScript stubs of make stubs.
web:
	bash scripts/web.sh

buf:
	@test -x $(TOOLS)/node_modules/.bin/buf || npm install --prefix $(TOOLS) --no-audit --no-fund --silent @bufbuild/buf@$(BUF_VERSION)

fmt:
	cargo fmt --all

build:
	cargo build --bin trappan

## make image: the container image (buildah or podman where available; see k8s/README.md).
image:
	bash k8s/build-image.sh

## make k8s-check: render, validate and policy-test the manifests against the built binary.
k8s-check: build
	TRAPPAN_BIN=target/debug/trappan bash tests/k8s/check.sh

# Kube Playground — two commands: `make serve` and `make test`.
# Every tool is installed here when missing (idempotent: present tools are skipped).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NPM_BIN := $(shell npm prefix -g 2>/dev/null)/bin
export PATH := $(HOME)/.cargo/bin:$(NPM_BIN):$(PATH)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

TRUNK_VERSION := 0.21.14
BINARYEN_VERSION := 132
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)
PORT ?= 8080

.PHONY: help serve dist dist-profile test tools tools-test lint unit metrics browser e2e bundle-size bench bench-browser thumbnails

help:
	@echo "make serve   build the page and serve it at http://127.0.0.1:$(PORT)"
	@echo "make test    install missing tools, then run every test layer"
	@echo "make dist    build dist/ for any static host"
	@echo "make bench   print native simulation figures (speed, scale, join storms, etcd disk)"
	@echo "make bench-browser PRESET=large   the scale benchmark in headless Chromium"
	@echo "make dist-profile  the page with function names, for bench_scale.mjs --profile"
	@echo "make thumbnails  render the lesson picker's images (after adding a lesson)"

# ---------------------------------------------------------------- tools

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@trunk --version 2>/dev/null | grep -q ' $(TRUNK_VERSION)$$' || cargo install trunk --version $(TRUNK_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q ' $(WASM_BINDGEN_VERSION)$$' || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@wasm-opt --version 2>/dev/null | grep -q 'version $(BINARYEN_VERSION)' || npm install -g binaryen@$(BINARYEN_VERSION)

tools-test: tools
	@[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver; }
	@[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
	@command -v promtool >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends prometheus; }

# ---------------------------------------------------------------- build

dist: tools
	trunk build --release --offline

# The page with its wasm functions' names kept, for CPU profiles (bench_scale.mjs --profile):
# Trunk reads the asset paths beside its HTML, so the variant HTML sits in the root for the
# build only.
dist-profile: tools
	sed 's/data-wasm-opt="z"/data-wasm-opt="z" data-wasm-opt-params="-g" data-keep-debug/' index.html > index-profile.html
	CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_PROFILE_RELEASE_STRIP=none \
	  trunk build --release --offline --dist target/dist-profile index-profile.html \
	  || { rm -f index-profile.html; exit 1; }
	rm -f index-profile.html

serve: dist
	@echo "Kube Playground at http://127.0.0.1:$(PORT)"
	python3 -m http.server $(PORT) --bind 127.0.0.1 --directory dist

# ---------------------------------------------------------------- tests

test: tools-test lint unit metrics browser dist e2e bundle-size
	@echo "make test: all layers passed"

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings

unit:
	cargo test

# Every component's /metrics through promtool check metrics.
metrics:
	cargo build --bin kubesim
	scripts/promtool-check.sh target/debug/kubesim

browser:
	CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test wasm

e2e:
	node tests/e2e/run.mjs

bundle-size:
	@scripts/bundle-size.sh dist

bench:
	cargo run --profile bench-native --bin kubesim -- bench --minutes 10
	cargo run --profile bench-native --bin kubesim -- bench cluster --preset openai-7500 --nodes 1000
	cargo run --profile bench-native --bin kubesim -- bench join --nodes 1000
	cargo run --profile bench-native --bin kubesim -- bench join --nodes 1000 --spread 10
	cargo run --profile bench-native --bin kubesim -- bench disk --fsync-us 2000
	cargo run --profile bench-native --bin kubesim -- bench endpoints --nodes 1000 --endpoints 1000

# In headless Chromium (prints figures): the default scene's frame times, then a scale
# preset (minutes): make bench-browser PRESET=large
PRESET ?= large
bench-browser: dist tools-test
	node tests/e2e/bench_frames.mjs
	node tests/e2e/bench_scale.mjs $(PRESET)

# The lesson picker's images, committed under public/lessons/.
thumbnails: dist tools-test
	node tests/e2e/thumbnails.mjs

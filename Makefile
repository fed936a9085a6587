# evnode's front door. `make run` serves examples/public on http://127.0.0.1:8080;
# `make test` builds the release and ASan+UBSan trees and runs the whole suite in both, and the
# threaded tests under ThreadSanitizer (`make tsan` runs those alone).
# The real build lives in CMakeLists.txt and CMakePresets.json; this file only sequences it.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

CMAKE ?= cmake
CTEST ?= ctest
# Ninja picks the parallelism (cores + 2); `make build JOBS=1` overrides it.
JOBS ?=
BUILD_FLAGS := $(if $(JOBS),-j $(JOBS))
PORT ?= 8080
FUZZ_RUNS ?= 10000000
FUZZ_FLAGS ?=

TEST_ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=1
TEST_UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

# Configure a preset only once (a tree whose configure was cut short has no build.ninja yet and
# is configured again): an existing tree re-runs cmake by itself when the lists change.
configure = [ -f $(2)/build.ninja ] || $(CMAKE) --preset $(1)

TEST_TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1

.PHONY: all deps test-deps build run test tsan bench fuzz install deb docs format clean

all: build

deps:
	@bash scripts/install-deps.sh build

test-deps:
	@bash scripts/install-deps.sh test

build: deps
	@$(call configure,release,build)
	$(CMAKE) --build --preset release $(BUILD_FLAGS)

run: build
	exec build/bin/evnode serve examples/public --port $(PORT)

# The ThreadSanitizer tree (build-tsan): only the tests that run loops on several threads
# (test_threads: posting between loops, cluster servers under load, stop during load, workers,
# and the thread-exit tests), so it adds a few minutes, not a third full suite.
tsan: test-deps
	@$(call configure,tsan,build-tsan)
	$(CMAKE) --build --preset tsan $(BUILD_FLAGS)
	TSAN_OPTIONS=$(TEST_TSAN_OPTIONS) $(CTEST) --preset tsan

# The three trees are built before any suite runs (the TSan one holds only the threaded tests);
# every suite runs even if one fails. Then
# every fuzz target is built (build-fuzz) and run for FUZZ_TEST_SECONDS over a scratch copy of
# its corpus (scripts/fuzz-check.sh). The summaries are printed together at the end, and the
# target fails if any of the three did.
FUZZ_TEST_SECONDS ?= 30
test: test-deps
	@$(call configure,release,build)
	$(CMAKE) --build --preset release $(BUILD_FLAGS)
	@$(call configure,asan,build-asan)
	$(CMAKE) --build --preset asan $(BUILD_FLAGS)
	@$(call configure,tsan,build-tsan)
	$(CMAKE) --build --preset tsan $(BUILD_FLAGS)
	@rc=0; \
	$(CTEST) --preset release 2>&1 | tee build/ctest.log || rc=1; \
	ASAN_OPTIONS=$(TEST_ASAN_OPTIONS) UBSAN_OPTIONS=$(TEST_UBSAN_OPTIONS) \
	  $(CTEST) --preset asan 2>&1 | tee build-asan/ctest.log || rc=1; \
	TSAN_OPTIONS=$(TEST_TSAN_OPTIONS) $(CTEST) --preset tsan 2>&1 | tee build-tsan/ctest.log \
	  || rc=1; \
	JOBS=$(JOBS) bash scripts/fuzz-check.sh $(FUZZ_TEST_SECONDS) 2>&1 | tee build/fuzz-check.log \
	  || rc=1; \
	for t in release:build asan:build-asan tsan:build-tsan; do \
	  echo; echo "== ctest $${t%%:*}"; \
	  sed -n '/tests passed\|No tests were found/,$$p' "$${t#*:}/ctest.log"; \
	done; \
	echo; echo "== fuzz"; grep '^fuzz' build/fuzz-check.log || echo "fuzz: FAILED: no result"; \
	totals=$$(cat build/ctest.log build-asan/ctest.log build-tsan/ctest.log | sed -n \
	  's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1 \2/p' | \
	  awk '{f += $$1; t += $$2} END {print t - f " passed, " f " failed"}'); \
	if [ $$rc -ne 0 ]; then echo; echo "make test: FAILED"; echo "$$totals"; exit 1; fi; \
	echo; echo "make test: all passed"; echo "$$totals"

bench: test-deps build
	bash bench/run.sh $(SUITES)

# Every fuzz target (fuzz/<name>_fuzz.cc, built as build-fuzz/bin/fuzz_<name>) runs a bounded
# number of inputs over a working copy of its seed corpus fuzz/corpus/<name> (the copy,
# fuzz/corpus-work/<name>, keeps what it finds), with fuzz/<name>.dict if there is one.
fuzz: test-deps
	@$(call configure,fuzz,build-fuzz)
	$(CMAKE) --build --preset fuzz --target fuzz_targets $(BUILD_FLAGS)
	@found=0; \
	for src in fuzz/*_fuzz.cc; do \
	  [ -f "$$src" ] || continue; \
	  name=$${src#fuzz/}; name=$${name%_fuzz.cc}; found=1; \
	  bin=build-fuzz/bin/fuzz_$$name; \
	  work=fuzz/corpus-work/$$name; mkdir -p "$$work"; \
	  if [ -d "fuzz/corpus/$$name" ]; then cp -R "fuzz/corpus/$$name/." "$$work/"; fi; \
	  dict=(); if [ -f "fuzz/$$name.dict" ]; then dict=("-dict=fuzz/$$name.dict"); fi; \
	  echo "== fuzz $$name: $(FUZZ_RUNS) runs"; \
	  "$$bin" -runs=$(FUZZ_RUNS) $(FUZZ_FLAGS) "$${dict[@]}" "$$work"; \
	done; \
	if [ $$found -eq 0 ]; then echo "fuzz: no fuzz targets in fuzz/"; fi

# The library, headers, CLI, man page, CMake package and pkg-config file under PREFIX.
PREFIX ?= /usr/local
install: build
	$(CMAKE) --install build --prefix $(PREFIX)

# build/evnode_X.Y.Z_amd64.deb (CPack): what `install` installs, under /usr.
deb: build
	cd build && cpack -G DEB

# The API reference, from the public headers' doc comments: build/docs/html/index.html. Every
# Doxygen warning (an undocumented public symbol among them) fails it, as it fails `make test`
# (docs.ApiReferenceHasNoDoxygenWarnings).
docs: test-deps
	mkdir -p build/docs
	doxygen docs/Doxyfile

format:
	@dirs="$(wildcard src include tools examples tests fuzz bench)"; \
	if [ -n "$$dirs" ]; then \
	  find $$dirs -type f \( -name '*.cc' -o -name '*.h' \) -print0 | xargs -0 -r clang-format -i; \
	fi

clean:
	rm -rf build build-asan build-tsan build-fuzz fuzz/corpus-work

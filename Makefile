# Thin front over the CMake presets and the dependency script.
# `make demo` and `make test` install what is missing first (Debian packages).

JOBS ?= $(shell nproc)
SETUP := scripts/setup-deps.sh
CTEST := ctest --preset host -j $(JOBS)

.PHONY: all deps demo build test test-host lint format clean help bench bench-smoke

all: build

help:
	@echo "make demo   install what is missing, build, run the two-core demo"
	@echo "make test   install what is missing, build, run every test (CTest)"
	@echo "make lint   clang-format and clang-tidy on lib/"
	@echo "make test-target  unit tests on QEMU Cortex-M7 (mps2-an500) and Cortex-M4 (mps2-an386)"
	@echo "make test-dualcore  the link on two Cortex-M33 cores (QEMU mps2-an521, MHU doorbell)"
	@echo "make size   library size per module on both cores; fails over the Cortex-M4 budget"
	@echo "make size-report  the same report, exit 0 even over budget (CI)"
	@echo "make bench  build Release, run the benchmarks (minutes), report in bench-report/"
	@echo "make bench-smoke  every benchmark with tiny counts (CI): checks they work"
	@echo "make fuzz   each libFuzzer target for FUZZ_SECONDS (default 60) with clang-14"
	@echo "make fuzz-ci  each fuzz target for FUZZ_CI_SECONDS (default 15)"
	@echo "make test-asan / test-tsan / test-valgrind  every test under ASan+UBSan / TSan / memcheck"
	@echo "make soak   10 million messages each way on the virtual board, 0 lost (SOAK_MESSAGES)"
	@echo "make soak-ci  the same with 1 million (CI)"
	@echo "make clean  remove build/"

deps:
	@bash $(SETUP) test

build:
	cmake --preset host >/dev/null
	cmake --build --preset host -j $(JOBS)

demo:
	@bash $(SETUP) demo
	@cmake --preset host -DAMP_BUILD_TESTS=OFF >/dev/null
	@cmake --build --preset host -j $(JOBS) --target amp-board >/dev/null
	@./build/host/bin/amp-board run

test: deps
	cmake --preset host -DAMP_BUILD_TESTS=ON >/dev/null
	cmake --build --preset host -j $(JOBS)
	$(CTEST)
	$(MAKE) test-target
	$(MAKE) test-dualcore

test-host: build
	$(CTEST)

# Cortex-M7 / Cortex-M4 builds (presets cm7, cm4 -> build/cm7, build/cm4). Building
# them also runs the link check (no heap, exceptions, RTTI or printf in lib/).
TARGET_BUILDS := build/cm7 build/cm4
.PHONY: target-build test-target size size-report

target-build: deps
	@for p in cm7 cm4; do \
	  cmake --preset $$p >/dev/null && cmake --build --preset $$p -j $(JOBS) || exit 1; \
	done

test-target: target-build
	@bash scripts/test-target.sh $(TARGET_BUILDS)

size: target-build
	@bash scripts/size-report.sh $(TARGET_BUILDS)

# The same report without failing on the budget (CI prints it on every run).
size-report: target-build
	@bash scripts/size-report.sh --report-only $(TARGET_BUILDS)

# The dual-core board (preset m33 -> build/m33): CPU0 the CM7 role, CPU1 the
# CM4 role over the shared-memory link; each run bounded by AMP_QEMU_TIMEOUT.
.PHONY: test-dualcore
test-dualcore: deps
	@cmake --preset m33 >/dev/null
	@cmake --build --preset m33 -j $(JOBS)
	@bash scripts/test-dualcore.sh build/m33

# Benchmarks (bench/README.md): Release build in build/release.
bench:
	@bash $(SETUP) bench
	@cmake --preset release -DAMP_BUILD_TESTS=OFF >/dev/null
	@cmake --build --preset release -j $(JOBS) --target amp-bench
	@python3 bench/run.py --build build/release --out bench-report

bench-smoke:
	@bash $(SETUP) bench
	@cmake --preset release -DAMP_BUILD_TESTS=OFF >/dev/null
	@cmake --build --preset release -j $(JOBS) --target amp-bench
	@python3 bench/run.py --build build/release --out build/release/bench-smoke --smoke

# Hardening (tests/fuzz/README.md): libFuzzer targets built with clang-14 in
# build/fuzz, sanitizers in build/asan and build/tsan, valgrind in build/e-valgrind.
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 15
.PHONY: fuzz fuzz-ci test-asan test-tsan test-valgrind

fuzz:
	@bash $(SETUP) fuzz
	@JOBS=$(JOBS) bash scripts/fuzz.sh run $(FUZZ_SECONDS)

fuzz-ci:
	@bash $(SETUP) fuzz
	@JOBS=$(JOBS) bash scripts/fuzz.sh run $(FUZZ_CI_SECONDS)

test-asan: deps
	@JOBS=$(JOBS) bash scripts/sanitizers.sh asan

test-tsan: deps
	@JOBS=$(JOBS) bash scripts/sanitizers.sh tsan

test-valgrind: deps
	@JOBS=$(JOBS) bash scripts/sanitizers.sh valgrind

# Soak (scripts/soak.sh): two amp-board processes exchange SOAK_MESSAGES
# hellos each way; fails on any loss or counter the two cores disagree on.
# Release build in build/soak.
SOAK_MESSAGES ?= 10000000
.PHONY: soak soak-ci

soak:
	@bash $(SETUP) demo
	@JOBS=$(JOBS) bash scripts/soak.sh $(SOAK_MESSAGES)

soak-ci:
	@bash $(SETUP) demo
	@JOBS=$(JOBS) bash scripts/soak.sh 1000000

lint:
	@bash scripts/lint.sh

format:
	clang-format -i $$(git ls-files 'lib/*.h' 'lib/*.cpp')

clean:
	rm -rf build bench-report

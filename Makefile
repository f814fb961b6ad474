# Thin front over the CMake presets and the dependency script.
# `make demo` and `make test` install what is missing first (Debian packages).

JOBS ?= $(shell nproc)
SETUP := scripts/setup-deps.sh
CTEST := ctest --preset host -j $(JOBS)

.PHONY: all deps demo build test test-host lint format clean help

all: build

help:
	@echo "make demo   install what is missing, build, run the two-core demo"
	@echo "make test   install what is missing, build, run every test (CTest)"
	@echo "make lint   clang-format and clang-tidy on lib/"
	@echo "make clean  remove build/"

deps:
	@bash $(SETUP) test

build:
	cmake --preset host >/dev/null
	cmake --build --preset host -j $(JOBS)

demo:
	@bash $(SETUP) demo
	@cmake --preset host -DAMP_BUILD_TESTS=OFF >/dev/null
	@cmake --build --preset host -j $(JOBS) --target amp-demo-loopback >/dev/null
	@./build/host/host/amp-demo-loopback

test: deps
	cmake --preset host -DAMP_BUILD_TESTS=ON >/dev/null
	cmake --build --preset host -j $(JOBS)
	$(CTEST)

test-host: build
	$(CTEST)

lint:
	@bash scripts/lint.sh

format:
	clang-format -i $$(git ls-files 'lib/*.h' 'lib/*.cpp')

clean:
	rm -rf build bench-report

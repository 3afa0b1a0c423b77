# A thin layer over CMake presets (CMakePresets.json). `make help` lists the targets.
PRESET   ?= default
JOBS     ?= $(shell nproc)
PROGRAMS := server client

# Debian packages each job needs; scripts/ensure-packages.sh installs the missing ones.
BUILD_PACKAGES := cmake g++ make libgtest-dev libgmock-dev
CHECK_PACKAGES := $(BUILD_PACKAGES) clang-format

SOURCES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null)

.PHONY: all build demo check test test-asan format format-check deps check-deps clean help

all: build

help:
	@echo "make            build ./server and ./client (preset $(PRESET))"
	@echo "make demo       build, start servers on loopback, run the course's calls, stop"
	@echo "make check      build and run every test (optimised and ASan+UBSan builds)"
	@echo "make format     clang-format every source file"
	@echo "make clean      remove build/ and the programs at the root"

deps:
	@scripts/ensure-packages.sh $(BUILD_PACKAGES)

check-deps:
	@scripts/ensure-packages.sh $(CHECK_PACKAGES)

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)
	@for p in $(PROGRAMS); do ln -sf build/$(PRESET)/bin/$$p $$p; done

demo: build
	@scripts/demo.sh

test: build
	ctest --preset $(PRESET) -j $(JOBS)

test-asan: check-deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

check: check-deps format-check test test-asan

format:
	clang-format -i $(SOURCES)

format-check: check-deps
	@clang-format --dry-run --Werror $(SOURCES) && echo "format: clean"

clean:
	rm -rf build $(PROGRAMS)

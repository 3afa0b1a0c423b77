# A thin layer over CMake presets (CMakePresets.json). `make help` lists the targets.
PRESET   ?= default
JOBS     ?= $(shell nproc)
PROGRAMS := server client linksim loadgen

# Debian packages each job needs; scripts/ensure-packages.sh installs the missing ones.
BUILD_PACKAGES := cmake g++ make libgtest-dev libgmock-dev
CHECK_PACKAGES := $(BUILD_PACKAGES) clang-format clang-14 libclang-rt-14-dev tshark sockperf
FUZZ_SECONDS   ?= 60

SOURCES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null)

.PHONY: all build demo check test test-asan test-tsan fuzz format format-check deps check-deps \
        clean help

all: build

help:
	@echo "make            build ./server and ./client (preset $(PRESET))"
	@echo "make demo       build, start servers on loopback, run the course's calls, stop"
	@echo "make check      build and run every test (optimised and ASan+UBSan builds)"
	@echo "make fuzz       run the libFuzzer target for FUZZ_SECONDS (default 60)"
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

test-tsan: check-deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan -j $(JOBS)

# New inputs go to build/fuzz/corpus; the seed corpus in tests/ is only read.
fuzz: check-deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz --target fuzz_answer -j $(JOBS)
	@mkdir -p build/fuzz/corpus
	@echo "fuzzing fuzz_answer for $(FUZZ_SECONDS) s"
	@build/fuzz/bin/fuzz_answer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	  build/fuzz/corpus tests/fuzz/fuzz_answer.in >build/fuzz/last.log 2>&1 \
	  || { tail -40 build/fuzz/last.log; echo "fuzz: FAILED (log: build/fuzz/last.log)"; exit 1; }
	@grep -E '^Done' build/fuzz/last.log

check: check-deps format-check test test-asan test-tsan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

format:
	clang-format -i $(SOURCES)

format-check: check-deps
	@clang-format --dry-run --Werror $(SOURCES) && echo "format: clean"

clean:
	rm -rf build $(PROGRAMS)

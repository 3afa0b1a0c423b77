# A thin layer over CMake presets (CMakePresets.json). `make help` lists the targets.
PRESET   ?= default
JOBS     ?= $(shell nproc)
PROGRAMS := server client linksim loadgen conformance

# Debian packages each job needs; scripts/ensure-packages.sh installs the missing ones.
BUILD_PACKAGES := cmake g++ make libgtest-dev libgmock-dev
# man pages (help2man), the .deb's dependencies (dpkg-shlibdeps of dpkg-dev, which uses file).
PACKAGE_PACKAGES := $(BUILD_PACKAGES) help2man dpkg-dev file
CHECK_PACKAGES := $(PACKAGE_PACKAGES) clang-format clang-14 libclang-rt-14-dev tshark sockperf \
                  nginx libnginx-mod-stream
PREFIX         ?= /usr/local
FUZZ_SECONDS   ?= 60
# make bench (docs/PERFORMANCE.md): BENCH_QUICK=1 for a smoke run, BENCH_ARGS for bench/run.py.
BENCH_PACKAGES := libbenchmark-dev sockperf python3 python3-matplotlib
BENCH_QUICK    ?=
BENCH_ARGS     ?=
# An interpreter that imports matplotlib: Debian's python3-matplotlib serves /usr/bin/python3,
# which another python3 earlier on PATH (pyenv, a venv) may not see.
BENCH_PYTHON   ?= $(firstword $(foreach p,python3 /usr/bin/python3,$(if $(shell $(p) -c \
                  'import matplotlib' 2>/dev/null && echo y),$(p))) python3)

SOURCES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null)

.PHONY: all build demo check test test-asan test-tsan fuzz format format-check deps check-deps \
        package-deps install deb clean help

all: build

help:
	@echo "make            build ./server and ./client (preset $(PRESET))"
	@echo "make demo       build, start servers on loopback, run the course's calls, stop"
	@echo "make check      build and run every test (optimised and ASan+UBSan builds)"
	@echo "make fuzz       run the libFuzzer target for FUZZ_SECONDS (default 60)"
	@echo "make bench      benchmark against sockperf, about 10 min (BENCH_QUICK=1: 1 min)"
	@echo "make install    install under PREFIX (default /usr/local; DESTDIR honoured)"
	@echo "make deb        build the Debian package build/PRESET/sockcalc_VERSION_ARCH.deb"
	@echo "make format     clang-format every source file"
	@echo "make clean      remove build/ and the programs at the root"

deps:
	@scripts/ensure-packages.sh $(BUILD_PACKAGES)

check-deps:
	@scripts/ensure-packages.sh $(CHECK_PACKAGES)

package-deps:
	@scripts/ensure-packages.sh $(PACKAGE_PACKAGES)

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)
	@for p in $(PROGRAMS); do ln -sf build/$(PRESET)/bin/$$p $$p; done

# Programs as sockcalc-NAME, man pages, completion, library, headers, CMake and pkg-config
# files (docs/INSTALL.md).
install: package-deps build
	DESTDIR="$(DESTDIR)" cmake --install build/$(PRESET) --prefix "$(PREFIX)"

deb: package-deps build
	@cd build/$(PRESET) && cpack -G DEB

demo: build
	@scripts/demo.sh

.PHONY: bench bench-deps
bench-deps:
	@scripts/ensure-packages.sh $(BUILD_PACKAGES) $(BENCH_PACKAGES)

# The benchmark needs the optimised build with the micro-benchmarks in it.
bench: bench-deps
	@cmake --preset $(PRESET) -DSOCKCALC_BUILD_BENCH=ON >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)
	@$(BENCH_PYTHON) bench/run.py --bin-dir build/$(PRESET)/bin \
	  $(if $(filter 1 yes true,$(BENCH_QUICK)),--quick) $(BENCH_ARGS)

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

# SPDX-License-Identifier: MIT
# A thin layer over CMake presets (CMakePresets.json). `make help` lists the targets.
PRESET   ?= default
JOBS     ?= $(shell nproc)
PROGRAMS := server client linksim loadgen conformance healthcheck msc

# Debian packages each job needs; scripts/ensure-packages.sh installs the missing ones (as root;
# SKIP_DEPS=1 skips it, for packagers and other distributions). `make` and `make demo` need only
# a compiler, CMake and nlohmann-json (header-only: loadgen's and conformance's --json), and,
# for healthcheck, libnftables, libmnl and libnetfilter-conntrack found with pkg-config; the
# tests need GoogleTest.
BUILD_PACKAGES := cmake g++ make nlohmann-json3-dev pkg-config libnftables-dev libmnl-dev \
                  libnetfilter-conntrack-dev
TEST_PACKAGES := $(BUILD_PACKAGES) libgtest-dev libgmock-dev
# man pages (help2man), the .deb's dependencies (dpkg-shlibdeps of dpkg-dev, which uses file).
PACKAGE_PACKAGES := $(TEST_PACKAGES) help2man dpkg-dev file
# make deb (scripts/build-deb.sh): debhelper's build, lintian, hardening-check (devscripts);
# the package test (tests/install) builds programs against libsockcalc-dev with pkg-config.
DEB_PACKAGES := cmake g++ make nlohmann-json3-dev help2man dpkg-dev debhelper lintian devscripts \
                pkg-config libnftables-dev libmnl-dev libnetfilter-conntrack-dev
CHECK_PACKAGES := $(PACKAGE_PACKAGES) $(DEB_PACKAGES) clang-format clang-14 libclang-rt-14-dev \
                  tshark sockperf nginx libnginx-mod-stream iproute2 bash-completion \
                  prometheus curl nftables procps mscgen \
                  podman libyaml-cpp-dev chromium libxml2-utils
# make demo and make diagram render a time-sequence diagram with mscgen (docs/DIAGRAMS.md).
DEMO_PACKAGES := $(BUILD_PACKAGES) mscgen
# make image (scripts/build-image.sh): the static programs and podman to build the image; make
# check builds it too (tests/deploy), and parses deploy/kubernetes with yaml-cpp.
IMAGE_PACKAGES := $(BUILD_PACKAGES) podman
# The tests between hosts (tests/netns) make network namespaces: as root they must run, and a
# lab that cannot be made fails them instead of skipping them (docs/TESTING.md).
ifeq ($(shell id -u),0)
export SOCKCALC_REQUIRE_NETNS ?= 1
endif
PREFIX         ?= /usr/local
FUZZ_SECONDS   ?= 60
# make bench (docs/PERFORMANCE.md): BENCH_QUICK=1 for a smoke run, BENCH_ARGS for bench/run.py.
BENCH_PACKAGES := libbenchmark-dev sockperf python3 python3-matplotlib
BENCH_QUICK    ?=
BENCH_ARGS     ?=
# make bench-scaling (docs/SCALING.md): the scale-out lab (deploy/scaleout/topology.sh, as
# root) and bench/scaling.py; SCALING_ARGS for bench/scaling.py (--quick: a smoke run).
SCALING_PACKAGES := iproute2 nftables procps nginx libnginx-mod-stream python3
SCALING_ARGS   ?=
# An interpreter that imports matplotlib: Debian's python3-matplotlib serves /usr/bin/python3,
# which another python3 earlier on PATH (pyenv, a venv) may not see.
BENCH_PYTHON   ?= $(firstword $(foreach p,python3 /usr/bin/python3,$(if $(shell $(p) -c \
                  'import matplotlib' 2>/dev/null && echo y),$(p))) python3)

# Every C++ file: git's list in a checkout, a walk of the tree in a source tarball (no .git).
SOURCES = $(shell git ls-files -co --exclude-standard '*.cpp' '*.hpp' 2>/dev/null || \
            find src tools tests examples bench -name '*.cpp' -o -name '*.hpp')
ENSURE  = $(if $(filter 1 yes true,$(SKIP_DEPS)),@true,@scripts/ensure-packages.sh)

.PHONY: all build build-all demo diagram check test test-asan test-tsan fuzz format format-check deps \
        test-deps check-deps package-deps deb-deps image image-deps install install-built uninstall \
        deb clean help

all: build

# The times are measured on a 2-core machine from a fresh clone (README, "Two commands").
help:
	@echo "make              build the programs at the root: ./server ./client ./linksim"
	@echo "                  ./loadgen ./conformance ./healthcheck ./msc (preset $(PRESET))"
	@echo "make demo         build, start servers on loopback, run the course's calls, stop;"
	@echo "                  draw a call through a lossy link (build/demo/lossy-link.svg)"
	@echo "make diagram      redraw docs/lossy-link.svg, the README's diagram, from a real run"
	@echo "make check        every test: format and licence check, the optimised, ASan+UBSan"
	@echo "                  and TSan builds, 10 s of fuzzing (about 42 min)"
	@echo "make test         build everything and run the tests of the optimised build only"
	@echo "make test-asan    the same in the ASan+UBSan build; make test-tsan: ThreadSanitizer"
	@echo "make fuzz         run the libFuzzer target for FUZZ_SECONDS (default 60)"
	@echo "make bench        benchmark against sockperf, about 7 min (BENCH_QUICK=1: 30 s)"
	@echo "make bench-scaling  as root: direct, nginx, nftables and ECMP side by side in the"
	@echo "                  scale-out lab, about 1 min (docs/SCALING.md)"
	@echo "make install      install under PREFIX (default /usr/local; DESTDIR honoured)"
	@echo "make uninstall    remove what make install installed"
	@echo "make deb          build the Debian packages sockcalc, libsockcalc-dev into build/deb/"
	@echo "make image        build the container image sockcalc:VERSION (static programs, podman)"
	@echo "make format       clang-format every source file; make format-check: only check"
	@echo "make clean        remove build/ and the programs at the root"
	@echo "SKIP_DEPS=1       install no Debian package (the default installs what is missing)"

deps:
	$(ENSURE) $(BUILD_PACKAGES)

test-deps:
	$(ENSURE) $(TEST_PACKAGES)

check-deps:
	$(ENSURE) $(CHECK_PACKAGES)

package-deps:
	$(ENSURE) $(PACKAGE_PACKAGES)

image-deps:
	$(ENSURE) $(IMAGE_PACKAGES)

deb-deps:
	$(ENSURE) $(DEB_PACKAGES)

# The programs only: no test, example or benchmark (built by the targets that run them).
build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS) --target $(PROGRAMS)
	@for p in $(PROGRAMS); do ln -sf build/$(PRESET)/bin/$$p $$p; done

# Everything the preset builds: programs, man pages, tests (when GoogleTest is installed),
# examples.
build-all:
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)
	@for p in $(PROGRAMS); do ln -sf build/$(PRESET)/bin/$$p $$p; done

# Programs as sockcalc-NAME, man pages, completion, library, headers, CMake and pkg-config
# files, systemd units (docs/INSTALL.md). install-built installs INSTALL_BUILD as it is, and
# adds the install's manifest, with DESTDIR (which CMake leaves out), to INSTALL_MANIFEST for
# `make uninstall` (the tests' own installs rewrite install_manifest.txt).
INSTALL_BUILD    ?= build/$(PRESET)
INSTALL_MANIFEST ?= $(INSTALL_BUILD)/make_install_manifest.txt
install: package-deps build-all
	@$(MAKE) --no-print-directory install-built

install-built:
	DESTDIR="$(DESTDIR)" cmake --install "$(INSTALL_BUILD)" --prefix "$(PREFIX)"
	@sed 's|^|$(DESTDIR)|' "$(INSTALL_BUILD)/install_manifest.txt" >>"$(INSTALL_MANIFEST)"

uninstall:
	@cmake "-DMANIFEST=$(INSTALL_MANIFEST)" -P cmake/uninstall.cmake

# dpkg-buildpackage on a copy of the tree (debian/): the packages land in build/deb/.
deb: deb-deps
	@JOBS=$(JOBS) scripts/build-deb.sh build/deb

# The container image (Containerfile; docs/SERVICE.md, "Container image"): the five programs
# linked statically (preset static, build/static/), then podman builds sockcalc:VERSION from
# them into the host's podman storage.
image: image-deps
	@cmake --preset static >/dev/null
	@cmake --build --preset static -j $(JOBS) --target $(PROGRAMS)
	@scripts/build-image.sh build/static/bin

demo: build
	$(ENSURE) $(DEMO_PACKAGES)
	@scripts/demo.sh

# The README's time-sequence diagram, drawn by a real run (scripts/lossy-link.sh).
diagram: build
	$(ENSURE) $(DEMO_PACKAGES)
	@scripts/lossy-link.sh docs

.PHONY: bench bench-deps bench-scaling
bench-deps:
	$(ENSURE) $(BUILD_PACKAGES) $(BENCH_PACKAGES)

# The benchmark needs the optimised build with the micro-benchmarks in it.
bench: bench-deps
	@cmake --preset $(PRESET) -DSOCKCALC_BUILD_BENCH=ON >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)
	@$(BENCH_PYTHON) bench/run.py --bin-dir build/$(PRESET)/bin \
	  $(if $(filter 1 yes true,$(BENCH_QUICK)),--quick) $(BENCH_ARGS)

# The scale-out benchmark needs only the server and loadgen of the optimised build.
bench-scaling:
	$(ENSURE) $(BUILD_PACKAGES) $(SCALING_PACKAGES)
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS) --target server loadgen
	@python3 bench/scaling.py --bin-dir build/$(PRESET)/bin $(SCALING_ARGS)

test: test-deps build-all
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

# Never clang-format with an empty list: it would read standard input.
format:
	@test -n "$(strip $(SOURCES))" || { echo "format: no source file found"; exit 1; }
	clang-format -i $(SOURCES)

format-check: check-deps
	@test -n "$(strip $(SOURCES))" || { echo "format-check: no source file found"; exit 1; }
	@clang-format --dry-run --Werror $(SOURCES) && echo "format: clean"
	@scripts/licence-check.sh && echo "licence: every source, script and build file says MIT"

clean:
	rm -rf build $(PROGRAMS)

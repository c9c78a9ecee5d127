# smsslab -- build, test, demo, bench.
#   make demo            build, simulate the default scenario, check it, render its tree
#   make docs-img        draw the README's and docs' pictures again (docs/img, by smsslab itself)
#   make test            every unit and end-to-end test (installs missing Debian packages)
#   make test VARIANT=san   the same under AddressSanitizer + UBSan
#   make bench | fuzz | fuzz-ci | valgrind | test-compilers | test-container | format-check | clean
#   make install | uninstall   PREFIX=/usr/local, DESTDIR= for staging
#   make deb             a Debian package in build/deb (binary, scenarios, man page, completion)
# VARIANT=release|debug|san builds into build/$(VARIANT); O=DIR overrides the folder.

VARIANT ?= release
O ?= build/$(VARIANT)
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := yaml-0.1 libcjson libxml-2.0 libevtx simdjson
# libhivex: registry hives, read (readers/rd_hive.c) and written (corpus/hive.c).
PKGS += hivex
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wno-missing-field-initializers -Wvla
# DEVELOPER=1 (CI): any warning fails the build. Set before BASE_CFLAGS
# expands WARN, or it would never reach the compiler.
ifeq ($(DEVELOPER),1)
  WARN += -Werror
endif
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DSMSSLAB_VERSION='"$(VERSION)"' \
        -MMD -MP $(WARN)
ifeq ($(VARIANT),release)
  VFLAGS := -O2 -g
else ifeq ($(VARIANT),debug)
  VFLAGS := -O0 -g3
else ifeq ($(VARIANT),san)
  VFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  VLDFLAGS := -fsanitize=address,undefined
  # Leaks fail the run too; every child the e2e tests start inherits these.
  # An allocation over 1 GiB returns NULL (as RLIMIT_AS makes it in release
  # builds, see readers/rd_evtx.c) instead of being served.
  export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:strict_string_checks=1:allocator_may_return_null=1:max_allocation_size_mb=1024
  export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
else
  $(error VARIANT must be release, debug or san)
endif

PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libcsv (readers/rd_csv.c) ships no pkg-config file in Debian.
# simdjson is C++ (snap/sjson.cpp): its runtime comes with it.
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcsv -lstdc++
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
ALL_CFLAGS = $(BASE_CFLAGS) $(VFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(VLDFLAGS) $(LDFLAGS)
# The one C++ file (snap/sjson.cpp, simdjson's On-Demand API). simdjson
# compiles its On-Demand code for one instruction set, fixed at build time;
# on x86-64 that is AVX2 (haswell), and snap/snap_read.c asks the CPU before
# using it (older CPUs read everything with cJSON). The C driver links it,
# so UBSan's C++-only vptr check stays off.
SJSON_ARCH := $(if $(findstring x86_64,$(shell $(CC) -dumpmachine)),-mavx2 -mbmi -mbmi2 -mpclmul -mlzcnt -mpopcnt)
ALL_CXXFLAGS = -std=c++17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -MMD -MP -Wall -Wextra \
        $(filter -Werror,$(WARN)) $(VFLAGS) $(if $(filter san,$(VARIANT)),-fno-sanitize=vptr) \
        $(PKG_CFLAGS) $(SJSON_ARCH) $(CXXFLAGS)

MODULES := core snap sim checker render corpus readers evtxw kb teach
LIB_SRC := $(sort $(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
CLI_SRC := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
LIB_CXX_SRC := $(sort $(foreach m,$(MODULES),$(wildcard $(m)/*.cpp)))
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o) $(LIB_CXX_SRC:%.cpp=$(O)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(O)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(O)/tests/%)
BIN := $(O)/smsslab
LIB := $(O)/libsmsslab.a

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps deps-check deps-test demo docs-img test test-unit test-e2e bench fuzz fuzz-ci \
        valgrind test-compilers test-container format format-check clean install uninstall deb docs
.DELETE_ON_ERROR:

all: $(BIN)

deps:
	@scripts/deps.sh build
# Plain `make` installs nothing: it says which packages are missing (and how
# to get them) before the compiler fails on a missing header.
deps-check:
	@scripts/deps.sh check
deps-test:
	@scripts/deps.sh test

$(O)/%.o: %.c | deps-check
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/%.o: %.cpp | deps-check
	@mkdir -p $(@D)
	$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS) -lm

$(O)/tests/%: $(O)/tests/%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(CMOCKA_LIBS) -lm

# The demo: simulate the default scenario with one anomaly, check it, draw it.
DEMO := $(O)/demo
demo: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p $(DEMO)
	$(BIN) run -o $(DEMO)/boot.json
	@echo '== smsslab check (default normal boot: expect no findings)'
	$(BIN) check $(DEMO)/boot.json
	$(BIN) render $(DEMO)/boot.json -o $(DEMO)/boot.svg
	$(BIN) run scenarios/anomaly-smss-wrong-parent.yaml -o $(DEMO)/anomaly.json
	@echo '== smsslab check (one injected anomaly: findings expected, exit 1)'
	@$(BIN) check $(DEMO)/anomaly.json || test $$? -eq 1
	$(BIN) render $(DEMO)/anomaly.json -o $(DEMO)/anomaly.png
	$(BIN) render $(DEMO)/anomaly.json -o $(DEMO)/anomaly.svg
	@echo "== wrote $(DEMO)/boot.json boot.svg anomaly.json anomaly.png anomaly.svg"

# The pictures in README.md and docs/ (docs/img): drawn by smsslab, never by hand.
docs-img: deps
	@$(MAKE) --no-print-directory all
	scripts/teaching-pictures.sh $(BIN) docs/img

test: deps-test
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	@$(MAKE) --no-print-directory test-unit test-e2e

test-unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

test-e2e: $(BIN)
	/usr/bin/python3 tests/e2e/run_e2e.py --bin $(BIN) --variant $(VARIANT)

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory VARIANT=release all
	@$(MAKE) --no-print-directory VARIANT=release O=build/release \
	  $(patsubst bench/%.c,build/release/bench/%,$(wildcard bench/*.c)) \
	  $(patsubst bench/%.cpp,build/release/bench/%,$(wildcard bench/*.cpp))
	bench/run.sh build/release

$(O)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lm
# The reference parses (bench/bench_json.cpp), built as snap/sjson.cpp is.
$(O)/bench/%: bench/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(ALL_CXXFLAGS) -o $@ $< $(PKG_LIBS)

# Fuzzing (tests/fuzz/run.sh): clang + libFuzzer + ASan/UBSan into build/fuzz.
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 20
fuzz:
	@scripts/deps.sh fuzz
	tests/fuzz/run.sh $(FUZZ_SECONDS)
fuzz-ci:
	@scripts/deps.sh fuzz
	tests/fuzz/run.sh $(FUZZ_CI_SECONDS)

# Every unit test binary of a debug build under valgrind: any error or leak fails.
VG_O ?= build/debug
VG_TESTS := $(TEST_SRC:tests/%.c=$(VG_O)/tests/%)
valgrind: deps-test
	@command -v valgrind >/dev/null || { echo "valgrind: sudo apt-get install valgrind" >&2; exit 2; }
	@$(MAKE) --no-print-directory VARIANT=debug O=$(VG_O) $(VG_TESTS)
	@set -e; for t in $(VG_TESTS); do echo "== valgrind $$t"; \
	  valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
	    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes $$t >/dev/null; done

# gcc and clang builds must write byte-identical run documents (slow: two builds).
test-compilers: deps-test
	/usr/bin/python3 tests/e2e/compilers.py

# The Dockerfile's image, built with podman and used (tests/container_build.sh
# says how it copes with no registry and no OCI runtime). Not part of `make
# test`: it downloads a Debian base system; CI runs it.
test-container:
	@scripts/deps.sh container
	sh tests/container_build.sh

FORMAT_SRC = $(LIB_SRC) $(LIB_CXX_SRC) $(CLI_SRC) $(TEST_SRC) $(wildcard */*.h) $(wildcard bench/*.c) \
        $(wildcard bench/*.cpp) $(wildcard tests/fuzz/*.c tests/fuzz/*.h)
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

# The man page and the bash completion are made from the binary's help texts.
MAN := $(O)/smsslab.1
COMPLETION := $(O)/smsslab.bash
docs: $(MAN) $(COMPLETION)
$(MAN): $(BIN) scripts/manpage.sh
	scripts/manpage.sh $(BIN) $(VERSION) > $@
$(COMPLETION): $(BIN) scripts/completion.sh
	scripts/completion.sh $(BIN) > $@

BINDIR = $(DESTDIR)$(PREFIX)/bin
SHAREDIR = $(DESTDIR)$(PREFIX)/share/smsslab
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
COMPDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
install: $(BIN) $(MAN) $(COMPLETION)
	install -d $(BINDIR) $(SHAREDIR)/scenarios $(MANDIR) $(COMPDIR)
	install -m 755 $(BIN) $(BINDIR)/smsslab
	install -m 644 scenarios/*.yaml $(SHAREDIR)/scenarios/
	install -m 644 $(MAN) $(MANDIR)/smsslab.1
	install -m 644 $(COMPLETION) $(COMPDIR)/smsslab
uninstall:
	rm -f $(BINDIR)/smsslab $(MANDIR)/smsslab.1 $(COMPDIR)/smsslab
	rm -rf $(SHAREDIR)

# A Debian package of a release build, installed under /usr; the library
# dependencies come from dpkg-shlibdeps (dpkg-dev), Graphviz is recommended.
DEB_ARCH = $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_ROOT = build/deb/root
DEB := build/deb/smsslab_$(VERSION)_$(DEB_ARCH).deb
deb:
	@scripts/deps.sh deb
	@$(MAKE) --no-print-directory VARIANT=release all docs
	rm -rf $(DEB_ROOT)
	@$(MAKE) --no-print-directory VARIANT=release install PREFIX=/usr DESTDIR=$(CURDIR)/$(DEB_ROOT)
	scripts/deb.sh $(DEB_ROOT) $(VERSION) $(DEB_ARCH) $(DEB)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)

# The embedded default scenario: scenarios/default.yaml compiled into the binary.
$(O)/gen/default_scenario.c: scenarios/default.yaml scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh scn_default_yaml $< > $@
$(O)/gen/default_scenario.o: $(O)/gen/default_scenario.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@
LIB_OBJ += $(O)/gen/default_scenario.o
# $(LIB)'s prerequisite list was expanded before the line above, so name the object here too.
$(LIB): $(O)/gen/default_scenario.o

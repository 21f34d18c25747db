# kvmprof - one Makefile for the compiler, the runtime, the CLI and the tests.
#
#   make            build everything into $(BUILD)/
#   make check      run the test suite, then again under ASan+UBSan
#   make demo       compile the default profile for this machine and apply it
#   make bench      benchmarks (compile speed, per-vCPU apply vs. ioctl floor)
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show the commands

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
AR      ?= ar
AWK     ?= awk
FLEX    ?= flex
BISON   ?= bison

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CSTD     := -std=gnu11
OPT      ?= -O2 -g
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ifeq ($(SAN),1)
OPT      := -O1 -g
EXTRA_CFLAGS += $(SAN_FLAGS)
EXTRA_LDFLAGS += $(SAN_FLAGS)
endif
# TSAN=1: ThreadSanitizer (tests/suites/tsan.sh: the runtime's concurrent vCPU test).
ifeq ($(TSAN),1)
OPT      := -O1 -g
EXTRA_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
EXTRA_LDFLAGS += -fsanitize=thread
endif
# FUZZ=1 (set by `make fuzz`, with CC=clang): sanitizers plus libFuzzer's coverage.
ifeq ($(FUZZ),1)
OPT      := -O1 -g
EXTRA_CFLAGS += $(SAN_FLAGS) -fsanitize=fuzzer-no-link
EXTRA_LDFLAGS += $(SAN_FLAGS)
endif
CPPFLAGS += -Iruntime -Iregdb -Imodel -Iformats -Iops -Icli -I$(BUILD)
ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) $(CPPFLAGS) $(EXTRA_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(EXTRA_LDFLAGS) $(LDFLAGS)

include runtime/Makefile.kvmprof

# ---- runtime: libkvmprof.a, libkvmprof.so.$(SOVERSION) ------------------------
SOVERSION := 0
RT_OBJS     := $(patsubst %.c,$(BUILD)/%.o,$(KVMPROF_RUNTIME_SRCS))
RT_PIC_OBJS := $(patsubst %.c,$(BUILD)/pic/%.o,$(KVMPROF_RUNTIME_SRCS))

$(BUILD)/libkvmprof.a: $(RT_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libkvmprof.so.$(SOVERSION): $(RT_PIC_OBJS) runtime/libkvmprof.map
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,libkvmprof.so.$(SOVERSION) \
		-Wl,--version-script=runtime/libkvmprof.map $(ALL_LDFLAGS) -o $@ $(RT_PIC_OBJS) -lpthread

$(BUILD)/libkvmprof.so: $(BUILD)/libkvmprof.so.$(SOVERSION)
	$(Q)ln -sf libkvmprof.so.$(SOVERSION) $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC -fPIC $<"
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

# ---- the profile library libkvmprofc.a: register database, model, formats, operations
COMPILER_SRCS := $(wildcard regdb/*.c model/*.c formats/*.c ops/*.c)
GEN_SRCS      := $(BUILD)/expr-parser.c $(BUILD)/expr-lexer.c $(BUILD)/regdb_data.c
COMPILER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(COMPILER_SRCS)) $(GEN_SRCS:.c=.o)
REGDB_FILES   := $(sort $(wildcard regdb/*.db))

$(BUILD)/expr-parser.c $(BUILD)/expr-parser.h &: model/expr-parser.y
	@mkdir -p $(BUILD)
	@echo "  BISON   $<"
	$(Q)$(BISON) -Wall -Werror --defines=$(BUILD)/expr-parser.h -o $(BUILD)/expr-parser.c $<

$(BUILD)/expr-lexer.c $(BUILD)/expr-lexer.h &: model/expr-lexer.l
	@mkdir -p $(BUILD)
	@echo "  FLEX    $<"
	$(Q)$(FLEX) --header-file=$(BUILD)/expr-lexer.h -o $(BUILD)/expr-lexer.c $<

$(BUILD)/regdb_data.c: regdb/gen-regdb.awk $(REGDB_FILES)
	@mkdir -p $(BUILD)
	@echo "  REGDB   $@"
	$(Q)$(AWK) -f regdb/gen-regdb.awk $(REGDB_FILES) > $@.tmp && mv $@.tmp $@

# The runtime links no regdb: the facts it needs are generated into its tree
# and committed (a VMM compiles runtime/ alone, runtime/Makefile.kvmprof);
# `make regen` remakes them, tests/suites/sources.sh checks them.
regen: regdb/gen-regdb.awk $(REGDB_FILES)
	$(Q)$(AWK) -v emit=cpuid-features -f regdb/gen-regdb.awk $(REGDB_FILES) > runtime/arch/x86/cpuid_features.h.tmp && \
		mv runtime/arch/x86/cpuid_features.h.tmp runtime/arch/x86/cpuid_features.h
	$(Q)$(AWK) -v emit=arm64-feature-caps -f regdb/gen-regdb.awk $(REGDB_FILES) > runtime/arch/arm64/feature_caps.h.tmp && \
		mv runtime/arch/arm64/feature_caps.h.tmp runtime/arch/arm64/feature_caps.h

# Generated scanners/parsers are not held to every warning we use.
$(BUILD)/expr-lexer.o $(BUILD)/expr-parser.o: EXTRA_CFLAGS += -Wno-sign-compare -Wno-missing-prototypes -Wno-unused-function
$(BUILD)/expr-lexer.o: $(BUILD)/expr-parser.h
$(BUILD)/expr-parser.o: $(BUILD)/expr-lexer.h
$(patsubst %.c,$(BUILD)/%.o,$(COMPILER_SRCS)): $(BUILD)/expr-parser.h $(BUILD)/expr-lexer.h

$(BUILD)/libkvmprofc.a: $(COMPILER_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# ---- the kvmprof CLI: libkvmprofcli.a (every verb, kvmprof_main) and the program
CLI_SRCS := $(filter-out cli/kvmprof.c,$(wildcard cli/*.c))
CLI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))
LIBS     := -lyaml -lpthread

$(BUILD)/libkvmprofcli.a: $(CLI_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/kvmprof: $(BUILD)/cli/kvmprof.o $(BUILD)/libkvmprofcli.a $(BUILD)/libkvmprofc.a $(BUILD)/libkvmprof.a
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: $(BUILD)/%.c
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# ---- tests ----------------------------------------------------------------------
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_SUPPORT := $(filter-out $(TEST_SRCS),$(wildcard tests/unit/*.c))
TEST_SUPPORT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SUPPORT))

# test_rt_*: runtime only (no compiler, no libyaml), like a VMM links it.
$(BUILD)/tests/test_rt_%: tests/unit/test_rt_%.c $(TEST_SUPPORT_OBJS) $(BUILD)/libkvmprof.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -MMD -MP -MF $@.d $(ALL_LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJS) \
		$(BUILD)/libkvmprof.a -lcmocka -lpthread

$(BUILD)/tests/%: tests/unit/%.c $(TEST_SUPPORT_OBJS) $(BUILD)/libkvmprofcli.a $(BUILD)/libkvmprofc.a $(BUILD)/libkvmprof.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -MMD -MP -MF $@.d $(ALL_LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJS) \
		$(BUILD)/libkvmprofcli.a $(BUILD)/libkvmprofc.a $(BUILD)/libkvmprof.a -lcmocka $(LIBS)

# ---- fuzzing: libFuzzer targets in fuzz/ (clang; see fuzz/README.md) ----------------
# `make fuzz` builds them into build-fuzz/fuzz/ (everything compiled with clang,
# ASan, UBSan and libFuzzer's coverage); fuzz/run.sh runs them.
FUZZ_BUILD   := build-fuzz
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
# The CLI's verbs: libkvmprofcli.a's objects have no main() (cli/kvmprof.c
# holds it), so libFuzzer brings its own.
FUZZ_CLI_OBJS := $(CLI_OBJS)

$(BUILD)/fuzz/%: fuzz/%.c fuzz/fuzz_common.h $(FUZZ_CLI_OBJS) $(BUILD)/libkvmprofc.a $(BUILD)/libkvmprof.a
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -DKVMPROF_SRCDIR='"$(CURDIR)"' -Itests/unit -MMD -MP -MF $@.d $(ALL_LDFLAGS) \
		-fsanitize=fuzzer -o $@ $< $(FUZZ_CLI_OBJS) $(BUILD)/libkvmprofc.a $(BUILD)/libkvmprof.a $(LIBS)

fuzz-targets: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS)) $(BUILD)/kvmprof

fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang FUZZ=1 fuzz-targets

# Every target for FUZZ_SECONDS (default 600) and/or FUZZ_RUNS executions each, one at a time.
fuzz-long: fuzz
	$(Q)fuzz/run.sh long $(FUZZ_BUILD)

# ---- top-level targets ----------------------------------------------------------
LIBS_ALL := $(BUILD)/libkvmprof.a $(BUILD)/libkvmprof.so $(BUILD)/libkvmprofc.a $(BUILD)/kvmprof.pc
all: $(LIBS_ALL) $(BUILD)/kvmprof
tests: all $(TEST_BINS)

VERSION := $(shell sed -n 's/^\#define KVMPROF_VERSION_STRING "\(.*\)"/\1/p' runtime/kvmprof.h)

# The .pc made at build time names PREFIX; `make install` writes its own for its PREFIX.
$(BUILD)/kvmprof.pc: runtime/kvmprof.pc.in
	@mkdir -p $(BUILD)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# The suite: normal build, then ASan+UBSan build; one closing tally.
check:
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)$(MAKE) --no-print-directory BUILD=build-san SAN=1 tests
	$(Q)tests/run-tests.sh $(BUILD) build-san

demo: all
	$(Q)scripts/demo.sh $(BUILD)

# docs/fleet-report.md: 5.10 vs 6.1 diff and compatibility of the shipped AWS fleet profiles
fleet-report: all
	$(Q)scripts/gen-fleet-report.sh $(BUILD)/kvmprof docs/fleet-report.md

# profiles/linux-*-{arm64-<cpu>,x86_64-kvm-amd-tcg,x86_64-pvm-host}.yaml, captured in real kernels
# (every series of tests/qemu/kernels.pin), and docs/kernel-changes.md from them
captures: all
	$(Q)scripts/gen-captures.sh $(BUILD)
	$(Q)scripts/gen-kernel-changes.sh docs/kernel-changes.md

# upgrade/rollback matrix on real kernels: build/matrix/results.tsv and docs/compatibility.md
matrix: all
	$(Q)KVMPROF_MATRIX_DOC=docs/compatibility.md tests/suites/matrix.sh

# migration matrix on real kernels (tests/suites/migrate.sh): build/migrate/ and its
# section of docs/compatibility.md
migrate-matrix: all
	$(Q)KVMPROF_MIGRATE_DOC=docs/compatibility.md KVMPROF_MIGRATE_CPUS="neoverse-n1 cortex-a72" tests/suites/migrate.sh

bench: all
	$(Q)$(MAKE) --no-print-directory -f tests/bench/Makefile.bench BUILD=$(BUILD) bench

DOCDIR = $(DESTDIR)$(PREFIX)/share/doc/kvmprof

install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 runtime/kvmprof.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/libkvmprof.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libkvmprof.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libkvmprof.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libkvmprof.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' runtime/kvmprof.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/kvmprof.pc
	install -m 755 $(BUILD)/kvmprof $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 644 man/kvmprof.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/kvmprof-profile.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	@# the docs keep the tree's layout, so the README's and the docs' relative links still work
	install -d $(DOCDIR)/docs $(DOCDIR)/examples/firecracker $(DOCDIR)/contrib/github
	install -m 644 README.md $(DOCDIR)/
	install -m 644 docs/*.md $(DOCDIR)/docs/
	install -m 644 examples/vmm.c $(DOCDIR)/examples/
	install -m 644 examples/firecracker/* $(DOCDIR)/examples/firecracker/
	install -m 644 contrib/github/kvmprof-review.yml $(DOCDIR)/contrib/github/

clean:
	rm -rf build build-san build-arm64 build-fuzz build-clang build-tsan

.PHONY: all tests check demo bench install clean fleet-report captures matrix migrate-matrix fuzz fuzz-targets fuzz-long regen
.DEFAULT_GOAL := all

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Build, test and run the async server and client.
#
#   make                          build bin/server and bin/client (g++, epoll)
#   make test                     build and run the doctest suite
#   make test SANITIZE=address,undefined   the same suite under ASan + UBSan
#   make test SANITIZE=thread     the same suite under TSan
#   make CXX=clang++              build with clang (objects go to their own folder)
#   make POLLER=poll              use the portable poll(2) reactor backend instead of epoll
#   make LOG_POLLS=1              log every poll of each connection's handler (the decorator)
#   make examples                 build and run each pattern's program in examples/
#   make floor                    build the floor tools (floor-server, floor-client) in build/<compiler>/
#   make help                     list every target
#   make V=1                      show the full compiler commands
#
# Each (compiler, sanitizer) pair compiles into its own folder under build/ (OBJ_DIR), so
# switching between them never mixes objects; each (compiler, sanitizer, poller)
# combination links its library, test runner and binaries in a folder of its own (BUILD).
# The poller is left out of the object folder because only its own file differs, under a
# name of its own (poller_epoll.o, poller_poll.o): a second poller then costs one file and
# a link instead of a whole build (CI builds clang++ both ways). The floor tools use no
# poller of ours and live in the object folder too. The default combination also puts its
# binaries in bin/, where the README points. BUILD=dir overrides both folders (so that two
# builds of the same combination can run side by side). Two builds that share an object
# folder, such as POLLER=epoll and POLLER=poll of one compiler, must run one after the
# other, or with BUILD= apart: at once, they would write the same objects.

CXX      ?= g++
SANITIZE ?=
POLLER   ?= epoll
LOG_POLLS ?=

comma      := ,
objvariant := $(notdir $(CXX))$(if $(SANITIZE),-$(subst $(comma),-,$(SANITIZE)))$(if $(LOG_POLLS),-log-polls)
variant    := $(objvariant)$(if $(filter poll,$(POLLER)),-poll)
ifeq ($(origin BUILD),undefined)
  OBJ_DIR := build/$(objvariant)
endif
BUILD   ?= build/$(variant)
OBJ_DIR ?= $(BUILD)
BIN     := $(if $(filter build/g++,$(BUILD)),bin,$(BUILD)/bin)

WARNINGS := -Wall -Wextra -Wpedantic -Werror
CXXFLAGS_BASE := -std=c++20 $(WARNINGS) -I. -pthread -MMD -MP
ifeq ($(SANITIZE),)
  OPT := -O2 -g
else
  # -O1 keeps sanitizer runs quick to build and their reports readable; line tables (-g1)
  # are all a sanitizer's backtrace needs, and build much faster than full debug
  # information (docs/BENCHMARKS.md, "CI time").
  OPT := -O1 -g1 -fno-omit-frame-pointer -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
endif
ifeq ($(POLLER),poll)
  POLLER_SRC := $(wildcard runtime/poller_poll.cpp)
else ifeq ($(POLLER),epoll)
  POLLER_SRC := $(wildcard runtime/poller_epoll.cpp)
else
  $(error POLLER must be epoll or poll, not '$(POLLER)')
endif
# LOG_POLLS=1 compiles in the decorator (runtime/decorator.hpp): every decorate()d future
# logs its polls. Its own folder, like a sanitizer's.
override CXXFLAGS := $(CXXFLAGS_BASE) $(OPT) $(if $(LOG_POLLS),-DRUNTIME_LOG_POLLS) $(CXXFLAGS)
LDFLAGS  += -pthread $(if $(SANITIZE),-fsanitize=$(SANITIZE))

# The library: everything but the two main() files and the tests. Each part is a folder;
# charts/ is the SVG code that the client's --svg and the suite's chart tool both draw with.
LIB_SRCS := $(filter-out runtime/poller_%.cpp,$(wildcard runtime/*.cpp runtime/detail/*.cpp)) $(POLLER_SRC) \
            $(wildcard cli/*.cpp) \
            $(wildcard charts/*.cpp) \
            $(wildcard data_layer/*.cpp) \
            $(filter-out server/main.cpp,$(wildcard server/*.cpp)) \
            $(filter-out client/main.cpp,$(wildcard client/*.cpp))
TEST_SRCS  := $(wildcard tests/*.cpp)
BENCH_SRCS := $(wildcard scripts/bench/*.cpp)
# The chart tool of the benchmark suite: not part of the library, but drawn with its
# charts/ (tables, scales, SVG), as the client's --svg is.
CHART_TOOL_SRC := scripts/charts/svg_chart.cpp
BENCH_OUT  := build/bench
# The floor tools (docs/BENCHMARKS.md, "The floor"): a one-thread epoll server and load
# generator that share nothing with the library (no poller of ours either), built with the
# same flags into the object folder. The suite runs them beside our binaries; the tests run
# them too.
FLOOR_BINS := $(OBJ_DIR)/floor-server $(OBJ_DIR)/floor-client

obj = $(patsubst %.cpp,$(OBJ_DIR)/%.o,$(1))
LIB := $(BUILD)/libasync.a

DOCTEST_HEADER := /usr/include/doctest/doctest.h

.PHONY: all test bench bench-suite bench-runtime bench-charts bench-accept demo soak floor clean format help doctest examples
all: $(BIN)/server $(BIN)/client

# Quiet by default (one line per file); V=1 shows the full commands.
Q := $(if $(V),,@)
say = $(if $(V),,@echo "  $(1) $(2)")

$(OBJ_DIR)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(call say,CXX,$<)
	$(Q)$(CXX) $(CXXFLAGS) -c $< -o $@

# Made afresh each time: `ar r` never drops a member, so an object whose source was since
# removed or renamed would stay in the archive and clash at link time.
$(LIB): $(call obj,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN)/server: $(call obj,server/main.cpp) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)

$(BIN)/client: $(call obj,client/main.cpp) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)

# The tests' own code builds at -O1 when the library builds at -O2, and at -O0 under the
# sanitizers (whose instrumentation is what makes -O1 slow to compile there): how fast a
# test's code runs does not matter, and it is most of a build's time (docs/BENCHMARKS.md,
# "CI time").
# The library's own objects, the binaries and the benchmarks keep -O2; in run-tests, a
# template or inline function that a test instantiates too (Task, WhenAny, ...) may be
# linked from the test's -O1 copy. They also carry line tables only (-g1), which is all a
# sanitizer's or a debugger's backtrace needs. (A later -O or -g wins, with g++ and clang++
# alike.)
$(call obj,$(TEST_SRCS)): override CXXFLAGS += $(if $(SANITIZE),-O0,-O1) -g1 \
  $(if $(findstring undefined,$(SANITIZE)),-DTEST_UNDER_UBSAN)

# The tests need doctest's header; the objects wait for it (order-only) so a missing header
# gives one clear line instead of a compiler error per file.
$(call obj,$(TEST_SRCS)): | doctest
$(BUILD)/run-tests: $(call obj,$(TEST_SRCS)) $(LIB)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)

# tests/test_floor.cpp runs the floor tools as child processes: it is told where they are
# (an absolute path, so the suite finds them from any directory; FLOOR_BIN overrides it).
$(call obj,tests/test_floor.cpp): override CXXFLAGS += -DFLOOR_BIN_DIR='"$(abspath $(OBJ_DIR))"'
# tests/test_server_process.cpp runs bin/server so: `make test` tells it which one in
# SERVER_BIN_DIR (at run time, since the epoll and poll builds share the test's object),
# and the folder compiled in is what a bare run of run-tests falls back to.
# tests/test_failure_paths.cpp runs them too, some with the fault shim preloaded (FAULT_SHIM,
# built below with `make faults`'s rule).
$(call obj,tests/test_server_process.cpp tests/test_failure_paths.cpp tests/test_reuseport.cpp): override CXXFLAGS += -DSERVER_BIN_DIR='"$(abspath $(BIN))"'
FAULT_SHIM := $(BUILD)/libfaults.so

## test: build and run the doctest suite (TEST_ARGS=... passes options to doctest)
test: $(BUILD)/run-tests $(BIN)/server $(BIN)/client $(FLOOR_BINS) $(FAULT_SHIM)
	SERVER_BIN_DIR=$(abspath $(BIN)) FAULT_SHIM=$(abspath $(FAULT_SHIM)) $(BUILD)/run-tests $(TEST_ARGS)

doctest:
	@if [ ! -f $(DOCTEST_HEADER) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "doctest not found: installing Debian's doctest-dev"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq doctest-dev) >/dev/null || exit 1; \
	  else \
	    echo "error: doctest is missing ($(DOCTEST_HEADER)); install it with: sudo apt-get install doctest-dev" >&2; \
	    exit 1; \
	  fi; \
	fi

$(BUILD)/bench: $(call obj,$(BENCH_SRCS)) $(LIB)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)

$(BUILD)/svg-chart: $(call obj,$(CHART_TOOL_SRC)) $(LIB)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)

## floor: build the floor tools, build/<compiler>/floor-server and floor-client (one thread, raw epoll)
floor: $(FLOOR_BINS)

$(FLOOR_BINS): $(OBJ_DIR)/floor-%: $(OBJ_DIR)/scripts/floor/floor_%.o
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)

# The suite, then its charts. A recipe rather than a prerequisite, so that `make -j bench`
# never builds or measures anything beside a measurement.
define run_suite
	CXX='$(CXX)' POLLER='$(POLLER)' bash scripts/bench.sh --bin $(BIN) --floor-bin $(OBJ_DIR) --out $(BENCH_OUT)
	$(BUILD)/svg-chart latency $(BENCH_OUT)/results.tsv $(BENCH_OUT)/latency.svg
	$(BUILD)/svg-chart throughput $(BENCH_OUT)/sweep.tsv $(BENCH_OUT)/throughput.svg
endef

## bench: the benchmark suite (scripts/bench.sh: table, floor, build/bench/*.tsv, charts), then the runtime micro-benchmarks
bench: $(BIN)/server $(BIN)/client $(FLOOR_BINS) $(BUILD)/svg-chart $(BUILD)/bench
	$(run_suite)
	$(BUILD)/bench

## bench-suite: only the suite: server and client matrix, the floor, concurrency sweep, charts in build/bench/
bench-suite: $(BIN)/server $(BIN)/client $(FLOOR_BINS) $(BUILD)/svg-chart
	$(run_suite)

## bench-runtime: only the runtime micro-benchmarks (spawn cost, cross-thread wake, 100k sleeps)
bench-runtime: $(BUILD)/bench
	$(BUILD)/bench

## bench-accept: copy the last suite run (build/bench/, the floor's tables too) to docs/bench/ and redraw its charts
bench-accept:
	@test -f $(BENCH_OUT)/results.tsv -a -f $(BENCH_OUT)/sweep.tsv || \
	  { echo "error: no complete run in $(BENCH_OUT)/; run make bench first" >&2; exit 1; }
	@mkdir -p docs/bench
	cp $(BENCH_OUT)/results.tsv $(BENCH_OUT)/sweep.tsv $(BENCH_OUT)/table.md $(BENCH_OUT)/machine.txt docs/bench/
	@if [ -f $(BENCH_OUT)/floor.tsv -a -f $(BENCH_OUT)/floor.md ]; then \
	  echo "cp $(BENCH_OUT)/floor.tsv $(BENCH_OUT)/floor.md docs/bench/"; \
	  cp $(BENCH_OUT)/floor.tsv $(BENCH_OUT)/floor.md docs/bench/; \
	else \
	  echo "bench-accept: the run has no floor tables (--no-floor?); docs/bench/floor.* left as they were"; \
	fi
	$(MAKE) --no-print-directory bench-charts

## bench-charts: redraw docs/bench/*.svg from docs/bench/*.tsv
bench-charts: $(BUILD)/svg-chart
	$(BUILD)/svg-chart latency docs/bench/results.tsv docs/bench/latency.svg
	$(BUILD)/svg-chart throughput docs/bench/sweep.tsv docs/bench/throughput.svg

## demo: the book's demo: server plus 4,000 one-second requests from the bundled client
demo: $(BIN)/server $(BIN)/client
	bash scripts/demo.sh $(BIN)

# --- Fuzzing (docs/FUZZING.md) ---------------------------------------------------------------
# `make fuzz` builds the library and each fuzz/<target>.cpp with clang's libFuzzer plus ASan
# and UBSan, in a folder of their own (build/fuzz: the library's objects with fuzzer-no-link
# instrumentation, the targets linked with -fsanitize=fuzzer), then runs every target for
# FUZZ_SECONDS. Each run starts from a scratch copy of the committed seeds
# (fuzz/corpus/<target>) in build/fuzz/corpus/<target>, so the inputs the fuzzer adds never
# land in the repository but do carry over to the next run. Any crash, failed check, leak or
# hang (over 10 s for one input) fails the run; the input is saved in build/fuzz/artifacts/.
# UBSan's `function` check is left out: with coverage on, clang cannot compile our
# coroutines with it (llvm-project#49689); every other UBSan check stays.
FUZZ_SECONDS ?= 60
FUZZ_CXX     ?= clang++
FUZZ_DIR     := build/fuzz
FUZZ_TARGETS := $(patsubst fuzz/%.cpp,%,$(wildcard fuzz/*.cpp))
# Inputs stay small (the targets' checks are per frame, not per megabyte) so that a short run
# tries many of them; -timeout turns a handler that never ends into a reported failure.
FUZZ_OPTIONS := -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -print_final_stats=1
FUZZ_BINS     = $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-targets fuzz-check
## fuzz: run each libFuzzer target in fuzz/ for FUZZ_SECONDS (default 60) under ASan and UBSan
fuzz: fuzz-check
	$(Q)$(MAKE) --no-print-directory fuzz-targets CXX=$(FUZZ_CXX) BUILD=$(FUZZ_DIR) \
	  SANITIZE=fuzzer-no-link,address,undefined CXXFLAGS=-fno-sanitize=function
	$(Q)failed=; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
	  cp fuzz/corpus/$$t/* $(FUZZ_DIR)/corpus/$$t/; \
	  echo "  FUZZ $$t for $(FUZZ_SECONDS) s (log: $(FUZZ_DIR)/$$t.log)"; \
	  if UBSAN_OPTIONS=print_stacktrace=1 $(FUZZ_DIR)/fuzz/$$t $(FUZZ_OPTIONS) \
	       -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ $(FUZZ_DIR)/corpus/$$t \
	       >$(FUZZ_DIR)/$$t.log 2>&1; then \
	    grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added))' \
	      $(FUZZ_DIR)/$$t.log | sed 's/^/    /'; \
	  else \
	    tail -n 40 $(FUZZ_DIR)/$$t.log; failed="$$failed $$t"; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "fuzz: FAILED:$$failed; the inputs are in $(FUZZ_DIR)/artifacts/<target>/;" \
	       "replay one with: $(FUZZ_DIR)/fuzz/<target> <input>" >&2; exit 1; \
	fi

# Internal: what `make fuzz` builds, with the flags it passes.
fuzz-targets: $(FUZZ_BINS)

# The library's objects but the client's and the charts', a quarter less to build in CI: of
# the client, only the JSON reader (fuzz/json_reader.cpp's) is fuzzed, and it needs nothing
# else of it.
$(FUZZ_BINS): $(BUILD)/fuzz/%: $(OBJ_DIR)/fuzz/%.o \
  $(call obj,$(filter-out client/% charts/%,$(LIB_SRCS)) client/json_reader.cpp)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS) -fsanitize=fuzzer

# One line instead of a page of linker errors when clang or its libFuzzer runtime is missing.
fuzz-check:
	@mkdir -p $(FUZZ_DIR)
	@printf 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }\n' \
	  | $(FUZZ_CXX) -x c++ -fsanitize=fuzzer - -o $(FUZZ_DIR)/libfuzzer-check >/dev/null 2>&1 \
	  || { echo "error: '$(FUZZ_CXX) -fsanitize=fuzzer' cannot link: clang's libFuzzer is" \
	       "missing. On Debian 12: sudo apt-get install clang libclang-rt-14-dev (for another" \
	       "clang, libclang-rt-<version>-dev, where <version> is clang++ --version's)" >&2; \
	       exit 1; }

-include $(patsubst %.cpp,$(OBJ_DIR)/%.d,$(wildcard fuzz/*.cpp))

## soak: minutes of good and bad load, then reply, fd, RSS and sanitizer checks (SOAK_SECONDS=300)
# bad-peer is a test tool of its own (scripts/soak/), built with the same flags, never part
# of the library. SOAK_SECONDS and the other SOAK_* knobs reach the script from the environment.
BAD_PEER := $(BUILD)/bad-peer
$(BAD_PEER): $(call obj,scripts/soak/bad_peer.cpp)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)
-include $(OBJ_DIR)/scripts/soak/bad_peer.d

soak: $(BIN)/server $(BIN)/client $(BAD_PEER)
	bash scripts/soak.sh $(BIN) $(BAD_PEER)

## examples: build every program in examples/ and run each (bounded by EXAMPLE_SECONDS, 20); fails if one fails
EXAMPLE_SECONDS ?= 20
EXAMPLES := $(patsubst examples/%.cpp,$(BUILD)/examples/%,$(wildcard examples/*.cpp))
$(BUILD)/examples/%: $(OBJ_DIR)/examples/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)
-include $(patsubst examples/%.cpp,$(OBJ_DIR)/examples/%.d,$(wildcard examples/*.cpp))
.SECONDARY: $(patsubst examples/%.cpp,$(OBJ_DIR)/examples/%.o,$(wildcard examples/*.cpp))

.PHONY: examples
examples: $(EXAMPLES)
	@failed=0; for example in $(EXAMPLES); do \
	  echo "== $$(basename $$example)"; \
	  timeout $(EXAMPLE_SECONDS) $$example || { echo "examples: $$(basename $$example) failed (exit $$?)" >&2; failed=1; }; \
	done; \
	[ $$failed = 0 ] && echo "examples: all $(words $(EXAMPLES)) ran and exited 0"

## cluster-demo: 3 servers behind HAProxy (installed if missing, as root), one killed mid-run; checks and a report (docs/SCALING.md)
.PHONY: cluster-demo
cluster-demo: $(BIN)/server $(BIN)/client
	bash scripts/cluster.sh $(BIN)

## scaling: one server against 2 and 3 sharing a port (--reuseport) and 1 to 3 behind HAProxy, same client (docs/SCALING.md)
.PHONY: scaling
scaling: $(BIN)/server $(BIN)/client
	bash scripts/scaling.sh $(BIN)

## faults: the soak's load under injected faults (EINTR, EAGAIN, short reads and writes, resets, EMFILE), then its checks (FAULT_SECONDS=60)
# The shim (scripts/faults/) is preloaded into the servers and clients, so it is built on its
# own: position-independent, with no sanitizer (it must not need one's runtime before the
# program's), no exceptions and no libstdc++: libc and libdl only. exact-peer is a test tool
# like bad-peer. FAULT_SECONDS and the other FAULT_* knobs reach the script from the environment.
EXACT_PEER := $(BUILD)/exact-peer
$(FAULT_SHIM): scripts/faults/fault_shim.cpp
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(CXXFLAGS_BASE) -O2 -fPIC -fno-exceptions -shared -Wl,--as-needed $< -o $@ -ldl
$(EXACT_PEER): $(call obj,scripts/faults/exact_peer.cpp)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)
-include $(BUILD)/libfaults.d $(OBJ_DIR)/scripts/faults/exact_peer.d

.PHONY: faults
faults: $(BIN)/server $(BIN)/client $(BAD_PEER) $(EXACT_PEER) $(FAULT_SHIM)
	bash scripts/faults.sh $(BIN) $(BAD_PEER) $(FAULT_SHIM) $(EXACT_PEER)

## clean: remove every build folder and the binaries
clean:
	rm -rf build bin

## format: reformat every source file with clang-format (.clang-format at the root)
format:
	clang-format -i $(wildcard */*.hpp */*.cpp runtime/detail/*.hpp runtime/detail/*.cpp scripts/*/*.hpp scripts/*/*.cpp)

## help: list the targets and the knobs (CXX, SANITIZE, POLLER, LOG_POLLS)
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)
	@echo "knobs: CXX=g++|clang++  SANITIZE=address,undefined|thread  POLLER=epoll|poll  LOG_POLLS=1"

-include $(patsubst %.o,%.d,$(call obj,$(LIB_SRCS) $(TEST_SRCS) $(BENCH_SRCS) $(CHART_TOOL_SRC) server/main.cpp client/main.cpp $(wildcard scripts/floor/*.cpp)))

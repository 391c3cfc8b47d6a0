# Build, test and run the async server and client.
#
#   make                          build bin/server and bin/client (g++, epoll)
#   make test                     build and run the doctest suite
#   make test SANITIZE=address,undefined   the same suite under ASan + UBSan
#   make test SANITIZE=thread     the same suite under TSan
#   make CXX=clang++              build with clang (objects go to their own folder)
#   make POLLER=poll              use the portable poll(2) reactor backend instead of epoll
#   make help                     list every target
#   make V=1                      show the full compiler commands
#
# Each (compiler, sanitizer, poller) combination builds into its own folder under build/,
# so switching between them never mixes objects. The default combination also puts its
# binaries in bin/, where the README points. BUILD=dir overrides the folder (so that two
# builds of the same combination can run side by side).

CXX      ?= g++
SANITIZE ?=
POLLER   ?= epoll

comma   := ,
variant := $(notdir $(CXX))$(if $(SANITIZE),-$(subst $(comma),-,$(SANITIZE)))$(if $(filter poll,$(POLLER)),-poll)
BUILD   ?= build/$(variant)
BIN     := $(if $(filter build/g++,$(BUILD)),bin,$(BUILD)/bin)

WARNINGS := -Wall -Wextra -Wpedantic -Werror
CXXFLAGS_BASE := -std=c++20 $(WARNINGS) -I. -pthread -MMD -MP
ifeq ($(SANITIZE),)
  OPT := -O2 -g
else
  # -O1 keeps sanitizer runs quick to build and their reports readable.
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
endif
ifeq ($(POLLER),poll)
  POLLER_SRC := $(wildcard runtime/poller_poll.cpp)
else ifeq ($(POLLER),epoll)
  POLLER_SRC := $(wildcard runtime/poller_epoll.cpp)
else
  $(error POLLER must be epoll or poll, not '$(POLLER)')
endif
override CXXFLAGS := $(CXXFLAGS_BASE) $(OPT) $(CXXFLAGS)
LDFLAGS  += -pthread $(if $(SANITIZE),-fsanitize=$(SANITIZE))

# The library: everything but the two main() files and the tests. Each part is a folder.
LIB_SRCS := $(filter-out runtime/poller_%.cpp,$(wildcard runtime/*.cpp runtime/detail/*.cpp)) $(POLLER_SRC) \
            $(wildcard data_layer/*.cpp) \
            $(filter-out server/main.cpp,$(wildcard server/*.cpp)) \
            $(filter-out client/main.cpp,$(wildcard client/*.cpp))
TEST_SRCS  := $(wildcard tests/*.cpp)
BENCH_SRCS := $(wildcard scripts/bench/*.cpp)

obj = $(patsubst %.cpp,$(BUILD)/%.o,$(1))
LIB := $(BUILD)/libasync.a

DOCTEST_HEADER := /usr/include/doctest/doctest.h

.PHONY: all test bench demo soak clean format help doctest
all: $(BIN)/server $(BIN)/client

# Quiet by default (one line per file); V=1 shows the full commands.
Q := $(if $(V),,@)
say = $(if $(V),,@echo "  $(1) $(2)")

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(call say,CXX,$<)
	$(Q)$(CXX) $(CXXFLAGS) -c $< -o $@

$(LIB): $(call obj,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BIN)/server: $(call obj,server/main.cpp) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)

$(BIN)/client: $(call obj,client/main.cpp) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)

# The tests need doctest's header; the objects wait for it (order-only) so a missing header
# gives one clear line instead of a compiler error per file.
$(call obj,$(TEST_SRCS)): | doctest
$(BUILD)/run-tests: $(call obj,$(TEST_SRCS)) $(LIB)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)

## test: build and run the doctest suite (TEST_ARGS=... passes options to doctest)
test: $(BUILD)/run-tests $(BIN)/server $(BIN)/client
	$(BUILD)/run-tests $(TEST_ARGS)

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

## bench: run the runtime micro-benchmarks (spawn cost, cross-thread wake, 100k sleeps)
bench: $(BUILD)/bench
	$(BUILD)/bench

## demo: the book's demo: server plus 4,000 one-second requests from the bundled client
demo: $(BIN)/server $(BIN)/client
	bash scripts/demo.sh $(BIN)

## soak: minutes of good and bad load, then reply, fd, RSS and sanitizer checks (SOAK_SECONDS=300)
# bad-peer is a test tool of its own (scripts/soak/), built with the same flags, never part
# of the library. SOAK_SECONDS and the other SOAK_* knobs reach the script from the environment.
BAD_PEER := $(BUILD)/bad-peer
$(BAD_PEER): $(call obj,scripts/soak/bad_peer.cpp)
	$(call say,LINK,$@)
	$(Q)$(CXX) $^ -o $@ $(LDFLAGS)
-include $(BUILD)/scripts/soak/bad_peer.d

soak: $(BIN)/server $(BIN)/client $(BAD_PEER)
	bash scripts/soak.sh $(BIN) $(BAD_PEER)

## clean: remove every build folder and the binaries
clean:
	rm -rf build bin

## format: reformat every source file with clang-format (.clang-format at the root)
format:
	clang-format -i $(wildcard */*.hpp */*.cpp runtime/detail/*.hpp runtime/detail/*.cpp scripts/*/*.cpp)

## help: list the targets and the knobs (CXX, SANITIZE, POLLER)
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)
	@echo "knobs: CXX=g++|clang++  SANITIZE=address,undefined|thread  POLLER=epoll|poll"

-include $(patsubst %.o,%.d,$(call obj,$(LIB_SRCS) $(TEST_SRCS) $(BENCH_SRCS) server/main.cpp client/main.cpp))

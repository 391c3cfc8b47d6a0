// The load generator: T executor threads, each running its share of C lanes. A lane is a
// coroutine that carries one request after another, each one taken from one shared
// Dispenser, until the dispenser runs dry; it checks every reply and records the outcome in
// its thread's Stats. Lanes are coroutines, not threads: every lane of a thread runs on
// that thread's one executor.
//
//   oneshot lane  claim i -> send_data(Data{i, i, "Hello, server! i"}) -> check the greeting
//                 -> record; one request at a time (oneshot_lane.hpp)
//   stream lane   one connection, up to --pipeline requests in flight on it, each reply
//                 checked against the request it answers (stream_lane.hpp, pipe.hpp)
//
// Stats (and their split by target) are per thread (no locks) and merged here at the end;
// only the progress counters are shared atomics, and --breaker's circuits, one per target
// behind a mutex (breaker.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "client/dispenser.hpp"
#include "client/options.hpp"
#include "client/stats.hpp"
#include "client/timeline.hpp"
#include "runtime/socket_address.hpp"

namespace client {

// Prints one of the book's -v lines (report.hpp makes them); called from every thread.
using PrintLine = std::function<void(const std::string&)>;

// What run_load found: the totals, and the same split by target when there are several.
struct LoadStats {
  Stats total;
  std::vector<Stats> by_target;     // in options.targets' order; empty with one target
  std::uint64_t breaker_opens = 0;  // --breaker: how many times a target's circuit opened
  Timeline timeline;                // --svg: when the requests finished
};

// Runs the whole load described by `options` (already resolve()d) against `targets` (one
// address per options.targets, round-robin as targets.hpp says), on options.threads
// threads, and returns the merged statistics. Blocks the caller until done.
LoadStats run_load(const Options& options, const std::vector<runtime::SocketAddress>& targets,
                   Dispenser& dispenser, const PrintLine& print_line);

}  // namespace client

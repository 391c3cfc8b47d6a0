// The load generator: T executor threads, each running its share of C workers; every worker
// takes the next request number from one shared Dispenser, sends it, checks the reply and
// records the outcome in its thread's Stats.
//
//   oneshot worker  claim i -> connect -> write Data{i, i, "Hello, server! i"} -> read to end
//                   -> check the greeting -> record; repeat until the dispenser is empty
//   stream worker   one connection, up to --pipeline requests in flight on it; each reply is
//                   checked against the request it answers; an error drops the connection
//                   (its in-flight requests fail with that error) and the next request opens
//                   a new one
//
// Workers take numbers instead of being given a fixed share, so a slow thread or connection
// simply does fewer requests. Stats are per thread (no locks) and merged at the end; only the
// progress counters are shared atomics.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "client/error.hpp"
#include "client/histogram.hpp"
#include "client/options.hpp"
#include "runtime/socket_address.hpp"

namespace client {

using Clock = std::chrono::steady_clock;

struct Stats {
  std::uint64_t requests = 0;  // finished, successfully or not
  std::uint64_t ok = 0;
  std::array<std::uint64_t, kErrorKinds> errors{};
  std::array<std::string, kErrorKinds> first_error;  // a sample message per kind, for humans
  std::uint64_t retried = 0;  // requests whose connect needed at least one retry
  Histogram latency;          // successful requests only, in microseconds

  std::uint64_t failed() const { return requests - ok; }
  std::uint64_t errors_of(ErrorKind kind) const { return errors[static_cast<std::size_t>(kind)]; }
  void merge(const Stats& other);
};

// Hands out request numbers (and, with --rate, their scheduled start times) to every worker
// on every thread.
class Dispenser {
 public:
  struct Claim {
    std::uint64_t index;
    // With --rate, when the request is due, and its latency counts from here. Closed loop:
    // empty (the worker stamps the request when it goes out), or the claim's time with
    // --duration.
    Clock::time_point scheduled;
  };

  Dispenser(const Options& options, Clock::time_point start);
  // The next request; nullopt once the run is over (the count is reached, or the
  // --duration is up).
  std::optional<Claim> claim();
  // Closed loop only (no --rate): up to `most` requests in one atomic add, appended to
  // `into`; fewer, or none, as the run ends. For a stream worker filling its window: a
  // pipelined run on two cores would otherwise move the counter's cache line between them
  // for every request. Only what is sent at once is taken, so no number waits in one
  // worker while another could send it (docs/CLIENT.md).
  // departs from the book: docs/BOOK.md, "A stream lane claims its window in one add"
  void claim_up_to(std::size_t most, std::vector<Claim>& into);

  // For the progress line, read from another thread.
  std::atomic<std::uint64_t> finished{0};
  std::atomic<std::uint64_t> failed{0};
  std::uint64_t limit() const { return limit_; }

 private:
  std::atomic<std::uint64_t> next_{0};
  std::uint64_t limit_;                        // UINT64_MAX when only --duration ends the run
  std::optional<Clock::time_point> deadline_;  // --duration
  Clock::time_point start_;
  double rate_;
};

// Called once per finished request with -v: the book's per-result line.
using ResultLine = std::function<void(const std::string&)>;

// Runs the whole load described by `options` (already resolve()d) against `address`, on
// options.threads threads, and returns the merged statistics. Blocks the caller until done.
Stats run_load(const Options& options, const runtime::SocketAddress& address, Dispenser& dispenser,
               const ResultLine& result_line);

}  // namespace client

// Dispenser: the first step of every request's path in the load generator. Every lane on
// every thread takes the next request number from this one shared counter (and, with
// --rate, the time the request is due), so a slow thread or connection simply does fewer
// requests. The run is over when the count is reached or the --duration is up.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "client/options.hpp"

namespace client {

using Clock = std::chrono::steady_clock;

class Dispenser {
 public:
  struct Claim {
    std::uint64_t index;
    // With --rate, when the request is due, and its latency counts from here. Closed loop:
    // empty (the lane stamps the request when it goes out), or the claim's time with
    // --duration.
    Clock::time_point scheduled;
  };

  Dispenser(const Options& options, Clock::time_point start);
  // The next request; nullopt once the run is over.
  std::optional<Claim> claim();
  // Closed loop only (no --rate): up to `most` requests in one atomic add, appended to
  // `into`; fewer, or none, as the run ends. For a stream lane filling its window: one add
  // per request would move the counter's cache line between cores for every request. Only
  // what is sent at once is taken, so no number waits in one lane while another could
  // send it (docs/CLIENT.md).
  // departs from the book: docs/BOOK.md, "A stream lane claims its window in one add"
  void claim_up_to(std::size_t most, std::vector<Claim>& into);

  // For the progress line, read from another thread.
  std::atomic<std::uint64_t> finished{0};
  std::atomic<std::uint64_t> failed{0};
  std::uint64_t limit() const { return limit_; }
  Clock::time_point start() const { return start_; }
  std::optional<Clock::time_point> deadline() const { return deadline_; }  // --duration's

 private:
  std::atomic<std::uint64_t> next_{0};
  std::uint64_t limit_;                        // UINT64_MAX when only --duration ends the run
  std::optional<Clock::time_point> deadline_;  // --duration
  Clock::time_point start_;
  double rate_;
};

}  // namespace client

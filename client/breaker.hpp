// Breaker: --breaker N, the runtime's circuit breaker (runtime/circuit_breaker.hpp) between
// one target and every lane that sends to it. After N failed attempts in a row the target
// gets nothing for --breaker-cooldown-ms; then one attempt, the probe, goes out, and its
// outcome closes the circuit again or opens it for another cooldown.
//
// One per target, shared by the lanes of every thread, so behind a mutex (the state
// machine's header asks for one when it is shared): a dead server among several stops only
// its own share of the run. Without --breaker the client makes none and takes no lock.
//
// The lanes ask before every attempt, a retry's included, and report how each admitted one
// ended (thread_load.hpp); a refused request is neither sent nor retried, and ends as
// circuit_open. (tests/test_client_breaker.cpp)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include "runtime/circuit_breaker.hpp"

namespace client {

class Breaker {
 public:
  using Clock = runtime::CircuitBreaker::Clock;

  Breaker(unsigned threshold, std::chrono::milliseconds cooldown);
  Breaker(const Breaker&) = delete;
  Breaker& operator=(const Breaker&) = delete;

  // How many of `wanted` attempts may go out at `now`: all while the circuit is closed, one
  // (the probe) once a cooldown is over, none while it is open or its probe is out. Each
  // one admitted is a promise to report how it ended.
  std::size_t admit(Clock::time_point now, std::size_t wanted);
  void succeeded();
  void failed(Clock::time_point now);

  // When a lane refused at `now` should ask again: at the end of the cooldown while the
  // circuit is open; a cooldown from now while its probe is out (should the probe fail,
  // the circuit opens for that long at the least; should it succeed, the lane has lost one
  // cooldown at the most); `now` once the circuit is closed.
  Clock::time_point ask_again_at(Clock::time_point now) const;
  // How many times the circuit opened (or opened again after a failed probe).
  std::uint64_t opened() const;

 private:
  mutable std::mutex mutex_;
  runtime::CircuitBreaker circuit_;  // guarded by mutex_, as is the count below
  const Clock::duration cooldown_;
  std::uint64_t opened_ = 0;
};

// One per target, in options.targets' order. A deque, since a Breaker holds a mutex and
// cannot move as a vector's elements would.
using Breakers = std::deque<Breaker>;

}  // namespace client

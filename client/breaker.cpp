#include "client/breaker.hpp"

namespace client {

using State = runtime::CircuitBreaker::State;

Breaker::Breaker(unsigned threshold, std::chrono::milliseconds cooldown)
    : circuit_(threshold, cooldown), cooldown_(cooldown) {}

std::size_t Breaker::admit(Clock::time_point now, std::size_t wanted) {
  std::lock_guard lock(mutex_);
  std::size_t admitted = 0;
  while (admitted < wanted && circuit_.allow(now))
    ++admitted;
  return admitted;
}

void Breaker::succeeded() {
  std::lock_guard lock(mutex_);
  circuit_.succeeded();
}

void Breaker::failed(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  // A failure that arrives while the circuit is already open (an attempt admitted before
  // it opened) may restart the cooldown, but it is not another opening.
  const bool was_open = circuit_.state() == State::kOpen;
  circuit_.failed(now);
  if (!was_open && circuit_.state() == State::kOpen) ++opened_;
}

Breaker::Clock::time_point Breaker::ask_again_at(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  switch (circuit_.state()) {
    case State::kOpen:
      return circuit_.probe_at();
    case State::kHalfOpen:
      return now + cooldown_;
    case State::kClosed:
      break;
  }
  return now;
}

std::uint64_t Breaker::opened() const {
  std::lock_guard lock(mutex_);
  return opened_;
}

}  // namespace client

#include "runtime/readiness_hint.hpp"

namespace runtime {

// The moves are listed, with their reasons, above the class (readiness_hint.hpp).
void ReadinessHint::on_event(bool readable, bool writable, EventHint hint) {
  if (writable) connect_proved_ = hint != EventHint::kNone && hint != EventHint::kBroken;
  switch (hint) {
    case EventHint::kBroken:
    case EventHint::kUrgent:
      if (state_ == State::kMaybeReadable || state_ == State::kDrained) state_ = State::kStopsShort;
      break;
    case EventHint::kCleanEnd:
      if (state_ != State::kAtEnd) state_ = State::kEndQueued;
      break;
    case EventHint::kNothingToRead:
      if (state_ == State::kMaybeReadable || state_ == State::kStopsShort) state_ = State::kDrained;
      break;
    case EventHint::kNoError:
    case EventHint::kNone:
      if (readable && state_ == State::kDrained) state_ = State::kMaybeReadable;
      break;
  }
}

void ReadinessHint::on_read(std::size_t got, std::size_t asked) {
  if (got > 0 && got < asked) read_drained();
}

void ReadinessHint::on_would_block() {
  read_drained();
}

void ReadinessHint::on_connected_unattached() {
  if (state_ == State::kMaybeReadable) state_ = State::kDrained;
}

void ReadinessHint::read_drained() {
  if (state_ == State::kMaybeReadable) {
    state_ = State::kDrained;
  } else if (state_ == State::kEndQueued) {
    state_ = State::kAtEnd;
  }
}

}  // namespace runtime

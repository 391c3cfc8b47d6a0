// State machine: a future written by hand, the way the book writes every future and the
// way a compiler writes a coroutine: numbered states, one step per poll, and a waker handed
// on before every Pending. This one counts down with a Sleep between steps.
#include <chrono>
#include <cstdio>
#include <optional>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"

using namespace std::chrono_literals;

class Countdown {
 public:
  using Output = int;
  explicit Countdown(int from) : left_(from) {}

  runtime::Poll<int> poll(runtime::Context& cx) {
    ++polls_;
    for (;;) {
      switch (state_) {
        case State::kStart:  // 1: print, and start the pause (or finish)
          std::printf("  %d...\n", left_);
          if (left_ == 0) return polls_;
          pause_.emplace(5ms);
          state_ = State::kPausing;
          break;
        case State::kPausing:  // 2: wait for the pause; the Sleep keeps our waker
          if (pause_->poll(cx).is_pending()) return runtime::Pending{};
          pause_.reset();
          --left_;
          state_ = State::kStart;
          break;
      }
    }
  }

 private:
  enum class State { kStart = 1, kPausing = 2 };
  State state_ = State::kStart;
  int left_;
  int polls_ = 0;
  std::optional<runtime::Sleep> pause_;
};

int main() {
  runtime::Executor executor;
  const int polls = executor.block_on(Countdown(3));
  std::printf("state machine: done in %d polls: the first, then one per pause\n", polls);
  return polls == 4 ? 0 : 1;
}

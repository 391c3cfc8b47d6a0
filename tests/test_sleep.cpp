// Sleep: the timer-backed leaf future. What is pinned here is that a sleep is woken by the
// reactor's timer heap, not by polling: it never finishes early, fires in deadline order, is
// polled once before and once after its deadline, and takes its timer with it when dropped.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"

using namespace std::chrono_literals;
using runtime::Executor;
using runtime::Sleep;
using runtime::Task;
using Clock = std::chrono::steady_clock;

namespace {

// A waker that counts its wakes and live references; it must outlive every Waker made
// from it. (Local, so this file depends on nothing but the runtime.)
class WakeCounter {
 public:
  runtime::Waker waker() {
    refs_.fetch_add(1);
    return runtime::Waker(runtime::RawWaker{this, &kVTable});
  }
  int wakes() const { return wakes_.load(); }
  int refs() const { return refs_.load(); }

 private:
  static WakeCounter* self(const void* data) {
    return static_cast<WakeCounter*>(const_cast<void*>(data));
  }
  static runtime::RawWaker clone(const void* data) {
    self(data)->refs_.fetch_add(1);
    return runtime::RawWaker{data, &kVTable};
  }
  static void wake(const void* data) {
    self(data)->wakes_.fetch_add(1);
    self(data)->refs_.fetch_sub(1);
  }
  static void wake_by_ref(const void* data) { self(data)->wakes_.fetch_add(1); }
  static void drop(const void* data) { self(data)->refs_.fetch_sub(1); }
  static constexpr runtime::RawWakerVTable kVTable{&clone, &wake, &wake_by_ref, &drop};

  std::atomic<int> wakes_{0};
  std::atomic<int> refs_{0};
};

// One poll of `future` with a waker from `counter`, as an executor would do it.
template <class F>
auto poll_with(F& future, WakeCounter& counter) {
  const runtime::Waker waker = counter.waker();
  runtime::Context cx(waker);
  return future.poll(cx);
}

}  // namespace

TEST_CASE("sleep: completes no earlier than its deadline") {
  Executor executor;
  const auto started = Clock::now();
  const auto deadline = executor.block_on([]() -> Task<Clock::time_point> {
    Sleep sleep(30ms);
    const auto at = sleep.deadline();
    co_await sleep;
    CHECK(Clock::now() >= at);
    co_return at;
  }());
  CHECK(Clock::now() >= deadline);
  CHECK(Clock::now() - started >= 30ms);
}

TEST_CASE("sleep: many sleeps fire in deadline order, whatever the order they were made in") {
  Executor executor;
  std::vector<int> fired;
  const auto base = Clock::now() + 20ms;
  // Spawned in a scrambled order: 7, 2, 9, 0, ... Deadlines are 1 ms apart by index.
  constexpr int kCount = 10;
  const int order[kCount] = {7, 2, 9, 0, 5, 3, 8, 1, 6, 4};
  std::vector<runtime::JoinHandle<void>> handles;
  for (int index : order) {
    handles.push_back(
        executor.spawn([](Clock::time_point at, int index, std::vector<int>& out) -> Task<> {
          co_await Sleep::until(at);
          out.push_back(index);
        }(base + index * 1ms, index, fired)));
  }
  executor.run();
  REQUIRE(fired.size() == kCount);
  for (int i = 0; i < kCount; ++i)
    CHECK(fired[i] == i);
}

TEST_CASE("sleep: a sleeping task is not polled until its deadline") {
  Executor executor;
  executor.block_on([]() -> Task<> { co_await Sleep(50ms); }());
  // Once to start and register the timer, once when the timer fired: nothing in between.
  CHECK(executor.polls() == 2);
  CHECK(executor.reactor().timers() == 0);
}

TEST_CASE("sleep: a dropped Sleep removes its timer from the reactor") {
  Executor executor;
  executor.block_on([](Executor& executor) -> Task<> {
    WakeCounter counter;
    {
      Sleep sleep(1h);
      CHECK(poll_with(sleep, counter).is_pending());
      CHECK(executor.reactor().timers() == 1);
      CHECK(poll_with(sleep, counter).is_pending());  // the same timer, not a second one
      CHECK(executor.reactor().timers() == 1);
      CHECK(counter.refs() == 1);  // the timer holds the waker
    }
    CHECK(executor.reactor().timers() == 0);
    CHECK(counter.refs() == 0);  // and gave it back
    CHECK(counter.wakes() == 0);
    co_return;
  }(executor));
  CHECK(executor.reactor().timers() == 0);
}

TEST_CASE("sleep: a moved Sleep keeps one timer and it is removed once") {
  Executor executor;
  executor.block_on([](Executor& executor) -> Task<> {
    WakeCounter counter;
    {
      Sleep first(1h);
      CHECK(poll_with(first, counter).is_pending());
      CHECK(executor.reactor().timers() == 1);
      {
        Sleep second(std::move(first));
        CHECK(poll_with(second, counter).is_pending());
        CHECK(executor.reactor().timers() == 1);
      }
      CHECK(executor.reactor().timers() == 0);  // removed by `second`; `first` holds none
    }
    CHECK(counter.refs() == 0);
    CHECK(executor.reactor().timers() == 0);
    co_return;
  }(executor));
}

TEST_CASE("sleep: Sleep::until a time in the past is ready at once, without a timer") {
  // No executor at all: a sleep that is already due must not even look for a reactor.
  WakeCounter counter;
  Sleep past = Sleep::until(Clock::now() - 1s);
  CHECK(poll_with(past, counter).is_ready());
  CHECK(counter.refs() == 0);

  Executor executor;
  executor.block_on([](Executor& executor) -> Task<> {
    co_await Sleep::until(Clock::now() - 1ms);
    co_await Sleep(0ms);
    CHECK(executor.reactor().timers() == 0);
  }(executor));
  CHECK(executor.polls() == 1);
}

TEST_CASE("sleep: a woken sleep wakes the latest waker it was polled with") {
  Executor executor;
  executor.block_on([]() -> Task<> {
    WakeCounter first;
    WakeCounter second;
    Sleep sleep(20ms);
    CHECK(poll_with(sleep, first).is_pending());
    CHECK(poll_with(sleep, second).is_pending());
    CHECK(first.refs() == 0);  // replaced, so released
    co_await Sleep(40ms);      // the first sleep's timer fires while this one waits
    CHECK(first.wakes() == 0);
    CHECK(second.wakes() == 1);
    CHECK(second.refs() == 0);
  }());
}

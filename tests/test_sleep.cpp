// Sleep: the timer-backed leaf future. What is pinned here is that a sleep is woken by the
// reactor's timer heap, not by polling: it never finishes early, fires in deadline order, is
// polled once before and once after its deadline, and takes its timer with it when dropped.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "tests/test_harness.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using runtime::Executor;
using runtime::Sleep;
using runtime::Task;
using Clock = std::chrono::steady_clock;

using test::CountingWaker;
using test::poll_with;

namespace {}  // namespace

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

namespace {

// Ten sleeps, 1 ms apart from `base` by index, spawned in a scrambled order and run to the
// end; returns the indexes in the order they fired, or nothing if some sleep was already
// due before its first poll: such a sleep is ready at once, in spawn order, so that run
// says nothing about the timer heap's order.
std::optional<std::vector<int>> fire_in_order(Clock::time_point base) {
  Executor executor;
  std::vector<int> fired;
  bool late = false;
  const int order[] = {7, 2, 9, 0, 5, 3, 8, 1, 6, 4};
  std::vector<runtime::JoinHandle<void>> handles;
  for (int index : order) {
    handles.push_back(executor.spawn(
        [](Clock::time_point at, int index, std::vector<int>& out, bool& late) -> Task<> {
          late = late || Clock::now() >= at;
          co_await Sleep::until(at);
          out.push_back(index);
        }(base + index * 1ms, index, fired, late)));
  }
  executor.run();
  if (late) return std::nullopt;
  return fired;
}

}  // namespace

// Each sleep notes whether its deadline had passed before its first poll. Only such a late
// sleep can fire out of order: otherwise, by the time a later deadline fires, every earlier
// one is registered and due too, and the timer heap fires it first. A run with a late sleep
// proves nothing, so a machine that stalled past the margin only costs another run, with
// twice the margin.
TEST_CASE("sleep: many sleeps fire in deadline order, whatever the order they were made in") {
  std::optional<std::vector<int>> fired;
  for (auto margin = 20ms; !fired && margin <= test::kWatchdogLimit / 8; margin *= 2)
    fired = fire_in_order(Clock::now() + margin);
  REQUIRE_MESSAGE(fired, "every run had a sleep due before its first poll");
  REQUIRE(fired->size() == 10);
  for (int i = 0; i < 10; ++i)
    CHECK((*fired)[i] == i);
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
    CountingWaker counter;
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
    CHECK(counter.woken() == 0);
    co_return;
  }(executor));
  CHECK(executor.reactor().timers() == 0);
}

TEST_CASE("sleep: a moved Sleep keeps one timer and it is removed once") {
  Executor executor;
  executor.block_on([](Executor& executor) -> Task<> {
    CountingWaker counter;
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
  CountingWaker counter;
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
    CountingWaker first;
    CountingWaker second;
    Sleep sleep(20ms);
    CHECK(poll_with(sleep, first).is_pending());
    CHECK(poll_with(sleep, second).is_pending());
    CHECK(first.refs() == 0);  // replaced, so released
    co_await Sleep(40ms);      // the first sleep's timer fires while this one waits
    CHECK(first.woken() == 0);
    CHECK(second.woken() == 1);
    CHECK(second.refs() == 0);
  }());
}

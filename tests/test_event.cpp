// Event: a flag set once that tasks wait for. Pinned here: a wait before the set is woken by
// it and a wait after it is ready at once; every waiter is woken, not just one; a second set
// changes nothing; a waiter dropped before the set leaves nothing behind; and a set from
// another thread racing the waits wakes every one of them (no lost wake-up).
#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include "runtime/event.hpp"
#include "runtime/executor.hpp"
#include "runtime/join_handle.hpp"
#include "runtime/task.hpp"
#include "runtime/with_timeout.hpp"
#include "tests/test_harness.hpp"
#include "tests/watchdog.hpp"

using runtime::Event;
using runtime::Executor;
using runtime::Task;
using test::CountingWaker;
using test::poll_with;

TEST_CASE("event: a wait before the set is woken by it; a wait after it is ready at once") {
  Event event;
  CountingWaker waker;
  auto early = event.wait();
  CHECK(poll_with(early, waker).is_pending());
  CHECK_FALSE(event.is_set());
  CHECK(waker.woken() == 0);

  event.set();
  CHECK(event.is_set());
  CHECK(waker.woken() == 1);
  CHECK(poll_with(early, waker).is_ready());

  auto late = event.wait();
  CHECK(poll_with(late, waker).is_ready());
  CHECK(waker.woken() == 1);  // ready at once: nothing was queued, nothing woken
}

TEST_CASE("event: set wakes every waiter, and a second set changes nothing") {
  Event event;
  CountingWaker waker;
  std::vector<Event::Wait> waits;
  waits.reserve(5);  // a polled Wait must not move
  for (int i = 0; i < 5; ++i) {
    waits.push_back(event.wait());
    CHECK(poll_with(waits.back(), waker).is_pending());
  }
  event.set();
  CHECK(waker.woken() == 5);
  event.set();
  CHECK(waker.woken() == 5);
  for (auto& wait : waits)
    CHECK(poll_with(wait, waker).is_ready());
}

TEST_CASE("event: a wait polled again keeps one place in the queue, with its latest waker") {
  Event event;
  CountingWaker first;
  CountingWaker second;
  auto wait = event.wait();
  CHECK(poll_with(wait, first).is_pending());
  CHECK(poll_with(wait, second).is_pending());
  event.set();
  CHECK(first.woken() == 0);
  CHECK(second.woken() == 1);  // one wake, to the waker of the latest poll
}

TEST_CASE("event: a waiter dropped before the set leaves nothing behind") {
  Event event;
  CountingWaker waker;
  {
    auto wait = event.wait();
    CHECK(poll_with(wait, waker).is_pending());
    CHECK(waker.refs() == 1);  // the queued node holds the waker
  }
  CHECK(waker.refs() == 0);  // dropped with the node, which left the queue
  event.set();
  CHECK(waker.woken() == 0);
}

TEST_CASE("event: a set from another thread racing the waits wakes them all") {
  constexpr int kRounds = 200;
  constexpr int kWaiters = 8;
  for (int round = 0; round < kRounds; ++round) {
    Event event;
    Executor executor;
    test::JoinedThread setter("the setter", [&event] { event.set(); });
    // A lost wake-up would leave a waiter pending for ever: the timeout turns that into a
    // failure instead of a hang.
    const auto finished = executor.block_on(runtime::with_timeout(
        [](Event& event) -> Task<int> {
          std::vector<runtime::JoinHandle<void>> waiters;
          for (int i = 0; i < kWaiters; ++i)
            waiters.push_back(
                runtime::spawn([](Event& event) -> Task<void> { co_await event.wait(); }(event)));
          for (auto& waiter : waiters)
            co_await waiter;
          co_return kWaiters;
        }(event),
        test::kWatchdogLimit));
    setter.join();
    REQUIRE_MESSAGE(finished == kWaiters, "a waiter was never woken, at round " << round);
  }
}

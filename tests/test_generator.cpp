// Generator: the async generator (co_yield, consumed with co_await next()). Pinned here:
// values in order, then nullopt for good; nothing runs before the first next(), and the
// body stops at each co_yield (backpressure); a next() keeps the wake contract while the
// body waits on a future, and one dropped while pending loses nothing; an exception comes
// out of next(); destroying a waiting generator cancels what it waits on.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/generator.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/when_any.hpp"
#include "tests/test_harness.hpp"

using namespace std::chrono_literals;
using runtime::Executor;
using runtime::Generator;
using runtime::Task;

namespace {

Generator<int> count_to(int n, int& steps) {
  for (int i = 1; i <= n; ++i) {
    ++steps;
    co_yield i;
  }
}

// Drains a generator into a vector, inside a task.
Task<std::vector<int>> collect(Generator<int> numbers) {
  std::vector<int> out;
  for (int limit = 0; limit < 1000; ++limit) {
    auto n = co_await numbers.next();
    if (!n) break;
    out.push_back(*n);
  }
  co_return out;
}

Generator<int> after_signal(test::Signal signal) {
  co_yield 1;
  co_await signal.wait();
  co_yield 2;
}

Generator<int> failing() {
  co_yield 1;
  throw std::runtime_error("broken stream");
}

Generator<int> sleeping_forever() {
  co_await runtime::Sleep(1h);
  co_yield 1;
}

template <class G>
auto poll_next(G& generator, test::CountingWaker& counter) {
  auto next = generator.next();
  return test::poll_with(next, counter);
}

}  // namespace

TEST_CASE("generator: yields its values in order, then nullopt, and nullopt ever after") {
  int steps = 0;
  auto numbers = count_to(3, steps);
  test::CountingWaker counter;
  CHECK(poll_next(numbers, counter).value() == 1);
  CHECK(poll_next(numbers, counter).value() == 2);
  CHECK(poll_next(numbers, counter).value() == 3);
  CHECK_FALSE(poll_next(numbers, counter).value().has_value());
  CHECK_FALSE(poll_next(numbers, counter).value().has_value());
  Executor executor;
  int more = 0;
  CHECK(executor.block_on(collect(count_to(4, more))) == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("generator: lazy, and stopped at each co_yield until asked again") {
  int steps = 0;
  auto numbers = count_to(100, steps);
  CHECK(steps == 0);  // made, never polled: the body has not started
  test::CountingWaker counter;
  (void)poll_next(numbers, counter);
  CHECK(steps == 1);
  (void)poll_next(numbers, counter);
  CHECK(steps == 2);  // one step per next(): the producer never runs ahead
}

TEST_CASE("generator: pending on the future it awaits, woken by it; a dropped next loses nothing") {
  test::Signal signal;
  auto numbers = after_signal(signal);
  test::CountingWaker counter;
  CHECK(poll_next(numbers, counter).value() == 1);
  CHECK(poll_next(numbers, counter).is_pending());  // that next() is dropped, pending, as the
                                                    // loser of a when_any is
  CHECK(counter.refs() == 1);                       // the wake contract: the signal holds our waker
  CHECK(poll_next(numbers, counter).is_pending());
  signal.notify();
  CHECK(counter.woken() == 1);
  CHECK(poll_next(numbers, counter).value() == 2);
  CHECK_FALSE(poll_next(numbers, counter).value().has_value());
}

TEST_CASE("generator: an exception in the body comes out of next(), then it has ended") {
  auto numbers = failing();
  test::CountingWaker counter;
  CHECK(poll_next(numbers, counter).value() == 1);
  CHECK_THROWS_WITH((void)poll_next(numbers, counter), "broken stream");
  CHECK_FALSE(poll_next(numbers, counter).value().has_value());
}

TEST_CASE("generator: destroyed while it waits, it takes its timer with it") {
  Executor executor;
  executor.block_on([](Executor& executor) -> Task<> {
    {
      auto stalled = sleeping_forever();
      auto first = co_await runtime::when_any(stalled.next(), runtime::Sleep(1ms));
      CHECK(first.index() == 1);
      CHECK(executor.reactor().timers() == 1);  // the generator's hour-long sleep
    }
    CHECK(executor.reactor().timers() == 0);
  }(executor));
}

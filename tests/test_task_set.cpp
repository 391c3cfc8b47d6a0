// TaskSet (task_set.hpp): results as the tasks complete, an empty set saying so, errors
// rethrown, a dropped set aborting what is left, a dropped join_next losing nothing. The
// tasks wait on test::Signal, opened by the test in the order it wants them to finish.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <variant>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/task_set.hpp"
#include "runtime/when_any.hpp"
#include "runtime/yield_now.hpp"
#include "tests/test_harness.hpp"
#include "tests/test_tasks.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using runtime::Executor;
using runtime::Task;
using runtime::TaskSet;
using test::Signal;
using test::wait_then_return;
using test::yield_then_return;

namespace {

Task<int> fail_after(Signal signal) {
  co_await signal.wait();
  throw std::runtime_error("task failed");
}

struct Guard {
  explicit Guard(std::atomic<int>* dropped) : dropped(dropped) {}
  Guard(const Guard&) = delete;
  ~Guard() { dropped->fetch_add(1); }
  std::atomic<int>* dropped;
};

Task<int> sleep_for_an_hour(std::atomic<int>* dropped) {
  Guard guard(dropped);
  co_await runtime::Sleep(1h);
  co_return 0;
}

}  // namespace

TEST_CASE("task set: join_next yields each result in the order the tasks complete") {
  Executor executor;
  const std::vector<int> seen = executor.block_on([]() -> Task<std::vector<int>> {
    std::vector<Signal> signals(3);
    TaskSet<int> set;
    for (int i = 0; i < 3; ++i)
      set.spawn(wait_then_return(signals[i], i));
    std::vector<int> seen;
    for (int next : {2, 0, 1}) {
      signals[next].notify();
      seen.push_back(*co_await set.join_next());
    }
    CHECK(set.empty());
    CHECK_FALSE((co_await set.join_next()).has_value());
    co_return seen;
  }());
  CHECK(seen == std::vector<int>{2, 0, 1});
}

TEST_CASE("task set: an empty set says so at once") {
  Executor executor;
  const bool empty = executor.block_on([]() -> Task<bool> {
    TaskSet<int> set;
    co_return !(co_await set.join_next()).has_value();
  }());
  CHECK(empty);
}

TEST_CASE("task set: a task that threw rethrows from join_next, and leaves the set") {
  Executor executor;
  executor.block_on([]() -> Task<> {
    Signal fails, succeeds;
    TaskSet<int> set;
    set.spawn(fail_after(fails));
    set.spawn(wait_then_return(succeeds, 7));
    fails.notify();
    bool threw = false;
    try {
      (void)co_await set.join_next();
    } catch (const std::runtime_error&) {
      threw = true;
    }
    CHECK(threw);
    CHECK(set.size() == 1);
    succeeds.notify();
    CHECK(*co_await set.join_next() == 7);
  }());
}

TEST_CASE("task set: dropping the set aborts the tasks still in it") {
  Executor executor;
  std::atomic<int> dropped{0};
  executor.block_on([](std::atomic<int>* dropped) -> Task<> {
    Signal first;
    TaskSet<int> set;
    set.spawn(wait_then_return(first, 1));
    for (int i = 0; i < 3; ++i)
      set.spawn(sleep_for_an_hour(dropped));
    first.notify();
    CHECK(*co_await set.join_next() == 1);
  }(&dropped));    // the set, with three sleepers in it, is destroyed as the block_on ends
  executor.run();  // returns once the aborted tasks are gone
  CHECK(dropped == 3);
  CHECK(executor.reactor().timers() == 0);
  CHECK(executor.tasks_alive() == 0);
}

TEST_CASE("task set: a pending join_next dropped by when_any loses no result") {
  Executor executor;
  executor.block_on([]() -> Task<> {
    Signal signal;
    TaskSet<int> set;
    set.spawn(wait_then_return(signal, 5));
    auto first = co_await runtime::when_any(set.join_next(), runtime::yield_now());
    CHECK(first.index() == 1);  // the yield won; the pending join_next was destroyed
    CHECK(set.size() == 1);
    signal.notify();
    CHECK(*co_await set.join_next() == 5);
  }());
}

TEST_CASE("task set: void tasks give Unit") {
  Executor executor;
  const int results = executor.block_on([]() -> Task<int> {
    TaskSet<void> set;
    for (int i = 0; i < 4; ++i)
      set.spawn(runtime::yield_now());
    int results = 0;
    while (co_await set.join_next())
      ++results;
    co_return results;
  }());
  CHECK(results == 4);
}

TEST_CASE("task set: a thousand tasks, every result once") {
  Executor executor;
  const long sum = executor.block_on([]() -> Task<long> {
    TaskSet<int> set;
    for (int i = 1; i <= 1000; ++i)
      set.spawn(yield_then_return(i % 7, i));
    long sum = 0;
    while (auto result = co_await set.join_next())
      sum += *result;
    co_return sum;
  }());
  CHECK(sum == 1000L * 1001 / 2);
}

TEST_CASE("task set: tasks on another executor's thread complete into the set") {
  Executor other;
  Signal hold;  // keeps `other` running until the set is drained
  auto keeper = other.spawn(wait_then_return(hold, 0));
  test::JoinedThread thread("the other executor", [&](std::stop_token leave) {
    std::stop_callback release(leave, [&] { hold.notify(); });
    other.run();
  });
  Executor here;
  const long sum = test::bounded("the set's results from the other thread", [&] {
    return here.block_on([](Executor& other) -> Task<long> {
      TaskSet<int> set;
      for (int i = 1; i <= 20; ++i)
        set.spawn(other, yield_then_return(i % 3, i));
      long sum = 0;
      while (auto result = co_await set.join_next())
        sum += *result;
      co_return sum;
    }(other));
  });
  CHECK(sum == 210);
  hold.notify();
  thread.join();
}

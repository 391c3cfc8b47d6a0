// when_all, when_any and with_timeout: futures made of futures. Pinned here: outputs come
// back in input order, void children give Unit, an exception from a child reaches the
// caller, the first ready child wins (ties to the first listed), and a loser is destroyed,
// which is how a timed-out operation is cancelled.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/poll_now.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/when_all.hpp"
#include "runtime/when_any.hpp"
#include "runtime/with_timeout.hpp"
#include "runtime/yield_now.hpp"

using namespace std::chrono_literals;
using runtime::Executor;
using runtime::Sleep;
using runtime::Task;
using runtime::Unit;

namespace {

// A task that finishes after `yields` trips through the run queue, with `value`.
Task<int> after_yields(int yields, int value) {
  for (int i = 0; i < yields; ++i)
    co_await runtime::yield_now();
  co_return value;
}

Task<> void_after_yields(int yields) {
  for (int i = 0; i < yields; ++i)
    co_await runtime::yield_now();
}

Task<int> throw_after_yields(int yields) {
  for (int i = 0; i < yields; ++i)
    co_await runtime::yield_now();
  throw std::runtime_error("child failed");
}

// A future that never finishes and records its own destruction: the "loser" whose
// cancellation the tests watch. It keeps the latest waker, as a leaf future that waits on
// something would; nothing ever wakes it.
class Forever {
 public:
  using Output = int;
  explicit Forever(std::shared_ptr<bool> destroyed) : destroyed_(std::move(destroyed)) {}
  Forever(Forever&& other) noexcept : destroyed_(std::exchange(other.destroyed_, nullptr)) {}
  ~Forever() {
    if (destroyed_) *destroyed_ = true;
  }
  runtime::Poll<int> poll(runtime::Context& cx) {
    waker_ = cx.waker();
    return runtime::Pending{};
  }

 private:
  std::shared_ptr<bool> destroyed_;
  runtime::Waker waker_;
};

// Ready at once with `value`, recording destruction too.
class ReadyNow {
 public:
  using Output = int;
  explicit ReadyNow(int value, std::shared_ptr<bool> destroyed = nullptr)
      : value_(value), destroyed_(std::move(destroyed)) {}
  ReadyNow(ReadyNow&& other) noexcept
      : value_(other.value_), destroyed_(std::exchange(other.destroyed_, nullptr)) {}
  ~ReadyNow() {
    if (destroyed_) *destroyed_ = true;
  }
  runtime::Poll<int> poll(runtime::Context&) { return value_; }

 private:
  int value_;
  std::shared_ptr<bool> destroyed_;
};

}  // namespace

TEST_CASE("when_all: tuple results come back in input order, not finishing order") {
  Executor executor;
  auto [a, b, c] = executor.block_on([]() -> Task<std::tuple<int, int, std::string>> {
    co_return co_await runtime::when_all(after_yields(5, 1), after_yields(0, 2),
                                         []() -> Task<std::string> {
                                           co_await runtime::yield_now();
                                           co_return "three";
                                         }());
  }());
  CHECK(a == 1);
  CHECK(b == 2);
  CHECK(c == "three");
}

TEST_CASE("when_all: vector results come back in input order") {
  Executor executor;
  const auto results = executor.block_on([]() -> Task<std::vector<int>> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 8; ++i)
      tasks.push_back(after_yields(8 - i, i * 10));  // the last finishes first
    co_return co_await runtime::when_all(std::move(tasks));
  }());
  REQUIRE(results.size() == 8);
  for (int i = 0; i < 8; ++i)
    CHECK(results[i] == i * 10);
}

TEST_CASE("when_all: void futures give Unit") {
  Executor executor;
  const auto [unit, value] = executor.block_on([]() -> Task<std::tuple<Unit, int>> {
    co_return co_await runtime::when_all(void_after_yields(2), after_yields(1, 7));
  }());
  CHECK(unit == Unit{});
  CHECK(value == 7);

  const auto units = executor.block_on([]() -> Task<std::vector<Unit>> {
    std::vector<Task<>> tasks;
    tasks.push_back(void_after_yields(1));
    tasks.push_back(void_after_yields(3));
    co_return co_await runtime::when_all(std::move(tasks));
  }());
  CHECK(units.size() == 2);
}

TEST_CASE("when_all: an exception from a child propagates to the caller") {
  Executor executor;
  CHECK_THROWS_WITH_AS(executor.block_on([]() -> Task<> {
    (void)co_await runtime::when_all(after_yields(3, 1), throw_after_yields(1));
  }()),
                       "child failed", std::runtime_error);

  bool caught = false;
  executor.block_on([](bool& caught) -> Task<> {
    std::vector<Task<int>> tasks;
    tasks.push_back(after_yields(2, 1));
    tasks.push_back(throw_after_yields(0));
    try {
      (void)co_await runtime::when_all(std::move(tasks));
    } catch (const std::runtime_error& error) {
      caught = std::string(error.what()) == "child failed";
    }
  }(caught));
  CHECK(caught);
}

TEST_CASE("when_any: gives the index and value of the first ready future") {
  Executor executor;
  const auto winner = executor.block_on([]() -> Task<std::variant<int, int, int>> {
    co_return co_await runtime::when_any(after_yields(5, 100), after_yields(1, 200),
                                         after_yields(3, 300));
  }());
  CHECK(winner.index() == 1);
  CHECK(std::get<1>(winner) == 200);
}

TEST_CASE("when_any: when several are ready at once, the first listed wins") {
  Executor executor;
  const auto winner = executor.block_on([]() -> Task<std::variant<int, int, int>> {
    co_return co_await runtime::when_any(after_yields(2, 1), after_yields(1, 2),
                                         after_yields(1, 3));
  }());
  CHECK(winner.index() == 1);  // 2 and 3 are ready on the same poll: 2 is listed first

  auto first_destroyed = std::make_shared<bool>(false);
  auto second_destroyed = std::make_shared<bool>(false);
  const auto both_ready = executor.block_on(
      [](std::shared_ptr<bool> a, std::shared_ptr<bool> b) -> Task<std::variant<int, int>> {
        co_return co_await runtime::when_any(ReadyNow(1, a), ReadyNow(2, b));
      }(first_destroyed, second_destroyed));
  CHECK(both_ready.index() == 0);
  CHECK(std::get<0>(both_ready) == 1);
  CHECK(*first_destroyed);
  CHECK(*second_destroyed);
}

TEST_CASE("when_any: the losers are destroyed when the winner is taken") {
  Executor executor;
  auto loser_destroyed = std::make_shared<bool>(false);
  executor.block_on([](std::shared_ptr<bool> flag) -> Task<> {
    const auto winner = co_await runtime::when_any(Forever(flag), Sleep(5ms));
    CHECK(winner.index() == 1);
    CHECK(*flag);  // destroyed with the when_any, before the body carries on
  }(loser_destroyed));
  CHECK(*loser_destroyed);
  CHECK(executor.reactor().timers() == 0);
}

TEST_CASE("when_any: a losing Sleep takes its timer with it") {
  Executor executor;
  executor.block_on([](Executor& executor) -> Task<> {
    const auto winner = co_await runtime::when_any(Sleep(1h), after_yields(2, 9));
    CHECK(winner.index() == 1);
    CHECK(executor.reactor().timers() == 0);
  }(executor));
}

TEST_CASE("with_timeout: the inner future wins and gives its value") {
  Executor executor;
  const auto value = executor.block_on([](Executor& executor) -> Task<std::optional<int>> {
    auto result = co_await runtime::with_timeout(after_yields(3, 42), 1h);
    CHECK(executor.reactor().timers() == 0);  // the timer left with the WithTimeout
    co_return result;
  }(executor));
  REQUIRE(value.has_value());
  CHECK(*value == 42);

  const auto unit = executor.block_on([]() -> Task<std::optional<Unit>> {
    co_return co_await runtime::with_timeout(void_after_yields(1), 1h);
  }());
  CHECK(unit.has_value());
}

TEST_CASE("with_timeout: the timer wins, gives nullopt, and the inner future is destroyed") {
  Executor executor;
  auto destroyed = std::make_shared<bool>(false);
  const auto started = std::chrono::steady_clock::now();
  executor.block_on([](std::shared_ptr<bool> flag) -> Task<> {
    const auto result = co_await runtime::with_timeout(Forever(flag), 20ms);
    CHECK_FALSE(result.has_value());
    CHECK(*flag);  // cancelled: gone before the coroutine carries on
  }(destroyed));
  CHECK(std::chrono::steady_clock::now() - started >= 20ms);
  CHECK(*destroyed);
}

TEST_CASE("with_timeout: a future ready on its first poll wins even with a zero limit") {
  Executor executor;
  const auto value = executor.block_on([]() -> Task<std::optional<int>> {
    co_return co_await runtime::with_timeout(ReadyNow(5), 0ms);
  }());
  REQUIRE(value.has_value());
  CHECK(*value == 5);
}

TEST_CASE("with_timeout: the limit counts from the first wait, not from when it was made") {
  // So a read or write that is done at once never reads the clock or arms a timer.
  Executor executor;
  const auto value = executor.block_on([](Executor& executor) -> Task<std::optional<int>> {
    auto timed = runtime::with_timeout(after_yields(1, 42), 20ms);
    co_await Sleep(40ms);  // a limit counted from construction would be spent by now
    CHECK(executor.reactor().timers() == 0);
    co_return co_await timed;
  }(executor));
  REQUIRE(value.has_value());
  CHECK(*value == 42);
}

TEST_CASE("with_timeout: an exception from the inner future propagates") {
  Executor executor;
  CHECK_THROWS_WITH_AS(executor.block_on([]() -> Task<> {
    (void)co_await runtime::with_timeout(throw_after_yields(1), 1h);
  }()),
                       "child failed", std::runtime_error);
  CHECK(executor.reactor().timers() == 0);
}

TEST_CASE("poll_now: a ready future gives its value, a pending one nullopt and is destroyed") {
  Executor executor;
  executor.block_on([]() -> Task<> {
    const auto ready = co_await runtime::poll_now(ReadyNow(7));
    REQUIRE(ready.has_value());
    CHECK(*ready == 7);

    auto destroyed = std::make_shared<bool>(false);
    const auto pending = co_await runtime::poll_now(Forever(destroyed));
    CHECK_FALSE(pending.has_value());
    CHECK(*destroyed);  // it did not wait: the future is gone once the co_await is over

    const auto unit = co_await runtime::poll_now(runtime::yield_now());
    CHECK_FALSE(unit.has_value());  // yield_now is pending on its first poll, by design
  }());
}

// Stream adapters (runtime/stream.hpp): map, filter, take, chunks and fold keep order and
// ask for no more than they need; merge is fair between two ready streams and drains the
// one left when the other ends; throttle and interval never run early; destroying an
// adapter chain that waits cancels its timers. Lower bounds on time only: upper bounds are
// a benchmark's business.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/generator.hpp"
#include "runtime/stream.hpp"
#include "runtime/task.hpp"
#include "runtime/when_any.hpp"

using namespace std::chrono_literals;
using runtime::Executor;
using runtime::Generator;
using runtime::Task;
using Clock = std::chrono::steady_clock;

namespace {

// 1, 2, ..., n; counts how many it was asked for.
Generator<int> numbers(int n, int* asked = nullptr) {
  for (int i = 1; i <= n; ++i) {
    if (asked != nullptr) ++*asked;
    co_yield i;
  }
}

Generator<std::string> labelled(std::string label, int n) {
  for (int i = 1; i <= n; ++i)
    co_yield label + std::to_string(i);
}

template <runtime::Stream S>
Task<std::vector<typename S::Item>> collect(S stream) {
  std::vector<typename S::Item> out;
  for (int limit = 0; limit < 10'000; ++limit) {
    auto item = co_await stream.next();
    if (!item) break;
    out.push_back(std::move(*item));
  }
  co_return out;
}

template <runtime::Stream S>
std::vector<typename S::Item> run(S stream) {
  Executor executor;
  return executor.block_on(collect(std::move(stream)));
}

}  // namespace

TEST_CASE("stream: map, filter and take keep order, and take asks for no more than it keeps") {
  int asked = 0;
  const auto out = run(runtime::take(
      runtime::map(runtime::filter(numbers(1000, &asked), [](int n) { return n % 2 == 0; }),
                   [](int n) { return n * 10; }),
      3));
  CHECK(out == std::vector<int>{20, 40, 60});
  CHECK(asked == 6);  // up to the sixth number, and not one more
}

TEST_CASE("stream: chunks batch in order, the last batch short; fold sees every item in order") {
  CHECK(run(runtime::chunks(numbers(7), 3)) ==
        std::vector<std::vector<int>>{{1, 2, 3}, {4, 5, 6}, {7}});
  CHECK(run(runtime::chunks(numbers(0), 3)).empty());
  Executor executor;
  const std::string digits = executor.block_on(runtime::fold(
      numbers(5), std::string(), [](std::string acc, int n) { return acc + std::to_string(n); }));
  CHECK(digits == "12345");
}

TEST_CASE("stream: merge takes turns between two ready streams, then drains the longer") {
  CHECK(run(runtime::merge(labelled("a", 2), labelled("b", 4))) ==
        std::vector<std::string>{"a1", "b1", "a2", "b2", "b3", "b4"});
  CHECK(run(runtime::merge(labelled("a", 3), labelled("b", 0))) ==
        std::vector<std::string>{"a1", "a2", "a3"});
}

TEST_CASE("stream: merge gives the items of a waiting stream as they come") {
  // The ticks come one by one as time passes; the numbers are all ready at once: each
  // tick must still come out (fairness), and every item of both exactly once.
  const auto out = run(
      runtime::merge(runtime::map(runtime::take(runtime::interval(2ms), 3),
                                  [](std::uint64_t tick) { return static_cast<int>(100 + tick); }),
                     numbers(3)));
  std::vector<int> sorted = out;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int>{1, 2, 3, 100, 101, 102});
}

TEST_CASE("stream: interval ticks on its grid, never early; throttle spaces items out") {
  const auto start = Clock::now();
  std::vector<Clock::duration> at;
  const auto ticks =
      run(runtime::map(runtime::take(runtime::interval(5ms), 4), [&](std::uint64_t tick) {
        at.push_back(Clock::now() - start);
        return tick;
      }));
  CHECK(ticks == std::vector<std::uint64_t>{0, 1, 2, 3});
  REQUIRE(at.size() == 4);
  for (std::size_t n = 0; n < at.size(); ++n)
    CHECK(at[n] >= static_cast<std::int64_t>(n) * 5ms);

  std::vector<Clock::time_point> sent;
  (void)run(runtime::map(runtime::throttle(numbers(4), 5ms), [&](int n) {
    sent.push_back(Clock::now());
    return n;
  }));
  REQUIRE(sent.size() == 4);
  for (std::size_t n = 1; n < sent.size(); ++n)
    CHECK(sent[n] - sent[n - 1] >= 5ms);
}

TEST_CASE("stream: an adapter chain destroyed while it waits takes its timers with it") {
  Executor executor;
  executor.block_on([](Executor& executor) -> Task<> {
    {
      auto slow = runtime::chunks(runtime::interval(1h), 2);
      auto first = co_await runtime::when_any(slow.next(), runtime::Sleep(1ms));
      CHECK(first.index() == 1);
      CHECK(executor.reactor().timers() == 1);  // tick 1, an hour away
    }
    CHECK(executor.reactor().timers() == 0);
  }(executor));
}

// Runtime: background executor threads behind a synchronous API. Pinned here: a spawned
// future's value (or exception) reaches get() on another thread; try_get() never blocks;
// spawns spread over the threads and may come from many threads at once; shutdown()
// cancels what is unfinished, whose get() then throws RuntimeStopped instead of hanging,
// and a spawn after it is refused. Every cross-thread wait is bounded (wait_for).
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "tests/test_harness.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using runtime::Runtime;
using runtime::Task;

namespace {

// Far beyond any run here; reaching it is a failure, not a hang.
constexpr auto kLimit = test::kWatchdogLimit;

Task<int> add(int a, int b) {
  co_return a + b;
}

Task<int> after(test::Signal signal, int value) {
  co_await signal.wait();
  co_return value;
}

Task<std::thread::id> where() {
  co_return std::this_thread::get_id();
}

Task<int> broken() {
  throw std::runtime_error("broken task");
  co_return 0;
}

}  // namespace

TEST_CASE("runtime: a spawned future's value reaches synchronous code through its handle") {
  Runtime background(2);
  auto sum = background.spawn(add(2, 3));
  REQUIRE(sum.wait_for(kLimit));
  CHECK(sum.get() == 5);
  auto failed = background.spawn(broken());
  REQUIRE(failed.wait_for(kLimit));
  CHECK_THROWS_WITH(failed.get(), "broken task");
}

TEST_CASE("runtime: try_get answers at once, done or not") {
  Runtime background(1);
  test::Signal go;
  auto later = background.spawn(after(go, 7));
  CHECK_FALSE(later.try_get().has_value());  // waits for the signal: not done
  go.notify();                               // from this thread, waking the runtime's
  REQUIRE(later.wait_for(kLimit));
  CHECK(later.try_get() == 7);
}

TEST_CASE("runtime: spawns take the threads in turn, and may come from many threads at once") {
  Runtime background(2);
  std::vector<Runtime::Handle<std::thread::id>> handles;
  for (int i = 0; i < 4; ++i)
    handles.push_back(background.spawn(where()));
  std::set<std::thread::id> threads;
  for (auto& handle : handles) {
    REQUIRE(handle.wait_for(kLimit));
    threads.insert(handle.get());
  }
  CHECK(threads.size() == 2);
  CHECK(threads.count(std::this_thread::get_id()) == 0);

  std::vector<std::vector<Runtime::Handle<int>>> sums(4);
  std::vector<test::JoinedThread> spawners;
  spawners.reserve(4);
  for (int t = 0; t < 4; ++t) {
    spawners.emplace_back("a spawning thread", [&background, &sums, t] {
      for (int i = 0; i < 100; ++i)
        sums[t].push_back(background.spawn(add(t, i)));
    });
  }
  for (test::JoinedThread& spawner : spawners)
    spawner.join();
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 100; ++i) {
      REQUIRE(sums[t][i].wait_for(kLimit));
      CHECK(sums[t][i].get() == t + i);
    }
  }
}

TEST_CASE(
    "runtime: shutdown cancels what is unfinished; its get throws; later spawns are refused") {
  Runtime background(2);
  test::Signal never;
  auto stuck = background.spawn(after(never, 1));
  auto sleeping = background.spawn([]() -> Task<int> {
    co_await runtime::Sleep(1h);
    co_return 2;
  }());
  background.shutdown();
  REQUIRE(stuck.wait_for(kLimit));  // set by the cancellation, not left waiting
  CHECK_THROWS_AS(stuck.get(), runtime::RuntimeStopped);
  REQUIRE(sleeping.wait_for(kLimit));
  CHECK_THROWS_AS(sleeping.get(), runtime::RuntimeStopped);
  CHECK_THROWS_AS((void)background.spawn(add(1, 1)), std::logic_error);
  background.shutdown();  // idempotent
}

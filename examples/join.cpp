// Join (the book's join!, Tokio's join!): wait for several futures at once; the slowest sets
// the pace, not the sum. Three sleeps of 30, 20 and 10 ms finish together after ~30 ms.
#include <chrono>
#include <cstdio>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/when_all.hpp"

using namespace std::chrono_literals;

runtime::Task<int> work(int id, std::chrono::milliseconds takes) {
  co_await runtime::Sleep(takes);
  std::printf("  task %d done after %lld ms of work\n", id, static_cast<long long>(takes.count()));
  co_return id * 10;
}

int main() {
  runtime::Executor executor;
  const auto start = std::chrono::steady_clock::now();
  auto [a, b, c] =
      executor.block_on(runtime::when_all(work(1, 30ms), work(2, 20ms), work(3, 10ms)));
  const auto took = std::chrono::steady_clock::now() - start;
  std::printf(
      "join: results %d %d %d in %lld ms (the slowest, not the sum of 60)\n", a, b, c,
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  return a + b + c == 60 ? 0 : 1;
}

// Async generator and stream adapters: a coroutine that co_yields, consumed with
// co_await next(), and the adapters that shape it. Ticks of a 5 ms interval, the even ones,
// squared, six of them, in batches of two; then a fold, and a fair merge of two streams.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/generator.hpp"
#include "runtime/stream.hpp"
#include "runtime/task.hpp"

using namespace std::chrono_literals;
using runtime::Generator;

Generator<std::string> words(const char* prefix, int count) {
  for (int i = 1; i <= count; ++i)
    co_yield std::string(prefix) + std::to_string(i);
}

runtime::Task<int> run() {
  auto batches = runtime::chunks(
      runtime::take(runtime::map(runtime::filter(runtime::interval(5ms),
                                                 [](std::uint64_t t) { return t % 2 == 0; }),
                                 [](std::uint64_t t) { return t * t; }),
                    6),
      2);
  int batches_seen = 0;
  for (;;) {
    auto batch = co_await batches.next();  // the interval ticks only as fast as we ask
    if (!batch) break;
    std::printf("generator: batch %d: %llu %llu\n", ++batches_seen,
                static_cast<unsigned long long>((*batch)[0]),
                static_cast<unsigned long long>((*batch)[1]));
  }
  const int total = co_await runtime::fold(runtime::take(runtime::interval(1ms), 5), 0,
                                           [](int sum, std::uint64_t t) { return sum + int(t); });
  std::printf("generator: fold of the ticks 0..4: %d\n", total);
  auto merged = runtime::merge(words("a", 2), words("b", 3));
  std::string order;
  for (;;) {
    auto word = co_await merged.next();
    if (!word) break;
    order += *word + " ";
  }
  std::printf("generator: merge takes turns: %s\n", order.c_str());
  co_return batches_seen == 3 && total == 10 && order == "a1 b1 a2 b2 b3 " ? 0 : 1;
}

int main() {
  runtime::Executor executor;
  return executor.block_on(run());
}

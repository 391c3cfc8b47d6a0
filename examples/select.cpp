// Select (Tokio's select!): the first of several futures to finish wins; the others are
// destroyed, which cancels them (their timers removed). A fast answer beats a slow one.
#include <chrono>
#include <cstdio>
#include <string>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/when_any.hpp"

using namespace std::chrono_literals;

runtime::Task<std::string> answer(const char* who, std::chrono::milliseconds takes) {
  co_await runtime::Sleep(takes);
  co_return std::string(who) + " answered after " + std::to_string(takes.count()) + " ms";
}

int main() {
  runtime::Executor executor;
  auto winner = executor.block_on(
      runtime::when_any(answer("slow mirror", 200ms), answer("fast mirror", 10ms)));
  const std::string& said = winner.index() == 0 ? std::get<0>(winner) : std::get<1>(winner);
  std::printf("select: future #%zu won: %s; the other was cancelled\n", winner.index(),
              said.c_str());
  std::printf("select: timers left in the reactor: %zu\n", executor.reactor().timers());
  return winner.index() == 1 && executor.reactor().timers() == 0 ? 0 : 1;
}

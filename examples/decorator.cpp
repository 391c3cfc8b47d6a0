// Decorator (the book's chapter 9): a future wrapped in another that logs each poll. Logged
// is used here directly; decorate() puts it in only when built with make LOG_POLLS=1, as
// the server does around every handler, and is the bare future otherwise.
#include <chrono>
#include <cstdio>

#include "runtime/decorator.hpp"
#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"

using namespace std::chrono_literals;

runtime::Task<int> two_pauses() {
  co_await runtime::Sleep(5ms);
  co_await runtime::Sleep(5ms);
  co_return 2;
}

int main() {
  runtime::Executor executor;
  const int pauses = executor.block_on(runtime::Logged("two_pauses", two_pauses(), stdout));
  auto plain = runtime::decorate("two_pauses", two_pauses());
#ifdef RUNTIME_LOG_POLLS
  std::printf("decorator: built with LOG_POLLS, so decorate() wrapped it too\n");
#else
  std::printf("decorator: built without LOG_POLLS, so decorate() returned the bare task\n");
#endif
  return pauses + executor.block_on(std::move(plain)) == 4 ? 0 : 1;
}

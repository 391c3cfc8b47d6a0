// TaskSet (Tokio's JoinSet): spawn many, take each result as it completes, not in the order
// spawned. Three lookups of different lengths come back shortest first; dropping the set
// aborts the one still running.
#include <chrono>
#include <cstdio>
#include <string>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/task_set.hpp"

using namespace std::chrono_literals;

runtime::Task<std::string> lookup(const char* name, std::chrono::milliseconds takes) {
  co_await runtime::Sleep(takes);
  co_return std::string(name) + " (" + std::to_string(takes.count()) + " ms)";
}

runtime::Task<int> first_two_of_four() {
  runtime::TaskSet<std::string> set;
  set.spawn(lookup("slow", 60ms));
  set.spawn(lookup("fast", 10ms));
  set.spawn(lookup("medium", 30ms));
  set.spawn(lookup("never needed", 10s));
  for (int i = 1; i <= 3; ++i) {
    auto result = co_await set.join_next();
    std::printf("task set: result %d: %s\n", i, result->c_str());
  }
  std::printf("task set: %zu task left; dropping the set aborts it\n", set.size());
  co_return static_cast<int>(set.size());
}

int main() {
  runtime::Executor executor;
  const int left = executor.block_on(first_two_of_four());
  executor.run();  // returns at once: the aborted task is gone, and its 10 s timer with it
  std::printf("task set: tasks alive: %zu, timers left: %zu\n", executor.tasks_alive(),
              executor.reactor().timers());
  return left == 1 && executor.tasks_alive() == 0 && executor.reactor().timers() == 0 ? 0 : 1;
}

// Waterfall (the book's chapter 9): async steps run in order, each fed by the one before,
// written as plain sequential code; an error at any step skips the rest and comes out of
// the whole. Here: look up a user, then their orders, then the total.
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"

using namespace std::chrono_literals;

runtime::Task<int> find_user(std::string name) {
  co_await runtime::Sleep(2ms);  // a lookup
  if (name != "ada") throw std::runtime_error("no such user: " + name);
  co_return 42;
}

runtime::Task<std::vector<int>> orders_of(int user) {
  co_await runtime::Sleep(2ms);
  co_return std::vector<int>{user, 10, 20};
}

runtime::Task<int> total(std::vector<int> orders) {
  co_await runtime::Sleep(2ms);
  int sum = 0;
  for (int order : orders)
    sum += order;
  co_return sum;
}

runtime::Task<int> waterfall(std::string name) {
  const int user = co_await find_user(name);
  auto orders = co_await orders_of(user);
  co_return co_await total(std::move(orders));
}

int main() {
  runtime::Executor executor;
  const int sum = executor.block_on(waterfall("ada"));
  std::printf("waterfall: ada's orders total %d\n", sum);
  try {
    (void)executor.block_on(waterfall("bob"));
  } catch (const std::exception& e) {
    std::printf("waterfall: the first step failed, the rest never ran: %s\n", e.what());
  }
  return sum == 72 ? 0 : 1;
}

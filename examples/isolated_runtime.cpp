// Isolated runtime (the book's chapter 9 "isolated module"): synchronous code hands futures
// to executor threads in the background and picks up the results later, from any thread,
// without ever writing co_await itself.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"

using namespace std::chrono_literals;

runtime::Task<int> slow_square(int n) {
  co_await runtime::Sleep(10ms);
  co_return n* n;
}

int main() {
  runtime::Runtime background(2);  // two executor threads
  std::vector<runtime::Runtime::Handle<int>> squares;
  for (int n = 1; n <= 4; ++n)
    squares.push_back(background.spawn(slow_square(n)));  // returns at once
  std::printf("isolated runtime: 4 futures handed over; ready yet? %s\n",
              squares[0].try_get() ? "yes" : "no");
  int sum = 0;
  std::thread reader([&] {  // any thread may collect
    for (auto& square : squares)
      sum += square.get();
  });
  reader.join();
  std::printf("isolated runtime: the squares of 1..4 add up to %d\n", sum);
  auto late = background.spawn(slow_square(5));
  background.shutdown();  // cancels what is unfinished
  try {
    (void)late.get();
  } catch (const runtime::RuntimeStopped& e) {
    std::printf("isolated runtime: after shutdown: %s\n", e.what());
  }
  return sum == 30 ? 0 : 1;
}

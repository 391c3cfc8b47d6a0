// Runtime micro-benchmarks, run by `make bench`. Not a test: it measures and prints.
//
//   spawn        cost to spawn, poll and complete one trivial task (allocation included)
//   wake         cross-thread wake latency: two executors on two threads ping-pong a
//                value through two Channels, so every hop is a remote push + unpark;
//                beside it, the floor: the same ping-pong on a bare atomic wait/notify
//   sleeps       100,000 concurrent Sleeps of 500 ms: wall time, CPU, how many polls they
//                cost (2 each when only woken tasks are polled), peak RSS (run first, as
//                peak RSS is for the whole process)
//   busy-poll    the book's policy against ours on 1,000 tasks sleeping 200 ms: polls and
//                CPU time, which is what the waker saves
//
// Results are printed one per line as `name value unit`, for scripts and docs.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "runtime/channel.hpp"
#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"

using namespace runtime;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto to_s = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return to_s(usage.ru_utime) + to_s(usage.ru_stime);
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void report(const char* name, double value, const char* unit) {
  std::printf("%-28s %12.3f %s\n", name, value, unit);
  std::fflush(stdout);
}

Task<void> trivial() {
  co_return;
}

void bench_spawn() {
  constexpr int kTasks = 1'000'000;
  Executor executor;
  const auto start = Clock::now();
  for (int i = 0; i < kTasks; ++i)
    executor.spawn(trivial());
  executor.run();
  report("spawn+complete", seconds_since(start) * 1e9 / kTasks, "ns/task");
}

Task<void> ping(Channel<int>& out, Channel<int>& in, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    co_await out.send(i);
    co_await in.recv();
  }
}

Task<void> pong(Channel<int>& in, Channel<int>& out, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    auto value = co_await in.recv();
    co_await out.send(*value);
  }
}

void bench_wake() {
  constexpr int kRounds = 100'000;
  Channel<int> there(1);
  Channel<int> back(1);
  std::thread other([&] {
    Executor executor;
    executor.block_on(pong(there, back, kRounds));
  });
  Executor executor;
  const auto start = Clock::now();
  executor.block_on(ping(there, back, kRounds));
  const double elapsed = seconds_since(start);
  other.join();
  report("cross-thread wake", elapsed * 1e9 / (2.0 * kRounds), "ns/hop");
}

// The same ping-pong with no runtime at all: what the OS charges for waking a thread.
void bench_wake_floor() {
  constexpr int kRounds = 100'000;
  std::atomic<int> turn{0};
  std::thread other([&] {
    for (int i = 0; i < kRounds; ++i) {
      turn.wait(0);
      turn.store(0);
      turn.notify_one();
    }
  });
  const auto start = Clock::now();
  for (int i = 0; i < kRounds; ++i) {
    turn.store(1);
    turn.notify_one();
    turn.wait(1);
  }
  const double elapsed = seconds_since(start);
  other.join();
  report("thread wake floor (futex)", elapsed * 1e9 / (2.0 * kRounds), "ns/hop");
}

Task<void> sleep_for(Clock::duration d) {
  co_await Sleep(d);
}

void bench_sleeps() {
  constexpr int kSleeps = 100'000;
  Executor executor;
  const auto start = Clock::now();
  const double cpu_before = cpu_seconds();
  for (int i = 0; i < kSleeps; ++i)
    executor.spawn(sleep_for(500ms + std::chrono::microseconds(i)));
  executor.run();
  report("100k sleeps: wall", seconds_since(start), "s");
  report("100k sleeps: cpu", cpu_seconds() - cpu_before, "s");
  report("100k sleeps: polls/task", static_cast<double>(executor.polls()) / kSleeps, "polls");
  report("100k sleeps: peak rss", peak_rss_kb() / 1024.0, "MiB");
}

void bench_policy(Executor::Policy policy, const char* name) {
  constexpr int kTasks = 1'000;
  Executor executor(policy);
  const double cpu_before = cpu_seconds();
  for (int i = 0; i < kTasks; ++i)
    executor.spawn(sleep_for(200ms));
  executor.run();
  char label[64];
  std::snprintf(label, sizeof label, "%s: polls", name);
  report(label, static_cast<double>(executor.polls()), "polls");
  std::snprintf(label, sizeof label, "%s: cpu", name);
  report(label, cpu_seconds() - cpu_before, "s");
}

}  // namespace

int main() {
  bench_sleeps();
  bench_spawn();
  bench_wake();
  bench_wake_floor();
  bench_policy(Executor::Policy::kWakeDriven, "1k x 200ms wake-driven");
  bench_policy(Executor::Policy::kBusyPoll, "1k x 200ms busy-poll");
}

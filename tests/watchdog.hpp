// Watchdog: every wait in a test that depends on another thread is bounded here, so that a
// lost wake-up or a thread that never ends fails the run with a message instead of hanging
// it. One limit for the whole suite, generous because sanitizers on a loaded machine are
// slow; a test that passes never comes near it.
//
//   * Watchdog: arms the limit over a scope. If the scope has not ended by then, it prints
//     what was being waited for and aborts the run (doctest then names the test case).
//   * bounded(what, wait): runs `wait` under a Watchdog and returns what it returns.
//   * spin_until(done): yields until a condition another thread makes true holds, for waits
//     with nothing to block on (a counter, a state); false if the limit passed first.
//   * JoinedThread: a thread joined on every path, under a Watchdog. Its destructor first
//     asks the thread to stop (std::stop_token), so a thread that waits for the test is let
//     go when a REQUIRE leaves the test early; what its body throws fails the test.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace test {

// How long any cross-thread wait in a test may take before it counts as hung.
inline constexpr std::chrono::seconds kWatchdogLimit{20};

// A timeout of the code under test that a passing test must never reach (a grace period,
// an idle timeout): past the watchdog, so waiting it out aborts the run instead of passing.
inline constexpr std::chrono::seconds kBeyondWatchdog{60};

class Watchdog {
 public:
  explicit Watchdog(std::string what) : thread_([this, what = std::move(what)] { watch(what); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_one();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  // Aborts rather than failing the test and going on: the thread that is stuck still
  // refers to the test's locals, so the test can neither return nor leave it behind.
  void watch(const std::string& what) {
    std::unique_lock lock(mutex_);
    if (done_cv_.wait_for(lock, kWatchdogLimit, [this] { return done_; })) return;
    std::fprintf(stderr, "watchdog: still waiting after %lld s for %s; aborting the run\n",
                 static_cast<long long>(kWatchdogLimit.count()), what.c_str());
    std::fflush(stderr);
    std::abort();
  }

  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;   // guarded by mutex_: the scope ended in time
  std::thread thread_;  // last: it starts once the members above exist
};

template <class F>
decltype(auto) bounded(std::string what, F&& wait) {
  Watchdog watchdog(std::move(what));
  return std::forward<F>(wait)();
}

template <class Done>
bool spin_until(Done&& done) {
  const auto deadline = std::chrono::steady_clock::now() + kWatchdogLimit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::yield();
  }
  return true;
}

class JoinedThread {
 public:
  // `body` takes a std::stop_token, or nothing; `what` names the thread in reports.
  template <class F>
  JoinedThread(std::string what, F body)
      : what_(std::move(what)),
        failure_(std::make_shared<std::exception_ptr>()),
        thread_([body = std::move(body), failure = failure_](std::stop_token stop) mutable {
          try {
            if constexpr (std::is_invocable_v<F&, std::stop_token>) {
              body(std::move(stop));
            } else {
              body();
            }
          } catch (...) {
            *failure = std::current_exception();  // read after the join
          }
        }) {}
  JoinedThread(JoinedThread&&) noexcept = default;
  JoinedThread& operator=(JoinedThread&&) = delete;
  ~JoinedThread() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    wait_for_end();
    if (*failure_) FAIL_CHECK("the thread '" << what_ << "' threw: " << describe(*failure_));
  }

  // Waits for the thread to end (bounded), then rethrows what its body threw.
  void join() {
    wait_for_end();
    if (auto failure = std::exchange(*failure_, nullptr)) std::rethrow_exception(failure);
  }

 private:
  void wait_for_end() {
    Watchdog watchdog("the thread '" + what_ + "' to end");
    thread_.join();
  }
  static std::string describe(const std::exception_ptr& failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      return error.what();
    } catch (...) {
      return "an exception that is no std::exception (a failed REQUIRE?)";
    }
  }

  std::string what_;
  std::shared_ptr<std::exception_ptr> failure_;  // shared with the body, which may outlive a move
  std::jthread thread_;                          // last: it starts once the members above exist
};

}  // namespace test

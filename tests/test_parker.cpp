// Park and unpark: the Parker state machine (parker.hpp), a stress test that no
// interleaving of park and unpark loses a wake-up, and the ThreadParker behind
// JoinHandle::get() (thread_parker.hpp).
#include <doctest/doctest.h>
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <stop_token>

#include "runtime/executor.hpp"
#include "runtime/parker.hpp"
#include "runtime/task.hpp"
#include "runtime/thread_parker.hpp"
#include "tests/test_harness.hpp"
#include "tests/watchdog.hpp"

using runtime::Parker;
using runtime::Task;
using test::Signal;

namespace {

// Sanitizers slow every atomic and system call down a lot: fewer rounds keep the run short
// while still crossing the park/unpark window thousands of times.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kPingPongRounds = 2000;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr int kPingPongRounds = 2000;
#else
constexpr int kPingPongRounds = 20000;
#endif
#else
constexpr int kPingPongRounds = 20000;
#endif

bool readable(int fd) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, 0) == 1 && (entry.revents & POLLIN);
}

TEST_CASE("parker: announce then unpark writes the wake-up fd once") {
  Parker parker;
  parker.announce_park();
  CHECK(parker.state() == Parker::State::kParked);
  CHECK_FALSE(readable(parker.wakeup_fd().fd()));
  parker.unpark();
  CHECK(parker.state() == Parker::State::kNotified);
  CHECK(parker.wakeup_writes() == 1);
  CHECK(readable(parker.wakeup_fd().fd()));  // a blocked epoll_wait / poll would return
  parker.wakeup_fd().drain();
  CHECK_FALSE(readable(parker.wakeup_fd().fd()));
  parker.finish_park();
  CHECK(parker.state() == Parker::State::kRunning);
}

TEST_CASE("parker: unpark while running makes no system call") {
  Parker parker;
  parker.unpark();
  parker.unpark();
  CHECK(parker.state() == Parker::State::kNotified);
  CHECK(parker.wakeup_writes() == 0);
  CHECK_FALSE(readable(parker.wakeup_fd().fd()));
  // The next announcement starts afresh: the owner re-checks its queues after it, which
  // is what makes skipping the write above safe.
  parker.announce_park();
  CHECK(parker.state() == Parker::State::kParked);
}

TEST_CASE("parker: several unparks while parked write once") {
  Parker parker;
  parker.announce_park();
  for (int i = 0; i < 10; ++i)
    parker.unpark();
  CHECK(parker.wakeup_writes() == 1);
  parker.finish_park();
  parker.wakeup_fd().drain();
  // A new park cycle needs (and gets) a new write.
  parker.announce_park();
  parker.unpark();
  parker.unpark();
  CHECK(parker.wakeup_writes() == 2);
  CHECK(readable(parker.wakeup_fd().fd()));
  parker.wakeup_fd().drain();
}

Task<> pinger(Signal ping, Signal pong, const std::atomic<bool>* stop, std::atomic<int>* rounds) {
  while (*rounds < kPingPongRounds && !stop->load()) {
    ping.notify();
    co_await pong.wait();
    ++*rounds;
  }
}
Task<> ponger(Signal ping, Signal pong, const std::atomic<bool>* stop, std::atomic<int>* rounds) {
  while (*rounds < kPingPongRounds && !stop->load()) {
    co_await ping.wait();
    pong.notify();
    ++*rounds;
  }
}

// Until both have played every round (true), or no hand-over happened for the watchdog's
// limit (false): a lost wake-up stalls the game, while a loaded machine only slows it, so
// progress is watched rather than the whole game timed. Looks every millisecond: a
// watchdog's look, not a wait for an event.
bool game_moves_on(const std::atomic<int>& pinger_rounds, const std::atomic<int>& ponger_rounds) {
  int seen = -1;
  auto moved_at = std::chrono::steady_clock::now();
  for (;;) {
    const int now = pinger_rounds + ponger_rounds;
    if (now == 2 * kPingPongRounds) return true;
    if (now != seen) {
      seen = now;
      moved_at = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - moved_at > test::kWatchdogLimit) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST_CASE("parker: cross-thread ping-pong between two executors loses no wake-up") {
  // Two executors on two threads hand a token back and forth: every hand-over is a wake
  // from the other thread (RunQueue remote push, then Parker::unpark) that lands while
  // the receiver is polling, about to park, or parked. One lost wake-up stops the game,
  // and the watchdog at the joins turns that into a report instead of a hang.
  runtime::Executor a;
  runtime::Executor b;
  Signal ping;
  Signal pong;
  std::atomic<bool> stop{false};
  std::atomic<int> pinger_rounds{0};
  std::atomic<int> ponger_rounds{0};
  bool stalled = false;
  (void)a.spawn(pinger(ping, pong, &stop, &pinger_rounds));
  (void)b.spawn(ponger(ping, pong, &stop, &ponger_rounds));
  {
    // Should the test leave early, both games end at their next hand-over.
    auto end_game = [&] {
      stop = true;
      ping.notify();
      pong.notify();
    };
    test::JoinedThread thread_a("the pinger's executor (a lost wake-up stalls it)",
                                [&](std::stop_token leave) {
                                  std::stop_callback on_leave(leave, end_game);
                                  a.run();
                                });
    test::JoinedThread thread_b("the ponger's executor (a lost wake-up stalls it)",
                                [&](std::stop_token leave) {
                                  std::stop_callback on_leave(leave, end_game);
                                  b.run();
                                });
    stalled = !game_moves_on(pinger_rounds, ponger_rounds);
    if (stalled) end_game();
    thread_a.join();
    thread_b.join();
  }
  REQUIRE_MESSAGE(!stalled, "a wake-up was lost: no hand-over for "
                                << test::kWatchdogLimit.count() << " s, at round " << pinger_rounds
                                << " / " << ponger_rounds);
  CHECK(pinger_rounds == kPingPongRounds);
  CHECK(ponger_rounds == kPingPongRounds);
  // Every cross-thread wake either found its executor running (no write) or parked (one
  // write), never more writes than wakes.
  CHECK(a.parker().wakeup_writes() <= static_cast<std::uint64_t>(kPingPongRounds));
  CHECK(b.parker().wakeup_writes() <= static_cast<std::uint64_t>(kPingPongRounds));
}

TEST_CASE("thread parker: a wake before park makes park return at once") {
  runtime::ThreadParker parker;
  const runtime::Waker waker = parker.waker();
  waker.wake_by_ref();
  waker.wake_by_ref();  // notifications do not pile up: one park consumes them
  parker.park();
}

TEST_CASE("thread parker: woken from another thread, repeatedly") {
  constexpr int kRounds = 1000;
  runtime::ThreadParker parker;
  std::atomic<int> progress{0};
  test::JoinedThread waker_thread("the waking thread", [&, waker = parker.waker()] {
    for (int i = 1; i <= kRounds; ++i) {
      progress.store(i);
      waker.wake_by_ref();
    }
  });
  // Each park returns once some wake happened since the last; progress must reach the end.
  test::bounded("parks woken from another thread (a lost wake-up leaves one parked)", [&] {
    for (int parks = 0; parks < kRounds + 1 && progress.load() < kRounds; ++parks)
      parker.park();
  });
  CHECK(progress.load() == kRounds);
  waker_thread.join();
}

TEST_CASE("thread parker: a waker may outlive its parker") {
  runtime::Waker waker;
  {
    runtime::ThreadParker parker;
    waker = parker.waker();
  }
  waker.wake_by_ref();  // the shared state is still alive: ASan checks this
  std::move(waker).wake();
}

}  // namespace

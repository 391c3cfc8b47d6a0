// Semaphore: the async counting semaphore behind --max-connections. Pinned here: waiters
// are served in arrival order (a newcomer never jumps the queue), a release on another
// thread wakes a waiter on an executor, a waiter cancelled after it was handed a permit
// passes the permit on (none is ever lost), and Permit gives its permit back exactly once.
#include <doctest/doctest.h>

#include <atomic>
#include <stop_token>
#include <utility>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/semaphore.hpp"
#include "runtime/task.hpp"
#include "runtime/yield_now.hpp"
#include "tests/test_harness.hpp"
#include "tests/watchdog.hpp"

using runtime::Executor;
using runtime::Semaphore;
using runtime::Task;

using test::CountingWaker;
using test::poll_with;

namespace {

// Takes the permit out of a Ready poll.
Semaphore::Permit take(runtime::Poll<Semaphore::Permit> poll) {
  REQUIRE(poll.is_ready());
  return std::move(poll).value();
}

// Polls `inner` and raises `flag` the first time it answers Pending: lets another thread
// know, without sleeping, that the waiter is queued.
template <runtime::Future F>
class FlagOnPending {
 public:
  using Output = runtime::OutputOf<F>;
  FlagOnPending(F inner, std::atomic<bool>& flag) : inner_(std::move(inner)), flag_(&flag) {}
  runtime::Poll<Output> poll(runtime::Context& cx) {
    auto result = inner_.poll(cx);
    if (result.is_pending()) flag_->store(true);
    return result;
  }

 private:
  F inner_;
  std::atomic<bool>* flag_;
};

}  // namespace

TEST_CASE("semaphore: acquire takes a free permit at once, and Permit gives it back") {
  Semaphore semaphore(2);
  CountingWaker counter;
  {
    auto acquire = semaphore.acquire();
    Semaphore::Permit first = take(poll_with(acquire, counter));
    CHECK(semaphore.available() == 1);
    {
      auto again = semaphore.acquire();
      Semaphore::Permit second = take(poll_with(again, counter));
      CHECK(semaphore.available() == 0);
      Semaphore::Permit moved(std::move(second));  // moving hands the permit over, once
      CHECK(semaphore.available() == 0);
    }
    CHECK(semaphore.available() == 1);
    first.reset();  // early release
    CHECK(semaphore.available() == 2);
    first.reset();  // and only once
    CHECK(semaphore.available() == 2);
  }
  CHECK(semaphore.available() == 2);
  Semaphore::Permit empty;  // a default Permit holds nothing and releases nothing
  empty.reset();
  CHECK(semaphore.available() == 2);
  CHECK(counter.refs() == 0);
  CHECK(counter.woken() == 0);
}

TEST_CASE("semaphore: waiters are served in arrival order") {
  Semaphore semaphore(1);
  CountingWaker holder_waker;
  auto first = semaphore.acquire();
  Semaphore::Permit held = take(poll_with(first, holder_waker));

  CountingWaker wakers[3];
  std::vector<Semaphore::Acquire> waiting;
  waiting.reserve(3);  // the futures must not move once polled
  for (int i = 0; i < 3; ++i) {
    waiting.push_back(semaphore.acquire());
    CHECK(poll_with(waiting[i], wakers[i]).is_pending());
  }
  for (int i = 0; i < 3; ++i) {
    held.reset();  // hands the permit to the oldest waiter, and only to it
    CHECK(wakers[i].woken() == 1);
    for (int j = i + 1; j < 3; ++j)
      CHECK(wakers[j].woken() == 0);
    // A newcomer finds no free permit: the released one already belongs to waiter i.
    CountingWaker newcomer_waker;  // declared first: it must outlive the waker it lends
    auto newcomer = semaphore.acquire();
    CHECK(poll_with(newcomer, newcomer_waker).is_pending());
    CHECK(semaphore.available() == 0);
    held = take(poll_with(waiting[i], wakers[i]));
  }
  held.reset();
  CHECK(semaphore.available() == 1);
}

TEST_CASE("semaphore: tasks on an executor get their permits in arrival order") {
  Executor executor;
  Semaphore semaphore(1);
  std::vector<int> served;
  executor.block_on([](Semaphore& semaphore, std::vector<int>& served) -> Task<> {
    auto held = co_await semaphore.acquire();
    std::vector<runtime::JoinHandle<void>> tasks;
    for (int i = 0; i < 5; ++i) {
      tasks.push_back(
          runtime::spawn([](Semaphore& semaphore, std::vector<int>& served, int id) -> Task<> {
            auto permit = co_await semaphore.acquire();
            served.push_back(id);
            co_await runtime::yield_now();  // hold it a while: the others stay queued
          }(semaphore, served, i)));
    }
    co_await runtime::yield_now();  // every task polled once: all five are queued
    held.reset();
    for (auto& task : tasks)
      co_await task;
  }(semaphore, served));
  CHECK(served == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(semaphore.available() == 1);
}

TEST_CASE("semaphore: a permit released on another thread wakes the waiting task") {
  Executor executor;
  Semaphore semaphore(0);
  std::atomic<bool> queued{false};
  test::JoinedThread releaser("the releaser", [&](std::stop_token leave) {
    // Bounded spin (no sleep): wait until the task is queued, then release from here.
    test::spin_until([&] { return leave.stop_requested() || queued.load(); });
    semaphore.release();
  });
  test::bounded("the permit released on another thread", [&] {
    executor.block_on([](Semaphore& semaphore, std::atomic<bool>& queued) -> Task<> {
      auto permit = co_await FlagOnPending(semaphore.acquire(), queued);
    }(semaphore, queued));
  });
  releaser.join();
  CHECK(queued.load());
  CHECK(semaphore.available() == 1);  // the task's permit came back when it finished
}

TEST_CASE("semaphore: an acquire cancelled after it was handed a permit passes it on") {
  Semaphore semaphore(1);
  CountingWaker holder_waker;
  CountingWaker first_waker;
  CountingWaker second_waker;
  auto holder = semaphore.acquire();
  Semaphore::Permit held = take(poll_with(holder, holder_waker));
  {
    auto first = semaphore.acquire();
    CHECK(poll_with(first, first_waker).is_pending());
    held.reset();  // the permit now belongs to `first`
    CHECK(first_waker.woken() == 1);
    CHECK(semaphore.available() == 0);
  }  // destroyed before it took the permit: with nobody else waiting, back to the pool
  CHECK(semaphore.available() == 1);

  // The same with a survivor: the cancelled one's permit reaches the next in line.
  auto holder_again = semaphore.acquire();
  held = take(poll_with(holder_again, holder_waker));
  auto survivor = semaphore.acquire();
  {
    auto cancelled = semaphore.acquire();
    CHECK(poll_with(cancelled, first_waker).is_pending());
    CHECK(poll_with(survivor, second_waker).is_pending());
    held.reset();
    CHECK(first_waker.woken() == 2);
    CHECK(semaphore.available() == 0);
  }
  CHECK(second_waker.woken() == 1);
  CHECK(semaphore.available() == 0);  // it belongs to the survivor now
  {
    Semaphore::Permit permit = take(poll_with(survivor, second_waker));
    CHECK(semaphore.available() == 0);
  }
  CHECK(semaphore.available() == 1);
}

TEST_CASE("semaphore: an acquire cancelled before it was served leaves the queue") {
  Semaphore semaphore(0);
  CountingWaker counter;
  {
    auto acquire = semaphore.acquire();
    CHECK(poll_with(acquire, counter).is_pending());
    CHECK(counter.refs() == 1);
  }
  CHECK(counter.refs() == 0);  // its waker went with it
  semaphore.release();
  CHECK(counter.woken() == 0);
  CHECK(semaphore.available() == 1);  // not handed to the departed waiter
}

// TimerHeap: the reactor's timers (timer_heap.hpp). Deadlines are made up relative to a
// fixed base time, so nothing here waits for the clock.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "runtime/timer_heap.hpp"
#include "tests/test_harness.hpp"

using runtime::TimerHeap;
using runtime::TimerId;
using std::chrono::milliseconds;

namespace {

const TimerHeap::Clock::time_point kBase{std::chrono::hours(1)};

TimerHeap::Clock::time_point at(int ms) {
  return kBase + milliseconds(ms);
}

// Wakers that write their tag into a shared log when woken, to see the firing order.
struct Tagged {
  std::vector<int>* log;
  int tag;
};
runtime::RawWaker tagged_clone(const void* data);
void tagged_wake(const void* data) {
  static_cast<const Tagged*>(data)->log->push_back(static_cast<const Tagged*>(data)->tag);
}
void tagged_drop(const void*) {}
constexpr runtime::RawWakerVTable kTaggedVTable{&tagged_clone, &tagged_wake, &tagged_wake,
                                                &tagged_drop};
runtime::RawWaker tagged_clone(const void* data) {
  return {data, &kTaggedVTable};
}
runtime::Waker tagged(const Tagged& tag) {
  return runtime::Waker(runtime::RawWaker{&tag, &kTaggedVTable});
}

TEST_CASE("timer heap: timers fire in deadline order, not insertion order") {
  std::vector<int> log;
  const int deadlines[] = {50, 10, 40, 20, 30, 5, 45, 15};
  std::deque<Tagged> tags;
  TimerHeap heap;
  for (const int ms : deadlines) {
    tags.push_back(Tagged{&log, ms});
    heap.insert(at(ms), tagged(tags.back()));
  }
  CHECK(heap.size() == 8);
  CHECK(heap.fire_due(at(100)) == 8);
  CHECK(log == std::vector<int>{5, 10, 15, 20, 30, 40, 45, 50});
  CHECK(heap.size() == 0);
  CHECK_FALSE(heap.next_deadline());
}

TEST_CASE("timer heap: fire_due fires only what is due, and returns how many") {
  test::CountingWaker counting;
  {
    TimerHeap heap;
    for (const int ms : {30, 10, 20, 10})
      heap.insert(at(ms), counting.waker());
    CHECK(heap.fire_due(at(5)) == 0);
    CHECK(counting.woken() == 0);
    CHECK(heap.fire_due(at(10)) == 2);  // "at or before now": both 10 ms timers
    CHECK(counting.wakes() == 2);       // woken by value: the heap gave its reference away
    CHECK(heap.fire_due(at(19)) == 0);
    CHECK(heap.fire_due(at(100)) == 2);
    CHECK(heap.fire_due(at(100)) == 0);
    CHECK(counting.wakes() == 4);
  }
  CHECK(counting.refs() == 0);
}

TEST_CASE("timer heap: next_deadline is the earliest live timer") {
  test::CountingWaker counting;
  TimerHeap heap;
  CHECK_FALSE(heap.next_deadline());
  const TimerId late = heap.insert(at(30), counting.waker());
  CHECK(heap.next_deadline() == at(30));
  const TimerId early = heap.insert(at(10), counting.waker());
  CHECK(heap.next_deadline() == at(10));
  heap.insert(at(20), counting.waker());
  heap.cancel(early);
  CHECK(heap.next_deadline() == at(20));
  CHECK(heap.fire_due(at(25)) == 1);
  CHECK(heap.next_deadline() == at(30));
  heap.cancel(late);
  CHECK_FALSE(heap.next_deadline());
  CHECK(counting.refs() == 0);  // cancel dropped the wakers it held
}

TEST_CASE("timer heap: stale ids (fired, cancelled, slot reused) are ignored") {
  test::CountingWaker counting;
  test::CountingWaker other;
  TimerHeap heap;
  const TimerId fired = heap.insert(at(1), counting.waker());
  const TimerId cancelled = heap.insert(at(2), counting.waker());
  CHECK(heap.contains(fired));
  CHECK(heap.fire_due(at(1)) == 1);
  heap.cancel(cancelled);
  CHECK_FALSE(heap.contains(fired));
  CHECK_FALSE(heap.contains(cancelled));
  CHECK_FALSE(heap.contains(TimerId{}));  // a default id names no timer

  // Both slots are free again: new timers reuse them, with new generations.
  const TimerId reuse1 = heap.insert(at(10), other.waker());
  const TimerId reuse2 = heap.insert(at(20), other.waker());
  CHECK(((reuse1.slot == fired.slot || reuse1.slot == cancelled.slot)));
  CHECK(((reuse2.slot == fired.slot || reuse2.slot == cancelled.slot)));
  CHECK(heap.contains(reuse1));
  CHECK(heap.contains(reuse2));

  // The old ids must not touch the new timers.
  heap.cancel(fired);
  heap.cancel(cancelled);
  heap.set_waker(fired, counting.waker());
  heap.set_waker(cancelled, counting.waker());
  CHECK(heap.size() == 2);
  CHECK(heap.contains(reuse1));
  CHECK(heap.contains(reuse2));
  const int counting_wakes = counting.woken();
  CHECK(heap.fire_due(at(100)) == 2);
  CHECK(other.wakes() == 2);                  // still their own wakers
  CHECK(counting.woken() == counting_wakes);  // not the stale ids'
  CHECK(counting.refs() == 0);
}

TEST_CASE("timer heap: set_waker replaces the waker a live timer will wake") {
  test::CountingWaker first;
  test::CountingWaker second;
  TimerHeap heap;
  const TimerId id = heap.insert(at(5), first.waker());
  heap.set_waker(id, second.waker());
  CHECK(first.refs() == 0);  // the old waker was dropped
  CHECK(heap.fire_due(at(5)) == 1);
  CHECK(first.woken() == 0);
  CHECK(second.wakes() == 1);
}

TEST_CASE("timer heap: random inserts and cancels keep heap order (against a reference)") {
  std::mt19937 random(12345);  // fixed seed: a failure replays exactly
  test::CountingWaker counting;
  TimerHeap heap;
  std::map<int, std::pair<TimerId, int>> live;  // key -> (id, deadline in ms)
  std::multiset<int> deadlines;                 // the reference: every live deadline
  int next_key = 0;
  int now_ms = 0;
  for (int step = 0; step < 10000; ++step) {
    const int choice = static_cast<int>(random() % 10);
    if (choice < 5 || live.empty()) {
      // Deadlines from a small range, so ties are common.
      const int deadline = now_ms + 1 + static_cast<int>(random() % 64);
      live[next_key++] = {heap.insert(at(deadline), counting.waker()), deadline};
      deadlines.insert(deadline);
    } else if (choice < 9) {
      auto it = live.begin();
      std::advance(it, random() % live.size());  // anywhere, usually mid-heap
      heap.cancel(it->second.first);
      REQUIRE_FALSE(heap.contains(it->second.first));
      deadlines.erase(deadlines.find(it->second.second));
      live.erase(it);
    } else {
      now_ms += static_cast<int>(random() % 16);
      const auto due =
          static_cast<std::size_t>(std::distance(deadlines.begin(), deadlines.upper_bound(now_ms)));
      std::erase_if(live, [&](const auto& entry) { return entry.second.second <= now_ms; });
      deadlines.erase(deadlines.begin(), deadlines.upper_bound(now_ms));
      REQUIRE(heap.fire_due(at(now_ms)) == due);
    }
    REQUIRE(heap.size() == deadlines.size());
    if (deadlines.empty()) {
      REQUIRE_FALSE(heap.next_deadline());
    } else {
      REQUIRE(heap.next_deadline() == at(*deadlines.begin()));
    }
  }
  for (const auto& [key, entry] : live)
    REQUIRE(heap.contains(entry.first));
  // Draining what is left fires every remaining timer in non-decreasing deadline order.
  int last = 0;
  while (heap.next_deadline()) {
    const int deadline = static_cast<int>(
        std::chrono::duration_cast<milliseconds>(*heap.next_deadline() - kBase).count());
    CHECK(deadline >= last);
    last = deadline;
    CHECK(heap.fire_due(at(deadline)) >= 1);
  }
  CHECK(counting.refs() == 0);
}

}  // namespace

// Waker: the vtable's reference counting and the wake / wake_by_ref split (waker.hpp),
// checked with the counting waker of test_harness.hpp.
#include <doctest/doctest.h>

#include <utility>

#include "runtime/waker.hpp"
#include "tests/test_harness.hpp"

using runtime::Waker;
using test::CountingWaker;

TEST_CASE("waker: clones and drops balance back to zero") {
  CountingWaker counting;
  {
    Waker a = counting.waker();
    Waker b = a;             // clone
    Waker c(b);              // clone
    Waker d = std::move(c);  // a move takes the reference over: no clone, no drop
    CHECK(counting.clones() == 3);
    CHECK(counting.refs() == 3);
    CHECK_FALSE(c);
    CHECK(d);
    b = Waker();  // dropping by assignment
    CHECK(counting.drops() == 1);
  }
  CHECK(counting.clones() == 3);
  CHECK(counting.drops() == 3);
  CHECK(counting.refs() == 0);
}

TEST_CASE("waker: wake consumes the reference and leaves the waker empty") {
  CountingWaker counting;
  Waker waker = counting.waker();
  std::move(waker).wake();
  CHECK_FALSE(waker);
  CHECK(counting.wakes() == 1);
  CHECK(counting.drops() == 0);  // the wake gave the reference back; no separate drop
  CHECK(counting.refs() == 0);
  std::move(waker).wake();  // already empty: a no-op
  CHECK(counting.wakes() == 1);
}

TEST_CASE("waker: wake_by_ref keeps the reference") {
  CountingWaker counting;
  {
    Waker waker = counting.waker();
    waker.wake_by_ref();
    waker.wake_by_ref();
    CHECK(waker);
    CHECK(counting.wakes_by_ref() == 2);
    CHECK(counting.wakes() == 0);
    CHECK(counting.refs() == 1);
  }
  CHECK(counting.drops() == 1);
}

TEST_CASE("waker: will_wake compares the target, not the object") {
  CountingWaker one;
  CountingWaker other;
  const Waker a = one.waker();
  const Waker b = one.waker();
  const Waker c = other.waker();
  CHECK(a.will_wake(b));
  CHECK(b.will_wake(a));
  CHECK_FALSE(a.will_wake(c));
  CHECK_FALSE(a.will_wake(Waker()));
  CHECK(Waker().will_wake(Waker()));
  CHECK_FALSE(Waker::noop().will_wake(Waker()));  // the noop waker is not an empty one
}

TEST_CASE("waker: an empty waker is a no-op") {
  Waker empty;
  CHECK_FALSE(empty);
  empty.wake_by_ref();
  Waker copy = empty;  // copying nothing clones nothing
  CHECK_FALSE(copy);
  std::move(empty).wake();
  CHECK_FALSE(empty);
}

TEST_CASE("waker: copy-assigning the same waker does not touch the count") {
  CountingWaker counting;
  Waker stored = counting.waker();
  const Waker again = counting.waker();
  const int clones = counting.clones();
  const int drops = counting.drops();
  stored = again;  // the re-registration every poll does
  const Waker& alias = stored;
  stored = alias;  // itself
  CHECK(counting.clones() == clones);
  CHECK(counting.drops() == drops);

  CountingWaker other;
  stored = other.waker();  // a different target is replaced: one drop here
  CHECK(counting.drops() == drops + 1);
  CHECK(other.refs() == 1);
  stored = again;  // and back: one clone of ours, one drop of theirs
  CHECK(counting.clones() == clones + 1);
  CHECK(other.refs() == 0);
}

TEST_CASE("waker: Waker::noop can be cloned, woken and dropped freely") {
  Waker noop = Waker::noop();
  CHECK(noop);
  Waker copy = noop;
  CHECK(copy.will_wake(noop));
  copy.wake_by_ref();
  std::move(copy).wake();
  CHECK_FALSE(copy);
  noop.wake_by_ref();
  CHECK(noop);
}

TEST_CASE("waker: WakerRef lends a reference without counting it") {
  CountingWaker counting;
  const Waker owned = counting.waker();
  {
    runtime::WakerRef borrowed(owned.raw());
    CHECK(borrowed.get().will_wake(owned));
    const Waker clone = borrowed.get();  // a clone taken from a borrowed waker is counted
    CHECK(counting.refs() == 2);
  }
  CHECK(counting.refs() == 1);  // the WakerRef dropped nothing
}

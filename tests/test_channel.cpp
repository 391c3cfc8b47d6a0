// Channel: the bounded async queue between tasks and threads. Pinned here: values come out
// in the order they went in, a full channel makes send wait until a recv frees room
// (backpressure), close wakes everyone (receivers drain, then get nullopt; senders get
// false), try_recv takes without waiting, it works between two executors on two threads,
// and a waiter that is cancelled after being notified passes the notification on instead of
// swallowing it.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <utility>
#include <vector>

#include "runtime/channel.hpp"
#include "runtime/executor.hpp"
#include "runtime/task.hpp"
#include "runtime/with_timeout.hpp"
#include "runtime/yield_now.hpp"
#include "tests/test_harness.hpp"
#include "tests/watchdog.hpp"

using runtime::Channel;
using runtime::Executor;
using runtime::Task;

using test::CountingWaker;
using test::poll_with;

namespace {

// The value of a Ready poll (fails the test if it is Pending).
template <class T>
T ready(runtime::Poll<T> poll) {
  REQUIRE(poll.is_ready());
  return std::move(poll).value();
}

}  // namespace

TEST_CASE("channel: values come out in the order they were sent") {
  Executor executor;
  Channel<int> channel(4);
  const auto received = executor.block_on([](Channel<int>& channel) -> Task<std::vector<int>> {
    auto producer = runtime::spawn([](Channel<int>& channel) -> Task<> {
      for (int i = 0; i < 100; ++i) {
        const bool sent = co_await channel.send(i);
        CHECK(sent);
      }
      channel.close();
    }(channel));
    std::vector<int> received;
    for (;;) {  // ends at the close, after 100 values
      auto value = co_await channel.recv();
      if (!value) break;
      received.push_back(*value);
    }
    co_await producer;
    co_return received;
  }(channel));
  REQUIRE(received.size() == 100);
  for (int i = 0; i < 100; ++i)
    CHECK(received[i] == i);
}

TEST_CASE("channel: send waits while the channel is full and resumes when recv frees room") {
  Channel<int> channel(2);
  CountingWaker sender;
  CountingWaker receiver;
  auto one = channel.send(1);
  auto two = channel.send(2);
  auto three = channel.send(3);
  CHECK(ready(poll_with(one, sender)));
  CHECK(ready(poll_with(two, sender)));
  CHECK(poll_with(three, sender).is_pending());  // full: backpressure
  CHECK(channel.size() == 2);
  CHECK(sender.woken() == 0);

  auto first = channel.recv();
  CHECK(ready(poll_with(first, receiver)) == 1);
  CHECK(sender.woken() == 1);  // the room went to the waiting sender
  CHECK(ready(poll_with(three, sender)));
  CHECK(channel.size() == 2);

  for (int expected : {2, 3}) {
    auto recv = channel.recv();
    CHECK(ready(poll_with(recv, receiver)) == expected);
  }
  CHECK(channel.size() == 0);
  CHECK(sender.refs() == 0);
  CHECK(receiver.refs() == 0);
}

TEST_CASE("channel: a fast producer is held to the consumer's pace") {
  Executor executor;
  Channel<int> channel(3);
  std::size_t largest = 0;
  executor.block_on([](Channel<int>& channel, std::size_t& largest) -> Task<> {
    auto producer = runtime::spawn([](Channel<int>& channel) -> Task<> {
      for (int i = 0; i < 50; ++i)
        co_await channel.send(i);
      channel.close();
    }(channel));
    int expected = 0;
    for (;;) {  // ends at the close, after 50 values
      auto value = co_await channel.recv();
      if (!value) break;
      CHECK(*value == expected++);
      largest = std::max(largest, channel.size());
      co_await runtime::yield_now();  // a slow consumer
      co_await runtime::yield_now();
    }
    CHECK(expected == 50);
    co_await producer;
  }(channel, largest));
  CHECK(largest <= 3);
  CHECK(largest >= 2);  // the producer did run ahead, as far as the capacity let it
}

TEST_CASE("channel: close wakes waiting receivers, which drain and then get nullopt") {
  Channel<int> channel(4);
  CountingWaker waiting;
  CountingWaker other;
  auto empty_recv = channel.recv();
  CHECK(poll_with(empty_recv, waiting).is_pending());
  channel.close();
  CHECK(waiting.woken() == 1);
  CHECK_FALSE(ready(poll_with(empty_recv, waiting)).has_value());

  Channel<int> with_items(4);
  auto a = with_items.send(10);
  auto b = with_items.send(11);
  CHECK(ready(poll_with(a, other)));
  CHECK(ready(poll_with(b, other)));
  with_items.close();
  for (int expected : {10, 11}) {
    auto recv = with_items.recv();
    CHECK(ready(poll_with(recv, other)) == expected);  // what was queued still comes out
  }
  auto after = with_items.recv();
  CHECK_FALSE(ready(poll_with(after, other)).has_value());
  CHECK(waiting.refs() == 0);
  CHECK(other.refs() == 0);
}

TEST_CASE("channel: close wakes waiting senders, which get false, and later sends fail") {
  Channel<int> channel(1);
  CountingWaker counter;
  CountingWaker blocked;
  auto fill = channel.send(1);
  CHECK(ready(poll_with(fill, counter)));
  auto waiting = channel.send(2);
  CHECK(poll_with(waiting, blocked).is_pending());
  channel.close();
  CHECK(blocked.woken() == 1);
  CHECK_FALSE(ready(poll_with(waiting, blocked)));
  auto late = channel.send(3);
  CHECK_FALSE(ready(poll_with(late, counter)));
  auto recv = channel.recv();
  CHECK(ready(poll_with(recv, counter)) == 1);  // only the value sent before the close
  auto end = channel.recv();
  CHECK_FALSE(ready(poll_with(end, counter)).has_value());
}

TEST_CASE("channel: try_recv takes what is queued at once, closed or not, and frees room") {
  Channel<int> channel(1);
  CountingWaker counter;
  CountingWaker blocked;
  CHECK_FALSE(channel.try_recv().has_value());  // empty: nothing, and no waiting
  auto fill = channel.send(1);
  CHECK(ready(poll_with(fill, counter)));
  auto waiting = channel.send(2);
  CHECK(poll_with(waiting, blocked).is_pending());
  CHECK(channel.try_recv() == 1);
  CHECK(blocked.woken() == 1);  // the room it freed went to the waiting sender
  CHECK(ready(poll_with(waiting, blocked)));
  channel.close();
  CHECK(channel.try_recv() == 2);  // a closed channel still gives up what it holds
  CHECK_FALSE(channel.try_recv().has_value());
}

TEST_CASE("channel: a producer and a consumer on two executors on two threads") {
  constexpr std::uint64_t kCount = 20000;
  Channel<std::uint64_t> channel(16);
  test::JoinedThread producer_thread("the producer", [&channel](std::stop_token leave) {
    // If the test leaves early, a send waiting for room is refused and the producer ends.
    std::stop_callback close(leave, [&channel] { channel.close(); });
    Executor producer;
    producer.block_on([](Channel<std::uint64_t>& channel) -> Task<> {
      for (std::uint64_t i = 0; i < kCount; ++i) {
        const bool sent = co_await channel.send(i);
        if (!sent) co_return;
      }
      channel.close();
    }(channel));
  });
  Executor consumer;
  const auto [count, in_order] = test::bounded("the values from the producer's thread", [&] {
    return consumer.block_on(
        [](Channel<std::uint64_t>& channel) -> Task<std::pair<std::uint64_t, bool>> {
          std::uint64_t next = 0;
          bool in_order = true;
          for (;;) {  // ends at the producer's close
            auto value = co_await channel.recv();
            if (!value) break;
            in_order = in_order && *value == next;
            ++next;
          }
          co_return std::pair{next, in_order};
        }(channel));
  });
  producer_thread.join();
  CHECK(count == kCount);
  CHECK(in_order);
  CHECK(channel.size() == 0);
}

TEST_CASE("channel: a cancelled Recv that had been notified passes the notification on") {
  Channel<int> channel(4);
  CountingWaker first;
  CountingWaker second;
  CountingWaker sender;
  auto survivor = channel.recv();
  {
    auto cancelled = channel.recv();
    CHECK(poll_with(cancelled, first).is_pending());
    CHECK(poll_with(survivor, second).is_pending());
    auto send = channel.send(7);
    CHECK(ready(poll_with(send, sender)));
    CHECK(first.woken() == 1);  // the item was announced to the first in line...
    CHECK(second.woken() == 0);
  }                            // ...which goes away without taking it
  CHECK(second.woken() == 1);  // so the next receiver hears of it instead
  CHECK(ready(poll_with(survivor, second)) == 7);
  CHECK(first.refs() == 0);
  CHECK(second.refs() == 0);
}

TEST_CASE("channel: a cancelled Send that had been notified passes the room on") {
  Channel<int> channel(1);
  CountingWaker counter;
  CountingWaker first;
  CountingWaker second;
  auto fill = channel.send(0);
  CHECK(ready(poll_with(fill, counter)));
  auto survivor = channel.send(2);
  {
    auto cancelled = channel.send(1);
    CHECK(poll_with(cancelled, first).is_pending());
    CHECK(poll_with(survivor, second).is_pending());
    auto recv = channel.recv();
    CHECK(ready(poll_with(recv, counter)) == 0);
    CHECK(first.woken() == 1);
    CHECK(second.woken() == 0);
  }
  CHECK(second.woken() == 1);
  CHECK(ready(poll_with(survivor, second)));
  auto recv = channel.recv();
  CHECK(ready(poll_with(recv, counter)) == 2);  // the cancelled send's value never went in
}

namespace {
// An item whose move can be made to throw, to drive a Send down its exception path.
struct Fragile {
  bool poison = false;
  explicit Fragile(bool p = false) : poison(p) {}
  Fragile(Fragile&& other) : poison(other.poison) {
    if (poison && armed) throw std::runtime_error("move failed");
  }
  Fragile& operator=(Fragile&&) = default;
  static inline bool armed = false;
};
}  // namespace

TEST_CASE("channel: a notified send that throws passes the notification on") {
  runtime::Executor executor;
  runtime::Channel<Fragile> channel(1);
  bool third_sent = false;
  Fragile::armed = false;
  executor.spawn([](runtime::Channel<Fragile>& ch) -> runtime::Task<> {
    Fragile item;
    (void)co_await ch.send(std::move(item));
  }(channel));
  // The second sender (whose item will throw) and the third wait for room, in that order.
  executor.spawn([](runtime::Channel<Fragile>& ch) -> runtime::Task<> {
    try {
      Fragile item(true);
      (void)co_await ch.send(std::move(item));
    } catch (const std::runtime_error&) {
    }
  }(channel));
  auto third = executor.spawn([](runtime::Channel<Fragile>& ch, bool& done) -> runtime::Task<> {
    Fragile item;
    (void)co_await ch.send(std::move(item));
    done = true;
  }(channel, third_sent));
  executor.block_on(runtime::yield_now());  // all three ran once; two of them now wait
  Fragile::armed = true;
  // One recv makes room and notifies the second sender, which throws while enqueuing: the
  // room must go to the third, not be lost with the exception.
  (void)executor.block_on(channel.recv());
  // Bounded: with the notification lost, the third sender would wait for ever.
  const auto finished =
      executor.block_on(runtime::with_timeout(std::move(third), test::kWatchdogLimit));
  Fragile::armed = false;
  CHECK(finished.has_value());
  CHECK(third_sent);
}

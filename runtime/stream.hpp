// Stream adapters: map, filter, take, chunks, throttle, merge and fold over any Stream
// (generator.hpp), and interval(), a stream of ticks on the reactor's timers.
//
//   auto batches = chunks(take(filter(interval(10ms), is_even), 6), 3);
//
// Each adapter is itself a generator that owns the stream it adapts (moved into its frame)
// and asks it for one item whenever it is asked for one: lazy, no thread, and the consumer's
// pace is everyone's pace. Destroying the outermost stream destroys them all, and with them
// any Sleep they wait on. Like every future here, a stream must stay on the executor thread
// that first polled it (its timers are that reactor's).
// (tests/test_stream.cpp)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/generator.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/when_any.hpp"

namespace runtime {

template <Stream S, class F>
Generator<std::invoke_result_t<F&, typename S::Item>> map(S stream, F f) {
  for (;;) {
    auto item = co_await stream.next();
    if (!item) co_return;
    co_yield f(std::move(*item));
  }
}

template <Stream S, class Keep>
Generator<typename S::Item> filter(S stream, Keep keep) {
  for (;;) {
    auto item = co_await stream.next();
    if (!item) co_return;
    if (keep(*item)) co_yield std::move(*item);
  }
}

// The first `count` items; the rest are never asked for (an endless stream ends here).
template <Stream S>
Generator<typename S::Item> take(S stream, std::size_t count) {
  for (std::size_t taken = 0; taken < count; ++taken) {
    auto item = co_await stream.next();
    if (!item) co_return;
    co_yield std::move(*item);
  }
}

// Batches of `size` items (the last may be shorter): one write for many requests, say.
template <Stream S>
Generator<std::vector<typename S::Item>> chunks(S stream, std::size_t size) {
  std::vector<typename S::Item> batch;
  for (;;) {
    auto item = co_await stream.next();
    if (!item) break;
    batch.push_back(std::move(*item));
    if (batch.size() == size) co_yield std::exchange(batch, {});
  }
  if (!batch.empty()) co_yield std::move(batch);
}

// At most one item per `period`: each item after the first waits until a period has passed
// since the one before it went out (a rate limit on whatever the stream feeds).
template <Stream S>
Generator<typename S::Item> throttle(S stream, std::chrono::steady_clock::duration period) {
  std::optional<std::chrono::steady_clock::time_point> last;
  for (;;) {
    auto item = co_await stream.next();
    if (!item) co_return;
    if (last) co_await Sleep::until(*last + period);
    last = std::chrono::steady_clock::now();
    co_yield std::move(*item);
  }
}

// The items of both, as each comes, until both have ended. Fair: the stream that gave the
// last item is asked second next time, so a stream that is always ready cannot starve the
// other. Safe because a pending next() that loses the race can be dropped (generator.hpp).
template <Stream A, Stream B>
Generator<typename A::Item> merge(A first, B second) {
  static_assert(std::is_same_v<typename A::Item, typename B::Item>);
  bool first_open = true;
  bool second_open = true;
  bool first_leads = true;
  while (first_open && second_open) {
    bool from_first = first_leads;
    std::optional<typename A::Item> item;
    if (first_leads) {
      auto either = co_await when_any(first.next(), second.next());
      from_first = either.index() == 0;
      item = std::visit([](auto& got) { return std::move(got); }, either);
    } else {
      auto either = co_await when_any(second.next(), first.next());
      from_first = either.index() == 1;
      item = std::visit([](auto& got) { return std::move(got); }, either);
    }
    if (!item) {
      if (from_first) first_open = false;
      if (!from_first) second_open = false;
      continue;
    }
    first_leads = !from_first;
    co_yield std::move(*item);
  }
  while (first_open) {
    auto item = co_await first.next();
    if (!item) break;
    co_yield std::move(*item);
  }
  while (second_open) {
    auto item = co_await second.next();
    if (!item) break;
    co_yield std::move(*item);
  }
}

// All the items folded into one value, in order: Task<Acc>.
template <Stream S, class Acc, class F>
Task<Acc> fold(S stream, Acc initial, F f) {
  Acc acc = std::move(initial);
  for (;;) {
    auto item = co_await stream.next();
    if (!item) co_return acc;
    acc = f(std::move(acc), std::move(*item));
  }
}

// Tick 0 at once, then tick n at start + n * period, for ever (take() ends it). A consumer
// that falls behind gets the missed ticks at once, one per next(), so the count stays true
// to the clock: Tokio's MissedTickBehavior::Burst.
inline Generator<std::uint64_t> interval(std::chrono::steady_clock::duration period) {
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t tick = 0;; ++tick) {
    co_await Sleep::until(start + static_cast<std::int64_t>(tick) * period);
    co_yield tick;
  }
}

}  // namespace runtime

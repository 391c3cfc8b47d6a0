// when_all: waits for every future and gives their outputs in input order, like Rust's
// join!. One waker serves all the children, so a wake re-polls every child that is still
// pending (a finished child is never polled again): O(children) per wake, fine for the
// handful of futures this is meant for. For thousands, spawn them and await the handles,
// so that each is polled only when its own waker fires.
#pragma once

#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "runtime/future.hpp"

namespace runtime {

namespace detail {
// Polls `future` unless `slot` already holds its output; true once it does.
template <Future F>
bool poll_into(F& future, std::optional<ValueOf<OutputOf<F>>>& slot, Context& cx) {
  if (slot) return true;
  auto result = future.poll(cx);
  if (result.is_pending()) return false;
  if constexpr (std::is_void_v<OutputOf<F>>) {
    slot.emplace();
  } else {
    slot.emplace(std::move(result).value());
  }
  return true;
}
}  // namespace detail

template <Future... Fs>
class WhenAll {
 public:
  using Output = std::tuple<ValueOf<OutputOf<Fs>>...>;

  explicit WhenAll(Fs... futures) : futures_(std::move(futures)...) {}

  Poll<Output> poll(Context& cx) { return poll_all(cx, std::index_sequence_for<Fs...>{}); }

 private:
  template <std::size_t... I>
  Poll<Output> poll_all(Context& cx, std::index_sequence<I...>) {
    bool done = true;
    ((done &= detail::poll_into(std::get<I>(futures_), std::get<I>(outputs_), cx)), ...);
    if (!done) return Pending{};
    return Output(std::move(*std::get<I>(outputs_))...);
  }

  std::tuple<Fs...> futures_;
  std::tuple<std::optional<ValueOf<OutputOf<Fs>>>...> outputs_;
};

template <Future... Fs>
WhenAll<Fs...> when_all(Fs... futures) {
  return WhenAll<Fs...>(std::move(futures)...);
}

// The same for a run-time number of futures of one type.
template <Future F>
class WhenAllVector {
 public:
  using Output = std::vector<ValueOf<OutputOf<F>>>;

  explicit WhenAllVector(std::vector<F> futures)
      : futures_(std::move(futures)), outputs_(futures_.size()) {}

  Poll<Output> poll(Context& cx) {
    bool done = true;
    for (std::size_t i = 0; i < futures_.size(); ++i) {
      done &= detail::poll_into(futures_[i], outputs_[i], cx);
    }
    if (!done) return Pending{};
    Output results;
    results.reserve(outputs_.size());
    for (auto& output : outputs_)
      results.push_back(std::move(*output));
    return results;
  }

 private:
  std::vector<F> futures_;
  std::vector<std::optional<ValueOf<OutputOf<F>>>> outputs_;
};

template <Future F>
WhenAllVector<F> when_all(std::vector<F> futures) {
  return WhenAllVector<F>(std::move(futures));
}

}  // namespace runtime

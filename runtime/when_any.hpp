// when_any: the output of whichever future finishes first, as a variant whose index says
// which one (like a minimal Rust select!). The others are destroyed with the WhenAny, which
// cancels them. Futures are polled in argument order, so when several are ready at once
// the first listed wins: put the one that must win ties (a shutdown signal, say) first.
#pragma once

#include <tuple>
#include <utility>
#include <variant>

#include "runtime/future.hpp"

namespace runtime {

template <Future... Fs>
class WhenAny {
 public:
  using Output = std::variant<ValueOf<OutputOf<Fs>>...>;

  explicit WhenAny(Fs... futures) : futures_(std::move(futures)...) {}

  Poll<Output> poll(Context& cx) {
    std::optional<Output> winner;
    poll_each(cx, winner, std::index_sequence_for<Fs...>{});
    if (!winner) return Pending{};
    return std::move(*winner);
  }

 private:
  template <std::size_t... I>
  void poll_each(Context& cx, std::optional<Output>& winner, std::index_sequence<I...>) {
    // Short-circuits at the first ready future: the rest are not polled.
    (void)((poll_one<I>(cx, winner)) || ...);
  }

  template <std::size_t I>
  bool poll_one(Context& cx, std::optional<Output>& winner) {
    auto result = std::get<I>(futures_).poll(cx);
    if (result.is_pending()) return false;
    if constexpr (std::is_void_v<OutputOf<std::tuple_element_t<I, std::tuple<Fs...>>>>) {
      winner.emplace(std::in_place_index<I>);
    } else {
      winner.emplace(std::in_place_index<I>, std::move(result).value());
    }
    return true;
  }

  std::tuple<Fs...> futures_;
};

template <Future... Fs>
WhenAny<Fs...> when_any(Fs... futures) {
  return WhenAny<Fs...>(std::move(futures)...);
}

}  // namespace runtime

// poll_now(future): polls a future once, here and now: ready with its output if it was
// ready, ready with nullopt if it would have to wait. It never waits itself.
//
// The server's stream handler uses it on a read to ask "is another pipelined request
// already here?" before deciding whether to write the replies it holds. Dropping the read
// afterwards loses nothing: bytes it took from the socket stay in the receiver's decoder,
// and the read withdraws the waker it left in the reactor (tests/test_combinators.cpp).
// Rust has the same idea as futures::FutureExt::now_or_never.
#pragma once

#include <optional>
#include <utility>

#include "runtime/future.hpp"

namespace runtime {

template <Future F>
class PollNow {
 public:
  using Output = std::optional<ValueOf<OutputOf<F>>>;

  explicit PollNow(F future) : future_(std::move(future)) {}
  Poll<Output> poll(Context& cx) {
    auto result = future_.poll(cx);
    if (result.is_pending()) return Output();
    if constexpr (std::is_void_v<OutputOf<F>>) {
      return Output(Unit{});
    } else {
      return Output(std::move(result).value());
    }
  }

 private:
  F future_;
};

template <Future F>
PollNow<F> poll_now(F future) {
  return PollNow<F>(std::move(future));
}

}  // namespace runtime

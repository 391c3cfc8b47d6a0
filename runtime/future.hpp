// The future contract: anything with `Poll<Output> poll(Context&)` is a future.
//
//   * Ready(value) means done; a finished future is not polled again.
//   * Pending is a PROMISE: before returning it, the future has handed cx.waker() to
//     something that will wake it when progress is possible (the reactor for a socket,
//     the timer heap for a Sleep, another task, a channel). A future that returns Pending
//     without arranging a wake-up hangs its task for ever: nothing will poll it again.
//     tests/test_harness.hpp checks this promise step by step with a counting waker.
//   * Each poll may bring a different waker; the latest one is the one to wake.
//   * Once polled, a future stays where it is until it is destroyed (Rust pins it; here
//     it lives in a coroutine frame or a task's allocation), because the reactor and wait
//     lists may refer to it. Destroying it cancels it and removes those references.
//
// Leaf futures (Sleep, TcpSender, TcpReceiver's reads, accept, connect) implement poll by
// hand; coroutines (task.hpp) compose them with co_await.
#pragma once

#include <concepts>

#include "runtime/context.hpp"
#include "runtime/poll.hpp"

namespace runtime {

template <class F>
concept Future = requires(F& future, Context& cx) {
  typename F::Output;
  { future.poll(cx) } -> std::same_as<Poll<typename F::Output>>;
};

template <Future F>
using OutputOf = typename F::Output;

}  // namespace runtime

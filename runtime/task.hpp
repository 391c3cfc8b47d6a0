// Task<T>: a C++20 coroutine that is itself a future.
//
// The book writes every future by hand as a state machine; C++20 lets the compiler write it
// from a coroutine body, as Rust's async fn does. The catch is that C++ coroutines are
// usually driven by callbacks (whoever completes an operation resumes the coroutine). Here
// they are driven by poll, like Rust's:
//
//   * A coroutine may only co_await futures (await_transform enforces it). The awaiter
//     polls the future at once; if it is ready, the coroutine carries on without suspending.
//   * If it is Pending, the coroutine suspends and its promise remembers the awaiter as its
//     "blocker". Task::poll polls the blocker first and returns Pending straight away while
//     it is still pending, so a coroutine is only ever resumed when what it awaits is ready.
//   * Awaiting another Task polls it with the same context: nested tasks are polled down
//     the chain, exactly as nested async fns are in Rust.
//   * A task is lazy (nothing runs before the first poll), and destroying it destroys the
//     frame: every future suspended in it is destroyed too, which deregisters it from the
//     reactor and closes its sockets. That is cancellation.
//   * An exception thrown in the body comes out of poll, so it reaches whoever awaits the
//     task (or its JoinHandle, when the task was spawned).
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "runtime/detail/frame_pool.hpp"
#include "runtime/future.hpp"

namespace runtime {

namespace detail {

// What a suspended coroutine is waiting on: the awaiter in its frame, with its type erased.
struct Blocker {
  void* awaiter = nullptr;
  bool (*poll)(void* awaiter, Context& cx) = nullptr;  // true once the awaited future is ready

  explicit operator bool() const { return poll != nullptr; }
};

template <class F>
class FutureAwaiter;

class PromiseBase {
 public:
  // Frames are recycled on each thread (detail/frame_pool.hpp): most cost a pop and a push
  // instead of a malloc and a free.
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { free_frame(frame, size); }

  std::suspend_always initial_suspend() noexcept { return {}; }  // lazy until first polled
  std::suspend_always final_suspend() noexcept { return {}; }    // the Task frees the frame
  void unhandled_exception() noexcept { error = std::current_exception(); }

  // Only futures may be awaited, so every suspension point is something poll can drive.
  // F is deduced as a reference for an lvalue, hence remove_cvref (tests/test_task.cpp,
  // "co_await on an lvalue future borrows it").
  template <class F>
  FutureAwaiter<std::remove_cvref_t<F>> await_transform(
      F&& future) requires Future<std::remove_cvref_t<F>> {
    return FutureAwaiter<std::remove_cvref_t<F>>(future, *this);
  }

  // The context of the poll that is running this coroutine right now, so that an awaiter
  // can poll its future with it immediately.
  Context* polling = nullptr;
  Blocker blocker;
  std::exception_ptr error;          // what the body threw: Task::poll rethrows it
  std::exception_ptr awaited_error;  // what the blocker's poll threw, for await_resume
};

// The awaiter borrows the future it awaits, whether the operand is a named future
// (co_await sleep) or a temporary (co_await Sleep(1s)): a temporary in a co_await
// expression lives in the coroutine frame until the expression ends, which is after the
// coroutine resumes. Borrowing instead of moving the future in keeps one copy of it in the
// frame rather than two, and a coroutine's frame is most of what a waiting connection costs
// (docs/BOOK.md, "Memory per connection is kept small").
template <class F>
class FutureAwaiter {
  using Output = OutputOf<F>;
  struct NoValue {};
  using Slot = std::conditional_t<std::is_void_v<Output>, NoValue, std::optional<ValueOf<Output>>>;

 public:
  FutureAwaiter(F& future, PromiseBase& promise) : future_(future), promise_(promise) {}

  // Polling here, before suspending, means a future that is already ready costs nothing.
  bool await_ready() { return poll_once(*promise_.polling); }
  void await_suspend(std::coroutine_handle<>) noexcept {
    promise_.blocker = Blocker{this, &poll_blocker};
  }
  Output await_resume() {
    if (promise_.awaited_error) std::rethrow_exception(std::exchange(promise_.awaited_error, {}));
    if constexpr (!std::is_void_v<Output>) return std::move(*output_);
  }

 private:
  bool poll_once(Context& cx) {
    auto poll = future_.poll(cx);
    if (poll.is_pending()) return false;
    if constexpr (!std::is_void_v<Output>) output_.emplace(std::move(poll).value());
    return true;
  }

  // Task::poll calls this from outside the coroutine body. An exception must reach the body
  // at its co_await (where a try/catch may be waiting), so the promise keeps it for
  // await_resume: one slot per coroutine, since it suspends on one awaiter at a time.
  static bool poll_blocker(void* self, Context& cx) {
    auto* awaiter = static_cast<FutureAwaiter*>(self);
    try {
      return awaiter->poll_once(cx);
    } catch (...) {
      awaiter->promise_.awaited_error = std::current_exception();
      return true;
    }
  }

  F& future_;
  PromiseBase& promise_;
  [[no_unique_address]] Slot output_;
};

template <class T>
struct ValuePromise : PromiseBase {
  void return_value(T value) { result.emplace(std::move(value)); }
  T take() { return std::move(*result); }
  std::optional<T> result;
};

template <>
struct ValuePromise<void> : PromiseBase {
  void return_void() {}
  void take() {}
};

}  // namespace detail

template <class T = void>
class [[nodiscard]] Task {
 public:
  using Output = T;

  struct promise_type : detail::ValuePromise<T> {
    Task get_return_object() {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
  };

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  ~Task() { destroy(); }

  Poll<T> poll(Context& cx) {
    auto& promise = handle_.promise();
    assert(!handle_.done() && "a finished Task was polled again");
    if (promise.blocker && !promise.blocker.poll(promise.blocker.awaiter, cx)) return Pending{};
    promise.blocker = {};
    promise.polling = &cx;
    handle_.resume();  // runs to the end, or to a co_await whose future is pending
    promise.polling = nullptr;
    // Still suspended: the new blocker was polled in await_ready and holds our waker.
    if (!handle_.done()) return Pending{};
    if (promise.error) std::rethrow_exception(promise.error);
    if constexpr (std::is_void_v<T>) {
      return Ready{};
    } else {
      return promise.take();
    }
  }

 private:
  explicit Task(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  void destroy() {
    if (handle_) std::exchange(handle_, {}).destroy();
  }

  std::coroutine_handle<promise_type> handle_;
};

}  // namespace runtime

// Generator<T>: an async generator, a coroutine that co_yields values and may co_await
// futures between them (Rust's async streams; the `futures` crate's Stream).
//
//   Generator<int> count_to(int n) {
//     for (int i = 1; i <= n; ++i) co_yield i;
//   }
//   ...
//   auto numbers = count_to(3);
//   for (;;) {
//     std::optional<int> n = co_await numbers.next();   // 1, 2, 3, then nullopt
//     if (!n) break;
//   }
//
// It is driven by poll, as a Task is (task.hpp), and shares its promise: only futures may
// be awaited inside, and the future the body waits on is its "blocker". next() is a future:
// its poll polls the blocker, and once that is ready resumes the body until the next
// co_yield (Ready with the value), its end (Ready with nullopt), or the next future that is
// pending (Pending; that future holds the waker).
//
// Lazy and backpressured: nothing runs until next() is polled, and the body stops at each
// co_yield until the consumer asks again, so a producer can never run ahead of its
// consumer. No thread and no queue. A pending next() may be dropped (a lost when_any race):
// the body stays suspended on its blocker, and the next next() goes on from there, so no
// value is lost. Destroying the generator destroys its frame, cancelling what it awaits.
// An exception in the body comes out of next()'s poll; the generator is then finished.
// (tests/test_generator.cpp)
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "runtime/task.hpp"

namespace runtime {

template <class T>
class [[nodiscard]] Generator {
 public:
  using Item = T;

  struct promise_type : detail::PromiseBase {
    Generator get_return_object() {
      return Generator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always yield_value(T value) {
      current.emplace(std::move(value));
      return {};
    }
    void return_void() {}

    std::optional<T> current;  // the value of the co_yield the body is suspended at
  };

  class Next;

  Generator(Generator&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Generator& operator=(Generator&& other) noexcept {
    if (this != &other) {
      destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  ~Generator() { destroy(); }

  // Ready with the next value, or nullopt once the body has ended (and ever after).
  Next next() { return Next(*this); }

 private:
  explicit Generator(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  void destroy() {
    if (handle_) std::exchange(handle_, {}).destroy();
  }

  // One step of the body: Task::poll's shape, with a yield as a third way to stop.
  Poll<std::optional<T>> step(Context& cx) {
    if (!handle_ || handle_.done()) return std::optional<T>();
    auto& promise = handle_.promise();
    if (promise.blocker && !promise.blocker.poll(promise.blocker.awaiter, cx)) return Pending{};
    promise.blocker = {};
    promise.polling = &cx;
    handle_.resume();  // to a co_yield, the end, or a co_await whose future is pending
    promise.polling = nullptr;
    if (promise.current) return std::exchange(promise.current, std::nullopt);
    if (!handle_.done()) return Pending{};  // the new blocker holds our waker
    if (promise.error) std::rethrow_exception(std::exchange(promise.error, {}));
    return std::optional<T>();
  }

  std::coroutine_handle<promise_type> handle_;
};

template <class T>
class Generator<T>::Next {
 public:
  using Output = std::optional<T>;
  explicit Next(Generator& generator) : generator_(&generator) {}
  Poll<std::optional<T>> poll(Context& cx) { return generator_->step(cx); }

 private:
  Generator* generator_;
};

// Anything with next() returning a future of std::optional<Item>: a Generator, or a stream
// written by hand. The adapters in stream.hpp take any Stream.
template <class S>
concept Stream = requires(S& stream) {
  typename S::Item;
  { stream.next() } -> Future;
};

}  // namespace runtime

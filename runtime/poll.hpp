// Poll<T>: the answer a future gives each time it is polled, as in Rust's std::task::Poll.
//
// Ready carries the future's output; Pending carries nothing but a promise (see future.hpp):
// whoever returns Pending has arranged for the context's waker to be woken later.
#pragma once

#include <optional>
#include <utility>

namespace runtime {

// `return Pending{};` from any poll function, whatever its output type.
struct Pending {};
// `return Ready{};` from a poll function whose output is void.
struct Ready {};

// Output types in generic code (when_all, with_timeout) need a value even for void futures,
// like Rust's unit type ().
struct Unit {
  bool operator==(const Unit&) const = default;
};
template <class T>
using ValueOf = std::conditional_t<std::is_void_v<T>, Unit, T>;

template <class T>
class [[nodiscard]] Poll {
 public:
  Poll(Pending) {}
  Poll(T value) : value_(std::move(value)) {}

  bool is_ready() const { return value_.has_value(); }
  bool is_pending() const { return !value_.has_value(); }
  // Only for a Ready poll.
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }

 private:
  std::optional<T> value_;
};

template <>
class [[nodiscard]] Poll<void> {
 public:
  Poll(Pending) {}
  Poll(Ready) : ready_(true) {}

  bool is_ready() const { return ready_; }
  bool is_pending() const { return !ready_; }

 private:
  bool ready_ = false;
};

}  // namespace runtime

// decorate(): the book's decorator pattern (chapter 9): a future wrapped in another that
// logs each poll of it and how long it took to finish, compiled in only when asked for,
// as the book does with a cargo feature.
//
//   make LOG_POLLS=1      every decorate()d future prints, on stderr:
//     poll handle_client #1: pending
//     poll handle_client #2: ready (2 polls, 1012 us)
//   make                  decorate() returns the future itself: no wrapper, no cost.
//
// Logged is the wrapper, usable on its own with any FILE. It forwards poll unchanged, so
// the wrapped future keeps its wake contract: the waker it was given is the task's.
// (tests/test_decorator.cpp)
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "runtime/future.hpp"

namespace runtime {

template <Future F>
class Logged {
 public:
  using Output = OutputOf<F>;

  Logged(const char* name, F future, std::FILE* out = stderr)
      : name_(name), future_(std::move(future)), out_(out) {}

  Poll<Output> poll(Context& cx) {
    if (polls_++ == 0) started_ = std::chrono::steady_clock::now();
    auto result = future_.poll(cx);
    if (result.is_pending()) {
      say("pending");
    } else {
      const auto took = std::chrono::steady_clock::now() - started_;
      say("ready (" + std::to_string(polls_) + " polls, " +
          std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(took).count()) +
          " us)");
    }
    return result;
  }

 private:
  // One write per line, so that lines from several threads do not interleave.
  void say(const std::string& what) const {
    const std::string line =
        std::string("poll ") + name_ + " #" + std::to_string(polls_) + ": " + what + "\n";
    std::fwrite(line.data(), 1, line.size(), out_);
  }

  const char* name_;
  F future_;
  std::FILE* out_;
  std::uint64_t polls_ = 0;
  std::chrono::steady_clock::time_point started_;
};

// `name` must outlive the future (a string literal does).
template <Future F>
auto decorate([[maybe_unused]] const char* name, F future) {
#ifdef RUNTIME_LOG_POLLS
  return Logged<F>(name, std::move(future));
#else
  return future;
#endif
}

}  // namespace runtime

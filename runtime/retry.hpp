// retry(): runs a fallible async operation again until it succeeds, with exponential
// backoff and full jitter between attempts (the book's retry pattern, chapter 9).
//
//   RetryPolicy policy;
//   policy.attempts = 5;
//   auto reply = co_await retry(policy, [&] { return fetch(address); });
//
// make() is called once per attempt and must return a fresh future: a future cannot be
// polled again after it failed. An attempt fails by throwing; the last failure (or one
// the policy's `retry_on` refuses) is rethrown to the caller. Between attempts it sleeps a
// random delay in [0, min(max_delay, base_delay * 2^(attempt - 1))] ("full jitter": many
// clients that failed together do not come back together), and it gives up early rather
// than sleep past the overall deadline. The random numbers come from `seed`, so a test
// sees the same delays every run. (tests/test_retry.cpp)
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <random>
#include <type_traits>
#include <utility>

#include "runtime/sleep.hpp"
#include "runtime/task.hpp"

namespace runtime {

struct RetryPolicy {
  unsigned attempts = 3;  // in all, the first one included
  std::chrono::milliseconds base_delay{10};
  std::chrono::milliseconds max_delay{1000};
  // From the first attempt's start; none: only `attempts` ends the retrying.
  std::optional<std::chrono::milliseconds> deadline;
  // Which failures are worth another attempt (default: all).
  std::function<bool(const std::exception&)> retry_on;
  std::uint64_t seed = 1;
};

// The delay before attempt `next` (2, 3, ...): full jitter over the exponential bound.
inline std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, unsigned next,
                                               std::mt19937_64& random) {
  const unsigned doublings = std::min(next - 2, 30u);  // 2^30 base delays exceeds any bound
  const auto bound = std::min(policy.max_delay, policy.base_delay * (std::int64_t{1} << doublings));
  std::uniform_int_distribution<std::int64_t> pick(0, bound.count());
  return std::chrono::milliseconds(pick(random));
}

namespace detail {

// Whether the failure in `error` ends the retrying: the policy refuses it, or it is not a
// std::exception (nothing to ask the policy with).
inline bool worth_retrying(const RetryPolicy& policy, const std::exception_ptr& error) {
  if (!policy.retry_on) return true;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return policy.retry_on(e);
  } catch (...) {
    return false;
  }
}

}  // namespace detail

template <class Make>
Task<OutputOf<std::invoke_result_t<Make&>>> retry(RetryPolicy policy, Make make) {
  using Clock = std::chrono::steady_clock;
  const auto give_up_at =
      policy.deadline ? std::optional(Clock::now() + *policy.deadline) : std::nullopt;
  std::mt19937_64 random(policy.seed);
  for (unsigned attempt = 1;; ++attempt) {
    std::exception_ptr failure;
    try {
      if constexpr (std::is_void_v<OutputOf<std::invoke_result_t<Make&>>>) {
        co_await make();
        co_return;
      } else {
        auto value = co_await make();
        co_return value;
      }
    } catch (...) {
      failure = std::current_exception();  // a catch block cannot co_await: sleep below
    }
    if (attempt >= policy.attempts || !detail::worth_retrying(policy, failure)) {
      std::rethrow_exception(failure);
    }
    const auto delay = backoff_delay(policy, attempt + 1, random);
    if (give_up_at && Clock::now() + delay > *give_up_at) std::rethrow_exception(failure);
    co_await Sleep(delay);
  }
}

}  // namespace runtime

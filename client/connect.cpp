#include "client/connect.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <system_error>

#include "client/error.hpp"
#include "runtime/sleep.hpp"

namespace client {

// Exponential backoff with jitter; one generator per thread, since tasks of one executor
// never run at the same time and executors never share one.
milliseconds backoff(const RetryPolicy& policy, unsigned attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const auto doubled = policy.base * (std::int64_t{1} << std::min(attempt, 20u));
  const auto ceiling = std::min<milliseconds>(doubled, policy.cap);
  std::uniform_real_distribution<double> factor(0.5, 1.0);
  return milliseconds(
      static_cast<std::int64_t>(static_cast<double>(ceiling.count()) * factor(rng)));
}

runtime::Task<runtime::TcpStream> connect(runtime::SocketAddress address, milliseconds timeout,
                                          RetryPolicy policy, unsigned& retries_used) {
  retries_used = 0;
  for (;;) {
    std::optional<ClientError> failure;
    try {
      co_return co_await runtime::TcpStream::connect(address, timeout);
    } catch (const std::system_error& error) {
      // The address is printed only on failure: a formatted print per connection otherwise.
      failure.emplace(ErrorKind::kConnect, "connect to " + address.to_string(), error);
    }
    // A co_await may not sit in a catch handler, so the wait happens out here.
    if (retries_used == policy.retries) throw *failure;
    co_await runtime::Sleep(backoff(policy, retries_used));
    ++retries_used;
  }
}

}  // namespace client

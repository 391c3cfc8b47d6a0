// connect(): the first step of every request's path, the book's `TcpStream::connect`, with
// what a load generator adds to it: a timeout on the handshake, retries with backoff, and
// a failure that is a ClientError(kConnect). send_data (oneshot mode) calls it for every
// request, Connection::open (stream mode) once per connection.
#pragma once

#include <chrono>

#include "runtime/socket_address.hpp"
#include "runtime/task.hpp"
#include "runtime/tcp_stream.hpp"

namespace client {

using std::chrono::milliseconds;

// Failures retried `retries` times, waiting base * 2^attempt (capped at `cap`) times a
// random factor in [0.5, 1): the jitter keeps thousands of clients refused together from
// coming back together. connect() retries only its handshake; the load generator retries
// whole requests with it (thread_load.hpp).
struct RetryPolicy {
  unsigned retries = 0;
  milliseconds base{20};
  milliseconds cap{2000};
};

// The wait before retry number `attempt` + 1 (0 for the first retry).
milliseconds backoff(const RetryPolicy& policy, unsigned attempt);

// Throws ClientError(kConnect) when the last attempt fails or outlasts `timeout`.
// `retries_used` says how many retries it took (also when it finally fails), so that the
// caller can count retried requests; it must outlive the task (co_await it at once).
runtime::Task<runtime::TcpStream> connect(runtime::SocketAddress address, milliseconds timeout,
                                          RetryPolicy policy, unsigned& retries_used);

}  // namespace client

// send_data: one oneshot request, the book's `send_data` (PROTOCOL.md, "oneshot"). It
// connects, sends the Data with TcpSender, reads the reply to end of stream with
// TcpReceiver and returns it. Every oneshot request of bin/client runs it (oneshot_lane.hpp);
// a program can run it with block_on.
//
// What ours adds to the book's, each visible in send_data.cpp: the connect's timeout and
// retries (connect.hpp), one deadline for the write and the whole reply, a limit on the
// reply's size, and every failure as a ClientError whose kind names the step (error.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "client/connect.hpp"
#include "data_layer/data.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/task.hpp"

namespace client {

using data_layer::kGreeting;  // the reply every oneshot request must get
// A oneshot reply is the 14-byte greeting; a server that sends more than this is broken or
// hostile, and is cut off instead of being read into memory for ever.
inline constexpr std::size_t kOneshotReplyLimit = 1024;

struct Timeouts {
  milliseconds connect{5000};   // the TCP handshake, each attempt
  milliseconds request{30000};  // after the connect: the request's write and its whole reply
};

// Connects to `address`, writes `data` as one frame, and returns the bytes the server sent
// before it closed. Failed connects are retried as `retry` says; `retries_used` counts the
// retries, also when the request fails (it must outlive the task: co_await it at once).
// The Data is taken by value (as in every coroutine here) so that it lives in the
// coroutine frame, not in the caller's.
runtime::Task<std::string> send_data(runtime::SocketAddress address, data_layer::Data data,
                                     Timeouts timeouts, RetryPolicy retry, unsigned& retries_used);
// The same with no retries: one call, one reply.
runtime::Task<std::string> send_data(runtime::SocketAddress address, data_layer::Data data,
                                     Timeouts timeouts = {});

// The check PROTOCOL.md asks of a oneshot reply: throws ClientError(kMismatch) for anything
// but the greeting, or kRead for a server that closed without a byte.
void check_greeting(std::string_view reply);

}  // namespace client

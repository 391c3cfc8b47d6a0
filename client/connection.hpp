// Connection: the client side of PROTOCOL.md, as a small library the load generator, the
// tests and any other program can use.
//
//   stream mode   Connection::open(), then request(data) for one round trip, or send() several
//                 frames and receive() their replies in order (pipelining)
//   oneshot mode  oneshot(address, data, timeouts): connect, write one frame, read the reply
//                 to end of stream (at most kOneshotReplyLimit bytes)
//
// Every failure is a ClientError whose kind names the step that failed (error.hpp). None of
// these calls blocks the thread: connect, reads and writes are the runtime's futures, each
// bounded by a timeout, so a silent server costs a timer, not a thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/error.hpp"
#include "data_layer/data.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/task.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_stream.hpp"

namespace client {

using std::chrono::milliseconds;

using data_layer::kGreeting;  // the reply every oneshot request must get
// A oneshot reply is the 14-byte greeting; a server that sends more than this is broken or
// hostile, and is cut off instead of being read into memory for ever.
inline constexpr std::size_t kOneshotReplyLimit = 1024;

struct Timeouts {
  milliseconds connect{5000};   // the TCP handshake
  milliseconds request{30000};  // one request: its write and its reply
};

// Connect failures retried `retries` times, waiting base * 2^attempt (capped at `cap`)
// times a random factor in [0.5, 1): the jitter keeps thousands of clients refused together
// from coming back together.
struct RetryPolicy {
  unsigned retries = 0;
  milliseconds base{20};
  milliseconds cap{2000};
};

class Connection {
 public:
  // Throws ClientError(kConnect) when the handshake fails or takes longer than the timeout.
  static runtime::Task<Connection> open(runtime::SocketAddress address,
                                        milliseconds connect_timeout);
  // The same, retried by `policy`; `retries_used` says how many retries it took (also when
  // it finally fails), so the caller can count retried requests.
  static runtime::Task<Connection> open(runtime::SocketAddress address,
                                        milliseconds connect_timeout, RetryPolicy policy,
                                        unsigned& retries_used);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  ~Connection();

  // Stream mode, one round trip: writes `request`, returns the next reply frame. The caller
  // compares it with the request (check_echo), since a server may answer wrongly.
  runtime::Task<data_layer::Data> request(data_layer::Data frame, milliseconds timeout);

  // Pipelining: send() writes a frame without waiting for any reply; receive() returns the
  // next reply, in request order. Several send()s may precede the receive()s.
  runtime::Task<void> send(data_layer::Data frame, milliseconds timeout);
  // Several frames in one buffer: one system call for the batch, which is what makes
  // pipelining cheap for the client as well as for the server. The frames are borrowed
  // (co_await the task at once): the caller keeps them to check the replies against.
  runtime::Task<void> send(std::span<const data_layer::Data> frames, milliseconds timeout);
  runtime::Task<data_layer::Data> receive(milliseconds timeout);
  // The same two for a caller that keeps frames as bytes (the load generator: ReplyBuffer,
  // reply_buffer.hpp). send_raw writes frames already serialized (borrowed: co_await at
  // once); read_some reads what has arrived, at least one byte, and returns 0 when the
  // server has closed. Use one pair or the other on a connection, not both.
  runtime::Task<void> send_raw(data_layer::ByteView frames, milliseconds timeout);
  runtime::Task<std::size_t> read_some(std::span<std::uint8_t> into, milliseconds timeout);
  // Writes every request in one buffer (one system call when it fits), then reads as many
  // replies; returns them in order.
  runtime::Task<std::vector<data_layer::Data>> pipeline(std::vector<data_layer::Data> requests,
                                                        milliseconds timeout);

  // Oneshot mode after open(): writes one frame and reads until the server closes, all
  // within `timeout`. Returns the raw reply bytes.
  runtime::Task<std::string> exchange_oneshot(data_layer::Data frame, milliseconds timeout);

  // Closes our writing side: a stream server finishes the replies it owes, then closes.
  void close_write();

 private:
  // The stream and its receiver live on the heap because the receiver points at the
  // stream's socket: moving a Connection must not move the socket out from under it.
  struct State {
    explicit State(runtime::TcpStream connected);
    runtime::TcpStream stream;
    runtime::TcpReceiver receiver;
    data_layer::Bytes out;  // the frames being written; reused, so a request allocates little
    bool nodelay = false;   // TCP_NODELAY is set: on the first stream write
  };
  explicit Connection(runtime::TcpStream stream);

  runtime::Task<std::string> write_then_read_to_end();

  std::unique_ptr<State> state_;
};

// Oneshot mode from scratch: open, exchange_oneshot, close. The request is taken by value
// (as in every coroutine here) so that it lives in the coroutine frame, not in the caller's.
runtime::Task<std::string> oneshot(runtime::SocketAddress address, data_layer::Data request,
                                   Timeouts timeouts);

// The checks PROTOCOL.md asks of a client; each throws ClientError(kMismatch), or kRead for
// a oneshot server that closed without a byte.
void check_greeting(std::string_view reply);
void check_echo(const data_layer::Data& request, const data_layer::Data& reply);

}  // namespace client

// Connection: the client side of PROTOCOL.md's stream mode, as a small library the load
// generator, the tests and any other program can use. Connection::open(), then request(data)
// for one round trip, or send() several frames and receive() their replies in order
// (pipelining). Oneshot mode is send_data (send_data.hpp), which needs no Connection.
//
// Every failure is a ClientError whose kind names the step that failed (error.hpp). None of
// these calls blocks the thread: connect, reads and writes are the runtime's futures, each
// bounded by a timeout, so a silent server costs a timer, not a thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "client/connect.hpp"
#include "client/error.hpp"
#include "data_layer/data.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/task.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_stream.hpp"

namespace client {

class Connection {
 public:
  // Throws ClientError(kConnect) when the handshake fails or takes longer than the timeout.
  static runtime::Task<Connection> open(runtime::SocketAddress address,
                                        milliseconds connect_timeout);
  // The same, retried by `policy` (connect.hpp, which says what `retries_used` counts).
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
  };
  explicit Connection(runtime::TcpStream stream);

  std::unique_ptr<State> state_;
};

// The check PROTOCOL.md asks of a stream reply: throws ClientError(kMismatch) unless it
// equals the request it answers.
void check_echo(const data_layer::Data& request, const data_layer::Data& reply);

}  // namespace client

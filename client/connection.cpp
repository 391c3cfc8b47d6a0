#include "client/connection.hpp"

#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "runtime/tcp_sender.hpp"
#include "runtime/with_timeout.hpp"

namespace client {

using data_layer::Data;
using runtime::Task;

Connection::State::State(runtime::TcpStream connected)
    : stream(std::move(connected)), receiver(stream.socket()) {}

Connection::Connection(runtime::TcpStream stream)
    : state_(std::make_unique<State>(std::move(stream))) {}

Connection::~Connection() = default;

Task<Connection> Connection::open(runtime::SocketAddress address, milliseconds connect_timeout) {
  const RetryPolicy no_retries;  // named: a braced temporary in a co_await (docs/RUNTIME.md)
  unsigned retries = 0;
  co_return co_await open(address, connect_timeout, no_retries, retries);
}

Task<Connection> Connection::open(runtime::SocketAddress address, milliseconds connect_timeout,
                                  RetryPolicy policy, unsigned& retries_used) {
  runtime::TcpStream stream = co_await connect(address, connect_timeout, policy, retries_used);
  // Requests are small: a stream's next one must not wait for the last one's ACK (Nagle).
  stream.socket().set_nodelay();
  co_return Connection(std::move(stream));
}

Task<void> Connection::send_raw(data_layer::ByteView bytes, milliseconds timeout) {
  std::optional<runtime::Unit> written;
  try {
    written =
        co_await runtime::with_timeout(runtime::TcpSender(state_->stream.socket(), bytes), timeout);
  } catch (const std::system_error& error) {
    throw ClientError(ErrorKind::kWrite, "write", error);
  }
  if (!written) throw timed_out("write not done", timeout);
}

Task<void> Connection::send(Data frame, milliseconds timeout) {
  state_->out.clear();
  data_layer::serialize_into(frame, state_->out);
  co_await send_raw(data_layer::ByteView(state_->out), timeout);
}

Task<void> Connection::send(std::span<const Data> frames, milliseconds timeout) {
  state_->out.clear();
  for (const Data& frame : frames)
    data_layer::serialize_into(frame, state_->out);
  co_await send_raw(data_layer::ByteView(state_->out), timeout);
}

Task<std::size_t> Connection::read_some(std::span<std::uint8_t> into, milliseconds timeout) {
  std::optional<std::size_t> count;
  try {
    count = co_await runtime::with_timeout(state_->receiver.read_some(into), timeout);
  } catch (const std::system_error& error) {
    throw ClientError(ErrorKind::kRead, "read", error);
  }
  if (!count) throw timed_out("no reply", timeout);
  co_return *count;
}

Task<Data> Connection::receive(milliseconds timeout) {
  std::optional<std::optional<Data>> frame;
  try {
    frame = co_await runtime::with_timeout(state_->receiver.read_frame(), timeout);
  } catch (const runtime::FrameError& error) {
    throw ClientError(ErrorKind::kProtocol, "bad reply frame", error);
  } catch (const std::system_error& error) {
    throw ClientError(ErrorKind::kRead, "read", error);
  }
  if (!frame) throw timed_out("no reply", timeout);
  if (!*frame) throw ClientError(ErrorKind::kRead, "server closed the connection before replying");
  co_return std::move(**frame);
}

Task<Data> Connection::request(Data frame, milliseconds timeout) {
  co_await send(std::move(frame), timeout);
  co_return co_await receive(timeout);
}

Task<std::vector<Data>> Connection::pipeline(std::vector<Data> requests, milliseconds timeout) {
  co_await send(std::span<const Data>(requests), timeout);
  std::vector<Data> replies;
  replies.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i)
    replies.push_back(co_await receive(timeout));
  co_return replies;
}

void Connection::close_write() {
  state_->stream.shutdown_write();
}

void check_echo(const Data& request, const Data& reply) {
  if (reply == request) return;
  throw ClientError(ErrorKind::kMismatch, "echo of request " + std::to_string(request.field1) +
                                              " came back as {" + std::to_string(reply.field1) +
                                              ", " + std::to_string(reply.field2) + ", " +
                                              std::to_string(reply.field3.size()) + " bytes}");
}

}  // namespace client

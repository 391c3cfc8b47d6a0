#include "client/connection.hpp"

#include <optional>
#include <random>
#include <system_error>
#include <utility>

#include "runtime/sleep.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/with_timeout.hpp"

namespace client {

using data_layer::Data;
using runtime::Task;

namespace {

std::string describe(const std::string& step, const std::exception& error) {
  return step + ": " + error.what();
}

std::string millis(milliseconds duration) {
  return std::to_string(duration.count()) + " ms";
}

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

}  // namespace

Connection::State::State(runtime::TcpStream connected)
    : stream(std::move(connected)), receiver(stream.socket()) {}

Connection::Connection(runtime::TcpStream stream)
    : state_(std::make_unique<State>(std::move(stream))) {}

Connection::~Connection() = default;

Task<Connection> Connection::open(runtime::SocketAddress address, milliseconds connect_timeout) {
  std::optional<runtime::TcpStream> stream;
  try {
    stream.emplace(co_await runtime::TcpStream::connect(address, connect_timeout));
  } catch (const std::system_error& error) {
    // Named only on failure: printing the address costs a formatted print per connection.
    throw ClientError(ErrorKind::kConnect, describe("connect to " + address.to_string(), error));
  }
  co_return Connection(std::move(*stream));
}

Task<Connection> Connection::open(runtime::SocketAddress address, milliseconds connect_timeout,
                                  RetryPolicy policy, unsigned& retries_used) {
  retries_used = 0;
  for (;;) {
    std::optional<ClientError> failure;
    try {
      co_return co_await open(address, connect_timeout);
    } catch (const ClientError& error) {
      failure = error;
    }
    // A co_await may not sit in a catch handler, so the wait happens out here.
    if (retries_used == policy.retries) throw *failure;
    co_await runtime::Sleep(backoff(policy, retries_used));
    ++retries_used;
  }
}

Task<void> Connection::send_raw(data_layer::ByteView bytes, milliseconds timeout) {
  // Requests are small: a stream's next one must not wait for the last one's ACK (Nagle).
  // Set here, not at connect: a oneshot connection writes once, which Nagle never holds,
  // and saves the system call.
  if (!std::exchange(state_->nodelay, true)) state_->stream.socket().set_nodelay();
  std::optional<runtime::Unit> written;
  try {
    written =
        co_await runtime::with_timeout(runtime::TcpSender(state_->stream.socket(), bytes), timeout);
  } catch (const std::system_error& error) {
    throw ClientError(ErrorKind::kWrite, describe("write", error));
  }
  if (!written) throw ClientError(ErrorKind::kTimeout, "write not done within " + millis(timeout));
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
    throw ClientError(ErrorKind::kRead, describe("read", error));
  }
  if (!count) throw ClientError(ErrorKind::kTimeout, "no reply within " + millis(timeout));
  co_return *count;
}

Task<Data> Connection::receive(milliseconds timeout) {
  std::optional<std::optional<Data>> frame;
  try {
    frame = co_await runtime::with_timeout(state_->receiver.read_frame(), timeout);
  } catch (const runtime::FrameError& error) {
    throw ClientError(ErrorKind::kProtocol, describe("bad reply frame", error));
  } catch (const std::system_error& error) {
    throw ClientError(ErrorKind::kRead, describe("read", error));
  }
  if (!frame) throw ClientError(ErrorKind::kTimeout, "no reply within " + millis(timeout));
  if (!*frame) throw ClientError(ErrorKind::kRead, "server closed the connection before replying");
  co_return std::move(**frame);
}

Task<Data> Connection::request(Data frame, milliseconds timeout) {
  co_await send(std::move(frame), timeout);
  co_return co_await receive(timeout);
}

Task<std::vector<Data>> Connection::pipeline(std::vector<Data> requests, milliseconds timeout) {
  state_->out.clear();
  for (const Data& frame : requests)
    data_layer::serialize_into(frame, state_->out);
  co_await send_raw(data_layer::ByteView(state_->out), timeout);
  std::vector<Data> replies;
  replies.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i)
    replies.push_back(co_await receive(timeout));
  co_return replies;
}

Task<std::string> Connection::write_then_read_to_end() {
  try {
    co_await runtime::TcpSender(state_->stream.socket(), data_layer::ByteView(state_->out));
  } catch (const std::system_error& error) {
    throw ClientError(ErrorKind::kWrite, describe("write", error));
  }
  std::vector<std::uint8_t> bytes;
  try {
    bytes = co_await state_->receiver.read_to_end(kOneshotReplyLimit);
  } catch (const std::length_error&) {
    throw ClientError(ErrorKind::kProtocol,
                      "reply longer than " + std::to_string(kOneshotReplyLimit) + " bytes");
  } catch (const std::system_error& error) {
    throw ClientError(ErrorKind::kRead, describe("read", error));
  }
  co_return std::string(bytes.begin(), bytes.end());
}

Task<std::string> Connection::exchange_oneshot(Data frame, milliseconds timeout) {
  state_->out.clear();
  data_layer::serialize_into(frame, state_->out);
  // One deadline for the whole exchange: the reply only counts once the server closes.
  auto reply = co_await runtime::with_timeout(write_then_read_to_end(), timeout);
  if (!reply) throw ClientError(ErrorKind::kTimeout, "no complete reply within " + millis(timeout));
  co_return std::move(*reply);
}

void Connection::close_write() {
  state_->stream.shutdown_write();
}

Task<std::string> oneshot(runtime::SocketAddress address, Data request, Timeouts timeouts) {
  Connection connection = co_await Connection::open(address, timeouts.connect);
  co_return co_await connection.exchange_oneshot(std::move(request), timeouts.request);
}

void check_greeting(std::string_view reply) {
  if (reply.empty()) throw ClientError(ErrorKind::kRead, "server closed without a reply");
  if (reply != kGreeting) {
    throw ClientError(ErrorKind::kMismatch, "expected \"" + std::string(kGreeting) + "\", got \"" +
                                                std::string(reply) + "\"");
  }
}

void check_echo(const Data& request, const Data& reply) {
  if (reply == request) return;
  throw ClientError(ErrorKind::kMismatch, "echo of request " + std::to_string(request.field1) +
                                              " came back as {" + std::to_string(reply.field1) +
                                              ", " + std::to_string(reply.field2) + ", " +
                                              std::to_string(reply.field3.size()) + " bytes}");
}

}  // namespace client

#include "client/send_data.hpp"

#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "client/error.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/tcp_stream.hpp"
#include "runtime/with_timeout.hpp"

namespace client {

using data_layer::Data;
using runtime::Task;

namespace {

// The book's two awaits: TcpSender writes the whole request, TcpReceiver reads until the
// server closes. `request` is borrowed: the caller awaits this at once.
Task<std::string> write_then_read_to_end(runtime::Socket& socket, data_layer::ByteView request) {
  try {
    co_await runtime::TcpSender(socket, request);
  } catch (const std::system_error& error) {
    throw ClientError(ErrorKind::kWrite, "write", error);
  }
  runtime::TcpReceiver receiver(socket);
  try {
    const std::vector<std::uint8_t> reply = co_await receiver.read_to_end(kOneshotReplyLimit);
    co_return std::string(reply.begin(), reply.end());
  } catch (const std::length_error&) {
    throw ClientError(ErrorKind::kProtocol,
                      "reply longer than " + std::to_string(kOneshotReplyLimit) + " bytes");
  } catch (const std::system_error& error) {
    throw ClientError(ErrorKind::kRead, "read", error);
  }
}

}  // namespace

Task<std::string> send_data(runtime::SocketAddress address, Data data, Timeouts timeouts,
                            RetryPolicy retry, unsigned& retries_used) {
  runtime::TcpStream stream = co_await connect(address, timeouts.connect, retry, retries_used);
  const data_layer::Bytes request = data_layer::serialize(data);
  // One deadline for the write and the reply: a reply is whole only once the server closes.
  auto reply = co_await runtime::with_timeout(write_then_read_to_end(stream.socket(), request),
                                              timeouts.request);
  if (!reply) throw timed_out("no complete reply", timeouts.request);
  co_return std::move(*reply);
}

Task<std::string> send_data(runtime::SocketAddress address, Data data, Timeouts timeouts) {
  const RetryPolicy no_retries;  // named: a braced temporary in a co_await (docs/RUNTIME.md)
  unsigned retries = 0;
  co_return co_await send_data(address, std::move(data), timeouts, no_retries, retries);
}

void check_greeting(std::string_view reply) {
  if (reply.empty()) throw ClientError(ErrorKind::kRead, "server closed without a reply");
  if (reply != kGreeting) {
    throw ClientError(ErrorKind::kMismatch, "expected \"" + std::string(kGreeting) + "\", got \"" +
                                                std::string(reply) + "\"");
  }
}

}  // namespace client

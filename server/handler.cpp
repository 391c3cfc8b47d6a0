#include "server/handler.hpp"

#include <exception>
#include <optional>

#include "data_layer/data.hpp"
#include "runtime/decorator.hpp"
#include "runtime/executor.hpp"
#include "runtime/poll_now.hpp"
#include "runtime/sleep.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/with_timeout.hpp"
#include "server/drop.hpp"

namespace server {

runtime::Task<void> handle_client(Connection connection, [[maybe_unused]] Shutdown::Guard in_flight,
                                  HandlerContext& context) {
  const Config& config = context.config;
  try {
    // The book's read loop: read what has come; if nothing has yet, wait, then read again.
    // (The book sleeps 10 ms between reads; first_byte waits for the socket instead.) It
    // turns at most twice: the second read waits for the whole request. One co_await of
    // read_request, not two, keeps the frame a slot smaller.
    Look look = Look::kFirst;
    Asked asked;
    for (;;) {
      asked = co_await read_request(connection.socket, config, look);
      if (asked != Asked::kNothingYet) break;
      auto arrived = co_await first_byte(connection.socket, config);
      if (!arrived) throw idle_timeout(config);
      look = Look::kWait;
    }
    if (asked == Asked::kClosed) co_return;  // nothing asked, nothing owed
    co_await runtime::Sleep(config.work_delay());
    co_await send_greeting(connection.socket, config);
  } catch (...) {
    report_drop(std::current_exception(), connection, context.stats);
  }
}

// The request is checked (its length and UTF-8, docs/PROTOCOL.md) as bytes, not decoded
// into a Data: the greeting does not depend on what was asked.
runtime::Task<Asked> read_request(runtime::Socket& socket, const Config& config, Look look) {
  runtime::TcpReceiver receiver(socket, config.max_frame);
  // nullopt: nothing yet; an empty inner optional: the peer closed before a frame.
  std::optional<std::optional<data_layer::ByteView>> request;
  if (look == Look::kFirst) {
    request = co_await runtime::poll_now(receiver.read_frame_bytes());
    // Not one byte yet: the caller waits for the first holding less than this frame (a
    // silent peer costs only its handler's frame, not also this one's receiver).
    if (!request && receiver.idle()) co_return Asked::kNothingYet;
  }
  if (!request) {
    request = co_await runtime::with_timeout(receiver.read_frame_bytes(), config.idle_timeout);
    if (!request) throw idle_timeout(config);
  }
  co_return request->has_value() ? Asked::kRequest : Asked::kClosed;
}

// The awaited result is named, then tested (docs/RUNTIME.md, "Compiler notes").
runtime::Task<void> send_greeting(runtime::Socket& socket, const Config& config) {
  auto sent = co_await runtime::with_timeout(runtime::TcpSender(socket, data_layer::kGreeting),
                                             config.idle_timeout);
  if (!sent) throw write_timeout(config);
}

runtime::JoinHandle<void> spawn_handler(Connection connection, Shutdown::Guard in_flight,
                                        HandlerContext& context) {
  ++context.stats.connections;
  if (context.config.mode == Mode::kStream) {
    // A reply must not wait behind the previous one's acknowledgement (Nagle's algorithm
    // with delayed ACKs holds a small segment back until the ACK comes).
    connection.socket.set_nodelay();
    return runtime::spawn(runtime::decorate(
        "handle_stream", handle_stream(std::move(connection), std::move(in_flight), context)));
  }
  // No TCP_NODELAY in oneshot: the greeting is the only thing the connection ever sends,
  // and Nagle holds a small segment back only while earlier data is unacknowledged.
  if (context.config.oneshot_handler == OneshotHandler::kFused) {
    return runtime::spawn(FusedOneshot(std::move(connection), std::move(in_flight), context));
  }
  // decorate(): each poll logged under make LOG_POLLS=1, and nothing at all otherwise.
  return runtime::spawn(runtime::decorate(
      "handle_client", handle_client(std::move(connection), std::move(in_flight), context)));
}

}  // namespace server

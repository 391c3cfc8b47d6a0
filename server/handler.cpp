#include "server/handler.hpp"

#include <cerrno>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <variant>

#include "data_layer/data.hpp"
#include "runtime/poll_now.hpp"
#include "runtime/readable.hpp"
#include "runtime/sleep.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/when_any.hpp"
#include "runtime/with_timeout.hpp"
#include "server/log.hpp"

namespace server {
namespace {

// Stream mode batches the replies to pipelined requests into one write; past this size it
// writes before reading on, so a peer that streams requests cannot grow the buffer forever.
constexpr std::size_t kFlushAt = 64 * 1024;
// A reply buffer larger than this is freed once written, so one burst does not stay pinned
// to a connection that then goes quiet (10,000 idle connections must stay small).
constexpr std::size_t kRetainedReplyBytes = 4 * 1024;

// A connection we drop for a reason of our own (a timeout), not a FrameError or I/O error.
class Dropped : public std::runtime_error {
 public:
  Dropped(std::string_view kind, const std::string& reason)
      : std::runtime_error(reason), kind_(kind) {}
  std::string_view kind() const { return kind_; }

 private:
  std::string_view kind_;
};

Dropped idle_timeout(const Config& config) {
  return Dropped("idle_timeout",
                 "peer sent nothing for " + std::to_string(config.idle_timeout.count()) + " ms");
}

Dropped write_timeout(const Config& config) {
  return Dropped("write_timeout", "peer took none of its reply for " +
                                      std::to_string(config.idle_timeout.count()) + " ms");
}

std::string_view kind_of(const std::error_code& code) {
  if (code.value() == ECONNRESET) return "reset";
  if (code.value() == EPIPE) return "broken_pipe";
  return "io";
}

// The one place a failed connection is reported: logged once with its reason, counted by kind.
void report_drop(std::exception_ptr error, const Connection& connection, Stats& stats) {
  std::string_view kind = "internal";
  std::string reason;
  try {
    std::rethrow_exception(error);
  } catch (const runtime::FrameError& e) {
    kind = data_layer::to_string(e.error().kind);
    reason = e.what();
  } catch (const Dropped& e) {
    kind = e.kind();
    reason = e.what();
  } catch (const std::system_error& e) {
    kind = kind_of(e.code());
    reason = e.what();
  } catch (const std::exception& e) {
    reason = e.what();
  }
  stats.count_error(kind);
  if (log_enabled(LogLevel::kWarn)) {
    log_warn(describe(connection) + " dropped (" + std::string(kind) + "): " + reason);
  }
}

// oneshot: read the one request, bounded by the idle timeout. A coroutine of its own so
// that its frame (the receiver, the decoder, the read's awaiter and its output) is freed
// before the work delay: a connection waiting out its second keeps only ServeOneshot, which
// is what lets 10,000 waiting connections fit in a few MB (docs/BENCHMARKS.md).
//
// A new connection's request is almost always here already, so the first look reads it at
// once (asking Readable first would cost a MSG_PEEK per connection). When nothing at all
// has come, the first look says kNothingYet instead of waiting, so that a silent peer
// waits for its first byte holding the small Readable rather than this frame.
runtime::Task<ServeOneshot::Asked> read_request(runtime::Socket& socket, const Config& config,
                                                bool first_look) {
  runtime::TcpReceiver receiver(socket, config.max_frame);
  // The request's checked bytes, not a Data: oneshot answers the greeting whatever was
  // asked, so the request is only checked (docs/PROTOCOL.md), never used.
  std::optional<std::optional<data_layer::ByteView>> request;
  if (first_look) {
    request = co_await runtime::poll_now(receiver.read_frame_bytes());
    if (!request && receiver.idle()) co_return ServeOneshot::Asked::kNothingYet;
  }
  if (!request)
    request = co_await runtime::with_timeout(receiver.read_frame_bytes(), config.idle_timeout);
  if (!request) throw idle_timeout(config);
  co_return request->has_value() ? ServeOneshot::Asked::kRequest : ServeOneshot::Asked::kClosed;
}

// oneshot, step 4: the whole greeting, bounded by the idle timeout (a peer that never reads).
runtime::Task<void> send_greeting(runtime::Socket& socket, const Config& config) {
  auto sent =
      co_await runtime::with_timeout(runtime::TcpSender(socket, kGreeting), config.idle_timeout);
  if (!sent) throw write_timeout(config);
}

bool fits_retained(const data_layer::Bytes& replies) {
  return replies.capacity() <= kRetainedReplyBytes;
}

// stream: echo every request frame, in order, until the peer closes its side.
//
// Replies are batched: a request that is already in the receiver is answered into the same
// buffer, and the buffer is written only before the handler would wait (for the peer or for
// the work delay) or once it is large. So 16 pipelined requests cost one write, and a peer
// that waits for each reply before sending the next still gets it at once. With no work
// delay the requests that have arrived are taken all at once (read_all_frame_bytes) and
// echoed with one copy; with a delay, one at a time, each after its own wait.
runtime::Task<void> serve_stream(Connection connection, [[maybe_unused]] InFlight::Guard in_flight,
                                 HandlerContext& context) {
  const Config& config = context.config;
  const auto delay = config.work_delay();
  runtime::Socket& socket = connection.socket;
  runtime::TcpReceiver receiver(socket, config.max_frame);
  data_layer::Bytes replies;  // answers not yet written, in request order
  auto read_requests = [&receiver, batch = delay.count() == 0] {
    return batch ? receiver.read_all_frame_bytes() : receiver.read_frame_bytes();
  };
  try {
    for (;;) {
      // The checked bytes of a request (with no delay, of every request that has arrived):
      // the echo is these bytes as they came (docs/PROTOCOL.md), so no Data is made. They
      // last until the next read on `receiver`. nullopt: none here yet; an empty inner
      // optional: the peer closed between frames.
      std::optional<std::optional<data_layer::ByteView>> request;
      std::exception_ptr bad_frame;  // rethrown once the replies owed before it are written
      try {
        request = co_await runtime::poll_now(read_requests());
      } catch (const runtime::FrameError&) {
        bad_frame = std::current_exception();
      }
      const bool have_frame = request && *request;
      if (!replies.empty() && (!have_frame || delay.count() > 0 || replies.size() >= kFlushAt)) {
        auto sent = co_await runtime::with_timeout(runtime::TcpSender(socket, replies),
                                                   config.idle_timeout);
        if (!sent) throw write_timeout(config);
        replies.clear();
        if (!fits_retained(replies)) replies = data_layer::Bytes();
      }
      if (bad_frame) std::rethrow_exception(bad_frame);
      if (!request) {
        if (context.stopped.is_closed()) {
          // Shutting down: close at this request boundary, unless a request is half here.
          if (receiver.idle()) break;
          request = co_await runtime::with_timeout(read_requests(), config.idle_timeout);
        } else {
          // Waiting for the next request, or for the worker to stop (then look again).
          auto woken = co_await runtime::when_any(
              runtime::with_timeout(read_requests(), config.idle_timeout), context.stopped.recv());
          if (woken.index() == 1) continue;
          request = std::get<0>(std::move(woken));
        }
        if (!request) throw idle_timeout(config);
      }
      if (!*request) break;  // the peer closed its side between frames; nothing is owed
      if (delay.count() > 0) co_await runtime::Sleep(delay);
      replies.insert(replies.end(), (*request)->begin(), (*request)->end());
    }
  } catch (...) {
    report_drop(std::current_exception(), connection, context.stats);
  }
}

}  // namespace

runtime::Poll<void> ServeOneshot::poll(runtime::Context& cx) {
  try {
    return advance(cx);
  } catch (...) {
    step_ = std::monostate();  // the failed step's future goes first, as a coroutine's would
    report_drop(std::current_exception(), connection_, context_->stats);
    return runtime::Ready{};
  }
}

// Each step polls its future; when it is ready, the next step's future takes its place
// and is polled at once, in the same call, as a coroutine would carry on.
runtime::Poll<void> ServeOneshot::advance(runtime::Context& cx) {
  const Config& config = context_->config;
  if (std::holds_alternative<std::monostate>(step_)) {
    step_.emplace<ReadRequest>(read_request(connection_.socket, config, /*first_look=*/true));
  }
  if (auto* read = std::get_if<ReadRequest>(&step_)) {
    auto asked = read->poll(cx);
    if (asked.is_pending()) return runtime::Pending{};
    switch (asked.value()) {
      case Asked::kClosed:
        return runtime::Ready{};  // closed without asking: nothing owed
      case Asked::kNothingYet:
        step_.emplace<FirstByte>(runtime::Readable(connection_.socket), config.idle_timeout);
        break;
      case Asked::kRequest:
        step_.emplace<Work>(config.work_delay());
        break;
    }
  }
  if (auto* first_byte = std::get_if<FirstByte>(&step_)) {
    auto arrived = first_byte->poll(cx);
    if (arrived.is_pending()) return runtime::Pending{};
    if (!arrived.value()) throw idle_timeout(config);
    step_.emplace<ReadRequest>(read_request(connection_.socket, config, /*first_look=*/false));
    return advance(cx);  // read what came (once: this read waits, it does not come back here)
  }
  if (auto* work = std::get_if<Work>(&step_)) {
    if (work->poll(cx).is_pending()) return runtime::Pending{};
    step_.emplace<Reply>(send_greeting(connection_.socket, config));
  }
  return std::get<Reply>(step_).poll(cx);
}

ConnectionHandler handle_connection(Connection connection, InFlight::Guard in_flight,
                                    HandlerContext& context) {
  ++context.stats.connections;
  if (context.config.mode == Mode::kOneshot) {
    // No TCP_NODELAY: the greeting is the only thing this connection ever sends, and Nagle
    // holds back a small segment only while earlier data is unacknowledged, so it goes out
    // at once anyway. That saves a system call on every connection.
    return ConnectionHandler(ServeOneshot(std::move(connection), std::move(in_flight), context));
  }
  // A reply must not wait behind the previous one's acknowledgement (Nagle with delayed ACK
  // costs up to 40 ms a request on Linux).
  connection.socket.set_nodelay();
  return ConnectionHandler(serve_stream(std::move(connection), std::move(in_flight), context));
}

}  // namespace server

// handle_stream: the keep-alive exchange of docs/PROTOCOL.md. Read frames, echo them: each
// request's reply is its own frame, byte for byte, in request order, until the peer closes
// its side.
//
//   loop:  read the next request -> sleep the work delay (if any) -> echo its bytes
//
// Two details sit on that loop:
//   - Batching (departs from the book: docs/BOOK.md, "Stream replies are batched"). The
//     echoes owed are kept in one buffer, written only when the handler is about to wait
//     (for the peer, or for the work delay) or once the buffer is large. So requests that
//     arrive together are answered with one write, and a peer that waits for each reply
//     before the next still gets it at once. With no work delay, every request that has
//     arrived is taken in one read (read_all_frame_bytes) and echoed in one copy.
//   - Shutdown. A handler waiting for its next request wakes when its worker stops, and
//     closes at that request boundary, unless a request is half here.
#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <variant>

#include "data_layer/data.hpp"
#include "runtime/poll_now.hpp"
#include "runtime/sleep.hpp"
#include "runtime/tcp_receiver.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/when_any.hpp"
#include "runtime/with_timeout.hpp"
#include "server/drop.hpp"
#include "server/handler.hpp"

namespace server {
namespace {

// The echoes owed, in request order (batching, above).
class Replies {
 public:
  void add(data_layer::ByteView request) {
    bytes_.insert(bytes_.end(), request.begin(), request.end());
  }
  bool empty() const { return bytes_.empty(); }
  // Past this, the echoes are written before reading on: a peer that streams requests and
  // never waits cannot grow the buffer without bound.
  bool large() const { return bytes_.size() >= kFlushAt; }
  const data_layer::Bytes& bytes() const { return bytes_; }
  // After their write: a buffer grown large by one burst is freed, so that it does not stay
  // pinned to a connection that then goes quiet.
  void written() {
    bytes_.clear();
    if (bytes_.capacity() > kRetainedBytes) bytes_ = data_layer::Bytes();
  }

 private:
  static constexpr std::size_t kFlushAt = 64 * 1024;
  static constexpr std::size_t kRetainedBytes = 4 * 1024;
  data_layer::Bytes bytes_;
};

bool is_frame_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const runtime::FrameError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

runtime::Task<void> handle_stream(Connection connection, [[maybe_unused]] Shutdown::Guard in_flight,
                                  HandlerContext& context) {
  const Config& config = context.config;
  const auto delay = config.work_delay();
  runtime::Socket& socket = connection.socket;
  runtime::TcpReceiver receiver(socket, config.max_frame);
  Replies replies;
  // The next request's checked bytes, or with no work delay those of every request that has
  // arrived. The echo is these bytes as they came, so no Data is made; they last until the
  // next read. An empty optional: the peer closed its side between frames.
  auto read = [&receiver, all = delay.count() == 0] {
    return all ? receiver.read_all_frame_bytes() : receiver.read_frame_bytes();
  };
  std::exception_ptr failure;
  try {
    for (;;) {
      // A request already here? (nullopt: not yet.) Asked without waiting, so that the
      // echoes owed can be written first if we are about to wait.
      auto request = co_await runtime::poll_now(read());
      const bool have_request = request && *request;
      if (!replies.empty() && (!have_request || delay.count() > 0 || replies.large())) {
        auto sent = co_await runtime::with_timeout(runtime::TcpSender(socket, replies.bytes()),
                                                   config.idle_timeout);
        if (!sent) throw write_timeout(config);
        replies.written();
      }
      if (!request) {
        // Wait for the next request, or for the worker to stop (first come, first served).
        auto woken = co_await runtime::when_any(runtime::with_timeout(read(), config.idle_timeout),
                                                context.shutdown.stopping());
        if (woken.index() == 0) {
          request = std::get<0>(std::move(woken));
        } else if (receiver.idle()) {
          break;  // stopping, at a request boundary
        } else {
          request = co_await runtime::with_timeout(read(), config.idle_timeout);  // half here
        }
        if (!request) throw idle_timeout(config);
      }
      if (!*request) break;  // the peer closed its side between frames: nothing is owed
      if (delay.count() > 0) co_await runtime::Sleep(delay);
      replies.add(**request);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  // A malformed frame ends the connection, but the echoes owed to the requests before it
  // still go out, as far as the peer takes them.
  if (failure && is_frame_error(failure) && !replies.empty()) {
    try {
      (void)co_await runtime::with_timeout(runtime::TcpSender(socket, replies.bytes()),
                                           config.idle_timeout);
    } catch (...) {
    }
  }
  if (failure) report_drop(failure, connection, context.stats);
}

}  // namespace server

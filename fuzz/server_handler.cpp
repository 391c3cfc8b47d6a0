// Fuzz target: the server's connection handler (server/handler.hpp) against a peer that sends
// whatever the fuzzer likes, over an in-memory connection.
//
// A peer's bytes reach three layers at once here: the runtime's socket futures, the frame
// decoder and the handler's exchange logic (oneshot's single read, stream's batched, ordered
// echo and its flush before an error). One bad peer must cost only its own connection, and
// a good prefix must still be served. So for each input this checks that
//   1. the exchange always ends: the peer writes its bytes, shuts down its writing side, and
//      the handler must finish by itself (a guard of a few seconds turns a hang into a
//      failure, and libFuzzer's -timeout catches a handler that spins without yielding);
//   2. oneshot: the reply is exactly the 14-byte greeting if the stream starts with a valid
//      frame, else nothing at all;
//   3. stream: the reply is exactly the echo of the stream's valid frames, in order, whatever
//      follows them;
//   4. the connection's failure, if any, is counted once under the decoder's kind for the
//      input (never as idle_timeout, io or internal), and the handler leaves nothing behind:
//      no task alive, its Shutdown::Guard released, its socket closed.
// The expected frames come from data_layer's FrameDecoder fed the whole stream at once; the
// frame_decoder target checks that decoder against the protocol page.
//
// The connection is an AF_UNIX socketpair, so no port, no loopback traffic and nothing left
// behind between runs. The runtime needs no change for it: set_nodelay() is best effort and
// ignores the EOPNOTSUPP a unix socket answers, and everything else is plain recv and send.
//
// Input layout: byte 0 picks the mode (bit 0) and the largest write (bits 1-3); byte 1 seeds
// the write sizes; the rest is what the peer sends. Between writes the peer yields, so the
// handler sees frames split across reads as well as several frames in one read.
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "data_layer/data.hpp"
#include "data_layer/frame_decoder.hpp"
#include "runtime/executor.hpp"
#include "runtime/readable.hpp"
#include "runtime/socket.hpp"
#include "runtime/task.hpp"
#include "runtime/tcp_sender.hpp"
#include "runtime/when_all.hpp"
#include "runtime/with_timeout.hpp"
#include "runtime/yield_now.hpp"
#include "server/config.hpp"
#include "server/connection.hpp"
#include "server/handler.hpp"
#include "server/log.hpp"
#include "server/shutdown.hpp"
#include "server/stats.hpp"

namespace fuzz {
namespace {

using data_layer::Bytes;
using data_layer::ByteView;
using namespace std::chrono_literals;

// Small, so that a too_long frame is one mutation away.
constexpr std::size_t kMaxFrame = 64;
// Far longer than any exchange here takes (microseconds): reaching either is a hang. The
// handler's own idle timeout is the shorter, so a handler waiting for bytes that will never
// come shows up as an idle_timeout count, which names the problem better than the guard.
constexpr auto kIdleTimeout = 2s;
constexpr auto kGuard = 4s;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "server_handler fuzz: check failed: %s\n", what);
  std::abort();
}

server::Config config_for(server::Mode mode,
                          server::OneshotHandler handler = server::OneshotHandler::kCoroutine) {
  server::Config config;
  config.mode = mode;
  config.oneshot_handler = handler;
  config.delay = 0ms;
  config.max_frame = kMaxFrame;
  config.idle_timeout = kIdleTimeout;
  return config;
}

// xorshift32: the same input always writes in the same pieces, so a crash reproduces.
class Rng {
 public:
  explicit Rng(std::uint32_t seed) : state_(seed | 1) {}
  std::size_t below(std::size_t bound) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_ % bound;
  }

 private:
  std::uint32_t state_;
};

// --- the peer -------------------------------------------------------------------------------

// After a write, lets the handler take the bytes before the next write lands: one turn for the
// reactor to report them, one for the handler to read. Best effort, and only there to make
// split frames likely; no check depends on how the bytes were grouped.
runtime::Task<void> let_handler_read() {
  co_await runtime::yield_now();
  co_await runtime::yield_now();
}

// The peer's writing side: the whole input in pieces, then end of stream. A handler that
// stopped reading (oneshot after its request, or after a bad frame) and closed may refuse
// the rest with EPIPE or ECONNRESET; that is its right, and the peer just stops.
runtime::Task<void> write_side(runtime::Socket& peer, ByteView bytes, std::size_t max_write,
                               std::uint32_t seed) {
  Rng rng(seed);
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t size = std::min(1 + rng.below(max_write), bytes.size() - at);
    try {
      co_await runtime::TcpSender(peer, bytes.subspan(at, size));
    } catch (const std::system_error& e) {
      if (e.code().value() != EPIPE && e.code().value() != ECONNRESET) throw;
      break;
    }
    at += size;
    co_await let_handler_read();
  }
  ::shutdown(peer.fd(), SHUT_WR);
}

// The peer's reading side: everything until the handler closes. AF_UNIX reports a close that
// left our bytes unread as ECONNRESET, after the reply that came before it: that too is the
// end of the reply, as a TCP reset after the server's FIN would be.
runtime::Task<Bytes> read_side(runtime::Socket& peer) {
  Bytes reply;
  std::array<std::uint8_t, 4096> buffer;
  for (;;) {
    co_await runtime::Readable(peer);
    const ssize_t n = ::recv(peer.fd(), buffer.data(), buffer.size(), 0);
    if (n > 0) {
      reply.insert(reply.end(), buffer.begin(), buffer.begin() + n);
    } else if (n == 0 || errno == ECONNRESET) {
      co_return reply;
    } else if (errno != EAGAIN && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "peer recv");
    }
  }
}

// The whole exchange: both sides of the peer and the handler, bounded by the guard. The
// reply, or nullopt on a hang.
runtime::Task<std::optional<Bytes>> exchange(runtime::Socket& peer, ByteView bytes,
                                             std::size_t max_write, std::uint32_t seed,
                                             runtime::JoinHandle<void> handler) {
  auto done =
      co_await runtime::with_timeout(runtime::when_all(write_side(peer, bytes, max_write, seed),
                                                       read_side(peer), std::move(handler)),
                                     kGuard);
  if (!done) co_return std::nullopt;
  co_return std::get<1>(std::move(*done));
}

// --- one run --------------------------------------------------------------------------------

struct Outcome {
  std::optional<Bytes> reply;  // nullopt: the exchange hung
  server::Stats stats;
  std::size_t in_flight = 0;    // guards not yet released once the exchange ended
  std::size_t tasks_alive = 0;  // tasks left on the executor
};

std::array<int, 2> make_socketpair() {
  std::array<int, 2> fds{};
  require(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds.data()) == 0,
          "socketpair failed (out of file descriptors?)");
  return fds;
}

// Runs spawn_handler() on `executor` for one connection whose peer sends `bytes`.
Outcome serve(runtime::Executor& executor, const server::Config& config, ByteView bytes,
              std::size_t max_write, std::uint32_t seed) {
  const auto fds = make_socketpair();
  runtime::Socket peer(fds[1]);
  Outcome out;
  server::Shutdown shutdown(config.grace);  // never begun: the shutdown path is not under test here
  server::HandlerContext context{config, out.stats, shutdown};
  server::Connection connection{1, runtime::Socket(fds[0]), {}};
  out.reply = executor.block_on(
      [](runtime::Socket& peer, ByteView bytes, std::size_t max_write, std::uint32_t seed,
         server::Connection connection, server::Shutdown& shutdown,
         server::HandlerContext& context) -> runtime::Task<std::optional<Bytes>> {
        auto handler = server::spawn_handler(std::move(connection), shutdown.enter(), context);
        co_return co_await exchange(peer, bytes, max_write, seed, std::move(handler));
      }(peer, bytes, max_write, seed, std::move(connection), shutdown, context));
  out.in_flight = shutdown.in_flight();
  out.tasks_alive = executor.tasks_alive();
  return out;
}

// --- the checks -----------------------------------------------------------------------------

// What the handler must make of the stream: its valid frames, and why it stopped, if it did.
struct Expected {
  std::vector<data_layer::Data> frames;
  std::optional<data_layer::DecodeError> failure;
};

Expected expected_for(ByteView bytes) {
  data_layer::FrameDecoder decoder(kMaxFrame);
  decoder.feed(bytes);
  Expected out;
  while (auto frame = decoder.next())
    out.frames.push_back(std::move(*frame));
  out.failure = decoder.finish();
  return out;
}

Bytes expected_reply(server::Mode mode, const Expected& expected) {
  Bytes reply;
  if (mode == server::Mode::kOneshot) {
    if (!expected.frames.empty())
      reply.assign(data_layer::kGreeting.begin(), data_layer::kGreeting.end());
    return reply;
  }
  for (const auto& frame : expected.frames)
    data_layer::serialize_into(frame, reply);
  return reply;
}

// Oneshot stops after its first frame, so only a stream with none counts a failure there.
server::ErrorCounts expected_errors(server::Mode mode, const Expected& expected) {
  server::ErrorCounts errors;
  const bool served_one = mode == server::Mode::kOneshot && !expected.frames.empty();
  if (expected.failure && !served_one) errors[std::string(to_string(expected.failure->kind))] = 1;
  return errors;
}

void check(server::Mode mode, ByteView bytes, const Outcome& outcome) {
  require(outcome.reply.has_value(), "the exchange did not end within the guard (hang)");
  const Expected expected = expected_for(bytes);
  require(*outcome.reply == expected_reply(mode, expected),
          mode == server::Mode::kOneshot ? "oneshot reply is not the greeting or nothing"
                                         : "stream reply is not the echo of the valid frames");
  require(outcome.stats.errors == expected_errors(mode, expected),
          "the connection's failure was not counted once under the input's error kind");
  require(outcome.stats.connections == 1, "the connection was not counted");
  require(outcome.in_flight == 0, "the handler's Shutdown::Guard outlived it");
  require(outcome.tasks_alive == 0, "a task outlived the exchange");
}

void run_one(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return;
  // One executor for every run, as a worker has one for all its connections.
  static runtime::Executor executor;
  static const server::Config oneshot = config_for(server::Mode::kOneshot);
  static const server::Config fused =
      config_for(server::Mode::kOneshot, server::OneshotHandler::kFused);
  static const server::Config stream = config_for(server::Mode::kStream);
  constexpr std::array<std::size_t, 8> kMaxWrites = {1, 2, 3, 7, 11, 64, 700, 4096};

  // Bit 0: the mode; bits 1-3: the peer's largest write; bit 4: oneshot's handler.
  const server::Config& config = (data[0] & 1) ? stream : (data[0] & 16) ? fused : oneshot;
  const std::size_t max_write = kMaxWrites[data[0] >> 1 & 7];
  const std::uint32_t seed = 0x9E3779B9u ^ (std::uint32_t{data[1]} * 0x01000193u);
  const ByteView bytes(data + 2, size - 2);
  check(config.mode, bytes, serve(executor, config, bytes, max_write, seed));
}

}  // namespace
}  // namespace fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Dropped connections are expected by the thousand; their warnings would drown the log.
  server::set_log_level(server::LogLevel::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::run_one(data, size);
  return 0;
}

// Handler: the future that serves one connection, from its first byte to its close.
//
// A request's path through the server:
//   dispatcher accepts -> worker's inbox -> worker spawns handle_connection() -> [here]
//   read a frame (by its length fields) -> sleep the work delay -> write the whole reply
//   -> (stream: loop) -> close the socket and release the connection's permit.
//
// Everything a connection owns lives in the handler (the socket, the permit, the receiver's
// decoder, the replies not yet written), so destroying it, when it ends or a shutdown
// cancels it, releases all of it. Stream mode is a coroutine; oneshot mode is a future
// written by hand, as the book writes its futures, because it is what 10,000 waiting
// connections are made of (ServeOneshot below says why).
//
// A bad peer costs only its own connection: every failure ends here, is logged once at warn
// with its reason, and is counted under one of these kinds:
//   too_long, invalid_utf8, truncated   a malformed frame (data_layer's kinds)
//   idle_timeout    the peer sent nothing for --idle-timeout-ms while we waited to read
//   write_timeout   the peer took none of our reply for --idle-timeout-ms (never reads)
//   reset, broken_pipe, io              the connection failed (ECONNRESET, EPIPE, other)
//   internal        anything else (a bug of ours: the message says what)
#pragma once

#include <string_view>
#include <variant>

#include "data_layer/data.hpp"
#include "runtime/channel.hpp"
#include "runtime/readable.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/with_timeout.hpp"
#include "server/config.hpp"
#include "server/connection.hpp"
#include "server/in_flight.hpp"
#include "server/stats.hpp"

namespace server {

using data_layer::kGreeting;  // the oneshot reply

// What every handler on one worker shares. Owned by the worker; only its thread touches it.
struct HandlerContext {
  const Config& config;
  Stats& stats;
  // Closed once the worker takes no more connections (shutdown): a stream connection then
  // closes at its next request boundary instead of waiting for another request, and one
  // already waiting for a request is woken to do so.
  runtime::Channel<int>& stopped;
};

// oneshot: read the one request (waiting for its first byte first, if the first look found
// nothing), do the work, send the greeting, close (docs/PROTOCOL.md). As a coroutine, each
// step would be a co_await, and GCC gives each co_await its own slot in the frame: the
// coroutine took 376 bytes plus a 96-byte task. As a hand-written future, the steps share one
// variant, and the spawned task holds it inline: about 250 bytes a connection in all
// (docs/BENCHMARKS.md, memory).
class ServeOneshot {
 public:
  using Output = void;
  ServeOneshot(Connection connection, InFlight::Guard in_flight, HandlerContext& context)
      : connection_(std::move(connection)), in_flight_(std::move(in_flight)), context_(&context) {}
  // Ready when the connection is done with, served or dropped (a drop is reported here).
  runtime::Poll<void> poll(runtime::Context& cx);

  // What reading the request found (handler.cpp, read_request).
  enum class Asked {
    kRequest,     // a whole request
    kClosed,      // the peer closed without asking anything: nothing is owed
    kNothingYet,  // only from the first look: not one byte has come yet
  };

 private:
  // The step the connection is in is the future it waits on. The first is made on the
  // first poll, not here: it points into connection_, which moves once more, into the task.
  using ReadRequest = runtime::Task<Asked>;                   // 1. the first look; again after 2.
  using FirstByte = runtime::WithTimeout<runtime::Readable>;  // 2. only if nothing had come
  using Work = runtime::Sleep;                                // 3. the work delay
  using Reply = runtime::Task<void>;                          // 4. the greeting
  using Step = std::variant<std::monostate, ReadRequest, FirstByte, Work, Reply>;

  runtime::Poll<void> advance(runtime::Context& cx);

  Connection connection_;
  [[maybe_unused]] InFlight::Guard in_flight_;  // held until the handler is destroyed
  HandlerContext* context_;
  Step step_;
};

// What the worker spawns for each connection: the handler for config.mode.
class ConnectionHandler {
 public:
  using Output = void;
  explicit ConnectionHandler(ServeOneshot oneshot) : handler_(std::move(oneshot)) {}
  explicit ConnectionHandler(runtime::Task<void> stream) : handler_(std::move(stream)) {}
  runtime::Poll<void> poll(runtime::Context& cx) {
    return std::visit([&cx](auto& handler) { return handler.poll(cx); }, handler_);
  }

 private:
  std::variant<ServeOneshot, runtime::Task<void>> handler_;
};

// The handler for config.mode. `in_flight` is held until the handler is destroyed.
ConnectionHandler handle_connection(Connection connection, InFlight::Guard in_flight,
                                    HandlerContext& context);

}  // namespace server

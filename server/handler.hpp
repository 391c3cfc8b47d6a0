// Handlers: the futures that serve one connection, from its first byte to its close.
//
// A request's path through the server:
//   dispatcher accepts -> worker's inbox -> worker calls spawn_handler() -> [here]
//   oneshot  handle_client, the book's: read one frame (by its length fields) -> sleep the
//            work delay -> write the greeting -> close
//   stream   handle_stream (stream_handler.cpp): read frames, echo each one, in order,
//            until the peer closes its side
//
// Everything a connection owns lives in its handler (the socket, the permit, the receiver's
// decoder, the replies not yet written), so destroying it, when it ends or a shutdown
// cancels it, releases all of it. Every failure ends in report_drop (drop.hpp), which
// logs it and counts it by kind; the connection is closed and nobody else is touched.
#pragma once

#include "runtime/join_handle.hpp"
#include "runtime/readable.hpp"
#include "runtime/socket.hpp"
#include "runtime/task.hpp"
#include "runtime/with_timeout.hpp"
#include "server/config.hpp"
#include "server/connection.hpp"
#include "server/fused_oneshot.hpp"
#include "server/shutdown.hpp"
#include "server/stats.hpp"

namespace server {

// What every handler on one worker shares. Owned by the worker; only its thread touches it.
struct HandlerContext {
  const Config& config;
  Stats& stats;
  Shutdown& shutdown;  // a stream handler closes at a request boundary once it is stopping
};

// oneshot, the book's handle_client. `in_flight` is held until the handler is destroyed.
runtime::Task<void> handle_client(Connection connection, Shutdown::Guard in_flight,
                                  HandlerContext& context);
// stream: read frames, echo them (stream_handler.cpp).
runtime::Task<void> handle_stream(Connection connection, Shutdown::Guard in_flight,
                                  HandlerContext& context);

// oneshot's steps, shared by handle_client and FusedOneshot. read_request and send_greeting
// are coroutines of their own, so that what each holds (the receiver and its decoder, the
// sender) is freed when the step ends: a connection waiting out its work delay keeps only
// handle_client's frame.
enum class Asked {
  kRequest,     // a whole request, checked
  kClosed,      // the peer closed without asking anything: nothing is owed
  kNothingYet,  // only at the first look: not one byte has come yet
};
// How read_request may end while the request is not here.
enum class Look {
  kFirst,  // say kNothingYet at once if not one byte has come (the caller then waits with
           // first_byte, and reads again with kWait)
  kWait,   // wait for the whole request, within one idle timeout: a wake-up that brings no
           // byte (urgent data, say) cannot restart it (tests/test_server.cpp, "urgent
           // bytes that carry no request do not restart the idle timeout")
};
// Reads the one request. Once part of it is here, waits for the rest, within the idle
// timeout.
runtime::Task<Asked> read_request(runtime::Socket& socket, const Config& config, Look look);
// Ready once the socket has something to read, or with nullopt after the idle timeout.
// A plain future, not a coroutine: it is what a silent peer is waited for with, so it is
// kept inline in the handler, not in a frame of its own.
inline runtime::WithTimeout<runtime::Readable> first_byte(runtime::Socket& socket,
                                                          const Config& config) {
  return runtime::with_timeout(runtime::Readable(socket), config.idle_timeout);
}
// Writes the whole greeting, within the idle timeout (a peer that never reads is dropped).
runtime::Task<void> send_greeting(runtime::Socket& socket, const Config& config);

// Spawns the handler for config.mode (and, in oneshot, config.oneshot_handler) on this
// thread's executor. Each kind is spawned as its own future, so a connection's task is
// sized for its own handler, not for the largest of them.
runtime::JoinHandle<void> spawn_handler(Connection connection, Shutdown::Guard in_flight,
                                        HandlerContext& context);

}  // namespace server

// Handler: the coroutine that serves one connection, from its first byte to its close.
//
// A request's path through the server:
//   dispatcher accepts -> worker's inbox -> worker spawns handle_connection() -> [here]
//   read a frame (by its length fields) -> sleep the work delay -> write the whole reply
//   -> (stream: loop) -> close the socket and release the connection's permit.
//
// Everything a connection owns lives in this coroutine's frame (the socket, the permit, the
// receiver's decoder, the replies not yet written), so destroying the frame, when the
// handler ends or a shutdown cancels it, releases all of it.
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

#include "data_layer/data.hpp"
#include "runtime/channel.hpp"
#include "runtime/task.hpp"
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

// The handler for config.mode. `in_flight` is held until the coroutine frame goes away.
runtime::Task<void> handle_connection(Connection connection, InFlight::Guard in_flight,
                                      HandlerContext& context);

}  // namespace server

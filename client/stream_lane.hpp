// stream_lane: the load generator's stream mode (PROTOCOL.md, "stream"). A lane owns one
// keep-alive connection (a Pipe, pipe.hpp) and keeps up to --pipeline requests in flight
// on it, in one of two loops:
//
//   closed loop (no --rate)  fill the window, send it in one write, read replies, repeat
//   open loop (--rate)       send each request when it is due; read replies meanwhile
#pragma once

#include "client/thread_load.hpp"
#include "runtime/task.hpp"

namespace client {

runtime::Task<void> stream_lane(ThreadLoad& load);

}  // namespace client

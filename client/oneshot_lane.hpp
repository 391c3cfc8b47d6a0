// oneshot_lane: the load generator's oneshot mode, the book's client. A lane carries one
// request at a time, and with the default --concurrency there is a lane per request, all
// in flight at once, as the book spawns one send_data task per request.
//
//   claim i -> wait for its turn (--rate) -> send_data(Data{i, i, "Hello, server! i"})
//   -> check_greeting -> record; then the next claim, until the dispenser runs dry. A failed
//   attempt is tried again from the connect, after a backoff, while --retries allows.
#pragma once

#include "client/thread_load.hpp"
#include "runtime/task.hpp"

namespace client {

runtime::Task<void> oneshot_lane(ThreadLoad& load);

}  // namespace client

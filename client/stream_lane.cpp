#include "client/stream_lane.hpp"

#include "client/pipe.hpp"

namespace client {

using runtime::Task;

namespace {

// Closed loop: keeps up to --pipeline requests in flight. Whatever the window has room for
// is claimed in one atomic add and goes out in one write, so a window costs one system
// call, not one per request; nothing is claimed ahead of being sent, so no number waits in
// a busy lane while an idle one could send it.
Task<void> closed_loop_lane(ThreadLoad& load) {
  Pipe pipe(load);
  const std::size_t window = load.options.pipeline;
  for (bool more = true; more || pipe.in_flight() > 0;) {
    if (more && pipe.in_flight() < window) {
      load.dispenser.claim_up_to(window - pipe.in_flight(), pipe.batch);
      more = !pipe.batch.empty();
      if (more) co_await pipe.send();
    } else {
      co_await pipe.receive();
    }
    load.publish_progress();
  }
  pipe.close_write();
}

// Open loop: a request is sent only when due; until then the lane reads the replies it is
// owed, so their latency is not inflated by the wait. The next request is claimed ahead,
// to know when it is due, and every request the window allows and that is due goes out
// in the same write.
Task<void> open_loop_lane(ThreadLoad& load) {
  Pipe pipe(load);
  const std::size_t window = load.options.pipeline;
  auto next = load.dispenser.claim();
  while (next || pipe.in_flight() > 0) {
    const bool window_open = next && pipe.in_flight() < window;
    const bool due = next && (pipe.in_flight() == 0 || load.due(*next));
    if (window_open && due) {
      co_await wait_for(next->scheduled);
      do {
        pipe.batch.push_back(*next);
        next = load.dispenser.claim();
      } while (next && pipe.in_flight() + pipe.batch.size() < window && load.due(*next));
      co_await pipe.send();
    } else {
      co_await pipe.receive();
    }
    load.publish_progress();
  }
  pipe.close_write();
}

}  // namespace

Task<void> stream_lane(ThreadLoad& load) {
  return load.options.rate > 0 ? open_loop_lane(load) : closed_loop_lane(load);
}

}  // namespace client

#include "client/oneshot_lane.hpp"

#include <string>

#include "client/send_data.hpp"

namespace client {

runtime::Task<void> oneshot_lane(ThreadLoad& load) {
  while (auto claim = load.dispenser.claim()) {
    co_await wait_for(claim->scheduled);
    unsigned retries = 0;
    // Latency counts from before the connect (from the schedule, with --rate).
    const Clock::time_point start = load.start_of(*claim, Clock::now());
    const std::size_t target = load.target_of(claim->index);
    try {
      const std::string reply =
          co_await send_data(load.targets[target], load.make_request(claim->index), load.timeouts,
                             load.retry, retries);
      check_greeting(reply);
      load.record_ok(start, Clock::now(), reply, target);
    } catch (const ClientError& error) {
      load.record_error(error, target);
    }
    if (retries > 0) ++load.stats.retried;
    load.publish_progress();
  }
}

}  // namespace client

#include "client/oneshot_lane.hpp"

#include <optional>
#include <string>

#include "client/send_data.hpp"
#include "runtime/sleep.hpp"

namespace client {

namespace {

// One attempt at the request: a fresh connection, the request, the reply checked. Returns
// the failure instead of throwing it, so that the caller can wait out a backoff (a co_await
// may not sit in a catch handler).
runtime::Task<std::optional<ClientError>> attempt(ThreadLoad& load, std::uint64_t index,
                                                  std::size_t target, Clock::time_point start) {
  try {
    const std::string reply =
        co_await send_data(load.targets[target], load.make_request(index), load.timeouts);
    check_greeting(reply);
    load.record_ok(start, Clock::now(), reply, target);
    co_return std::nullopt;
  } catch (const ClientError& error) {
    co_return error;
  }
}

}  // namespace

runtime::Task<void> oneshot_lane(ThreadLoad& load) {
  while (auto claim = load.dispenser.claim()) {
    co_await wait_for(claim->scheduled);
    // Latency counts from before the first connect (from the schedule, with --rate), so
    // the retries' time is in it, as the caller of a retried request would feel it.
    const Clock::time_point start = load.start_of(*claim, Clock::now());
    // A retry goes to the same target: a request's place in the split does not move.
    const std::size_t target = load.target_of(claim->index);
    for (unsigned attempts = 1;; ++attempts) {
      if (load.admit(target) == 0) {  // --breaker: the target's circuit is open
        load.record_refused(target);
        co_await load.after_refusal(target);
        break;
      }
      const std::optional<ClientError> failure =
          co_await attempt(load, claim->index, target, start);
      if (!failure) break;
      if (!load.may_retry(*failure, attempts)) {
        load.record_error(*failure, target);
        break;
      }
      load.count_retry(*failure, attempts, target);
      co_await runtime::Sleep(backoff(load.retry, attempts - 1));
    }
    load.publish_progress();
  }
}

}  // namespace client

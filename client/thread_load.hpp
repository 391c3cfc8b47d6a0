// ThreadLoad: what the lanes of one executor thread share (load.hpp). It makes each
// request's Data or frame, says when a claimed request may go out and where its latency
// counts from, and records each outcome in the thread's Stats (and, with -v, prints the
// book's line for it). Every lane of a thread runs on its one executor, one at a time, so
// none of this needs a lock, but for --breaker's circuits, which every thread shares
// (breaker.hpp): each attempt asks its target's, and each outcome is reported to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/breaker.hpp"
#include "client/dispenser.hpp"
#include "client/error.hpp"
#include "client/load.hpp"
#include "client/request_text.hpp"
#include "client/send_data.hpp"
#include "client/sent_frames.hpp"
#include "client/stats.hpp"
#include "client/targets.hpp"
#include "client/timeline.hpp"
#include "data_layer/data.hpp"
#include "runtime/task.hpp"

namespace client {

class ThreadLoad {
 public:
  // `thread` of `threads`: which stream lanes are this thread's (load.hpp), and so which
  // targets they connect to.
  // `breakers`: --breaker's, one per target, shared by every thread (null without it).
  ThreadLoad(const Options& options, const std::vector<runtime::SocketAddress>& targets,
             Dispenser& dispenser, const PrintLine& print_line, std::size_t thread,
             std::size_t threads, Breakers* breakers = nullptr);

  const Options& options;  // the run's flags, already resolve()d
  // One address per target (options.targets), resolved once, before the threads start.
  const std::vector<runtime::SocketAddress>& targets;
  Dispenser& dispenser;     // shared by every thread: where requests come from
  const Timeouts timeouts;  // --connect-timeout-ms and --timeout-ms
  const RetryPolicy retry;  // --retries, for any failed attempt
  Stats stats;              // this thread's counts, merged by run_load
  // The same counts split by target, when there are several (empty for one): this
  // thread's own, so the hot path shares nothing; run_load merges them too.
  std::vector<Stats> by_target;
  // With --svg: when this thread's requests finished, merged by run_load like the Stats.
  Timeline timeline;

  // Which target a oneshot request connects to (targets.hpp), and its address.
  std::size_t target_of(std::uint64_t index) const {
    return target_of_request(index, targets.size());
  }
  // For a stream lane as it starts: the target of this thread's next lane. Lane l runs on
  // thread l % threads, so this thread's k-th lane is lane thread + k * threads. Only how
  // many lanes ask matters, not their order, so the split over the targets is exact.
  std::size_t next_lane_target();

  // Whether a claimed request may go out now. Closed loop (no --rate): always, and the
  // clock need not be read, which a pipelined run would otherwise do for every request.
  bool due(const Dispenser::Claim& claim) const {
    return options.rate == 0 || claim.scheduled <= Clock::now();
  }
  // Where latency is measured from: the schedule in open loop, so that a stalled server
  // cannot hide its stall; `now`, the moment the request goes out, in closed loop.
  Clock::time_point start_of(const Dispenser::Claim& claim, Clock::time_point now) const {
    return options.rate > 0 ? claim.scheduled : now;
  }

  // The book's request: Data{i, i, "Hello, server! i"}, or field3 of --size bytes.
  data_layer::Data make_request(std::uint64_t index);
  // The same request appended to `sent` as its frame, with no Data and no string: a
  // pipelined run makes millions of them (docs/CLIENT.md).
  void add_request(std::uint64_t index, SentFrames& sent);

  // A request answered as it should be, latency from `start` to `now`, by `target`
  // (0 with one target). `reply` is only read with -v.
  void record_ok(Clock::time_point start, Clock::time_point now, std::string_view reply,
                 std::size_t target);
  void record_error(const ClientError& error, std::size_t target);

  // --breaker: how many of the next `wanted` attempts to `target` may go out now, oldest
  // first (all of them without it). A retry is an attempt too. Each one admitted ends in
  // record_ok, record_error or count_retry, which report the outcome to the circuit.
  std::size_t admit(std::size_t target, std::size_t wanted = 1);
  // A request the circuit refused: not sent, and not retried; it ends as circuit_open.
  void record_refused(std::size_t target);
  // After a refusal, in a closed-loop run that only --duration ends: waits until the
  // circuit may admit again (Breaker::ask_again_at) or the run's time is up, since the lane
  // would otherwise spin, refusing numbers as fast as it could claim them and never letting
  // its thread's other lanes run (a probe among them). Free otherwise: with a count the
  // rest of the run is refused at once, and with --rate the schedule paces the refusals.
  runtime::Task<void> after_refusal(std::size_t target);
  // Whether a request that has made `attempts` attempts, the last failing with `error`, gets
  // another. Every request of PROTOCOL.md is idempotent, so any failure of the exchange is
  // worth one (connect, timeout, read, write, protocol), but a mismatch is not: a wrong
  // answer is an answer, and retrying it would hide the server bug the run is there to find.
  bool may_retry(const ClientError& error, unsigned attempts) const;
  // Counts the retry `may_retry` granted, by the failure's kind; a request's first retry
  // also counts it as retried. The failed attempt counts toward the target's circuit.
  void count_retry(const ClientError& error, unsigned attempts, std::size_t target);
  // Hands the counts recorded since the last call to the progress line. Once per batch of
  // replies, not per request: the counters are shared by every thread, and a write to one
  // moves its cache line between cores.
  void publish_progress();

 private:
  // field3 of request `index`, valid until the next call: the --size payload, or the
  // book's text.
  std::string_view request_text(std::uint64_t index);
  void count(const ClientError& error, std::size_t target);
  void report_failure(std::size_t target);  // to --breaker's circuit, if there is one

  const PrintLine& print_line_;
  Breakers* const breakers_;
  const bool charting_;        // --svg: the timeline is kept
  const ClientError refused_;  // what record_refused counts, made once
  std::size_t next_lane_;      // the number, over every thread, of this thread's next lane
  const std::size_t threads_;  // lanes are numbered over this many threads
  struct Published {
    std::uint64_t requests = 0;
    std::uint64_t failed = 0;
  };
  Published published_;        // what publish_progress() has handed over so far
  const std::string payload_;  // every request's field3 with --size (all alike), made once
  RequestText book_text_;      // shared by the thread's lanes, which run one at a time
};

// Open loop: wait for the request's turn. Closed loop: its turn is now, and this is free.
runtime::Task<void> wait_for(Clock::time_point scheduled);

}  // namespace client

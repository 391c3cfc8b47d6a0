// ThreadLoad: what the lanes of one executor thread share (load.hpp). It makes each
// request's Data or frame, says when a claimed request may go out and where its latency
// counts from, and records each outcome in the thread's Stats (and, with -v, prints the
// book's line for it). Every lane of a thread runs on its one executor, one at a time, so
// none of this needs a lock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "client/dispenser.hpp"
#include "client/error.hpp"
#include "client/load.hpp"
#include "client/request_text.hpp"
#include "client/send_data.hpp"
#include "client/sent_frames.hpp"
#include "client/stats.hpp"
#include "data_layer/data.hpp"
#include "runtime/task.hpp"

namespace client {

class ThreadLoad {
 public:
  ThreadLoad(const Options& options, const runtime::SocketAddress& address, Dispenser& dispenser,
             const PrintLine& print_line);

  const Options& options;                 // the run's flags, already resolve()d
  const runtime::SocketAddress& address;  // resolved once, before the threads start
  Dispenser& dispenser;                   // shared by every thread: where requests come from
  const Timeouts timeouts;                // --connect-timeout-ms and --timeout-ms
  const RetryPolicy retry;                // --retries, for any failed attempt
  Stats stats;                            // this thread's counts, merged by run_load

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

  // A request answered as it should be, latency from `start` to `now`. `reply` is only read
  // with -v.
  void record_ok(Clock::time_point start, Clock::time_point now, std::string_view reply);
  void record_error(const ClientError& error);
  // Whether a request that has made `attempts` attempts, the last failing with `error`, gets
  // another. Every request of PROTOCOL.md is idempotent, so any failure of the exchange is
  // worth one (connect, timeout, read, write, protocol), but a mismatch is not: a wrong
  // answer is an answer, and retrying it would hide the server bug the run is there to find.
  bool may_retry(const ClientError& error, unsigned attempts) const;
  // Counts the retry `may_retry` granted, by the failure's kind; a request's first retry
  // also counts it as retried.
  void count_retry(const ClientError& error, unsigned attempts);
  // Hands the counts recorded since the last call to the progress line. Once per batch of
  // replies, not per request: the counters are shared by every thread, and a write to one
  // moves its cache line between cores.
  void publish_progress();

 private:
  // field3 of request `index`, valid until the next call: the --size payload, or the
  // book's text.
  std::string_view request_text(std::uint64_t index);

  const PrintLine& print_line_;
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

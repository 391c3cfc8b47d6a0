// Pipe: a stream lane's connection and the requests in flight on it (stream_lane.hpp). The
// lane claims requests into `batch`; send() writes them all in one write, opening the
// connection first if there is none; receive() waits for replies and settles every one
// that has arrived, oldest request first. An error other than a mismatch drops the
// connection; every request in flight on it is retried if --retries allows (it is owed: the
// next send() or receive() waits out a backoff, opens a new connection and sends it again,
// oldest first), and fails with that error otherwise. With --breaker, send() sends only
// what the target's circuit admits, and the rest is refused (circuit_open).
//
// Requests and replies stay bytes: each reply is compared with the bytes of the request it
// answers, and only one that differs is decoded, to tell a wrong echo (that request fails)
// from a malformed frame (the connection fails). docs/CLIENT.md, "Checking replies".
// departs from the book: docs/BOOK.md, "The client checks a stream reply by its bytes"
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "client/connection.hpp"
#include "client/dispenser.hpp"
#include "client/error.hpp"
#include "client/reply_buffer.hpp"
#include "client/sent_frames.hpp"
#include "client/thread_load.hpp"
#include "runtime/task.hpp"

namespace client {

class Pipe {
 public:
  explicit Pipe(ThreadLoad& load) : load_(load), target_(load.next_lane_target()) {}

  // Claimed, to go out in the next send().
  std::vector<Dispenser::Claim> batch;

  // Requests sent and not yet settled, the owed ones (to be sent again) included: they hold
  // their places in the window.
  std::size_t in_flight() const { return in_flight_.size() + owed_.size(); }
  // Sends the owed requests, then the batch, in one write (one system call for a window's
  // requests), opening the connection first if there is none (after a backoff, if requests
  // are owed). A failure fails the batch with the rest.
  runtime::Task<void> send();
  // Sends the owed requests, if any; otherwise settles every reply already buffered; if
  // there was none, waits for replies (until the oldest request's --timeout-ms, counted
  // from its write, runs out) and settles those. A batch of pipelined replies costs one
  // read and one clock reading.
  runtime::Task<void> receive();
  // At the end of the lane: a stream server finishes what it owes, then closes.
  void close_write();

 private:
  struct InFlight {
    Clock::time_point start;    // latency counts from here (the schedule, with --rate)
    Clock::time_point sent_at;  // --timeout-ms counts from here (its latest write)
    std::uint64_t index;        // the request's number, to write it again if it is owed
    unsigned attempts;          // writes of it so far, this one included (--retries)
  };

  bool admit();
  runtime::Task<void> ensure_connected();
  unsigned retry_round() const;
  std::size_t settle_buffered(Clock::time_point now);
  bool settle_oldest(Clock::time_point now);
  void fail_all(const ClientError& error);
  ClientError late_reply() const;  // the oldest request's --timeout-ms ran out
  ClientError closed_before_reply() const;

  ThreadLoad& load_;
  const std::size_t target_;  // the lane's server, for every connection it opens (targets.hpp)
  // Empty before the first send() and after a failure; the buffers below outlive it, so
  // that once the run is warm a pipelined request allocates nothing of its own (the
  // in-flight deque takes a block now and then as the window moves).
  std::optional<Connection> connection_;
  std::deque<InFlight> in_flight_;  // oldest first, as the replies come
  std::vector<InFlight> owed_;      // dropped with a connection, to be sent again, oldest first
  SentFrames sent_;                 // the bytes of the requests in flight, the same order
  ReplyBuffer replies_;             // what has been read and not yet settled
};

}  // namespace client

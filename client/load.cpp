#include "client/load.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <exception>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "client/connection.hpp"
#include "client/reply_buffer.hpp"
#include "client/request_text.hpp"
#include "client/send_data.hpp"
#include "client/sent_frames.hpp"
#include "runtime/executor.hpp"
#include "runtime/join_handle.hpp"
#include "runtime/sleep.hpp"

namespace client {

using data_layer::Data;
using runtime::Task;

void Stats::merge(const Stats& other) {
  requests += other.requests;
  ok += other.ok;
  retried += other.retried;
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    errors[i] += other.errors[i];
    if (first_error[i].empty()) first_error[i] = other.first_error[i];
  }
  latency.merge(other.latency);
}

Dispenser::Dispenser(const Options& options, Clock::time_point start)
    : limit_(options.duration_s > 0 && options.rate == 0 && !options.requests_given
                 ? UINT64_MAX
                 : options.requests),
      start_(start),
      rate_(options.rate) {
  if (options.duration_s > 0) {
    deadline_ = start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(options.duration_s));
  }
}

std::optional<Dispenser::Claim> Dispenser::claim() {
  const std::uint64_t index = next_.fetch_add(1, std::memory_order_relaxed);
  if (index >= limit_) return std::nullopt;
  // Closed loop: a request has no schedule, so the clock is read only when --duration
  // needs it; the worker stamps the request when it really goes out.
  Clock::time_point scheduled{};
  if (rate_ > 0) {
    scheduled = start_ + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(static_cast<double>(index) / rate_));
  } else if (deadline_) {
    scheduled = Clock::now();
  }
  if (deadline_ && scheduled >= *deadline_) return std::nullopt;
  return Claim{index, scheduled};
}

void Dispenser::claim_up_to(std::size_t most, std::vector<Claim>& into) {
  if (most == 0) return;
  // Stamped as claim() stamps a closed-loop request: only --duration needs the clock.
  const Clock::time_point now = deadline_ ? Clock::now() : Clock::time_point{};
  if (deadline_ && now >= *deadline_) return;
  const std::uint64_t first = next_.fetch_add(most, std::memory_order_relaxed);
  if (first >= limit_) return;
  const std::uint64_t end = limit_ - first < most ? limit_ : first + most;
  for (std::uint64_t index = first; index < end; ++index)
    into.push_back({index, now});
}

namespace {

// What one thread's workers share. All of them run on that thread's executor, one at a
// time, so none of this needs a lock.
struct ThreadLoad {
  const Options& options;
  const runtime::SocketAddress& address;
  Dispenser& dispenser;
  const ResultLine& result_line;
  Stats stats;
  // Whether a claimed request may go out now. Closed loop (no --rate): always, and the
  // clock need not be read, which a pipelined run would otherwise do for every request.
  bool due(const Dispenser::Claim& claim) const {
    return options.rate == 0 || claim.scheduled <= Clock::now();
  }
  // Where latency is measured from: the schedule in open loop, so that a stalled server
  // cannot hide its stall; the moment the request goes out in closed loop.
  Clock::time_point start_of(const Dispenser::Claim& claim, Clock::time_point now) const {
    return options.rate > 0 ? claim.scheduled : now;
  }

  // The book's request: Data{i, i, "Hello, server! i"}, or field3 of --size bytes.
  Data make_request(std::uint64_t index) {
    return Data{static_cast<std::uint32_t>(index), static_cast<std::uint16_t>(index),
                std::string(request_text(index))};
  }
  // The same request appended to `sent` as its frame, with no Data and no string: a
  // pipelined run makes millions of them (docs/CLIENT.md).
  void add_request(std::uint64_t index, SentFrames& sent) {
    sent.add(static_cast<std::uint32_t>(index), static_cast<std::uint16_t>(index),
             request_text(index));
  }

  // `reply` is only read with -v.
  void record_ok(std::uint64_t index, Clock::time_point start, Clock::time_point now,
                 std::string_view reply) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - start);
    ++stats.requests;
    ++stats.ok;
    stats.latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(elapsed.count(), 0)));
    if (options.verbose) result_line(std::to_string(index) + ": " + std::string(reply));
  }

  void record_error(std::uint64_t index, const ClientError& error) {
    const auto kind = static_cast<std::size_t>(error.kind());
    ++stats.requests;
    ++stats.errors[kind];
    if (stats.first_error[kind].empty()) stats.first_error[kind] = error.what();
    if (options.verbose) {
      result_line(std::to_string(index) + ": error (" + std::string(to_string(error.kind())) +
                  "): " + error.what());
    }
  }

  // Hands the counts recorded since the last call to the progress line. Once per batch of
  // replies, not per request: the counters are shared by every thread, and a write to one
  // moves its cache line between cores.
  void publish_progress() {
    dispenser.finished.fetch_add(stats.requests - published.requests, std::memory_order_relaxed);
    dispenser.failed.fetch_add(stats.failed() - published.failed, std::memory_order_relaxed);
    published = {stats.requests, stats.failed()};
  }
  struct Published {
    std::uint64_t requests = 0;
    std::uint64_t failed = 0;
  };
  Published published;

  // field3 of request `index`, valid until the next call: the --size payload, or the
  // book's text.
  std::string_view request_text(std::uint64_t index) {
    return options.size > 0 ? std::string_view(payload) : book_text.of(index);
  }
  // Every request's field3 with --size (all of them are alike), made once.
  std::string payload = std::string(options.size, 'x');
  RequestText book_text{};  // shared by the thread's workers, which run one at a time

  // --connect-timeout-ms, --timeout-ms and --retries, as send_data and Connection take them.
  const Timeouts timeouts{.connect = options.connect_timeout, .request = options.timeout};
  const RetryPolicy retry{.retries = options.retries};
};

// Open loop: wait for the request's turn. Closed loop: its turn is now, and this is free.
Task<void> wait_for(Clock::time_point scheduled) {
  if (scheduled > Clock::now()) co_await runtime::Sleep::until(scheduled);
}

// One oneshot request after another, each one the book's send_data.
Task<void> oneshot_worker(ThreadLoad& load) {
  while (auto claim = load.dispenser.claim()) {
    co_await wait_for(claim->scheduled);
    unsigned retries = 0;
    // Latency counts from before the connect (from the schedule, with --rate).
    const Clock::time_point start = load.start_of(*claim, Clock::now());
    try {
      const std::string reply = co_await send_data(load.address, load.make_request(claim->index),
                                                   load.timeouts, load.retry, retries);
      check_greeting(reply);
      load.record_ok(claim->index, start, Clock::now(), reply);
    } catch (const ClientError& error) {
      load.record_error(claim->index, error);
    }
    if (retries > 0) ++load.stats.retried;
    load.publish_progress();
  }
}

// A stream worker's connection, the requests on it still waiting for their replies, and
// the buffers it reuses from one batch to the next, so that once the run is warm a
// pipelined request allocates nothing of its own (the in-flight deque takes a block now
// and then as the window moves).
//
// Requests and replies stay bytes: each reply is compared with the bytes of the request it
// answers, and only one that differs is decoded, to tell a wrong echo (that request fails)
// from a malformed frame (the connection fails). docs/CLIENT.md, "Checking replies".
// departs from the book: docs/BOOK.md, "The client checks a stream reply by its bytes"
struct Pipe {
  struct InFlight {
    std::uint64_t index;
    Clock::time_point start;    // latency counts from here (the schedule, with --rate)
    Clock::time_point sent_at;  // --timeout-ms counts from here
  };

  std::optional<Connection> connection;
  std::deque<InFlight> in_flight;
  std::vector<Dispenser::Claim> batch;  // claimed, to go out in the next write
  SentFrames sent;                      // the bytes of the requests in flight
  ReplyBuffer replies;

  // The connection is unusable: every request on it fails with `error`, and the next one
  // opens a fresh connection.
  void fail_all(ThreadLoad& load, const ClientError& error) {
    for (const InFlight& request : in_flight)
      load.record_error(request.index, error);
    in_flight.clear();
    sent.clear();
    replies.clear();
    connection.reset();
  }

  // Settles the oldest request in flight if its reply has arrived; false if it has not yet.
  // An exact echo is recognised by its bytes alone (ReplyBuffer::take_echo). Throws
  // ClientError(kProtocol) for a malformed frame, which leaves the request in flight for
  // fail_all.
  bool settle_oldest(ThreadLoad& load, Clock::time_point now) {
    const data_layer::ByteView request = sent.oldest();
    std::optional<ClientError> mismatch;
    if (!replies.take_echo(request)) {
      const auto reply = replies.next_frame();
      if (!reply) return false;
      mismatch = why_not_echo(request, *reply);
    }
    const InFlight done = in_flight.front();
    in_flight.pop_front();
    sent.pop_oldest();
    if (mismatch) {
      load.record_error(done.index, *mismatch);
    } else {
      load.record_ok(done.index, done.start, now, text_of(request));  // the reply's text too
    }
    return true;
  }

 private:
  static std::string_view text_of(data_layer::ByteView frame) {
    const auto text = frame.subspan(data_layer::kHeaderSize);
    return {reinterpret_cast<const char*>(text.data()), text.size()};
  }
  // A reply that is not the request's bytes: the mismatch to count, or, if it is not even
  // a valid frame, the protocol error that ends the connection (thrown).
  static ClientError why_not_echo(data_layer::ByteView request, data_layer::ByteView reply) {
    auto decoded = data_layer::deserialize(reply);
    if (auto* error = std::get_if<data_layer::DecodeError>(&decoded)) {
      throw ClientError(ErrorKind::kProtocol, "bad reply frame: " + error->message);
    }
    try {
      check_echo(std::get<Data>(data_layer::deserialize(request)), std::get<Data>(decoded));
    } catch (const ClientError& mismatch) {
      return mismatch;
    }
    // Equal as Data but not as bytes cannot happen (one encoding per Data); say so if it does.
    return ClientError(ErrorKind::kMismatch, "reply differs from the request's bytes");
  }
};

// Opens the connection a pipe lacks (its first, or the one after a failure), counting retries.
Task<void> ensure_connected(ThreadLoad& load, Pipe& pipe) {
  unsigned retries = 0;
  std::optional<ClientError> error;
  try {
    pipe.connection =
        co_await Connection::open(load.address, load.timeouts.connect, load.retry, retries);
  } catch (const ClientError& caught) {
    error = caught;
  }
  if (retries > 0) ++load.stats.retried;
  if (error) throw *error;
}

// Sends the claimed batch in one write, opening the connection first if there is none.
Task<void> stream_send(ThreadLoad& load, Pipe& pipe) {
  pipe.sent.start_batch();
  for (const Dispenser::Claim& claim : pipe.batch) {
    load.add_request(claim.index, pipe.sent);
  }
  std::optional<ClientError> error;
  Clock::time_point sent_at{};
  try {
    if (!pipe.connection) co_await ensure_connected(load, pipe);
    sent_at = Clock::now();
    co_await pipe.connection->send_raw(pipe.sent.batch(), load.options.timeout);
  } catch (const ClientError& caught) {
    error = caught;
  }
  for (const Dispenser::Claim& claim : pipe.batch)
    pipe.in_flight.push_back({claim.index, load.start_of(claim, sent_at), sent_at});
  pipe.batch.clear();
  if (error) pipe.fail_all(load, *error);
}

// Settles every reply already in the buffer, oldest request first; returns how many. A
// malformed reply fails the connection.
std::size_t settle_buffered(ThreadLoad& load, Pipe& pipe, Clock::time_point now) {
  std::size_t settled = 0;
  try {
    while (!pipe.in_flight.empty() && pipe.settle_oldest(load, now))
      ++settled;
  } catch (const ClientError& error) {
    pipe.fail_all(load, error);
  }
  return settled;
}

// Waits for replies and settles every one that has arrived: a batch of pipelined replies
// costs one read and one clock reading. (Replies already buffered are settled first,
// without waiting.) The wait ends when the oldest request's --timeout-ms, counted from its
// write, runs out.
Task<void> stream_receive(ThreadLoad& load, Pipe& pipe) {
  const Clock::time_point now = Clock::now();
  if (pipe.replies.holds_bytes() && settle_buffered(load, pipe, now) > 0) co_return;
  if (!pipe.connection) co_return;
  const auto left = std::max(pipe.in_flight.front().sent_at + load.options.timeout - now,
                             Clock::duration::zero());
  std::optional<ClientError> error;
  std::size_t count = 0;
  try {
    count = co_await pipe.connection->read_some(pipe.replies.space(),
                                                std::chrono::ceil<std::chrono::milliseconds>(left));
  } catch (const ClientError& caught) {
    error = caught.kind() != ErrorKind::kTimeout
                ? caught
                : ClientError(ErrorKind::kTimeout,
                              "no reply within " + std::to_string(load.options.timeout.count()) +
                                  " ms of the request's write");
  }
  if (!error && count == 0) {
    error = pipe.replies.holds_bytes()
                ? ClientError(ErrorKind::kProtocol,
                              "bad reply frame: the server closed in the "
                              "middle of a frame (truncated)")
                : ClientError(ErrorKind::kRead, "server closed the connection before replying");
  }
  if (error) {
    pipe.fail_all(load, *error);
    co_return;
  }
  pipe.replies.commit(count);
  settle_buffered(load, pipe, Clock::now());
}

// Closed loop (no --rate): keeps up to --pipeline requests in flight. Whatever the window
// has room for is claimed in one atomic add and goes out in one write, so a window costs
// one system call, not one per request; nothing is claimed ahead of being sent, so no
// number waits in a busy worker while an idle one could send it.
Task<void> closed_loop_worker(ThreadLoad& load) {
  Pipe pipe;
  for (bool more = true; more || !pipe.in_flight.empty();) {
    if (more && pipe.in_flight.size() < load.options.pipeline) {
      load.dispenser.claim_up_to(load.options.pipeline - pipe.in_flight.size(), pipe.batch);
      more = !pipe.batch.empty();
      if (more) co_await stream_send(load, pipe);
    } else {
      co_await stream_receive(load, pipe);
    }
    load.publish_progress();
  }
  if (pipe.connection) pipe.connection->close_write();
}

// Open loop (--rate): a request is sent only when due; until then the worker reads the
// replies it is owed, so their latency is not inflated by the wait. The next request is
// claimed ahead, to know when it is due.
Task<void> open_loop_worker(ThreadLoad& load) {
  Pipe pipe;
  auto next = load.dispenser.claim();
  while (next || !pipe.in_flight.empty()) {
    const bool window_open = next && pipe.in_flight.size() < load.options.pipeline;
    const bool due = next && (pipe.in_flight.empty() || load.due(*next));
    if (window_open && due) {
      co_await wait_for(next->scheduled);
      // Every request the window allows and that is due goes out in the same write.
      pipe.batch.push_back(*next);
      next = load.dispenser.claim();
      while (next && pipe.in_flight.size() + pipe.batch.size() < load.options.pipeline &&
             load.due(*next)) {
        pipe.batch.push_back(*next);
        next = load.dispenser.claim();
      }
      co_await stream_send(load, pipe);
    } else {
      co_await stream_receive(load, pipe);
    }
    load.publish_progress();
  }
  if (pipe.connection) pipe.connection->close_write();
}

Task<void> stream_worker(ThreadLoad& load) {
  return load.options.rate > 0 ? open_loop_worker(load) : closed_loop_worker(load);
}

Task<void> drive(ThreadLoad& load, std::size_t workers) {
  std::vector<runtime::JoinHandle<void>> handles;
  handles.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) {
    handles.push_back(runtime::spawn(load.options.mode == Mode::kStream ? stream_worker(load)
                                                                        : oneshot_worker(load)));
  }
  // Awaited one after another: each handle wakes us only when its own task is done, so this
  // costs O(workers) in all, not O(workers) per wake-up as when_all would.
  for (auto& handle : handles)
    co_await handle;
}

Stats run_thread(const Options& options, const runtime::SocketAddress& address,
                 Dispenser& dispenser, const ResultLine& result_line, std::size_t workers) {
  ThreadLoad load{options, address, dispenser, result_line, {}, {}};
  {
    runtime::Executor executor;
    executor.block_on(drive(load, workers));
  }
  return std::move(load.stats);
}

}  // namespace

Stats run_load(const Options& options, const runtime::SocketAddress& address, Dispenser& dispenser,
               const ResultLine& result_line) {
  const std::size_t threads = std::max<std::size_t>(options.threads, 1);
  std::vector<Stats> per_thread(threads);
  // A thread cannot throw to its creator: what escapes a thread is carried over and rethrown
  // here once every thread is joined.
  std::vector<std::exception_ptr> escaped(threads);
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) {
    // Worker w runs on thread w % threads: shares differ by one at most.
    const std::size_t workers = options.concurrency / threads + (t < options.concurrency % threads);
    pool.emplace_back([&, t, workers] {
      try {
        per_thread[t] = run_thread(options, address, dispenser, result_line, workers);
      } catch (...) {
        escaped[t] = std::current_exception();
      }
    });
  }
  Stats total;
  for (std::size_t t = 0; t < threads; ++t) {
    pool[t].join();
    total.merge(per_thread[t]);
  }
  for (const auto& error : escaped)
    if (error) std::rethrow_exception(error);
  return total;
}

}  // namespace client

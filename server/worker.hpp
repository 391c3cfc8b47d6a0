// Worker: one thread with its own executor and reactor, serving the connections the
// dispatcher hands it (the book's worker threads, each named "One", "Two", "Three").
//
// Its main task loops on `co_await inbox.recv()`: each Connection that arrives becomes one
// handler task on this thread (handler.hpp). While neither the inbox nor any connection has
// anything to do, the executor parks the thread in its reactor and it uses no CPU; the
// dispatcher's send wakes the main task, and that wake unparks the thread. No flag to check
// and no wake-up to lose here: the channel and the executor's park protocol own that.
//
// Shutdown, from the dispatcher's side: stop_taking() closes the inbox; the main task serves
// what is still queued, then waits until its handlers finish, the grace period ends, or
// cut_short() is called (shutdown.hpp); the thread then destroys its executor, which
// cancels whatever is still running, and reports itself finished.
//
// Failure: if the runtime under the main task fails (the reactor's wait fails, memory runs
// out), the worker closes its inbox and drops what was queued; the dispatcher passes it
// over from then on, and the server exits 1 at the end (Summary::failed_threads).
#pragma once

#include <cstddef>
#include <exception>
#include <future>
#include <string>
#include <thread>

#include "runtime/channel.hpp"
#include "runtime/event.hpp"
#include "runtime/task.hpp"
#include "server/config.hpp"
#include "server/connection.hpp"
#include "server/handler.hpp"
#include "server/shutdown.hpp"
#include "server/stats.hpp"

namespace server {

class Worker {
 public:
  Worker(std::size_t index, const Config& config);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();  // joins the thread if it still runs

  // Returns once the thread's runtime is up; throws (the thread ended) if it cannot be.
  void start();
  void join();

  // The dispatcher's way in: ready with true once queued (it waits while the inbox is full,
  // which slows accepting to this worker's pace), false once the worker stopped taking.
  runtime::Channel<Connection>::Send hand_over(Connection connection) {
    return inbox_.send(std::move(connection));
  }
  // Graceful: serve what was handed over, then finish (bounded by the grace period).
  void stop_taking() { inbox_.close(); }
  // False once it stopped taking: shutdown, or its runtime failed.
  bool taking() const { return !inbox_.is_closed(); }
  // The second signal: end the grace period now, cancelling the connections still open.
  void cut_short() { shutdown_.cut_short(); }
  // Ready once the thread has finished serving (every connection done or cancelled).
  runtime::Event::Wait finished() { return finished_.wait(); }

  // Read only after join(): until then the worker's thread writes them without a lock.
  const Stats& stats() const { return stats_; }
  bool failed() const { return failed_; }  // its runtime failed (it served no more)
  const std::string& name() const { return name_; }

 private:
  void run_thread(std::promise<void>& started);
  void stop_after_failure(const std::exception& error);
  runtime::Task<void> serve();
  void log_received(const Connection& connection) const;
  void log_sleeping() const;

  std::string name_;
  const Config& config_;
  // Connections from the dispatcher. Bounded, so a worker that falls behind slows the
  // dispatcher instead of queueing without limit.
  runtime::Channel<Connection> inbox_;
  Shutdown shutdown_;
  runtime::Event finished_;  // set by the thread as its last act
  Stats stats_;
  bool failed_ = false;
  HandlerContext context_{config_, stats_, shutdown_};
  std::thread thread_;
};

}  // namespace server

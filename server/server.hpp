// Server: the whole server as one object, used by main() and, in-process, by the tests.
//
// Layout (one sentence each):
//   config.hpp      the command line and its defaults
//   dispatcher.hpp  accepts, takes a --max-connections permit, hands out round-robin
//   worker.hpp      a thread with its own executor, one handler task per connection
//   started_thread.hpp  how start() learns that a thread's runtime is up, or why not
//   handler.hpp     one connection's exchange, oneshot or stream, and its failures
//   shutdown_signal.hpp  the self-pipe (a socket pair) that carries SIGINT/SIGTERM into the
//                   dispatcher's loop
//   shutdown.hpp    a worker's side of a graceful stop: stopping, in flight, grace, cut short
//   stats.hpp       what is counted, and the summary printed at the end
//   log.hpp         leveled, one line per event on stderr
//
// Lifecycle: start() binds (throwing if it cannot) and starts the threads, returning the real
// port; request_shutdown() is what a signal does (a second call cuts the grace period short);
// wait() joins every thread and returns the Summary.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "runtime/semaphore.hpp"
#include "runtime/tcp_listener.hpp"
#include "server/config.hpp"
#include "server/dispatcher.hpp"
#include "server/shutdown_signal.hpp"
#include "server/stats.hpp"
#include "server/worker.hpp"

namespace server {

// A thread of the server could not start; what() says what to do about it.
class StartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Server {
 public:
  explicit Server(Config config);
  // A server still running is shut down at once (no grace) and joined.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the dispatcher and worker threads; returns the port listened on.
  // Throws std::system_error / std::invalid_argument when the address cannot be used, and
  // StartError when a thread cannot start (the threads already started are stopped first).
  std::uint16_t start();
  // Thread-safe and async-signal-safe (one write to the shutdown signal's socket pair).
  void request_shutdown() { shutdown_.notify(); }
  // Blocks until every thread has ended; then the counts are final.
  Summary wait();

  // SIGINT/SIGTERM call request_shutdown() from now on.
  void install_signal_handlers() { ShutdownSignal::install_handlers(shutdown_); }

  const Config& config() const { return config_; }
  // Connections accepted so far (any thread, any time): lets a test know its connections
  // are in before it asks for shutdown.
  std::uint64_t accepted() const { return dispatcher_ ? dispatcher_->accepted() : 0; }

 private:
  void start_threads(runtime::TcpListener listener);

  Config config_;
  ShutdownSignal shutdown_;
  // Declared before the workers, so it outlives every permit they might still hold.
  runtime::Semaphore permits_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Dispatcher> dispatcher_;  // set once its thread has started
  std::optional<Summary> summary_;
};

}  // namespace server

// Dispatcher: the server's front door, on its own thread with its own small executor.
//
// One loop, as plain as Asio's io_context pool:
//   1. take a permit (at --max-connections, wait here until a handler releases one:
//      backpressure, while new connections queue in the kernel's listen backlog);
//   2. accept (on EMFILE/ENFILE, log once and back off with a Sleep, never spin);
//   3. hand the socket and its permit to the next worker in round-robin order, through that
//      worker's inbox; the send wakes the worker. (A worker whose runtime failed is passed
//      over; with none left, the server shuts down.)
// Next to it waits the shutdown signal. The first notification stops the loop, closes the
// listening socket and tells every worker to finish; a second one cuts their grace short.
//
// Error kinds counted here: accept_fd_limit (EMFILE/ENFILE), accept (anything else).
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "runtime/semaphore.hpp"
#include "runtime/task.hpp"
#include "runtime/tcp_listener.hpp"
#include "server/shutdown_signal.hpp"
#include "server/stats.hpp"
#include "server/worker.hpp"

namespace server {

class Dispatcher {
 public:
  Dispatcher(runtime::TcpListener listener, std::vector<std::unique_ptr<Worker>>& workers,
             runtime::Semaphore& permits, ShutdownSignal& shutdown);

  ~Dispatcher() { join(); }
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the thread: accept until shutdown, then see the workers finish. Returns once
  // its runtime is up; throws (the thread ended) if it cannot be.
  void start();
  void join();

  std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  // Read only after join().
  const Stats& stats() const { return stats_; }
  bool failed() const { return failed_; }  // its runtime failed: the server shut down early

 private:
  void run_thread(std::promise<void>& started);
  runtime::Task<void> run();
  runtime::Task<void> accept_loop();
  Worker* next_worker();
  runtime::Task<void> all_workers_finished();
  void stop_accepting();
  void note_accept_error(const std::system_error& error);

  // Reset (closed) at shutdown, on this thread.
  std::optional<runtime::TcpListener> listener_;
  std::vector<std::unique_ptr<Worker>>& workers_;
  // One permit per open connection; it travels with the connection to its handler.
  runtime::Semaphore& permits_;
  ShutdownSignal& shutdown_;
  std::size_t next_worker_ = 0;  // round-robin cursor
  // Set while accept fails for lack of fds, so that the episode is logged once.
  bool out_of_fds_ = false;
  // How many connections got in (tests wait on it); the count also numbers them (#id).
  std::atomic<std::uint64_t> accepted_{0};
  Stats stats_;
  bool failed_ = false;
  std::thread thread_;
};

}  // namespace server

#include "server/dispatcher.hpp"

#include <cerrno>
#include <chrono>
#include <future>
#include <system_error>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/when_any.hpp"
#include "server/connection.hpp"
#include "server/log.hpp"
#include "server/started_thread.hpp"

namespace server {
namespace {

// Long enough that a full fd table costs no CPU, short enough to resume soon after fds free.
constexpr std::chrono::milliseconds kAcceptBackoff{50};

bool is_fd_limit(const std::system_error& error) {
  return error.code().value() == EMFILE || error.code().value() == ENFILE;
}

}  // namespace

Dispatcher::Dispatcher(runtime::TcpListener listener, std::vector<std::unique_ptr<Worker>>& workers,
                       runtime::Semaphore& permits, ShutdownSignal& shutdown)
    : listener_(std::move(listener)), workers_(workers), permits_(permits), shutdown_(shutdown) {}

void Dispatcher::start() {
  thread_ = start_thread([this](std::promise<void>& started) { run_thread(started); });
}

void Dispatcher::join() {
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::run_thread(std::promise<void>& started) {
  set_thread_name("dispatcher");
  {
    std::optional<runtime::Executor> executor;
    try {
      executor.emplace();
    } catch (...) {
      started.set_exception(std::current_exception());
      return;
    }
    started.set_value();
    try {
      executor->block_on(run());
    } catch (const std::exception& e) {
      failed_ = true;
      log_error(std::string("dispatcher stopped: ") + e.what() + "; the server shuts down");
      for (auto& worker : workers_)
        worker->stop_taking();
    }
  }
  // After the executor, whose destructor cancels an accept loop still waiting on the
  // listener; the reactor detached the listener as it went (reactor.hpp).
  // (tests/test_failure_paths.cpp, "a dispatcher whose runtime fails ...")
  listener_.reset();
}

runtime::Task<void> Dispatcher::run() {
  // The signal first: if it and a connection are ready together, shutdown wins.
  co_await runtime::when_any(shutdown_.notified(), accept_loop());
  stop_accepting();
  auto ended = co_await runtime::when_any(all_workers_finished(), shutdown_.notified());
  if (ended.index() == 1) {
    log_warn("second shutdown request: cutting off the connections still open");
    for (auto& worker : workers_)
      worker->cut_short();
  }
}

runtime::Task<void> Dispatcher::accept_loop() {
  for (;;) {
    runtime::Semaphore::Permit permit = co_await permits_.acquire();
    std::optional<runtime::TcpStream> stream;
    try {
      stream.emplace(co_await listener_->accept());
    } catch (const std::system_error& error) {
      note_accept_error(error);
    }
    if (!stream) {
      co_await runtime::Sleep(kAcceptBackoff);
      continue;  // the permit goes back with this iteration
    }
    if (out_of_fds_) {
      out_of_fds_ = false;
      log_info("accepting again");
    }
    const std::uint64_t id = accepted_.fetch_add(1, std::memory_order_relaxed) + 1;
    Connection connection{id, std::move(stream->socket()), std::move(permit)};
    Worker* worker = next_worker();
    if (worker == nullptr) {
      log_error("no worker is left to serve connections: the server shuts down");
      co_return;
    }
    const bool taken = co_await worker->hand_over(std::move(connection));
    if (!taken) log_warn("#" + std::to_string(id) + " dropped: " + worker->name() + " stopped");
  }
}

// Round-robin over the workers still taking connections: one whose runtime failed has
// closed its inbox and is passed over. Null when none is left.
Worker* Dispatcher::next_worker() {
  for (std::size_t tried = 0; tried < workers_.size(); ++tried) {
    Worker& worker = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    if (worker.taking()) return &worker;
  }
  return nullptr;
}

void Dispatcher::note_accept_error(const std::system_error& error) {
  if (is_fd_limit(error)) {
    stats_.count_error("accept_fd_limit");
    if (!out_of_fds_) log_warn(std::string(error.what()) + ": backing off until fds free up");
    out_of_fds_ = true;
  } else {
    stats_.count_error("accept");
    log_warn(std::string(error.what()) + ": backing off");
  }
}

void Dispatcher::stop_accepting() {
  // New connections are refused from here on; those already handed over are finished.
  listener_.reset();
  log_info("shutting down: " + std::to_string(accepted()) + " connections accepted");
  for (auto& worker : workers_)
    worker->stop_taking();
}

runtime::Task<void> Dispatcher::all_workers_finished() {
  for (auto& worker : workers_)
    co_await worker->finished();
}

}  // namespace server

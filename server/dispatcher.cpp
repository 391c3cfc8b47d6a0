#include "server/dispatcher.hpp"

#include <cerrno>
#include <chrono>
#include <system_error>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/when_any.hpp"
#include "server/connection.hpp"
#include "server/log.hpp"

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

void Dispatcher::run_thread() {
  set_thread_name("dispatcher");
  runtime::Executor executor;
  try {
    executor.block_on(run());
  } catch (const std::exception& e) {
    log_error(std::string("dispatcher stopped: ") + e.what());
    for (auto& worker : workers_)
      worker->stop_taking();
  }
  listener_.reset();  // before the executor whose reactor it may be registered with
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
    Worker& worker = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    co_await worker.hand_over(std::move(connection));
  }
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

#include "server/worker.hpp"

#include <exception>
#include <future>
#include <optional>

#include "runtime/executor.hpp"
#include "runtime/socket_address.hpp"
#include "server/log.hpp"
#include "server/started_thread.hpp"

namespace server {
namespace {

// Room for a burst of accepted connections per worker before the dispatcher has to wait.
constexpr std::size_t kInboxCapacity = 1024;

}  // namespace

Worker::Worker(std::size_t index, const Config& config)
    : name_(worker_name(index)), config_(config), inbox_(kInboxCapacity), shutdown_(config.grace) {}

Worker::~Worker() {
  join();
}

void Worker::start() {
  thread_ = start_thread([this](std::promise<void>& started) { run_thread(started); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run_thread(std::promise<void>& started) {
  set_thread_name(name_);
  {
    // The executor lives and dies on this thread: its destructor cancels the handlers still
    // running (grace period over, cut short, or the runtime failed), closing their sockets
    // in this reactor.
    std::optional<runtime::Executor> executor;
    try {
      executor.emplace(config_.busy_poll ? runtime::Executor::Policy::kBusyPoll
                                         : runtime::Executor::Policy::kWakeDriven,
                       config_.spins);
    } catch (...) {
      started.set_exception(std::current_exception());
      return;
    }
    started.set_value();
    if (log_enabled(LogLevel::kDebug)) executor->on_park([this] { log_sleeping(); });
    try {
      executor->block_on(serve());
    } catch (const std::exception& e) {
      stop_after_failure(e);
    }
    if (const std::size_t cut = shutdown_.in_flight(); cut > 0) {
      stats_.count_error("cut_by_shutdown", cut);
      log_warn(std::to_string(cut) + " connections cut off by shutdown");
    }
  }
  finished_.set();
}

// The runtime failed under serve(), which will never run again. The inbox is closed, so
// that the dispatcher passes this worker over (a connection queued for nobody would wait
// for ever, and a full inbox would stop the dispatcher), and what was queued is dropped:
// those clients see their connection close. The other workers go on.
// (tests/test_failure_paths.cpp, "a worker whose runtime fails ...")
void Worker::stop_after_failure(const std::exception& error) {
  failed_ = true;
  inbox_.close();
  std::size_t dropped = 0;
  while (inbox_.try_recv())
    ++dropped;
  stats_.count_error("worker_failed");
  log_error(name_ + " stopped: " + error.what() + "; " + std::to_string(dropped) +
            " queued connections dropped, the other workers go on");
}

runtime::Task<void> Worker::serve() {
  for (;;) {
    auto connection = co_await inbox_.recv();
    if (!connection) break;  // the inbox is closed and drained: shutdown
    log_received(*connection);
    // Detached: the handler ends by itself, and its Shutdown::Guard is how we know when.
    spawn_handler(std::move(*connection), shutdown_.enter(), context_);
  }
  shutdown_.begin();
  if (shutdown_.in_flight() > 0) {
    log_info("finishing " + std::to_string(shutdown_.in_flight()) + " connections in flight");
  }
  co_await shutdown_.drained();
}

void Worker::log_received(const Connection& connection) const {
  if (!log_enabled(LogLevel::kDebug)) return;
  log_debug(name_ + " Received connection: " + describe(connection));
}

// The book's worker prints this just before it parks with no task to poll. Ours parks also
// while handlers wait for sockets or timers, so it says it only when none is in flight.
void Worker::log_sleeping() const {
  if (shutdown_.in_flight() == 0) log_debug(name_ + " is sleeping");
}

}  // namespace server

#include "server/worker.hpp"

#include <exception>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/when_any.hpp"
#include "server/log.hpp"

namespace server {
namespace {

// Room for a burst of accepted connections per worker before the dispatcher has to wait.
constexpr std::size_t kInboxCapacity = 1024;

}  // namespace

Worker::Worker(std::size_t index, const Config& config)
    : name_(worker_name(index)), config_(config), inbox_(kInboxCapacity) {}

Worker::~Worker() {
  join();
}

void Worker::start() {
  thread_ = std::thread([this] { run_thread(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run_thread() {
  set_thread_name(name_);
  {
    // The executor lives and dies on this thread: its destructor cancels the handlers still
    // running (grace period over, or cut short), closing their sockets in this reactor.
    runtime::Executor executor(config_.busy_poll ? runtime::Executor::Policy::kBusyPoll
                                                 : runtime::Executor::Policy::kWakeDriven,
                               config_.spins);
    try {
      executor.block_on(serve());
    } catch (const std::exception& e) {
      log_error(std::string("worker stopped: ") + e.what());
    }
    if (const std::size_t cut = in_flight_.count(); cut > 0) {
      stats_.count_error("cut_by_shutdown", cut);
      log_warn(std::to_string(cut) + " connections cut off by shutdown");
    }
  }
  done_.close();
}

runtime::Task<void> Worker::serve() {
  for (;;) {
    if (log_enabled(LogLevel::kDebug) && inbox_.size() == 0) log_debug(name_ + " is sleeping");
    auto connection = co_await inbox_.recv();
    if (!connection) break;  // the inbox is closed and drained: shutdown
    log_received(*connection);
    // Detached: the handler ends by itself, and in_flight_ is how we know when.
    runtime::spawn(handle_connection(std::move(*connection), in_flight_.enter(), context_));
  }
  stopped_.close();
  if (in_flight_.count() > 0) {
    log_info("finishing " + std::to_string(in_flight_.count()) + " connections in flight");
  }
  // cut_ first: when the second signal and the last handler arrive together, it wins.
  co_await runtime::when_any(cut_.recv(), in_flight_.all_done(), runtime::Sleep(config_.grace));
}

void Worker::log_received(const Connection& connection) const {
  if (!log_enabled(LogLevel::kDebug)) return;
  log_debug(name_ + " Received connection: " + describe(connection));
}

}  // namespace server

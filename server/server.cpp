#include "server/server.hpp"

#include "runtime/socket_address.hpp"
#include "runtime/tcp_listener.hpp"
#include "server/log.hpp"

namespace server {

Server::Server(Config config) : config_(std::move(config)), permits_(config_.max_connections) {}

Server::~Server() {
  if (dispatcher_ && !summary_) {
    request_shutdown();
    request_shutdown();
    wait();
  }
}

std::uint16_t Server::start() {
  const auto address = runtime::SocketAddress::resolve(config_.host, config_.port);
  const auto sharing = config_.reuseport ? runtime::TcpListener::Sharing::kShared
                                         : runtime::TcpListener::Sharing::kExclusive;
  auto listener =
      runtime::TcpListener::bind(address, runtime::TcpListener::kDefaultBacklog, sharing);
  const std::uint16_t port = listener.local_address().port();
  try {
    start_threads(std::move(listener));
  } catch (const std::exception& e) {
    // The workers already running wait for connections that will never come: tell them to
    // finish, or joining them (here, or in ~Worker) would wait for ever.
    for (auto& worker : workers_)
      worker->stop_taking();
    for (auto& worker : workers_)
      worker->join();
    throw StartError("cannot start the server's threads (" + std::string(e.what()) +
                     "): try fewer --workers, or raise the limits on threads, memory and "
                     "open files (ulimit -u, ulimit -v, ulimit -n)");
  }
  log_info("serving " + std::string(to_string(config_.mode)) + " on port " + std::to_string(port) +
           " with " + std::to_string(config_.workers) + " workers");
  return port;
}

void Server::start_threads(runtime::TcpListener listener) {
  for (unsigned i = 0; i < config_.workers; ++i)
    workers_.push_back(std::make_unique<Worker>(i, config_));
  for (auto& worker : workers_)
    worker->start();
  auto dispatcher =
      std::make_unique<Dispatcher>(std::move(listener), workers_, permits_, shutdown_);
  dispatcher->start();
  dispatcher_ = std::move(dispatcher);  // only a started dispatcher: ~Server and wait() join it
}

Summary Server::wait() {
  if (summary_) return *summary_;
  if (dispatcher_) dispatcher_->join();
  Summary summary;
  for (auto& worker : workers_) {
    worker->join();
    summary.connections_per_worker.push_back(worker->stats().connections);
    for (const auto& [kind, count] : worker->stats().errors)
      summary.errors[kind] += count;
    if (worker->failed()) summary.failed_threads.push_back(worker->name());
  }
  if (dispatcher_) {
    for (const auto& [kind, count] : dispatcher_->stats().errors)
      summary.errors[kind] += count;
    if (dispatcher_->failed()) summary.failed_threads.push_back("dispatcher");
  }
  summary_ = summary;
  return summary;
}

}  // namespace server

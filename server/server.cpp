#include "server/server.hpp"

#include "runtime/socket_address.hpp"
#include "runtime/tcp_listener.hpp"
#include "server/log.hpp"

namespace server {

Server::Server(Config config) : config_(std::move(config)), permits_(config_.max_connections) {}

Server::~Server() {
  if (dispatcher_thread_.joinable()) {
    request_shutdown();
    request_shutdown();
    wait();
  }
}

std::uint16_t Server::start() {
  const auto address = runtime::SocketAddress::resolve(config_.host, config_.port);
  auto listener = runtime::TcpListener::bind(address);
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
                     "): try fewer --workers, or raise the limits on threads and memory "
                     "(ulimit -u, ulimit -v)");
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
  dispatcher_ = std::make_unique<Dispatcher>(std::move(listener), workers_, permits_, shutdown_);
  dispatcher_thread_ = std::thread([this] { dispatcher_->run_thread(); });
}

Summary Server::wait() {
  if (summary_) return *summary_;
  if (dispatcher_thread_.joinable()) dispatcher_thread_.join();
  Summary summary;
  for (auto& worker : workers_) {
    worker->join();
    summary.connections_per_worker.push_back(worker->stats().connections);
    for (const auto& [kind, count] : worker->stats().errors)
      summary.errors[kind] += count;
  }
  if (dispatcher_) {
    for (const auto& [kind, count] : dispatcher_->stats().errors)
      summary.errors[kind] += count;
  }
  summary_ = summary;
  return summary;
}

}  // namespace server

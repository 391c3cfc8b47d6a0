// bin/server: parse the command line, start the Server, print where it listens, and wait
// for SIGINT/SIGTERM. See server/server.hpp for the parts and docs/ARCHITECTURE.md for the
// path of a request.
#include <cstddef>
#include <cstdio>
#include <exception>
#include <iostream>

#include "runtime/fd_limit.hpp"
#include "server/config.hpp"
#include "server/log.hpp"
#include "server/server.hpp"

namespace {
constexpr std::size_t kSpareFds = 64;
}  // namespace

int main(int argc, char** argv) {
  std::optional<server::Config> config;
  try {
    config = server::parse_command_line(argc, argv);
  } catch (const server::UsageError& e) {
    std::fprintf(stderr, "server: %s\nTry 'server --help' for more information.\n", e.what());
    return 2;
  }
  if (!config) {
    std::fputs(server::usage().c_str(), stdout);
    return 0;
  }
  server::set_log_level(config->log_level);
  runtime::raise_fd_limit();  // one descriptor per connection: the default soft limit is small
  // Before the server's threads exist (runtime/fd_limit.hpp says why); a few more for the
  // listener, the workers' reactors and the shutdown signal's socket pair.
  runtime::reserve_fd_table(config->max_connections + kSpareFds);

  server::Server server(*config);
  std::uint16_t port = 0;
  try {
    server.install_signal_handlers();
    port = server.start();
  } catch (const server::StartError& e) {
    server::log_error(e.what());
    return 1;
  } catch (const std::exception& e) {
    server::log_error(std::string("cannot listen on ") + config->host + ": " + e.what());
    return 1;
  }
  std::printf("listening on %s:%u\n", config->host.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);

  const server::Summary summary = server.wait();
  server::log_info("summary: " + summary.to_string());
  return summary.failed_threads.empty() ? 0 : 1;
}

// bin/server: parse the command line, start the Server, print where it listens, and wait
// for SIGINT/SIGTERM. See server/server.hpp for the parts and docs/SERVER.md for the path
// of a request.
#include <sys/resource.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include "server/config.hpp"
#include "server/log.hpp"
#include "server/server.hpp"

namespace {

// 10,000 connections need more fds than the usual soft limit of 1024; the hard limit is
// ours to take. Best effort: if it fails, EMFILE backoff still keeps the server sane.
void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

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
  raise_fd_limit();

  server::Server server(*config);
  server.install_signal_handlers();
  std::uint16_t port = 0;
  try {
    port = server.start();
  } catch (const std::exception& e) {
    server::log_error(std::string("cannot listen on ") + config->host + ": " + e.what());
    return 1;
  }
  std::printf("listening on %s:%u\n", config->host.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);

  const server::Summary summary = server.wait();
  server::log_info("summary: " + summary.to_string());
  return 0;
}

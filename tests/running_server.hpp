// RunningServer: bin/server's Server in this process, on a port the kernel picks, answering
// at once (no work delay, one worker), for the tests that run the client against a real
// server (test_targets.cpp, test_merge.cpp). The destructor stops it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "data_layer/exchange_mode.hpp"
#include "server/config.hpp"
#include "server/log.hpp"
#include "server/server.hpp"
#include "tests/watchdog.hpp"

namespace test {

struct RunningServer {
  explicit RunningServer(data_layer::Mode mode) : server(config_for(mode)), port(server.start()) {}
  static server::Config config_for(data_layer::Mode mode) {
    server::set_log_level(server::LogLevel::kError);
    server::Config config;
    config.port = 0;
    config.mode = mode;
    config.delay = std::chrono::milliseconds(0);
    config.workers = 1;
    config.idle_timeout = kBeyondWatchdog;
    return config;
  }
  // "127.0.0.1:PORT", as --target takes it.
  std::string target() const { return "127.0.0.1:" + std::to_string(port); }

  server::Server server;
  std::uint16_t port;
};

}  // namespace test

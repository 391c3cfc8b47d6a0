// Config: everything the command line can set, with the book's defaults.
//
// main() builds one with parse_command_line(); tests build one directly (usually with
// port 0 and small delays). The Server copies it, and every handler reads it through its
// worker, so it never changes once the server has started.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "cli/flags.hpp"
#include "data_layer/data.hpp"
#include "data_layer/exchange_mode.hpp"
#include "runtime/executor.hpp"
#include "server/log.hpp"

namespace server {

using cli::UsageError;   // what parse_command_line throws for a bad command line
using data_layer::Mode;  // the two exchange modes of docs/PROTOCOL.md

// Which future serves a oneshot connection: handle_client, the book's coroutine, or the
// same steps fused by hand into one future (fused_oneshot.hpp), which holds less memory per
// waiting connection.
enum class OneshotHandler { kCoroutine, kFused };

// "Never": a year, far beyond any run, and still far from overflowing a deadline.
constexpr std::chrono::milliseconds kNoIdleTimeout = std::chrono::hours(24 * 365);

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7878;  // 0: the kernel picks a free port; Server::start() says which
  unsigned workers = 3;       // the book's three worker threads
  Mode mode = Mode::kOneshot;
  OneshotHandler oneshot_handler = OneshotHandler::kCoroutine;
  // The simulated work per request. Unset means the mode's default: 1 s in oneshot, as
  // in the book, and none in stream, where the interesting cost is the I/O.
  std::optional<std::chrono::milliseconds> delay;
  std::size_t max_frame = data_layer::kDefaultMaxLen;  // largest field3 a peer may send
  // Connections open at once. At the limit the dispatcher stops accepting until one
  // closes (backpressure), so a flood queues in the kernel instead of exhausting fds.
  std::size_t max_connections = 65536;
  // A peer that sends nothing (or takes none of our reply) for this long is dropped.
  // --idle-timeout-ms 0 sets kNoIdleTimeout: a peer may then hold its connection for ever.
  std::chrono::milliseconds idle_timeout{30000};
  // How long a shutdown waits for requests in flight before cutting them off.
  std::chrono::milliseconds grace{10000};
  LogLevel log_level = LogLevel::kInfo;
  // A teaching and benchmark switch: the workers use the book's policy (re-poll every
  // pending handler at once; park only with none), so a run can show what the waker saves.
  // Burns CPU while connections are open.
  bool busy_poll = false;
  // SO_REUSEPORT: several server processes listen on one port and the kernel spreads the
  // connections among them (docs/SCALING.md).
  bool reuseport = false;
  // Looks at the reactor a worker takes before it parks (runtime/executor.hpp: a park and
  // its wake-up cost far more than a look); 0 parks at once.
  unsigned spins = runtime::Executor::kDefaultSpins;

  std::chrono::milliseconds work_delay() const;
};

// The parsed command line, or nullopt when --help was asked for. Throws UsageError.
std::optional<Config> parse_command_line(int argc, const char* const* argv);

// The --help text.
std::string usage();

}  // namespace server

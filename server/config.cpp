#include "server/config.hpp"

#include <algorithm>
#include <limits>
#include <string_view>
#include <vector>

namespace server {
namespace {

using cli::parse_millis;
using cli::parse_number;
using cli::UsageError;

OneshotHandler parse_handler(std::string_view text) {
  if (text == "coroutine") return OneshotHandler::kCoroutine;
  if (text == "fused") return OneshotHandler::kFused;
  throw UsageError("--handler wants coroutine or fused, not '" + std::string(text) + "'");
}

LogLevel parse_level(std::string_view text) {
  if (auto level = parse_log_level(text)) return *level;
  throw UsageError("--log-level wants error, warn, info or debug, not '" + std::string(text) + "'");
}

// What parse_command_line fills in: the config, and whether --help was asked for.
struct Parsed {
  Config config;
  bool help = false;
};

// Every flag, and what it does.
const cli::FlagTable<Parsed>& flags() {
  using V = std::string_view;
  static const cli::FlagTable<Parsed> table{
      .valued =
          {
              {"--host",
               [](Parsed& p, V v) {
                 if (v.empty()) throw UsageError("--host wants an address");
                 p.config.host = v;
               }},
              {"--port",
               [](Parsed& p, V v) {
                 p.config.port = static_cast<std::uint16_t>(parse_number("--port", v, 0, 65535));
               }},
              {"--workers",
               [](Parsed& p, V v) {
                 p.config.workers = static_cast<unsigned>(parse_number("--workers", v, 1, 1024));
               }},
              {"--mode", [](Parsed& p, V v) { p.config.mode = cli::parse_mode(v); }},
              {"--handler", [](Parsed& p, V v) { p.config.oneshot_handler = parse_handler(v); }},
              {"--delay-ms",
               [](Parsed& p, V v) { p.config.delay = parse_millis("--delay-ms", v, 0); }},
              {"--max-frame",
               [](Parsed& p, V v) {
                 p.config.max_frame = parse_number("--max-frame", v, 0, data_layer::kLargestMaxLen);
               }},
              {"--max-connections",
               [](Parsed& p, V v) {
                 p.config.max_connections = parse_number("--max-connections", v, 1, 10'000'000);
               }},
              {"--idle-timeout-ms",
               [](Parsed& p, V v) {
                 p.config.idle_timeout = parse_millis("--idle-timeout-ms", v, 0);
                 if (p.config.idle_timeout.count() == 0) p.config.idle_timeout = kNoIdleTimeout;
               }},
              {"--grace-ms",
               [](Parsed& p, V v) { p.config.grace = parse_millis("--grace-ms", v, 0); }},
              {"--log-level", [](Parsed& p, V v) { p.config.log_level = parse_level(v); }},
              {"--spin",
               [](Parsed& p, V v) {
                 p.config.spins = static_cast<unsigned>(parse_number("--spin", v, 0, 100'000));
               }},
          },
      .switches =
          {
              {"--busy-poll", [](Parsed& p) { p.config.busy_poll = true; }},
              {"--reuseport", [](Parsed& p) { p.config.reuseport = true; }},
              {"--help", [](Parsed& p) { p.help = true; }},
              {"-h", [](Parsed& p) { p.help = true; }},
          },
  };
  return table;
}

}  // namespace

std::chrono::milliseconds Config::work_delay() const {
  if (delay) return *delay;
  return mode == Mode::kOneshot ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0);
}

std::optional<Config> parse_command_line(int argc, const char* const* argv) {
  const std::vector<std::string_view> args(argv + std::min(argc, 1), argv + argc);
  Parsed parsed;
  cli::parse_flags(args, flags(), parsed);
  if (parsed.help) return std::nullopt;
  return parsed.config;
}

std::string usage() {
  return "usage: server [options]\n"
         "\n"
         "  --host ADDR            address to listen on (default 127.0.0.1)\n"
         "  --port N               port; 0 picks a free one (default 7878)\n"
         "  --workers N            worker threads (default 3)\n"
         "  --mode oneshot|stream  exchange mode (default oneshot)\n"
         "  --handler coroutine|fused\n"
         "                         oneshot's handler: the book's handle_client coroutine\n"
         "                         (default), or the same steps fused into one future, which\n"
         "                         keeps less memory per waiting connection\n"
         "  --delay-ms N           simulated work per request (default 1000 oneshot, 0 stream)\n"
         "  --max-frame N          largest field3 accepted, bytes (default 1048576)\n"
         "  --max-connections N    connections open at once (default 65536)\n"
         "  --idle-timeout-ms N    drop a peer silent this long (default 30000; 0: never)\n"
         "  --grace-ms N           shutdown waits this long for requests (default 10000)\n"
         "  --log-level LEVEL      error, warn, info or debug (default info)\n"
         "  --spin N               looks for work a worker takes before it parks (default 50;\n"
         "                         0: park at once)\n"
         "  --busy-poll            workers re-poll every pending handler at once and park\n"
         "                         only with none: the book's policy, for teaching and\n"
         "                         benchmarks; burns CPU while connections are open\n"
         "  --reuseport            share the port with other servers started with it too\n"
         "                         (SO_REUSEPORT): the kernel spreads connections among them\n"
         "  --help                 this text\n"
         "\n"
         "Prints 'listening on HOST:PORT' once ready. SIGINT/SIGTERM stop it gracefully;\n"
         "a second signal cuts the grace period short.\n";
}

}  // namespace server

#include "server/config.hpp"

#include <charconv>
#include <limits>
#include <string_view>

namespace server {
namespace {

// A whole decimal number in [min, max], or UsageError naming the flag.
std::uint64_t parse_number(std::string_view flag, std::string_view text, std::uint64_t min,
                           std::uint64_t max) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(std::string(flag) + " wants a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", not '" + std::string(text) + "'");
  }
  return value;
}

std::chrono::milliseconds parse_ms(std::string_view flag, std::string_view text,
                                   std::uint64_t min) {
  // A day is far beyond any sensible setting, and keeps deadlines far from overflow.
  constexpr std::uint64_t kDayMs = 24ull * 3600 * 1000;
  return std::chrono::milliseconds(parse_number(flag, text, min, kDayMs));
}

Mode parse_mode(std::string_view text) {
  if (text == "oneshot") return Mode::kOneshot;
  if (text == "stream") return Mode::kStream;
  throw UsageError("--mode wants oneshot or stream, not '" + std::string(text) + "'");
}

LogLevel parse_level(std::string_view text) {
  if (auto level = parse_log_level(text)) return *level;
  throw UsageError("--log-level wants error, warn, info or debug, not '" + std::string(text) + "'");
}

// Applies one "--flag value" pair to `config`.
void apply(Config& config, std::string_view flag, std::string_view value) {
  if (flag == "--host") {
    if (value.empty()) throw UsageError("--host wants an address");
    config.host = value;
  } else if (flag == "--port") {
    config.port = static_cast<std::uint16_t>(parse_number(flag, value, 0, 65535));
  } else if (flag == "--workers") {
    config.workers = static_cast<unsigned>(parse_number(flag, value, 1, 1024));
  } else if (flag == "--mode") {
    config.mode = parse_mode(value);
  } else if (flag == "--delay-ms") {
    config.delay = parse_ms(flag, value, 0);
  } else if (flag == "--max-frame") {
    config.max_frame = parse_number(flag, value, 0, std::numeric_limits<std::uint32_t>::max());
  } else if (flag == "--max-connections") {
    config.max_connections = parse_number(flag, value, 1, 10'000'000);
  } else if (flag == "--idle-timeout-ms") {
    config.idle_timeout = parse_ms(flag, value, 1);
  } else if (flag == "--grace-ms") {
    config.grace = parse_ms(flag, value, 0);
  } else if (flag == "--log-level") {
    config.log_level = parse_level(value);
  } else {
    throw UsageError("unknown option '" + std::string(flag) + "'");
  }
}

// The flags that take no value. Returns false if `arg` is not one of them.
bool apply_switch(Config& config, std::string_view arg) {
  if (arg == "--busy-poll") {
    config.busy_poll = true;
    return true;
  }
  if (arg.starts_with("--busy-poll=")) throw UsageError("--busy-poll takes no value");
  return false;
}

}  // namespace

std::chrono::milliseconds Config::work_delay() const {
  if (delay) return *delay;
  return mode == Mode::kOneshot ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0);
}

std::optional<Config> parse_command_line(int argc, const char* const* argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return std::nullopt;
    if (!arg.starts_with("--")) throw UsageError("unexpected argument '" + std::string(arg) + "'");
    if (apply_switch(config, arg)) continue;
    // Both "--port 80" and "--port=80".
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      apply(config, arg.substr(0, eq), arg.substr(eq + 1));
    } else if (i + 1 < argc) {
      apply(config, arg, argv[++i]);
    } else {
      throw UsageError(std::string(arg) + " wants a value");
    }
  }
  return config;
}

std::string usage() {
  return "usage: server [options]\n"
         "\n"
         "  --host ADDR            address to listen on (default 127.0.0.1)\n"
         "  --port N               port; 0 picks a free one (default 7878)\n"
         "  --workers N            worker threads (default 3)\n"
         "  --mode oneshot|stream  exchange mode (default oneshot)\n"
         "  --delay-ms N           simulated work per request (default 1000 oneshot, 0 stream)\n"
         "  --max-frame N          largest field3 accepted, bytes (default 1048576)\n"
         "  --max-connections N    connections open at once (default 65536)\n"
         "  --idle-timeout-ms N    drop a peer silent this long (default 30000)\n"
         "  --grace-ms N           shutdown waits this long for requests (default 10000)\n"
         "  --log-level LEVEL      error, warn, info or debug (default info)\n"
         "  --busy-poll            workers re-poll every pending task and never park: the\n"
         "                         book's policy, for teaching and benchmarks; burns CPU\n"
         "  --help                 this text\n"
         "\n"
         "Prints 'listening on HOST:PORT' once ready. SIGINT/SIGTERM stop it gracefully;\n"
         "a second signal cuts the grace period short.\n";
}

std::string_view to_string(Mode mode) {
  return mode == Mode::kOneshot ? "oneshot" : "stream";
}

}  // namespace server

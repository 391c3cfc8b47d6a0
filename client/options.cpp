#include "client/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include "data_layer/data.hpp"

namespace client {

namespace {

// With --duration and no --requests, oneshot mode cannot know "every request": this many
// in flight is the book's scale.
constexpr std::size_t kDurationOneshotConcurrency = 4000;
constexpr std::size_t kStreamConnections = 32;

template <class T>
T parse_number(const std::string& flag, const std::string& text, T min, T max) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end || value < min || value > max) {
    throw UsageError(flag + " wants a number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", not '" + text + "'");
  }
  return value;
}

double parse_real(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !std::isfinite(value) || value <= 0) {
    throw UsageError(flag + " wants a positive number, not '" + text + "'");
  }
  return value;
}

std::chrono::milliseconds parse_millis(const std::string& flag, const std::string& text) {
  return std::chrono::milliseconds(parse_number<std::int64_t>(flag, text, 1, 86'400'000));
}

using Setter = std::function<void(Options&, const std::string&)>;

// Every flag that takes a value, and what it does with it.
const std::map<std::string, Setter>& valued_flags() {
  static const std::map<std::string, Setter> flags = {
      {"--host", [](Options& o, const std::string& v) { o.host = v; }},
      {"--port",
       [](Options& o, const std::string& v) {
         o.port = parse_number<std::uint16_t>("--port", v, 1, 65535);
       }},
      {"--mode",
       [](Options& o, const std::string& v) {
         if (v == "oneshot") {
           o.mode = Mode::kOneshot;
         } else if (v == "stream") {
           o.mode = Mode::kStream;
         } else {
           throw UsageError("--mode is oneshot or stream, not '" + v + "'");
         }
       }},
      {"--requests",
       [](Options& o, const std::string& v) {
         o.requests = parse_number<std::uint64_t>("--requests", v, 1, 1'000'000'000'000);
         o.requests_given = true;
       }},
      {"--concurrency",
       [](Options& o, const std::string& v) {
         o.concurrency = parse_number<std::size_t>("--concurrency", v, 1, 10'000'000);
       }},
      {"--pipeline",
       [](Options& o, const std::string& v) {
         o.pipeline = parse_number<std::size_t>("--pipeline", v, 1, 65536);
       }},
      {"--size",
       [](Options& o, const std::string& v) {
         o.size = parse_number<std::size_t>("--size", v, 1, data_layer::kDefaultMaxLen);
       }},
      {"--timeout-ms",
       [](Options& o, const std::string& v) { o.timeout = parse_millis("--timeout-ms", v); }},
      {"--connect-timeout-ms",
       [](Options& o, const std::string& v) {
         o.connect_timeout = parse_millis("--connect-timeout-ms", v);
       }},
      {"--retries",
       [](Options& o, const std::string& v) {
         o.retries = parse_number<unsigned>("--retries", v, 0, 100);
       }},
      {"--rate", [](Options& o, const std::string& v) { o.rate = parse_real("--rate", v); }},
      {"--duration",
       [](Options& o, const std::string& v) { o.duration_s = parse_real("--duration", v); }},
      {"--threads",
       [](Options& o, const std::string& v) {
         o.threads = parse_number<unsigned>("--threads", v, 1, 1024);
       }},
  };
  return flags;
}

bool apply_switch(Options& options, const std::string& flag) {
  if (flag == "--json") {
    options.json = true;
  } else if (flag == "--quiet" || flag == "-q") {
    options.quiet = true;
  } else if (flag == "-v" || flag == "--verbose") {
    options.verbose = true;
  } else if (flag == "--help" || flag == "-h") {
    options.help = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Options parse_options(std::span<const std::string> args) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> value;
    if (const auto equals = flag.find('='); flag.starts_with("--") && equals != std::string::npos) {
      value = flag.substr(equals + 1);
      flag.resize(equals);
    }
    if (!value && apply_switch(options, flag)) continue;
    const auto setter = valued_flags().find(flag);
    if (setter == valued_flags().end()) throw UsageError("unknown option '" + args[i] + "'");
    if (!value) {
      if (i + 1 == args.size()) throw UsageError(flag + " needs a value");
      value = args[++i];
    }
    setter->second(options, *value);
  }
  return options;
}

Options resolve(Options options) {
  const bool counted = options.duration_s == 0 || options.requests_given;
  if (options.duration_s > 0 && options.rate > 0 && !options.requests_given) {
    options.requests = static_cast<std::uint64_t>(std::ceil(options.rate * options.duration_s));
  }
  if (options.concurrency == 0) {
    if (options.mode == Mode::kStream) {
      options.concurrency = kStreamConnections;
    } else {
      options.concurrency = counted ? options.requests : kDurationOneshotConcurrency;
    }
  }
  // A worker per request at most; a connection carries pipeline requests at once.
  if (counted || options.rate > 0) {
    options.concurrency =
        static_cast<std::size_t>(std::min<std::uint64_t>(options.concurrency, options.requests));
  }
  options.threads =
      static_cast<unsigned>(std::min<std::size_t>(options.threads, options.concurrency));
  return options;
}

std::string_view to_string(Mode mode) {
  return mode == Mode::kStream ? "stream" : "oneshot";
}

std::string usage() {
  return R"(usage: client [options]

Sends requests to the server (PROTOCOL.md), checks every reply, and reports latency.
By default: the book's client, 4,000 oneshot requests all in flight at once.

  --host H                server address or name (127.0.0.1)
  --port P                server port (7878)
  --mode M                oneshot (one request per connection) or stream (keep-alive)
  --requests N            requests to send (4000)
  --concurrency C         oneshot: requests in flight (all); stream: connections (32)
  --pipeline K            stream: requests in flight per connection (1)
  --size S                field3 of S bytes instead of "Hello, server! i"
  --timeout-ms T          per request (30000)
  --connect-timeout-ms T  per connection attempt (5000)
  --retries R             retry failed connects R times, with backoff and jitter (0)
  --rate R                open loop: start R requests per second; latency counts from
                          each request's scheduled start
  --duration D            run for D seconds instead of a count (with --rate: R*D requests)
  --threads T             executor threads (1)
  --json                  one JSON line on stdout instead of the summary
  --quiet                 no summary, no progress line; only the exit status
  -v                      one line per request, as the book's client prints
  --help                  this text

Exit status: 0 every request succeeded, 1 some failed, 2 bad usage.
)";
}

}  // namespace client

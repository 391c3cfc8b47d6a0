#include "client/options.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "data_layer/data.hpp"

namespace client {

namespace {

// With --duration and no --requests, oneshot mode cannot know "every request": this many
// in flight is the book's scale.
constexpr std::size_t kDurationOneshotConcurrency = 4000;
constexpr std::size_t kStreamConnections = 32;

using cli::UsageError;

// cli::parse_number, narrowed to the field's type (the range keeps it in bounds).
template <class T>
T parse_number(std::string_view flag, std::string_view text, T min, T max) {
  return static_cast<T>(cli::parse_number(flag, text, static_cast<std::uint64_t>(min),
                                          static_cast<std::uint64_t>(max)));
}

double parse_real(std::string_view flag, std::string_view text) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(std::string(text), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !std::isfinite(value) || value <= 0) {
    throw UsageError(std::string(flag) + " wants a positive number, not '" + std::string(text) +
                     "'");
  }
  return value;
}

std::chrono::milliseconds parse_millis(std::string_view flag, std::string_view text) {
  return cli::parse_millis(flag, text, 1);
}

// Every flag, and what it does.
const cli::FlagTable<Options>& flags() {
  static const cli::FlagTable<Options> table{
      .valued =
          {
              {"--host",
               [](Options& o, std::string_view v) {
                 o.host = v;
                 o.host_or_port_given = true;
               }},
              {"--port",
               [](Options& o, std::string_view v) {
                 o.port = parse_number<std::uint16_t>("--port", v, 1, 65535);
                 o.host_or_port_given = true;
               }},
              {"--target", [](Options& o, std::string_view v) { add_targets(v, o.targets); }},
              {"--mode", [](Options& o, std::string_view v) { o.mode = cli::parse_mode(v); }},
              {"--requests",
               [](Options& o, std::string_view v) {
                 o.requests = parse_number<std::uint64_t>("--requests", v, 1, 1'000'000'000'000);
                 o.requests_given = true;
               }},
              {"--concurrency",
               [](Options& o, std::string_view v) {
                 o.concurrency = parse_number<std::size_t>("--concurrency", v, 1, 10'000'000);
               }},
              {"--pipeline",
               [](Options& o, std::string_view v) {
                 o.pipeline = parse_number<std::size_t>("--pipeline", v, 1, 65536);
               }},
              {"--size",
               [](Options& o, std::string_view v) {
                 o.size = parse_number<std::size_t>("--size", v, 1, data_layer::kDefaultMaxLen);
               }},
              {"--timeout-ms",
               [](Options& o, std::string_view v) { o.timeout = parse_millis("--timeout-ms", v); }},
              {"--connect-timeout-ms",
               [](Options& o, std::string_view v) {
                 o.connect_timeout = parse_millis("--connect-timeout-ms", v);
               }},
              {"--retries",
               [](Options& o, std::string_view v) {
                 o.retries = parse_number<unsigned>("--retries", v, 0, 100);
               }},
              {"--breaker",
               [](Options& o, std::string_view v) {
                 o.breaker = parse_number<unsigned>("--breaker", v, 1, 1'000'000);
               }},
              {"--breaker-cooldown-ms",
               [](Options& o, std::string_view v) {
                 o.breaker_cooldown = parse_millis("--breaker-cooldown-ms", v);
                 o.breaker_cooldown_given = true;
               }},
              {"--rate", [](Options& o, std::string_view v) { o.rate = parse_real("--rate", v); }},
              {"--duration",
               [](Options& o, std::string_view v) { o.duration_s = parse_real("--duration", v); }},
              {"--svg", [](Options& o, std::string_view v) { o.svg = v; }},
              {"--threads",
               [](Options& o, std::string_view v) {
                 o.threads = parse_number<unsigned>("--threads", v, 1, 1024);
               }},
          },
      .switches = {
          {"--json", [](Options& o) { o.json = true; }},
          {"--quiet", [](Options& o) { o.quiet = true; }},
          {"-q", [](Options& o) { o.quiet = true; }},
          {"--verbose", [](Options& o) { o.verbose = true; }},
          {"-v", [](Options& o) { o.verbose = true; }},
          {"--help", [](Options& o) { o.help = true; }},
          {"-h", [](Options& o) { o.help = true; }},
      }};
  return table;
}

}  // namespace

Options parse_options(std::span<const std::string> args) {
  Options options;
  const std::vector<std::string_view> views(args.begin(), args.end());
  cli::parse_flags(views, flags(), options);
  if (!options.targets.empty()) {
    if (options.host_or_port_given) {
      throw UsageError("--target replaces --host and --port: give the servers as --target only");
    }
    options.host = options.targets.front().host;
    options.port = options.targets.front().port;
  }
  if (options.breaker_cooldown_given && options.breaker == 0) {
    throw UsageError("--breaker-cooldown-ms needs --breaker N: the failures in a row that open it");
  }
  return options;
}

Options resolve(Options options) {
  if (options.targets.empty()) options.targets.push_back({options.host, options.port});
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
  // A lane per request at most; a connection carries pipeline requests at once.
  if (counted || options.rate > 0) {
    options.concurrency =
        static_cast<std::size_t>(std::min<std::uint64_t>(options.concurrency, options.requests));
  }
  if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
  options.threads =
      static_cast<unsigned>(std::min<std::size_t>(options.threads, options.concurrency));
  return options;
}

std::string usage() {
  return R"(usage: client [options]

Sends requests to the server (PROTOCOL.md), checks every reply, and reports latency.
By default: the book's client, 4,000 oneshot requests all in flight at once.

  --host H                server address or name (127.0.0.1)
  --port P                server port (7878)
  --target HOST:PORT      a server, instead of --host and --port; give it again (or a
                          comma list) for several: connections go round-robin over them
                          and the report has a line per target. IPv6: [::1]:PORT
  --mode M                oneshot (one request per connection) or stream (keep-alive)
  --requests N            requests to send (4000)
  --concurrency C         oneshot: requests in flight (all); stream: connections (32)
  --pipeline K            stream: requests in flight per connection (1)
  --size S                field3 of S bytes instead of "Hello, server! i"
  --timeout-ms T          per request (30000)
  --connect-timeout-ms T  per connection attempt (5000)
  --retries R             retry a failed attempt (connect, timeout, read, write,
                          protocol) R times, with backoff and jitter (0)
  --breaker N             a circuit breaker per target: after N failed attempts in a
                          row, send it nothing for the cooldown, then one probe; the
                          requests not sent are counted as circuit_open (off)
  --breaker-cooldown-ms T how long an open circuit refuses requests (1000)
  --rate R                open loop: start R requests per second; latency counts from
                          each request's scheduled start
  --duration D            run for D seconds instead of a count (with --rate: R*D requests)
  --threads T             executor threads (one per core)
  --svg FILE              also draw the run as an SVG chart in FILE: the latency
                          distribution and the requests per second over time
  --json                  one JSON line on stdout instead of the summary
  --quiet                 no summary, no progress line; only the exit status
  -v                      the book's lines: "Result: <reply>" per request, then the
                          time elapsed (on stderr with --json)
  --help                  this text

  --merge FILE...         run nothing: merge the lines runs printed with --json (one
                          or more per file, - for stdin) into one report, or with
                          --json one line; counts summed, percentiles read from the
                          summed histograms, wall time the longest run's. Takes no
                          other option but --json and --quiet

Exit status: 0 every request succeeded, 1 some failed, 2 bad usage (with --merge,
also a file that cannot be read or merged; the message names the file and line).
)";
}

}  // namespace client

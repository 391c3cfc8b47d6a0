#include "client/report.hpp"

#include <cstdio>

namespace client {

namespace {

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// "1.234 ms" for a latency in microseconds.
std::string ms(std::uint64_t us) {
  return fixed(static_cast<double>(us) / 1000.0, 3) + " ms";
}

// JSON strings: only the host is user text; escape what JSON forbids raw.
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// "\"connect\":3,\"timeout\":0,..." for one of the per-kind counts.
template <class CountOf>
std::string by_kind_json(CountOf count_of) {
  std::string out;
  for (const ErrorKind kind : kAllErrorKinds) {
    out += (out.empty() ? "" : ",") + std::string("\"") + std::string(to_string(kind)) +
           "\":" + std::to_string(count_of(kind));
  }
  return out;
}

// "  retries: connect 3, read 2" for the kinds that were retried; nothing if none was.
std::string retries_line(const Stats& s) {
  std::string line;
  for (const ErrorKind kind : kAllErrorKinds) {
    if (s.retries_of(kind) == 0) continue;
    line += (line.empty() ? "  retries: " : ", ") + std::string(to_string(kind)) + " " +
            std::to_string(s.retries_of(kind));
  }
  return line.empty() ? line : line + "\n";
}

// The error line of one kind: a count and a sample message. Requests that --breaker kept
// back get a line that says why instead.
std::string error_line(const Options& o, const RunResult& result, ErrorKind kind) {
  const Stats& s = result.stats;
  const std::size_t k = static_cast<std::size_t>(kind);
  if (kind == ErrorKind::kCircuitOpen) {
    return "  circuit open: " + std::to_string(s.errors[k]) + " requests not sent after " +
           std::to_string(o.breaker) + " consecutive failures (opened " +
           std::to_string(result.breaker_opens) + " time(s), cooldown " +
           std::to_string(o.breaker_cooldown.count()) + " ms)\n";
  }
  // A merged run has no sample: the JSON line does not carry one.
  return "  " + std::string(to_string(kind)) + " errors: " + std::to_string(s.errors[k]) +
         (s.first_error[k].empty() ? "" : "   (e.g. " + s.first_error[k] + ")") + "\n";
}

std::string latency_line(const Histogram& latency) {
  return "  p50 " + ms(latency.percentile(50)) + "   p90 " + ms(latency.percentile(90)) +
         "   p99 " + ms(latency.percentile(99)) + "   p99.9 " + ms(latency.percentile(99.9)) +
         "   max " + ms(latency.max()) + "\n";
}

// Where the run went: "127.0.0.1:7878", or "3 targets" (listed further down).
std::string destination(const Options& o) {
  if (o.targets.size() > 1) return std::to_string(o.targets.size()) + " targets";
  return o.targets.empty() ? o.host + ":" + std::to_string(o.port) : o.targets.front().label();
}

std::string targets_json(const Options& o) {
  std::string list;
  for (const Target& target : o.targets)
    list += (list.empty() ? "" : ",") + json_string(target.label());
  return "[" + list + "]";
}

double rate_of(const Stats& stats, double wall_s) {
  return wall_s > 0 ? static_cast<double>(stats.ok) / wall_s : 0.0;
}

// One line per target, when there are several: who got what share, and how it fared.
void print_targets(std::ostream& out, const Options& options, const RunResult& result) {
  if (result.by_target.size() < 2) return;
  out << "by target:\n";
  for (std::size_t i = 0; i < result.by_target.size(); ++i) {
    const Stats& s = result.by_target[i];
    out << "  " << options.targets[i].label() << "   ok " << s.ok << "   errors " << s.failed()
        << "   " << fixed(rate_of(s, result.wall_s), 1) << " ok requests/s   p50 "
        << ms(s.latency.percentile(50)) << "   p99 " << ms(s.latency.percentile(99)) << "\n";
  }
}

// The fields that rebuild a histogram exactly, for a merge (merge.hpp): the buckets, and the
// min, max and sum they cannot carry. The mean is for people; the sum keeps merged means
// exact.
std::string histogram_json(const Histogram& h) {
  return "\"max_us\":" + std::to_string(h.max()) + ",\"min_us\":" + std::to_string(h.min()) +
         ",\"mean_us\":" + fixed(h.mean(), 1) + ",\"sum_us\":" + std::to_string(h.sum()) +
         ",\"histogram\":" + h.to_json();
}

std::string per_target_json(const Options& options, const RunResult& result) {
  std::string list;
  for (std::size_t i = 0; i < result.by_target.size(); ++i) {
    const Stats& s = result.by_target[i];
    list += std::string(list.empty() ? "" : ",") +
            "{\"target\":" + json_string(options.targets[i].label()) +
            ",\"requests\":" + std::to_string(s.requests) + ",\"ok\":" + std::to_string(s.ok) +
            ",\"errors\":" + std::to_string(s.failed()) +
            ",\"rps\":" + fixed(rate_of(s, result.wall_s), 1) +
            ",\"p50_us\":" + std::to_string(s.latency.percentile(50)) +
            ",\"p99_us\":" + std::to_string(s.latency.percentile(99)) + "," +
            histogram_json(s.latency) + "}";
  }
  return "[" + list + "]";
}

std::string settings_json(const Options& o) {
  return "{\"host\":" + json_string(o.host) + ",\"port\":" + std::to_string(o.port) +
         ",\"targets\":" + targets_json(o) + ",\"mode\":\"" + std::string(to_string(o.mode)) +
         "\",\"requests\":" + std::to_string(o.requests) +
         ",\"concurrency\":" + std::to_string(o.concurrency) +
         ",\"pipeline\":" + std::to_string(o.pipeline) + ",\"size\":" + std::to_string(o.size) +
         ",\"timeout_ms\":" + std::to_string(o.timeout.count()) +
         ",\"connect_timeout_ms\":" + std::to_string(o.connect_timeout.count()) +
         ",\"retries\":" + std::to_string(o.retries) + ",\"breaker\":" + std::to_string(o.breaker) +
         ",\"breaker_cooldown_ms\":" + std::to_string(o.breaker_cooldown.count()) +
         ",\"rate\":" + fixed(o.rate, 3) + ",\"duration_s\":" + fixed(o.duration_s, 3) +
         ",\"threads\":" + std::to_string(o.threads) + "}";
}

}  // namespace

void print_summary(std::ostream& out, const Options& options, const RunResult& result) {
  const Stats& s = result.stats;
  out << "client: " << to_string(options.mode) << " mode, " << options.concurrency
      << (options.mode == Mode::kStream ? " connections" : " in flight")
      << (options.mode == Mode::kStream ? ", pipeline " + std::to_string(options.pipeline) : "")
      << ", " << options.threads << " thread(s), " << destination(options) << "\n";
  out << "  requests " << s.requests << "   ok " << s.ok << "   failed " << s.failed()
      << "   retried " << s.retried << "\n"
      << retries_line(s);
  for (const ErrorKind kind : kAllErrorKinds)
    if (s.errors_of(kind) > 0) out << error_line(options, result, kind);
  out << "  wall " << fixed(result.wall_s, 3) << " s   " << fixed(result.rps(), 1)
      << " ok requests/s\n";
  print_targets(out, options, result);
  out << "latency of successful requests:\n" << latency_line(s.latency) << s.latency.render();
}

void print_json(std::ostream& out, const Options& options, const RunResult& result) {
  const Stats& s = result.stats;
  const Histogram& h = s.latency;
  const std::string by_kind = by_kind_json([&](ErrorKind kind) { return s.errors_of(kind); });
  const std::string retries = by_kind_json([&](ErrorKind kind) { return s.retries_of(kind); });
  out << "{\"requests\":" << s.requests << ",\"ok\":" << s.ok << ",\"errors\":" << s.failed()
      << ",\"mismatches\":" << s.errors_of(ErrorKind::kMismatch) << ",\"retried\":" << s.retried
      << ",\"errors_by_kind\":{" << by_kind << "},\"retries_by_kind\":{" << retries
      << "},\"breaker_opens\":" << result.breaker_opens << ",\"wall_s\":" << fixed(result.wall_s, 6)
      << ",\"rps\":" << fixed(result.rps(), 1) << ",\"p50_us\":" << h.percentile(50)
      << ",\"p90_us\":" << h.percentile(90) << ",\"p99_us\":" << h.percentile(99)
      << ",\"p999_us\":" << h.percentile(99.9) << "," << histogram_json(h);
  if (result.by_target.size() > 1) out << ",\"per_target\":" << per_target_json(options, result);
  out << ",\"settings\":" << settings_json(options) << "}\n";
}

std::string progress_line(std::uint64_t finished, std::uint64_t limit, std::uint64_t failed,
                          double elapsed_s) {
  std::string line = "  " + std::to_string(finished);
  if (limit != UINT64_MAX) line += "/" + std::to_string(limit);
  line += " requests, " + std::to_string(failed) + " failed, " +
          fixed(elapsed_s > 0 ? static_cast<double>(finished) / elapsed_s : 0.0, 0) + " req/s";
  return line;
}

std::string book_result_line(std::string_view reply) {
  return "Result: " + std::string(reply);
}

std::string book_error_line(const ClientError& error) {
  return "Error: " + std::string(error.what()) + " (" + std::string(to_string(error.kind())) + ")";
}

// The book prints a Duration with Rust's {:?}, which picks the unit; milliseconds below a
// second keep a short run readable.
std::string book_elapsed_line(double seconds) {
  const std::string duration =
      seconds >= 1.0 ? fixed(seconds, 3) + "s" : fixed(seconds * 1000.0, 3) + "ms";
  return "Time elapsed in expensive_function() is: " + duration;
}

}  // namespace client

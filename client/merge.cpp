#include "client/merge.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "client/json_reader.hpp"

namespace client {

namespace {

using json::Value;

// An object of the line, with the path that names its keys in errors ("settings.port").
class Fields {
 public:
  Fields(const Value& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object.is(Value::Kind::kObject)) fail_at("", "is not an object");
  }

  const Value& at(std::string_view key) const {
    const Value* value = object_.find(key);
    if (value == nullptr) fail_at(key, "is missing");
    return *value;
  }
  std::uint64_t count(std::string_view key, std::uint64_t max = UINT64_MAX) const {
    const auto value = at(key).to_uint64();
    if (!value || *value > max) {
      fail_at(key, "is not a whole number" +
                       (max == UINT64_MAX ? std::string() : " up to " + std::to_string(max)));
    }
    return *value;
  }
  double real(std::string_view key) const {
    const auto value = at(key).to_double();
    if (!value || !std::isfinite(*value) || *value < 0) fail_at(key, "is not a number >= 0");
    return *value;
  }
  const std::string& text(std::string_view key) const {
    const Value& value = at(key);
    if (!value.is(Value::Kind::kString)) fail_at(key, "is not a string");
    return value.text();
  }
  const std::vector<Value>& list(std::string_view key) const {
    const Value& value = at(key);
    if (!value.is(Value::Kind::kArray)) fail_at(key, "is not an array");
    return value.items();
  }
  Fields object(std::string_view key) const { return Fields(at(key), name(key) + "."); }
  bool has(std::string_view key) const { return object_.find(key) != nullptr; }
  const std::vector<std::string>& keys() const { return object_.keys(); }

  [[noreturn]] void fail_at(std::string_view key, const std::string& why) const {
    std::string named = name(key);
    if (!named.empty() && named.back() == '.') named.pop_back();
    throw NotARun("\"" + (named.empty() ? std::string("the line") : named) + "\" " + why);
  }

 private:
  std::string name(std::string_view key) const { return path_ + std::string(key); }

  const Value& object_;
  std::string path_;
};

// errors_by_kind or retries_by_kind: a count per kind. A kind missing from the line counts
// 0 (a line from a client that did not have it yet); a kind this client does not know
// cannot be placed, and a merge must not drop it.
void read_by_kind(const Fields& counts, std::array<std::uint64_t, kErrorKinds>& into) {
  for (const std::string& key : counts.keys()) {
    const auto known = std::find_if(kAllErrorKinds.begin(), kAllErrorKinds.end(),
                                    [&](ErrorKind kind) { return to_string(kind) == key; });
    if (known == kAllErrorKinds.end())
      counts.fail_at(key, "is not an error kind this client knows");
    into[static_cast<std::size_t>(*known)] = counts.count(key);
  }
}

// The latency fields of report.cpp's histogram_json(), back into the histogram.
Histogram read_latency(const Fields& fields) {
  std::vector<Histogram::Bucket> buckets;
  for (const Value& pair : fields.list("histogram")) {
    if (!pair.is(Value::Kind::kArray) || pair.items().size() != 2 || !pair.items()[0].to_uint64() ||
        !pair.items()[1].to_uint64()) {
      fields.fail_at("histogram", "holds an entry that is not [value_us,count]");
    }
    buckets.push_back({*pair.items()[0].to_uint64(), *pair.items()[1].to_uint64()});
  }
  try {
    return Histogram::from_buckets(buckets, fields.count("min_us"), fields.count("max_us"),
                                   fields.count("sum_us"));
  } catch (const std::invalid_argument& error) {
    fields.fail_at("histogram",
                   std::string("does not fit this client's histogram: ") + error.what());
  }
}

Options read_settings(const Fields& s) {
  Options o;
  o.host = s.text("host");
  o.port = static_cast<std::uint16_t>(s.count("port", 65535));
  for (const Value& label : s.list("targets")) {
    if (!label.is(Value::Kind::kString)) s.fail_at("targets", "holds a value that is not a string");
    try {
      add_targets(label.text(), o.targets);
    } catch (const UsageError& error) {
      s.fail_at("targets", std::string("holds a bad target: ") + error.what());
    }
  }
  if (o.targets.empty()) s.fail_at("targets", "is empty");
  try {
    o.mode = cli::parse_mode(s.text("mode"));
  } catch (const UsageError& error) {
    s.fail_at("mode", error.what());
  }
  o.requests = s.count("requests");
  o.concurrency = s.count("concurrency");
  o.pipeline = s.count("pipeline");
  o.size = s.count("size");
  constexpr std::uint64_t kMaxMillis = std::chrono::milliseconds::max().count();
  o.timeout = std::chrono::milliseconds(s.count("timeout_ms", kMaxMillis));
  o.connect_timeout = std::chrono::milliseconds(s.count("connect_timeout_ms", kMaxMillis));
  o.retries = static_cast<unsigned>(s.count("retries", UINT32_MAX));
  o.breaker = static_cast<unsigned>(s.count("breaker", UINT32_MAX));
  o.breaker_cooldown = std::chrono::milliseconds(s.count("breaker_cooldown_ms", kMaxMillis));
  o.rate = s.real("rate");
  o.duration_s = s.real("duration_s");
  o.threads = static_cast<unsigned>(s.count("threads", UINT32_MAX));
  return o;
}

// The counts every result has: the whole run's, or one target's (requests, ok, latency).
void read_counts(const Fields& fields, Stats& stats) {
  stats.requests = fields.count("requests");
  stats.ok = fields.count("ok");
  stats.latency = read_latency(fields);
  if (stats.ok > stats.requests) fields.fail_at("ok", "is more than \"requests\"");
  if (fields.count("errors") != stats.failed()) fields.fail_at("errors", "is not requests - ok");
  if (stats.latency.count() != stats.ok)
    fields.fail_at("histogram", "does not count \"ok\" requests");
}

// Adds `stats` to the entry of `label`, appending one for a label not seen yet.
void add_to_target(RecordedRun& run, const Target& target, const Stats& stats) {
  std::vector<Target>& targets = run.settings.targets;
  const auto same = [&](const Target& t) { return t.label() == target.label(); };
  const auto at = std::find_if(targets.begin(), targets.end(), same);
  if (at == targets.end()) {
    targets.push_back(target);
    run.result.by_target.push_back(stats);
  } else {
    run.result.by_target[static_cast<std::size_t>(at - targets.begin())].merge(stats);
  }
}

// One Stats per target of the run, summed by label; settings.targets made unique to match.
void read_targets(const Fields& run, RecordedRun& recorded) {
  const std::vector<Target> named = std::move(recorded.settings.targets);
  recorded.settings.targets.clear();
  if (!run.has("per_target")) {
    if (named.size() != 1) run.fail_at("per_target", "is missing, with several targets");
    add_to_target(recorded, named.front(), recorded.result.stats);
    return;
  }
  const std::vector<Value>& lines = run.list("per_target");
  if (lines.size() != named.size()) run.fail_at("per_target", "does not match settings.targets");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Fields line(lines[i], "per_target." + std::to_string(i) + ".");
    if (line.text("target") != named[i].label())
      line.fail_at("target", "is not settings.targets' entry " + std::to_string(i));
    Stats stats;
    read_counts(line, stats);
    add_to_target(recorded, named[i], stats);
  }
}

// The settings every run of a merge must share, each as the flag that sets it.
std::vector<std::string> shared_settings(const Options& o) {
  return {"--mode " + std::string(to_string(o.mode)),
          "--pipeline " + std::to_string(o.pipeline),
          "--size " + std::to_string(o.size),
          "--timeout-ms " + std::to_string(o.timeout.count()),
          "--connect-timeout-ms " + std::to_string(o.connect_timeout.count()),
          "--retries " + std::to_string(o.retries),
          "--breaker " + std::to_string(o.breaker),
          "--breaker-cooldown-ms " + std::to_string(o.breaker_cooldown.count())};
}

}  // namespace

RecordedRun read_run(std::string_view line) {
  const Value value = json::parse(line);
  const Fields run(value, "");
  RecordedRun recorded;
  recorded.settings = read_settings(run.object("settings"));
  Stats& total = recorded.result.stats;
  read_counts(run, total);
  total.retried = run.count("retried");
  read_by_kind(run.object("errors_by_kind"), total.errors);
  read_by_kind(run.object("retries_by_kind"), total.retries);
  std::uint64_t errors = 0;
  for (const std::uint64_t count : total.errors)
    errors += count;
  if (errors != total.failed()) run.fail_at("errors_by_kind", "does not add up to \"errors\"");
  recorded.result.wall_s = run.real("wall_s");
  recorded.result.breaker_opens = run.count("breaker_opens");
  read_targets(run, recorded);
  return recorded;
}

void add_run(RecordedRun& total, const RecordedRun& run) {
  const std::vector<std::string> mine = shared_settings(total.settings);
  const std::vector<std::string> theirs = shared_settings(run.settings);
  for (std::size_t i = 0; i < mine.size(); ++i) {
    if (mine[i] == theirs[i]) continue;
    throw std::invalid_argument("ran with " + theirs[i] + " where the runs before it had " +
                                mine[i] + ": the runs of a merge must share --mode, --pipeline, " +
                                "--size, --timeout-ms, --connect-timeout-ms, --retries, " +
                                "--breaker and --breaker-cooldown-ms");
  }
  Options& o = total.settings;
  o.requests += run.settings.requests;
  o.concurrency += run.settings.concurrency;
  o.threads += run.settings.threads;
  o.rate += run.settings.rate;
  o.duration_s = std::max(o.duration_s, run.settings.duration_s);
  total.result.stats.merge(run.result.stats);
  total.result.wall_s = std::max(total.result.wall_s, run.result.wall_s);
  total.result.breaker_opens += run.result.breaker_opens;
  for (std::size_t i = 0; i < run.settings.targets.size(); ++i)
    add_to_target(total, run.settings.targets[i], run.result.by_target[i]);
}

void print_merged(std::ostream& out, const RecordedRun& merged, std::size_t runs, bool json) {
  if (json) {
    print_json(out, merged.settings, merged.result);
    return;
  }
  out << "merge: " << runs << " run(s), taken to have run at the same time: the wall time is"
      << " the longest run's\n";
  print_summary(out, merged.settings, merged.result);
}

}  // namespace client

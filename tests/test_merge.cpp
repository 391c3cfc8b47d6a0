// bin/client --merge: runs read back from their JSON lines and added up. Percentiles come
// from the summed histograms (two runs of known latencies give the union's percentiles, not
// the mean of theirs), counts and targets add up, a merged line merges again to the same
// result in any grouping, and bad input exits 2 naming the file and line. Last, two real
// runs against an in-process server, merged from the files their --json lines went to.
#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "client/histogram.hpp"
#include "client/merge.hpp"
#include "client/merge_command.hpp"
#include "client/options.hpp"
#include "client/report.hpp"
#include "client/run.hpp"
#include "tests/refused_port.hpp"
#include "tests/running_server.hpp"
#include "tests/temp_dir.hpp"
#include "tests/watchdog.hpp"

namespace {

using client::ErrorKind;

// A run made by hand, for the line print_json() prints of it: ok() adds requests that took
// one latency, failed() requests that failed with one kind of error.
struct Made {
  client::Options options = settings();
  client::RunResult result;

  static client::Options settings() {
    client::Options options = client::resolve(client::Options{});
    options.threads = 1;
    return options;
  }
  Made& ok(std::uint64_t latency_us, std::uint64_t requests) {
    for (std::uint64_t i = 0; i < requests; ++i)
      result.stats.latency.record(latency_us);
    result.stats.requests += requests;
    result.stats.ok += requests;
    return *this;
  }
  Made& failed(ErrorKind kind, std::uint64_t requests) {
    result.stats.requests += requests;
    result.stats.errors[static_cast<std::size_t>(kind)] += requests;
    return *this;
  }
  Made& wall(double seconds) {
    result.wall_s = seconds;
    return *this;
  }
  // The line bin/client --json would print for this run.
  std::string line() const {
    std::ostringstream out;
    client::print_json(out, options, result);
    return out.str();
  }
};

// The merge of `lines`, as merged JSON.
std::string merged_json(const std::vector<std::string>& lines) {
  client::RecordedRun total = client::read_run(lines.front());
  for (std::size_t i = 1; i < lines.size(); ++i)
    client::add_run(total, client::read_run(lines[i]));
  std::ostringstream out;
  client::print_merged(out, total, lines.size(), true);
  return out.str();
}

client::RecordedRun merged(const std::vector<std::string>& lines) {
  return client::read_run(merged_json(lines));
}

// The reason read_run() gives for refusing `line`.
std::string refusal(const std::string& line) {
  try {
    (void)client::read_run(line);
  } catch (const client::NotARun& error) {
    return error.what();
  }
  return "<accepted>";
}

// `line` with the first `from` replaced by `to`.
std::string edited(std::string line, const std::string& from, const std::string& to) {
  const auto at = line.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return line.replace(at, from.size(), to);
}

// Within the histogram's precision above `want`: a percentile is its bucket's highest value.
bool near(std::uint64_t got, double want) {
  return got >= want && static_cast<double>(got) <= want * (1 + 1.0 / 64);
}

struct Status {
  int code;
  std::string out, err;
};

Status client_main(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = test::bounded("the client to end", [&] {
    return client::run(args, client::Output{out, err, false});
  });
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("merge: percentiles are the union's, read from the summed histograms") {
  // Half the requests at 1 ms, half at 9 ms: the union's p50 is 1 ms and its p99 9 ms,
  // where averaging the runs' percentiles would say 5 ms for both.
  const std::string a = Made().ok(1000, 500).wall(1).line();
  const std::string b = Made().ok(9000, 500).wall(1).line();
  const client::RecordedRun even = merged({a, b});
  const client::Histogram& latency = even.result.stats.latency;
  CHECK(near(latency.percentile(50), 1000));
  CHECK(near(latency.percentile(90), 9000));
  CHECK(near(latency.percentile(99), 9000));
  CHECK(latency.min() == 1000);
  CHECK(latency.max() == 9000);
  CHECK(latency.mean() == 5000.0);

  // An unequal split: 90% at 1 ms. The 900th of 1,000 is still 1 ms; the 901st is 9 ms.
  const std::string most = Made().ok(1000, 900).wall(1).line();
  const std::string few = Made().ok(9000, 100).wall(1).line();
  const client::Histogram& skewed = merged({most, few}).result.stats.latency;
  CHECK(near(skewed.percentile(50), 1000));
  CHECK(near(skewed.percentile(90), 1000));
  CHECK(near(skewed.percentile(90.1), 9000));
  CHECK(near(skewed.percentile(99), 9000));
  CHECK(skewed.mean() == 1800.0);  // exact: the lines carry the sums

  // To the bucket: the merge reads exactly what one histogram of every request reads.
  client::Histogram both;
  for (int i = 0; i < 900; ++i)
    both.record(1000);
  for (int i = 0; i < 100; ++i)
    both.record(9000);
  for (const double p : {1.0, 50.0, 90.0, 90.1, 99.0, 99.9, 100.0})
    CHECK(skewed.percentile(p) == both.percentile(p));
  CHECK(skewed.buckets() == both.buckets());
}

TEST_CASE("merge: counts add up, the wall is the longest run's and req/s is over it") {
  Made a, b;
  a.ok(2000, 300).failed(ErrorKind::kConnect, 5).wall(2.0);
  a.result.stats.retried = 4;
  a.result.stats.retries[static_cast<std::size_t>(ErrorKind::kConnect)] = 6;
  b.ok(3000, 100).failed(ErrorKind::kTimeout, 2).failed(ErrorKind::kConnect, 1).wall(4.0);
  b.options.concurrency = 7;
  const client::RecordedRun total = merged({a.line(), b.line()});
  const client::Stats& s = total.result.stats;
  CHECK(s.requests == 408);
  CHECK(s.ok == 400);
  CHECK(s.errors_of(ErrorKind::kConnect) == 6);
  CHECK(s.errors_of(ErrorKind::kTimeout) == 2);
  CHECK(s.retried == 4);
  CHECK(s.retries_of(ErrorKind::kConnect) == 6);
  CHECK(total.result.wall_s == 4.0);
  CHECK(total.result.rps() == 100.0);
  // The load's size is summed: two machines, each with its own lanes and threads.
  CHECK(total.settings.requests == a.options.requests + b.options.requests);
  CHECK(total.settings.concurrency == a.options.concurrency + 7);
  CHECK(total.settings.threads == 2);

  // The summary is the client's own, after a line saying what was merged.
  std::ostringstream out;
  client::print_merged(out, client::read_run(merged_json({a.line(), b.line()})), 2, false);
  CHECK(out.str().starts_with("merge: 2 run(s), taken to have run at the same time"));
  CHECK(out.str().find("requests 408   ok 400   failed 8   retried 4") != std::string::npos);
  CHECK(out.str().find("  connect errors: 6\n") != std::string::npos);  // no sample to show
  CHECK(out.str().find("wall 4.000 s   100.0 ok requests/s") != std::string::npos);
  CHECK(out.str().find("p99.9") != std::string::npos);
}

TEST_CASE("merge: per-target lines are summed by target, with the union's percentiles") {
  auto targeted = [](std::vector<std::string> labels) {
    Made made;
    made.options.targets.clear();
    for (const std::string& label : labels)
      client::add_targets(label, made.options.targets);
    return made;
  };
  Made a = targeted({"10.0.0.1:80", "10.0.0.2:80"});
  a.ok(1000, 10).ok(5000, 10).wall(1);
  a.result.by_target = {Made().ok(1000, 10).result.stats, Made().ok(5000, 10).result.stats};
  Made b = targeted({"10.0.0.2:80"});  // one target: no per_target, the run is its line
  b.ok(9000, 30).wall(1);
  const client::RecordedRun total = merged({a.line(), b.line()});
  REQUIRE(total.settings.targets.size() == 2);
  CHECK(total.settings.targets[1].label() == "10.0.0.2:80");
  REQUIRE(total.result.by_target.size() == 2);
  CHECK(total.result.by_target[0].ok == 10);
  CHECK(total.result.by_target[1].ok == 40);
  CHECK(near(total.result.by_target[1].latency.percentile(25), 5000));
  CHECK(near(total.result.by_target[1].latency.percentile(50), 9000));
  // A server named twice in one run is one target, its shares summed.
  Made twice = targeted({"10.0.0.3:80", "10.0.0.3:80"});
  twice.ok(1000, 4).wall(1);
  twice.result.by_target = {Made().ok(1000, 1).result.stats, Made().ok(1000, 3).result.stats};
  const client::RecordedRun one = client::read_run(twice.line());
  CHECK(one.settings.targets.size() == 1);
  CHECK(one.result.by_target.at(0).ok == 4);
}

TEST_CASE("merge: a merged line merges again, to the same result in any grouping") {
  Made a, b, c;
  a.ok(120, 7).ok(1500, 3).failed(ErrorKind::kRead, 1).wall(1.25);
  b.ok(90000, 2).failed(ErrorKind::kMismatch, 2).wall(3.5);
  b.options.rate = 33.333;
  c.ok(7, 1).ok(123456789, 1).wall(0.5);
  const std::string all = merged_json({a.line(), b.line(), c.line()});
  CHECK(all == merged_json({merged_json({a.line(), b.line()}), c.line()}));
  CHECK(all == merged_json({a.line(), merged_json({b.line(), c.line()})}));
  // Order changes only what comes first (the targets' order): with one target, nothing.
  CHECK(all == merged_json({c.line(), a.line(), b.line()}));
  // One run merged alone is that run's line again.
  CHECK(merged_json({a.line()}) == a.line());
  CHECK(all.find('\n') == all.size() - 1);  // one line
}

TEST_CASE("merge: the breaker's refusals and openings are summed, its settings shared") {
  Made a, b;
  a.options.breaker = b.options.breaker = 5;
  a.ok(1000, 2).failed(ErrorKind::kConnect, 5).failed(ErrorKind::kCircuitOpen, 93).wall(1);
  a.result.breaker_opens = 1;
  b.failed(ErrorKind::kConnect, 10).failed(ErrorKind::kCircuitOpen, 90).wall(1);
  b.result.breaker_opens = 2;
  const client::RecordedRun total = merged({a.line(), b.line()});
  const auto& errors = total.result.stats.errors;
  CHECK(errors[static_cast<std::size_t>(ErrorKind::kCircuitOpen)] == 183);
  CHECK(errors[static_cast<std::size_t>(ErrorKind::kConnect)] == 15);
  CHECK(total.result.breaker_opens == 3);
  CHECK(total.settings.breaker == 5);

  b.options.breaker = 3;
  client::RecordedRun first = client::read_run(a.line());
  CHECK_THROWS_WITH_AS(client::add_run(first, client::read_run(b.line())),
                       doctest::Contains("ran with --breaker 3 where the runs before it had "
                                         "--breaker 5"),
                       std::invalid_argument);
}

TEST_CASE("merge: runs whose per-request settings differ are not merged") {
  Made a, b;
  a.ok(1000, 1).wall(1);
  b.ok(1000, 1).wall(1);
  b.options.pipeline = 8;
  client::RecordedRun total = client::read_run(a.line());
  CHECK_THROWS_WITH_AS(client::add_run(total, client::read_run(b.line())),
                       doctest::Contains("ran with --pipeline 8 where the runs before it had "
                                         "--pipeline 1"),
                       std::invalid_argument);
  CHECK(total.result.stats.requests == 1);  // left as it was
  b.options.pipeline = 1;
  b.options.mode = client::Mode::kStream;
  CHECK_THROWS_WITH_AS(client::add_run(total, client::read_run(b.line())),
                       doctest::Contains("--mode stream"), std::invalid_argument);
}

TEST_CASE("merge: a line that is not a client's result is refused, naming the key") {
  const std::string good = Made().ok(100, 2).failed(ErrorKind::kConnect, 1).wall(1).line();
  REQUIRE(refusal(good) == "<accepted>");
  CHECK(refusal("[1]") == "\"the line\" is not an object");
  CHECK(refusal(edited(good, "\"histogram\"", "\"histogrum\"")) == "\"histogram\" is missing");
  CHECK(refusal(edited(good, "\"ok\":2", "\"ok\":2.0")) == "\"ok\" is not a whole number");
  CHECK(refusal(edited(good, "\"errors\":1", "\"errors\":0")) == "\"errors\" is not requests - ok");
  CHECK(refusal(edited(good, "\"connect\":1", "\"connect\":0")) ==
        "\"errors_by_kind\" does not add up to \"errors\"");
  CHECK(refusal(edited(good, "\"connect\":1", "\"connect\":0,\"breaker\":1")) ==
        "\"errors_by_kind.breaker\" is not an error kind this client knows");
  CHECK(refusal(edited(good, "\"port\":7878", "\"port\":70000")) ==
        "\"settings.port\" is not a whole number up to 65535");
  CHECK(refusal(edited(good, "\"mode\":\"oneshot\"", "\"mode\":\"udp\""))
            .starts_with("\"settings.mode\" "));
  CHECK(refusal(edited(good, "\"wall_s\":1.000000", "\"wall_s\":-1")) ==
        "\"wall_s\" is not a number >= 0");
  // The histogram must be one this client could have printed.
  CHECK(refusal(edited(edited(good, "[[100,2]]", "[[100,1]]"), "\"sum_us\":200",
                       "\"sum_us\":100")) == "\"histogram\" does not count \"ok\" requests");
  CHECK(refusal(edited(good, "[[100,2]]", "[[100,2,0]]")) ==
        "\"histogram\" holds an entry that is not [value_us,count]");
  // 130 shares a bucket with 131 here: a histogram of another layout.
  CHECK(refusal(edited(good, "[[100,2]]", "[[130,2]]")).find("not the highest value of a bucket") !=
        std::string::npos);
  CHECK(refusal(edited(good, "\"sum_us\":200", "\"sum_us\":900")).find("sum 900 ") !=
        std::string::npos);
  CHECK(refusal(edited(good, "\"min_us\":100", "\"min_us\":10")).find("min 10") !=
        std::string::npos);
  CHECK(refusal(edited(good, "\"targets\":[\"127.0.0.1:7878\"]", "\"targets\":[]")) ==
        "\"settings.targets\" is empty");
}

TEST_CASE("merge: bad input exits 2 naming the file and line, and prints no report") {
  const test::TempDir dir("test-merge");
  const std::string good = Made().ok(1000, 2).wall(1).line();
  const std::string missing = dir.write("x", "") + ".missing";
  Status status = client_main({"--merge", missing});
  CHECK(status.code == 2);
  CHECK(status.err.find("client: --merge: cannot open " + missing + ": No such file") !=
        std::string::npos);
  CHECK(status.out.empty());

  const std::string broken = dir.write("broken.json", good + "\n{\"requests\":1,}\n");
  status = client_main({"--merge", dir.write("good.json", good), broken});
  CHECK(status.code == 2);
  CHECK(status.err == "client: --merge: " + broken +
                          ", line 3: not JSON: at byte offset 14: expected a string key (each "
                          "line must be one whole line that bin/client --json printed)\n");
  CHECK(status.out.empty());

  status = client_main({"--merge", dir.write("other.json", "{\"requests\":1}\n")});
  CHECK(status.code == 2);
  CHECK(status.err.find("other.json, line 1: not a bin/client --json result: \"settings\" is "
                        "missing") != std::string::npos);

  status = client_main({"--merge", dir.write("empty.json", "\n  \n")});
  CHECK(status.code == 2);
  CHECK(status.err.find("empty.json: no bin/client --json result in it") != std::string::npos);

  Made stream;
  stream.options.mode = client::Mode::kStream;
  status = client_main({"--merge", dir.write("mixed.json", good + stream.wall(1).line())});
  CHECK(status.code == 2);
  CHECK(status.err.find("mixed.json, line 2: cannot be merged with the lines before it: it ran "
                        "with --mode stream") != std::string::npos);

  status = client_main({"--merge", dir.path()});  // a folder opens, then fails to read
  CHECK(status.code == 2);
  CHECK(status.err.find("cannot read " + dir.path() + ": Is a directory") != std::string::npos);
}

TEST_CASE("merge: --merge takes files, --json and --quiet, and no load flag") {
  const Status load = client_main({"--merge", "a.json", "--requests", "5"});
  CHECK(load.code == 2);
  CHECK(load.err.find("not --requests (give the load flags to the runs)") != std::string::npos);
  CHECK(client_main({"--merge", "a.json", "--threads=2"}).err.find("not --threads ") !=
        std::string::npos);
  CHECK(client_main({"--merge"}).err.find("--merge wants one or more files") != std::string::npos);
  const Status help = client_main({"--merge", "--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("--merge FILE...") != std::string::npos);

  const auto command = client::parse_merge_command(
      std::vector<std::string>{"--json", "a", "--merge", "-", "--merge=b"});
  REQUIRE(command);
  CHECK(command->files == std::vector<std::string>{"a", "-", "b"});
  CHECK(command->json);
  CHECK_FALSE(client::parse_merge_command(std::vector<std::string>{"--json"}));

  // "-" is stdin, read once; a merge of runs with failures exits 1, as a run does.
  const std::string a = Made().ok(1000, 2).wall(1).line();
  const std::string b = Made().failed(ErrorKind::kConnect, 1).wall(1).line();
  std::istringstream in(a + b);
  std::ostringstream out, err;
  CHECK(client::run_merge(*command, in, out, err) == 2);             // "a" does not exist
  std::istringstream again(a.substr(0, a.size() - 1) + "\r\n" + b);  // CR is whitespace to JSON
  CHECK(client::run_merge({.files = {"-"}, .json = true}, again, out, err) == 1);
  CHECK(out.str().starts_with("{\"requests\":3,\"ok\":2,\"errors\":1,"));
  std::istringstream quiet(a);
  std::ostringstream nothing;
  CHECK(client::run_merge({.files = {"-"}, .quiet = true}, quiet, nothing, err) == 0);
  CHECK(nothing.str().empty());
  std::istringstream quiet_json(a);
  CHECK(client::run_merge({.files = {"-"}, .json = true, .quiet = true}, quiet_json, nothing,
                          err) == 0);
  CHECK(nothing.str() == a);  // --quiet keeps the JSON line asked for, as in a run
}

TEST_CASE("merge: two real runs, their JSON lines written to files, merge to their sum") {
  const test::RunningServer server(data_layer::Mode::kOneshot);
  const test::RefusedPort nobody;
  const test::TempDir dir("test-merge");
  const Status first = client_main({"--target", server.target(), "--requests", "30", "--json"});
  const Status second =
      client_main({"--port", std::to_string(server.port), "--requests", "12", "--json"});
  const Status refused = client_main({"--port", nobody.port(), "--requests", "3", "--json"});
  REQUIRE(first.code == 0);
  REQUIRE(second.code == 0);
  REQUIRE(refused.code == 1);
  const std::string a = dir.write("a.json", first.out);
  const std::string b = dir.write("b.json", second.out + refused.out);

  const Status json = client_main({"--merge", a, b, "--json"});
  CHECK(json.code == 1);  // the refused run's requests failed
  CHECK(json.err.empty());
  const client::RecordedRun total = client::read_run(json.out);
  CHECK(total.result.stats.requests == 45);
  CHECK(total.result.stats.ok == 42);
  CHECK(total.result.stats.errors_of(ErrorKind::kConnect) == 3);
  CHECK(total.result.stats.latency.count() == 42);
  REQUIRE(total.settings.targets.size() == 2);  // the server, and the refused port
  CHECK(total.result.by_target[0].ok == 42);
  CHECK(total.result.by_target[1].failed() == 3);

  const Status summary = client_main({"--merge", a, b});
  CHECK(summary.code == 1);
  CHECK(summary.out.find("merge: 3 run(s)") != std::string::npos);
  CHECK(summary.out.find("requests 45   ok 42   failed 3") != std::string::npos);
  CHECK(summary.out.find("by target:\n  " + server.target() + "   ok 42   errors 0") !=
        std::string::npos);
}

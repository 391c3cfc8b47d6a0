// client --target: the parsing of HOST:PORT lists, and runs against two in-process servers
// (bin/server's Server, port 0) that count their accepts, so the round-robin split of the
// connections can be checked exactly, with the report's line per target.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "client/dispenser.hpp"
#include "client/options.hpp"
#include "client/run.hpp"
#include "client/targets.hpp"
#include "client/thread_load.hpp"
#include "tests/count_of.hpp"
#include "tests/running_server.hpp"
#include "tests/watchdog.hpp"

using test::count_of;

namespace {

std::vector<client::Target> parsed(const std::vector<std::string>& args) {
  return client::resolve(client::parse_options(args)).targets;
}

using Running = test::RunningServer;

struct Ran {
  int status;
  std::string out;
};

Ran run_client(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int status = test::bounded("the client's run to end", [&] {
    return client::run(args, client::Output{out, err, false});
  });
  CHECK(err.str().empty());
  return {status, out.str()};
}

}  // namespace

TEST_CASE("client target: --target takes HOST:PORT, [IPv6]:PORT and lists, duplicates kept") {
  const auto one = parsed({"--target", "10.0.0.1:7001"});
  REQUIRE(one.size() == 1);
  CHECK(one[0].host == "10.0.0.1");
  CHECK(one[0].port == 7001);
  const auto several = parsed(
      {"--target", "a.example:1,[::1]:2", "--target=localhost:3", "--target", "a.example:1"});
  REQUIRE(several.size() == 4);
  CHECK(several[1].host == "::1");  // without its brackets, as resolve() takes it
  CHECK(several[1].label() == "[::1]:2");
  CHECK(several[2].label() == "localhost:3");
  CHECK(several[3].label() == several[0].label());  // a server named twice gets two shares
  // With --target, --host and --port in the settings are the first target's.
  const auto options =
      client::resolve(client::parse_options(std::vector<std::string>{"--target", "[::1]:9,b:8"}));
  CHECK(options.host == "::1");
  CHECK(options.port == 9);
  // Without it, the old flags make the one target.
  const auto old = parsed({"--host", "localhost", "--port", "7001"});
  REQUIRE(old.size() == 1);
  CHECK(old[0].label() == "localhost:7001");
  CHECK(parsed(std::vector<std::string>{})[0].label() == "127.0.0.1:7878");
}

TEST_CASE("client target: a malformed --target, or one beside --host or --port, is bad usage") {
  auto message = [](const std::vector<std::string>& args) -> std::string {
    try {
      (void)client::parse_options(args);
    } catch (const client::UsageError& error) {
      return error.what();
    }
    return "<accepted>";
  };
  for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:80x", "::1:80",
                          "[::1]", "[::1]80", "[::1:80", "[]:80", "a:1,", ",a:1", "a:1,,b:2"}) {
    const std::string why = message({"--target", bad});
    CHECK_MESSAGE(why.find("--target") != std::string::npos, bad, ": ", why);
  }
  CHECK(message({"--target", "::1:80"}).find("brackets") != std::string::npos);
  CHECK(message({"--target", "a:1", "--host", "b"}).find("replaces --host and --port") !=
        std::string::npos);
  CHECK(message({"--port", "1", "--target", "a:1"}).find("replaces") != std::string::npos);
  // The binary's answer: exit 2, with the reason.
  std::ostringstream out, err;
  CHECK(client::run(std::vector<std::string>{"--target", "nowhere"}, {out, err, false}) == 2);
  CHECK(err.str().find("--target") != std::string::npos);
}

TEST_CASE("client target: a target that does not resolve is named, and the run is bad usage") {
  std::ostringstream out, err;
  const std::vector<std::string> args = {"--target", "127.0.0.1:1,no-such-host.invalid:2"};
  CHECK(client::run(args, {out, err, false}) == 2);
  CHECK(err.str().find("--target no-such-host.invalid:2") != std::string::npos);
}

TEST_CASE("client target: stream lanes are numbered over the threads, and take targets in turn") {
  // Five lanes on two threads: thread 0 has lanes 0, 2, 4 and thread 1 lanes 1, 3 (load.cpp),
  // so over three targets the lanes go 0, 1, 2, 0, 1: two, two and one.
  const client::Options options = client::resolve(client::Options{});
  const std::vector<runtime::SocketAddress> targets(3);
  client::Dispenser dispenser(options, client::Clock::now());
  const client::PrintLine print = [](const std::string&) {};
  client::ThreadLoad first(options, targets, dispenser, print, 0, 2);
  client::ThreadLoad second(options, targets, dispenser, print, 1, 2);
  std::vector<std::size_t> lanes_of(3, 0);
  for (int lane = 0; lane < 3; ++lane)
    ++lanes_of[first.next_lane_target()];
  for (int lane = 0; lane < 2; ++lane)
    ++lanes_of[second.next_lane_target()];
  CHECK(lanes_of == std::vector<std::size_t>{2, 2, 1});
  CHECK(first.by_target.size() == 3);  // split by target, since there are several
  CHECK(first.target_of(7) == 1);      // oneshot: request 7 of 3 targets
}

TEST_CASE("client target: oneshot requests are split exactly round-robin, a line per target") {
  Running a(data_layer::Mode::kOneshot), b(data_layer::Mode::kOneshot);
  // 101 requests over two threads: 51 for the first target, 50 for the second, whichever
  // thread sends which.
  const Ran json = run_client(
      {"--target", a.target() + "," + b.target(), "--requests", "101", "--threads", "2", "--json"});
  CHECK(json.status == 0);
  CHECK(a.server.accepted() == 51);
  CHECK(b.server.accepted() == 50);
  CHECK(json.out.find("\"per_target\":[{\"target\":\"" + a.target() +
                      "\",\"requests\":51,\"ok\":51,\"errors\":0,") != std::string::npos);
  CHECK(json.out.find("{\"target\":\"" + b.target() +
                      "\",\"requests\":50,\"ok\":50,\"errors\":0,") != std::string::npos);
  CHECK(json.out.find("\"targets\":[\"" + a.target() + "\",\"" + b.target() + "\"]") !=
        std::string::npos);
  // The summary: the totals, then one line per target.
  const Ran summary = run_client(
      {"--target", a.target(), "--target", b.target(), "--requests", "10", "--threads", "1"});
  CHECK(summary.status == 0);
  CHECK(summary.out.find("2 targets") != std::string::npos);
  CHECK(summary.out.find("ok 10 ") != std::string::npos);
  CHECK(summary.out.find("by target:\n  " + a.target() + "   ok 5   errors 0") !=
        std::string::npos);
  CHECK(summary.out.find("\n  " + b.target() + "   ok 5   errors 0") != std::string::npos);
  CHECK(a.server.accepted() == 56);
  CHECK(b.server.accepted() == 55);
}

TEST_CASE("client target: a server named twice gets two shares, and two lines") {
  Running a(data_layer::Mode::kOneshot), b(data_layer::Mode::kOneshot);
  const Ran ran = run_client(
      {"--target", a.target() + "," + a.target() + "," + b.target(), "--requests", "9", "--json"});
  CHECK(ran.status == 0);
  CHECK(a.server.accepted() == 6);
  CHECK(b.server.accepted() == 3);
  CHECK(count_of(ran.out, "{\"target\":\"" + a.target() + "\",\"requests\":3,") == 2);
}

TEST_CASE("client target: each stream lane keeps one connection to its own target") {
  Running a(data_layer::Mode::kStream), b(data_layer::Mode::kStream);
  // One thread, two lanes: lane 0 to the first target, lane 1 to the second. Neither can
  // take every request before the other starts: a lane waits for its first reply.
  const Ran ran = run_client({"--target", a.target() + "," + b.target(), "--mode", "stream",
                              "--requests", "200", "--concurrency", "2", "--threads", "1"});
  CHECK(ran.status == 0);
  CHECK(a.server.accepted() == 1);
  CHECK(b.server.accepted() == 1);
  CHECK(ran.out.find("by target:\n  " + a.target() + "   ok ") != std::string::npos);
  CHECK(ran.out.find("\n  " + b.target() + "   ok ") != std::string::npos);
  CHECK(ran.out.find("requests 200   ok 200") != std::string::npos);
}

TEST_CASE("client target: one target reports as before, with no lines per target") {
  Running a(data_layer::Mode::kOneshot);
  const Ran ran = run_client({"--target", a.target(), "--requests", "4", "--json"});
  CHECK(ran.status == 0);
  CHECK(ran.out.find("per_target") == std::string::npos);
  CHECK(ran.out.find("\"host\":\"127.0.0.1\",\"port\":" + std::to_string(a.port)) !=
        std::string::npos);
}

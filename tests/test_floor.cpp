// floor: the floor tools of the benchmark suite (scripts/floor/, docs/BENCHMARKS.md "The
// floor") speak the protocol. They share no code with ours, so each side checks the other:
// our client library against floor-server, floor-client against our Server, in both modes,
// every reply checked; and floor-client must notice a wrong reply or a refused connection.
//
// The tools are programs of their own, so each test runs the built binaries as child
// processes: the Makefile builds them before the suite and compiles their folder in as
// FLOOR_BIN_DIR (the FLOOR_BIN environment variable overrides it). Every wait on a child is
// bounded (poll on its stdout, or on a pidfd for its exit), and every child is stopped and
// reaped whatever the test's outcome. Everything is on 127.0.0.1 with port 0.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "client/run.hpp"
#include "server/config.hpp"
#include "server/log.hpp"
#include "server/server.hpp"
#include "tests/child_process.hpp"
#include "tests/refused_port.hpp"
#include "tests/watchdog.hpp"

#ifndef FLOOR_BIN_DIR
#error "FLOOR_BIN_DIR: the folder of floor-server and floor-client (the Makefile passes it)"
#endif

using namespace std::chrono_literals;

using test::Child;
using test::Stderr;

namespace {

// Our server logs a warning per dropped connection; keep the output to real failures.
const bool kQuiet = (server::set_log_level(server::LogLevel::kError), true);

// Far beyond any run here, even under TSan on a busy machine: reaching one is a failure.
constexpr auto kStartLimit = test::kWatchdogLimit;
constexpr auto kRunLimit = 120s;
constexpr auto kStopLimit = test::kWatchdogLimit;

std::string floor_bin(const std::string& program) {
  const char* dir = std::getenv("FLOOR_BIN");
  return std::string(dir != nullptr && *dir != '\0' ? dir : FLOOR_BIN_DIR) + "/" + program;
}

// floor-server on a free port; port() is read from its "listening on HOST:PORT" line.
class FloorServer {
 public:
  explicit FloorServer(std::vector<std::string> flags)
      : child_(floor_bin("floor-server"), with_port_0(std::move(flags))) {
    const std::string line = child_.read_line(kStartLimit);
    REQUIRE_MESSAGE(line.starts_with("listening on 127.0.0.1:"), "floor-server said: " << line);
    port_ = line.substr(line.rfind(':') + 1);
  }
  const std::string& port() const { return port_; }
  int stop() { return child_.stop(); }

 private:
  static std::vector<std::string> with_port_0(std::vector<std::string> flags) {
    flags.insert(flags.begin(), {"--port", "0"});
    return flags;
  }

  Child child_;
  std::string port_;
};

// A run of floor-client to its end: its exit status and its stdout.
struct FloorRun {
  int status;
  std::string out;
};

FloorRun run_floor_client(const std::vector<std::string>& args, Stderr stderr_to = Stderr::kShown) {
  Child client(floor_bin("floor-client"), args, stderr_to);
  std::string out = client.read_all(kRunLimit);
  return {client.wait(kStopLimit), std::move(out)};
}

// The value of "key" in a one-line JSON object, as text (each key here is unique).
std::string json_field(const std::string& line, const std::string& key) {
  const std::string marker = "\"" + key + "\":";
  const auto at = line.find(marker);
  if (at == std::string::npos) return "<missing>";
  const auto begin = at + marker.size();
  return line.substr(begin, line.find_first_of(",}", begin) - begin);
}

double json_number(const std::string& line, const std::string& key) {
  const std::string text = json_field(line, key);
  return text == "<missing>" ? -1 : std::stod(text);
}

// floor-client's JSON line: exactly one line, with the keys scripts/bench.sh reads first,
// in this order.
void check_json_shape(const std::string& out) {
  REQUIRE(!out.empty());
  CHECK(out.find('\n') == out.size() - 1);
  CHECK(out.starts_with("{\"requests\":"));
  std::size_t previous = 0;
  for (const char* key : {"requests", "ok", "errors", "wall_s", "rps"}) {
    const auto at = out.find(std::string("\"") + key + "\":");
    CHECK_MESSAGE(at != std::string::npos, key);
    CHECK_MESSAGE(at >= previous, key);
    previous = at;
  }
}

// Our client library, as bin/client runs it, with --json; returns its line.
std::string run_our_client(std::vector<std::string> args) {
  args.push_back("--json");
  std::ostringstream out, err;
  const int status = test::bounded("our client's run to end", [&] {
    return client::run(args, client::Output{out, err, false});
  });
  CHECK_MESSAGE(status == 0, err.str());
  return out.str();
}

// Our server, in-process, on a free port.
struct OurServer {
  explicit OurServer(server::Mode mode)
      : server(config(mode)), port(std::to_string(server.start())) {}
  static server::Config config(server::Mode mode) {
    server::Config config;
    config.port = 0;
    config.mode = mode;
    config.delay = 0ms;
    // Past the watchdog: no connection here may be dropped for a pause, however long.
    config.idle_timeout = test::kBeyondWatchdog;
    config.grace = test::kBeyondWatchdog;
    return config;
  }
  server::Summary stop() {
    server.request_shutdown();
    return test::bounded("our server's threads to end", [this] { return server.wait(); });
  }

  server::Server server;
  std::string port;
};

// A deliberately wrong server on a thread: one connection at a time, and each chunk it
// receives comes back with its last byte changed. Every blocking call is bounded by
// SO_RCVTIMEO/SO_SNDTIMEO, and the destructor joins the thread.
class WrongEchoServer {
 public:
  explicit WrongEchoServer(int connections) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    socklen_t size = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = std::to_string(ntohs(address.sin_port));
    thread_.emplace("the wrong echo server", [this, connections] { serve(connections); });
  }
  ~WrongEchoServer() {
    ::shutdown(listener_, SHUT_RDWR);  // wakes an accept still waiting
    thread_.reset();                   // joins it
    ::close(listener_);
  }
  const std::string& port() const { return port_; }

 private:
  void serve(int connections) {
    for (int i = 0; i < connections; ++i) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      const timeval limit{static_cast<time_t>(test::kWatchdogLimit.count()), 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      char chunk[4096];
      for (;;) {  // bounded: ends at end of stream, on an error or at the receive timeout
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        chunk[n - 1] ^= 1;
        if (::send(fd, chunk, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
      }
      ::close(fd);
    }
  }

  int listener_ = -1;
  std::string port_;
  std::optional<test::JoinedThread> thread_;  // started once the listener is bound
};

}  // namespace

TEST_CASE("floor: floor-server gives our client the greeting, at once and after its delay") {
  FloorServer at_once({"--delay-ms", "0"});
  const auto line = run_our_client({"--port", at_once.port(), "--requests", "300"});
  CHECK(json_number(line, "ok") == 300);
  FloorServer delayed({"--delay-ms", "50"});
  const auto late = run_our_client({"--port", delayed.port(), "--requests", "100"});
  CHECK(json_number(late, "ok") == 100);
  CHECK(json_number(late, "p50_us") >= 49'000);  // none before its deadline (histogram: ±1.6%)
  CHECK(at_once.stop() == 0);                    // SIGTERM: status 0
  CHECK(delayed.stop() == 0);
}

TEST_CASE("floor: floor-server echoes our client's pipelined stream, small and split frames") {
  FloorServer server({"--mode", "stream"});
  const auto line = run_our_client({"--port", server.port(), "--mode", "stream", "--requests",
                                    "3000", "--concurrency", "4", "--pipeline", "16"});
  CHECK(json_number(line, "ok") == 3000);
  // 300 kB frames: each arrives in many reads and goes back in several writes.
  const auto large =
      run_our_client({"--port", server.port(), "--mode", "stream", "--requests", "12",
                      "--concurrency", "2", "--pipeline", "3", "--size", "300000"});
  CHECK(json_number(large, "ok") == 12);
  CHECK(server.stop() == 0);
}

TEST_CASE("floor: floor-server drops a frame longer than --max-frame") {
  FloorServer server({"--mode", "stream", "--max-frame", "100"});
  std::ostringstream out, err;
  const std::vector<std::string> args = {"--port", server.port(), "--mode", "stream", "--requests",
                                         "2",      "--size",      "101",    "--json"};
  CHECK(test::bounded("our client's run to end", [&] {
          return client::run(args, client::Output{out, err, false});
        }) == 1);
  CHECK(json_number(out.str(), "ok") == 0);
  CHECK(server.stop() == 0);
}

TEST_CASE("floor: floor-client drives our server in both modes and prints one JSON line") {
  OurServer oneshot(server::Mode::kOneshot);
  const FloorRun greeted = run_floor_client(
      {"--port", oneshot.port, "--requests", "300", "--concurrency", "50", "--json"});
  CHECK(greeted.status == 0);
  check_json_shape(greeted.out);
  CHECK(json_number(greeted.out, "requests") == 300);
  CHECK(json_number(greeted.out, "ok") == 300);
  CHECK(json_number(greeted.out, "errors") == 0);
  CHECK(json_number(greeted.out, "wall_s") > 0);
  CHECK(oneshot.stop().connections() == 300);

  OurServer stream(server::Mode::kStream);
  const FloorRun echoed =
      run_floor_client({"--port", stream.port, "--mode", "stream", "--requests", "5000",
                        "--concurrency", "4", "--pipeline", "8", "--json"});
  CHECK(echoed.status == 0);
  check_json_shape(echoed.out);
  CHECK(json_number(echoed.out, "ok") == 5000);
  CHECK(json_field(echoed.out, "concurrency") == "4");
  const server::Summary summary = stream.stop();
  CHECK(summary.connections() == 4);  // keep-alive: one connection each, however many requests
  CHECK(summary.errors.empty());      // and each ended cleanly: our side shut, then read to the end
}

TEST_CASE("floor: the two floor tools agree with each other") {
  FloorServer oneshot({"--delay-ms", "0"});
  const FloorRun greeted =
      run_floor_client({"--port", oneshot.port(), "--requests", "500", "--concurrency", "64"});
  CHECK(greeted.status == 0);
  CHECK(greeted.out.find("500 ok, 0 errors") != std::string::npos);
  FloorServer stream({"--mode", "stream"});
  const FloorRun echoed =
      run_floor_client({"--port", stream.port(), "--mode", "stream", "--requests", "10001",
                        "--concurrency", "3", "--pipeline", "16", "--json"});
  CHECK(echoed.status == 0);
  CHECK(json_number(echoed.out, "ok") == 10001);  // split unevenly: 3334, 3334, 3333
  CHECK(oneshot.stop() == 0);
  CHECK(stream.stop() == 0);
}

TEST_CASE("floor: floor-client counts a wrong reply and a refused connection, and exits 1") {
  WrongEchoServer wrong(2);
  const FloorRun stream = run_floor_client({"--port", wrong.port(), "--mode", "stream",
                                            "--requests", "5", "--concurrency", "1", "--json"},
                                           Stderr::kQuiet);
  CHECK(stream.status == 1);
  CHECK(json_number(stream.out, "ok") == 0);
  CHECK(json_number(stream.out, "mismatch") == 5);  // each reply wrong in its last byte
  const FloorRun oneshot =
      run_floor_client({"--port", wrong.port(), "--requests", "1", "--json"}, Stderr::kQuiet);
  CHECK(oneshot.status == 1);
  CHECK(json_number(oneshot.out, "errors") == 1);  // the echoed request is no greeting

  const test::RefusedPort refused;
  for (const char* mode : {"oneshot", "stream"}) {
    const FloorRun run = run_floor_client(
        {"--port", refused.port(), "--mode", mode, "--requests", "6", "--json"}, Stderr::kQuiet);
    CHECK(run.status == 1);
    CHECK(json_number(run.out, "connect") == 6);
    CHECK(json_number(run.out, "errors") == 6);
  }
}

TEST_CASE("floor: bad usage exits 2 and --help exits 0, for both tools") {
  for (const char* program : {"floor-server", "floor-client"}) {
    for (const std::vector<std::string>& bad : {std::vector<std::string>{"--mode", "udp"},
                                                {"--port", "70000"},
                                                {"--bogus"},
                                                {"stray"},
                                                {"--port"}}) {
      Child child(floor_bin(program), bad, Stderr::kQuiet);
      CHECK_MESSAGE(child.wait(kStopLimit) == 2, program << " " << bad.front());
    }
    Child help(floor_bin(program), {"--help"});
    CHECK(help.read_all(kStopLimit).starts_with("usage: "));
    CHECK(help.wait(kStopLimit) == 0);
  }
  Child delayed_stream(floor_bin("floor-server"), {"--mode", "stream", "--delay-ms", "5"},
                       Stderr::kQuiet);
  CHECK(delayed_stream.wait(kStopLimit) == 2);  // the floor's stream mode has no delay queue
  Child no_requests(floor_bin("floor-client"), {"--requests", "0"}, Stderr::kQuiet);
  CHECK(no_requests.wait(kStopLimit) == 2);
}

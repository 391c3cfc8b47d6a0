// server process: bin/server itself, run as a child process, as a user runs it. Pinned here:
// SIGTERM and SIGINT finish the requests in flight and exit 0; a second signal cuts the
// grace period short, and so does the grace period running out by itself; a request half
// received when the signal comes is still answered; a server with fewer descriptors than
// connections serves them all, in turn; and a server whose threads cannot all start says
// so and exits 1, instead of hanging; a burst of 10,000 connections with the default flags
// overflows no accept queue. Every wait is bounded (test::Child).
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "data_layer/data.hpp"
#include "tests/child_process.hpp"
#include "tests/server_process.hpp"

using namespace std::chrono_literals;
using test::Child;
using test::kProcessLimit;
using test::kSanitized;
using test::Request;
using test::send_requests;
using test::ServerProcess;

namespace {

constexpr auto kLimit = kProcessLimit;
const std::string kServer = test::bin_path("server");

// bin/server with `workers` workers under the shell's `limit`, which must keep them from
// starting: CHECKs that it says "cannot start" and exits 1, and returns what it said.
std::string failed_start(const std::string& limit, const std::string& workers) {
  Child server("/bin/sh",
               {"-c", limit + " && exec \"$0\" --port 0 --workers \"$1\" 2>&1", kServer, workers});
  const std::string said = server.read_all(kLimit);
  CHECK(server.wait(kLimit) == 1);
  CHECK_MESSAGE(said.find("cannot start") != std::string::npos, "the server said: " << said);
  return said;
}

// The kernel's count of handshakes dropped because a listener's accept queue was full
// (nstat's TcpExt ListenOverflows), for this network namespace; nullopt if unreadable.
std::optional<long> listen_overflows() {
  std::ifstream netstat("/proc/net/netstat");
  std::string names, values;
  while (std::getline(netstat, names) && std::getline(netstat, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream name_words(names), value_words(values);
    std::string name, value;
    while (name_words >> name && value_words >> value)
      if (name == "ListenOverflows") return std::stol(value);
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("server process: SIGTERM and SIGINT finish the requests in flight, then exit 0") {
  for (const int signal : {SIGTERM, SIGINT}) {
    CAPTURE(signal);
    ServerProcess server({"--delay-ms", "300"});
    auto requests = send_requests(server.port(), 5);
    server.wait_for("Received connection: #5 ");  // all five handed to a worker
    ::kill(server.child().pid(), signal);
    for (auto& request : requests)
      CHECK(request->reply() == data_layer::kGreeting);
    CHECK(server.child().wait(kLimit) == 0);
  }
}

TEST_CASE("server process: a second signal cuts the grace period short, and it still exits 0") {
  ServerProcess server({"--delay-ms", "60000", "--grace-ms", "60000"});
  auto requests = send_requests(server.port(), 3);
  server.wait_for("Received connection: #3 ");
  // Their replies are a minute away, and so is the end of the grace period: only the
  // second signal can end the server within the limit.
  ::kill(server.child().pid(), SIGTERM);
  // Two signals sent at once may arrive as one (a pending signal is not queued twice):
  // the second goes once the server has acted on the first.
  server.wait_for("shutting down");
  ::kill(server.child().pid(), SIGTERM);
  server.wait_for("second shutdown request");
  CHECK(server.child().wait(kLimit) == 0);
  for (auto& request : requests)
    CHECK(request->reply().empty());  // cut: closed without a reply
}

// A worker thread that cannot start (here: too little address space for 1,024 thread
// stacks) must end the server with a message that says what to do, and exit status 1. It
// used to leave the workers already started waiting for connections, and main() joined
// them for ever.
TEST_CASE(
    "server process: threads that cannot all start end the server with an error, not a hang") {
  if (kSanitized) {
    MESSAGE("skipped: a sanitizer's shadow memory does not fit under an address-space limit");
    return;
  }
  const std::string said = failed_start("ulimit -v 400000", "1024");
  CHECK_MESSAGE(said.find("--workers") != std::string::npos, "the server said: " << said);
}

TEST_CASE("server process: the grace period running out by itself cuts what is left, exit 0") {
  ServerProcess server({"--delay-ms", "60000", "--grace-ms", "200"});
  auto requests = send_requests(server.port(), 3);
  server.wait_for("Received connection: #3 ");
  ::kill(server.child().pid(), SIGTERM);
  // Their replies are a minute away: only the end of the grace period can close them
  // within the limit, and nothing else cuts them.
  for (auto& request : requests)
    CHECK(request->reply().empty());
  CHECK(server.child().wait(kLimit) == 0);
  CHECK(server.wait_for("summary: ").find("cut_by_shutdown 3") != std::string::npos);
}

TEST_CASE("server process: a request half received when SIGTERM comes is still answered") {
  ServerProcess server({"--delay-ms", "0"});
  const auto frame = data_layer::serialize(data_layer::Data{7, 1, "half now, half later"});
  const std::size_t half = frame.size() / 2;
  Request request(server.port(), data_layer::Bytes(frame.begin(), frame.begin() + half));
  server.wait_for("Received connection: #1 ");
  ::kill(server.child().pid(), SIGTERM);
  server.wait_for("shutting down");
  request.send(data_layer::Bytes(frame.begin() + half, frame.end()));
  CHECK(request.reply() == data_layer::kGreeting);
  CHECK(server.child().wait(kLimit) == 0);
}

// The descriptor table full: accept fails with EMFILE, the connections wait in the listen
// backlog, and the dispatcher backs off until handlers finish and free their descriptors.
TEST_CASE("server process: with fewer descriptors than connections, it serves them all in turn") {
  if (test::kUndefinedSanitized) {
    MESSAGE("skipped: UBSan needs a free descriptor for its checks, and this test leaves none");
    return;
  }
  ServerProcess server({"--delay-ms", "20"}, "ulimit -n 48 &&");
  constexpr int kConnections = 120;  // more than the 48 descriptors, so some must wait
  auto requests = send_requests(server.port(), kConnections);
  for (auto& request : requests)
    CHECK(request->reply() == data_layer::kGreeting);
  server.wait_for("backing off until fds free up");
  CHECK(server.child().stop(kLimit) == 0);
  CHECK(server.wait_for("summary: ").find(std::to_string(kConnections) + " connections") !=
        std::string::npos);
}

// Each worker's runtime needs descriptors of its own (an epoll fd and a wake-up fd): 64
// workers under a limit of 16 cannot all have them. The thread that finds none used to
// throw out of its own function, which aborts the process.
TEST_CASE("server process: a server without descriptors for its threads says so and exits 1") {
  if (test::kUndefinedSanitized) {
    MESSAGE("skipped: UBSan needs a free descriptor for its checks, and this test leaves none");
    return;
  }
  const std::string said = failed_start("ulimit -n 16", "64");
  CHECK_MESSAGE(said.find("ulimit -n") != std::string::npos, "the server said: " << said);
}

TEST_CASE("client process: at the descriptor limit it lowers its concurrency and still succeeds") {
  ServerProcess server({"--delay-ms", "0"});
  Child client("/bin/sh", {"-c", "ulimit -n 100 && exec \"$0\" \"$@\" 2>&1",
                           test::bin_path("client"), "--port", std::to_string(server.port()),
                           "--requests", "300", "--concurrency", "300"});
  const std::string said = client.read_all(kLimit);
  CHECK_MESSAGE(client.wait(kLimit) == 0, "the client said: " << said);  // every request ok
  CHECK_MESSAGE(said.find("--concurrency 300 needs more open files than the limit of 100") !=
                    std::string::npos,
                "the client said: " << said);
  CHECK(server.child().stop(kLimit) == 0);
}

// Counted, not timed: every handshake of a 10,000-connection burst (the client's default
// flags, every request in flight at once) reaches the server's accept queue, which a
// handshake dropped and retried a second later would show as a ListenOverflow (and cost
// that request a second). docs/BENCHMARKS.md, "A burst of connections", has what made them
// once: a descriptor table grown inside accept() (runtime/fd_limit.hpp).
TEST_CASE("server process: a burst of 10,000 connections overflows no accept queue") {
  constexpr int kBurst = 10'000;
  if (kSanitized) {
    MESSAGE(
        "skipped: a sanitized server accepts too slowly for the claim, made of the release build");
    return;
  }
  const std::optional<long> before = listen_overflows();
  if (!before) {
    MESSAGE("skipped: /proc/net/netstat has no ListenOverflows here");
    return;
  }
  ServerProcess server({"--log-level", "info", "--delay-ms", "200"});
  Child client("/bin/sh", {"-c", "exec \"$0\" \"$@\" 2>&1", test::bin_path("client"), "--port",
                           std::to_string(server.port()), "--requests", std::to_string(kBurst)});
  const std::string said = client.read_all(kLimit);
  CHECK_MESSAGE(client.wait(kLimit) == 0, "the client said: " << said);
  CHECK(listen_overflows().value_or(-1) == *before);
  CHECK(server.child().stop(kLimit) == 0);
}

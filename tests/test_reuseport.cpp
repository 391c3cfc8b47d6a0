// --reuseport: two servers in one process listen on one port with SO_REUSEPORT, the kernel
// spreads connections over both, and one of them shutting down finishes its own requests
// while the other, untouched, serves everything that comes after. Without the flag the
// second bind is refused. In-process Servers, blocking loopback clients (test::Request).
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <system_error>
#include <vector>

#include "data_layer/data.hpp"
#include "server/config.hpp"
#include "server/log.hpp"
#include "server/server.hpp"
#include "tests/server_process.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using test::Request;

namespace {

// The grace period is past the watchdog: a stop that cut the requests in flight would
// count them, and one that waited the grace out would abort the run.
server::Config shared_port(std::uint16_t port, std::chrono::milliseconds delay) {
  server::Config config;
  config.port = port;
  config.delay = delay;
  config.reuseport = true;
  config.workers = 1;
  config.grace = test::kBeyondWatchdog;
  return config;
}

// Bounded, without sleeping: until the two have accepted `count` connections between them.
// A connection still in a listener's queue when that listener closes is reset by the kernel
// (docs/SCALING.md), so a test stops one only once nothing waits in its queue.
bool accepted_between(const server::Server& one, const server::Server& other, std::uint64_t count) {
  test::spin_until([&] { return one.accepted() + other.accepted() >= count; });
  return one.accepted() + other.accepted() == count;
}

// Server::wait(), bounded: the threads end once shutdown has run its course.
server::Summary wait_for_end(server::Server& server) {
  return test::bounded("the server's threads to end", [&] { return server.wait(); });
}

}  // namespace

TEST_CASE("reuseport: two servers share a port, the kernel spreads connections over both") {
  server::set_log_level(server::LogLevel::kError);
  server::Server first(shared_port(0, 200ms));
  const std::uint16_t port = first.start();
  server::Server second(shared_port(port, 200ms));
  REQUIRE(second.start() == port);
  // 64 connections from 64 source ports: each server gets some (the chance that a fair
  // hash gives one of them none is 2 in 2^64).
  auto requests = test::send_requests(port, 64);
  REQUIRE(accepted_between(first, second, 64));
  CHECK(first.accepted() > 0);
  CHECK(second.accepted() > 0);
  // One stops; what it accepted is still answered, as is what the other holds.
  first.request_shutdown();
  for (auto& request : requests)
    CHECK(request->reply() == data_layer::kGreeting);
  const server::Summary stopped = wait_for_end(first);
  CHECK(stopped.errors.empty());
  // Its listener is closed: everything from now on is the other's, and all of it served.
  const std::uint64_t before = second.accepted();
  auto later = test::send_requests(port, 8);
  for (auto& request : later)
    CHECK(request->reply() == data_layer::kGreeting);
  CHECK(second.accepted() == before + 8);
  CHECK(stopped.connections() + second.accepted() == 64 + 8);
  second.request_shutdown();
  CHECK(wait_for_end(second).errors.empty());
}

TEST_CASE("reuseport: without the flag a second server on the port is refused") {
  server::set_log_level(server::LogLevel::kError);
  server::Server first(shared_port(0, 0ms));
  const std::uint16_t port = first.start();
  server::Config exclusive = shared_port(port, 0ms);
  exclusive.reuseport = false;
  server::Server second(exclusive);
  CHECK_THROWS_AS(second.start(), std::system_error);
  first.request_shutdown();
  (void)wait_for_end(first);
}

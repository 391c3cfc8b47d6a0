// server process: bin/server itself, run as a child process, as a user runs it. Pinned here:
// SIGTERM and SIGINT finish the requests in flight and exit 0; a second signal cuts the
// grace period short; and a server whose threads cannot all start says so and exits 1,
// instead of hanging. Every wait is bounded (test::Child), on 127.0.0.1 with port 0.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "data_layer/data.hpp"
#include "tests/child_process.hpp"

#ifndef SERVER_BIN_DIR
#error "SERVER_BIN_DIR: the folder of bin/server (the Makefile passes it)"
#endif

using namespace std::chrono_literals;
using test::Child;

namespace {

// Far beyond any run here, even under TSan on a busy machine: reaching one is a failure.
constexpr auto kLimit = 20s;

// `make test` names the build's own bin/ folder; a bare run of run-tests takes the one it
// was compiled for.
const std::string kServer = [] {
  const char* dir = std::getenv("SERVER_BIN_DIR");
  return std::string(dir != nullptr && *dir != '\0' ? dir : SERVER_BIN_DIR) + "/server";
}();

// bin/server on a free port, at --log-level debug, its stderr read with its stdout (so a
// test can wait for the book's "Received connection" lines); port() is read from its
// "listening on HOST:PORT" line.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> flags)
      : child_("/bin/sh", shell_args(std::move(flags))) {
    const std::string line = wait_for("listening on 127.0.0.1:");
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  }
  std::uint16_t port() const { return port_; }
  Child& child() { return child_; }

  // The first line that contains `text` (REQUIREd within the limit).
  std::string wait_for(const std::string& text) {
    for (int line = 0; line < 10'000; ++line) {  // bounded, and each read by kLimit
      std::string said = child_.read_line(kLimit);
      if (said.find(text) != std::string::npos) return said;
      REQUIRE_MESSAGE(!said.empty(), "the server never said \"" << text << "\"");
    }
    FAIL("the server never said \"" << text << "\"");
    return "";
  }

 private:
  // sh execs the server, so the child's pid is the server's.
  static std::vector<std::string> shell_args(std::vector<std::string> flags) {
    std::vector<std::string> args = {
        "-c", "exec \"$0\" \"$@\" 2>&1", kServer, "--port", "0", "--log-level", "debug"};
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  Child child_;
  std::uint16_t port_ = 0;
};

// A blocking connection that has sent one request; reads are bounded by SO_RCVTIMEO.
class Request {
 public:
  Request(std::uint16_t port, std::uint32_t id) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    const timeval limit{static_cast<time_t>(kLimit.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
      throw std::runtime_error("connect failed");
    }
    const auto frame = data_layer::serialize(data_layer::Data{id, 1, "in flight"});
    if (::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(frame.size())) {
      throw std::runtime_error("send failed");
    }
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request() { ::close(fd_); }

  // Everything until the server closes (a reset or the timeout also ends it).
  std::string reply() {
    std::string out;
    char buffer[256];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return out;
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
};

std::vector<std::unique_ptr<Request>> send_requests(std::uint16_t port, int count) {
  std::vector<std::unique_ptr<Request>> requests;
  for (int i = 0; i < count; ++i)
    requests.push_back(std::make_unique<Request>(port, static_cast<std::uint32_t>(i)));
  return requests;
}

constexpr bool kSanitized =
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

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
  Child server("/bin/sh",
               {"-c", "ulimit -v 400000 && exec \"$0\" --port 0 --workers 1024 2>&1", kServer});
  const std::string said = server.read_all(kLimit);
  CHECK(server.wait(kLimit) == 1);
  CHECK_MESSAGE(said.find("cannot start") != std::string::npos, "the server said: " << said);
  CHECK_MESSAGE(said.find("--workers") != std::string::npos, "the server said: " << said);
}

// ServerProcess and Request: bin/server run as a child process, as a user runs it, and
// plain blocking connections to it. For the tests that need the real program: its signal
// handling, its exit status, its limits, and faults injected with the shim (libfaults.so,
// scripts/faults/). Every wait is bounded, on 127.0.0.1 with port 0.
#pragma once

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
#include <utility>
#include <vector>

#include "data_layer/data.hpp"
#include "tests/child_process.hpp"
#include "tests/watchdog.hpp"

#ifndef SERVER_BIN_DIR
#error "SERVER_BIN_DIR: the folder of bin/server (the Makefile passes it)"
#endif

namespace test {

// How long a wait on a child process may take: the suite's one limit (watchdog.hpp).
inline constexpr std::chrono::seconds kProcessLimit = kWatchdogLimit;

// A program of bin/: `make test` names the build's own folder; a bare run of run-tests
// takes the one it was compiled for.
inline std::string bin_path(const std::string& program) {
  const char* dir = std::getenv("SERVER_BIN_DIR");
  return std::string(dir != nullptr && *dir != '\0' ? dir : SERVER_BIN_DIR) + "/" + program;
}

// The fault shim, as `make test` builds it (FAULT_SHIM); empty if this run has none.
inline std::string fault_shim() {
  const char* path = std::getenv("FAULT_SHIM");
  return path != nullptr ? path : "";
}

inline constexpr bool kSanitized =
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

// UBSan checks an object's vptr by first testing, through a pipe, that its memory can be
// read: with the descriptor table full, that test fails and any exception thrown is
// reported as a bad vptr. The tests that fill the table skip then (the Makefile defines
// TEST_UNDER_UBSAN for SANITIZE=...undefined...).
inline constexpr bool kUndefinedSanitized =
#ifdef TEST_UNDER_UBSAN
    true;
#else
    false;
#endif

// Shell words that preload the shim into the programs run after them, with `settings` (such as
// "FAULT_BREAK=Two"): FAULT_ROLE turns it on, and a rate of 0 leaves out the random faults
// unless the settings name some. A sanitizer's runtime would rather come first; it need
// not here, as the shim calls through to it.
inline std::string with_shim(const std::string& settings) {
  return "export LD_PRELOAD='" + fault_shim() +
         "' ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0\" "
         "FAULT_ROLE=test FAULT_RATE_PPM=0 " +
         settings + " && ";
}

// bin/server on a free port, at --log-level debug, its stderr read with its stdout (so a
// test can wait for the book's "Received connection" lines); port() is read from its
// "listening on HOST:PORT" line. `before` is shell put before the command: "ulimit -n 64
// &&", or with_shim(...).
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> flags, const std::string& before = "")
      : child_("/bin/sh", shell_args(std::move(flags), before)) {
    const std::string line = wait_for("listening on 127.0.0.1:");
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  }
  std::uint16_t port() const { return port_; }
  Child& child() { return child_; }

  // The first line, read before or now, that contains `text` (REQUIREd within the limit).
  std::string wait_for(const std::string& text) {
    for (const std::string& said : said_)
      if (said.find(text) != std::string::npos) return said;
    for (int line = 0; line < 10'000; ++line) {  // bounded, and each read by kProcessLimit
      said_.push_back(child_.read_line(kProcessLimit));
      const std::string& said = said_.back();
      if (said.find(text) != std::string::npos) return said;
      REQUIRE_MESSAGE(!said.empty(), "the server never said \"" << text << "\"");
    }
    FAIL("the server never said \"" << text << "\"");
    return "";
  }

  // Everything it said, once it has ended (after child().wait()).
  std::string transcript() {
    std::string all;
    for (const std::string& said : said_)
      all += said + "\n";
    return all + child_.read_all(kProcessLimit);
  }

 private:
  // sh execs the server, so the child's pid is the server's.
  static std::vector<std::string> shell_args(std::vector<std::string> flags,
                                             const std::string& before) {
    std::vector<std::string> args = {"-c",
                                     before + " exec \"$0\" \"$@\" 2>&1",
                                     bin_path("server"),
                                     "--port",
                                     "0",
                                     "--log-level",
                                     "debug"};
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  Child child_;
  std::uint16_t port_ = 0;
  std::vector<std::string> said_;
};

// A blocking connection that has sent `request` (by default one whole oneshot frame);
// reads are bounded by SO_RCVTIMEO.
class Request {
 public:
  explicit Request(std::uint16_t port, std::uint32_t id)
      : Request(port, data_layer::serialize(data_layer::Data{id, 1, "in flight"})) {}
  Request(std::uint16_t port, const std::vector<std::uint8_t>& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    const timeval limit{static_cast<time_t>(kProcessLimit.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
      throw std::runtime_error("connect failed");
    }
    send(request);
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request() { ::close(fd_); }

  void send(const std::vector<std::uint8_t>& bytes) {
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(bytes.size())) {
      throw std::runtime_error("send failed");
    }
  }

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

inline std::vector<std::unique_ptr<Request>> send_requests(std::uint16_t port, int count) {
  std::vector<std::unique_ptr<Request>> requests;
  for (int i = 0; i < count; ++i)
    requests.push_back(std::make_unique<Request>(port, static_cast<std::uint32_t>(i)));
  return requests;
}

}  // namespace test

// Failure paths: what the runtime and the server do when the system fails them, each the
// regression test of a bug found by reading (issue 19). The process-level ones break the
// real program with the fault shim (scripts/faults/, built by `make test`, FAULT_SHIM):
// an interrupted connect, a worker or the dispatcher whose reactor fails. In-process: the
// descriptor a signal handler writes to, and the wake-up fd's.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "data_layer/data.hpp"
#include "runtime/wakeup_fd.hpp"
#include "server/shutdown_signal.hpp"
#include "tests/child_process.hpp"
#include "tests/server_process.hpp"
#include "tests/temp_dir.hpp"

using test::Child;
using test::kProcessLimit;
using test::Request;
using test::send_requests;
using test::ServerProcess;
using test::with_shim;

namespace {

// The shim's report folder for one test, removed with it.
class ReportDir {
 public:
  const std::string& path() const { return dir_.path(); }

  // The count on the report's line "<kind> <call> N", summed over the processes.
  long injected(const std::string& kind, const std::string& call) const {
    long sum = 0;
    Child ls("/bin/sh", {"-c", "cat \"$0\"/* 2>/dev/null", path()});
    const std::string text = ls.read_all(kProcessLimit);
    (void)ls.wait(kProcessLimit);
    const std::string key = kind + " " + call + " ";
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1))
      if (at == 0 || text[at - 1] == '\n') sum += std::stol(text.substr(at + key.size()));
    return sum;
  }

 private:
  test::TempDir dir_{"failure-paths"};
};

bool skip_without_shim() {
  if (!test::fault_shim().empty()) return false;
  MESSAGE("skipped: no fault shim (FAULT_SHIM); `make test` builds one");
  return true;
}

}  // namespace

// POSIX: a connect interrupted by a signal goes on in the background, and asking again
// answers EALREADY while it does. The client took that EALREADY for a failed connect.
TEST_CASE("failure paths: an interrupted connect is waited for, not failed") {
  if (skip_without_shim()) return;
  ServerProcess server({"--delay-ms", "0"});
  ReportDir report;
  Child client("/bin/sh",
               {"-c",
                with_shim("FAULT_KINDS=eintr=1000000 FAULT_CALLS=connect FAULT_REPORT=\"$1\"") +
                    "exec \"$0\" --port \"$2\" --requests 50 --concurrency 10 2>&1",
                test::bin_path("client"), report.path(), std::to_string(server.port())});
  const std::string said = client.read_all(kProcessLimit);
  CHECK_MESSAGE(client.wait(kProcessLimit) == 0, "the client said: " << said);
  CHECK(report.injected("eintr", "connect") >= 50);  // every connect was interrupted
  CHECK(server.child().stop(kProcessLimit) == 0);
}

// A worker's reactor failing (here its first epoll_wait, with ENOMEM) ends that worker's
// serving for good. It used to leave its inbox open: round-robin went on handing it
// connections that nobody would serve, and a full inbox would have stopped the dispatcher.
TEST_CASE("failure paths: a worker whose runtime fails is passed over; the others serve all") {
  if (skip_without_shim()) return;
  ServerProcess server({"--delay-ms", "0", "--workers", "3"}, with_shim("FAULT_BREAK=Two"));
  server.wait_for("Two stopped: ");
  auto requests = send_requests(server.port(), 6);  // two rounds of the three workers
  for (auto& request : requests)
    CHECK(request->reply() == data_layer::kGreeting);
  CHECK(server.child().stop(kProcessLimit) == 1);  // a thread failed: the exit says so
  const std::string summary = server.wait_for("summary: ");
  CHECK(summary.find("6 connections (One 3, Two 0, Three 3)") != std::string::npos);
  CHECK(summary.find("failed: Two") != std::string::npos);
}

// The dispatcher's reactor failing while its accept loop waits: the server stops taking
// connections and shuts down. The listener used to be closed before the executor that
// cancels the accept loop waiting on it.
TEST_CASE("failure paths: a dispatcher whose runtime fails shuts the server down, exit 1") {
  if (skip_without_shim()) return;
  Child server(
      "/bin/sh",
      {"-c", with_shim("FAULT_BREAK=dispatcher") + "exec \"$0\" --port 0 --log-level debug 2>&1",
       test::bin_path("server")});
  const std::string said = server.read_all(kProcessLimit);
  CHECK(server.wait(kProcessLimit) == 1);
  CHECK_MESSAGE(said.find("dispatcher stopped: ") != std::string::npos, "it said: " << said);
  CHECK_MESSAGE(said.find("failed: dispatcher") != std::string::npos, "it said: " << said);
  CHECK_MESSAGE(said.find("Sanitizer") == std::string::npos, "it said: " << said);
}

// A signal handler may read the descriptor just before ~ShutdownSignal closes it, and write
// after: into whatever file has that number by then. So the handler's descriptor is never
// closed, and a later install moves it onto the new signal's socket.
TEST_CASE("failure paths: the descriptor a signal handler writes to outlives its signal") {
  struct sigaction old_int {
  }, old_term{};
  ::sigaction(SIGINT, nullptr, &old_int);
  ::sigaction(SIGTERM, nullptr, &old_term);
  int handler_fd = -1;
  {
    server::ShutdownSignal first;
    server::ShutdownSignal::install_handlers(first);
    handler_fd = server::ShutdownSignal::handler_fd();
  }
  struct stat facts {};
  REQUIRE(::fstat(handler_fd, &facts) == 0);  // still open...
  CHECK(S_ISSOCK(facts.st_mode));             // ...and still the signal's socket
  CHECK(::raise(SIGTERM) == 0);               // written to no reader: dropped, no SIGPIPE
  {
    server::ShutdownSignal second;
    server::ShutdownSignal::install_handlers(second);
    CHECK(server::ShutdownSignal::handler_fd() == handler_fd);  // the same number, moved
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
}

// The portable backend's pipe is made in three steps; a failure after the first must not
// leave the pipe's ends open (a constructor that throws runs no destructor). That failure
// cannot be provoked on a real pipe; the ends being as they must is.
TEST_CASE("failure paths: a wake-up fd's descriptors are non-blocking and close-on-exec") {
  runtime::WakeupFd wakeup;
  CHECK((::fcntl(wakeup.fd(), F_GETFL) & O_NONBLOCK) != 0);
  CHECK((::fcntl(wakeup.fd(), F_GETFD) & FD_CLOEXEC) != 0);
}

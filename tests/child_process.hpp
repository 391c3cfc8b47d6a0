// Child: a program of ours run as a child process by a test, its stdout read through a
// pipe. Every wait on it is bounded (poll on its stdout, or on a pidfd for its exit), and
// it is killed and reaped whatever the test's outcome.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace test {

inline int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

// Where a child's stderr goes: ours, so that what it says about a failure shows in the
// test's output, or nowhere, where the test provokes the failure on purpose.
enum class Stderr { kShown, kQuiet };

// A child process whose stdout comes to us through a pipe.
class Child {
 public:
  Child(const std::string& program, const std::vector<std::string>& args,
        Stderr stderr_to = Stderr::kShown) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) < 0) throw std::runtime_error("pipe2 failed");
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const std::string& arg : args)
      argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);  // dup2 drops CLOEXEC
    if (stderr_to == Stderr::kQuiet) {
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    const int error =
        ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = out[0];
    if (error != 0) {
      ::close(out_);
      throw std::runtime_error("cannot start " + program + ": " + std::strerror(error));
    }
    // Readable once the child has ended: a bounded wait for its exit without sleeping.
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (pidfd_ >= 0) ::close(pidfd_);
    ::close(out_);
  }

  pid_t pid() const { return pid_; }

  // The next line of its stdout, without the newline; "" at end of output or after `limit`.
  std::string read_line(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {  // bounded by the deadline
      if (const auto end = buffered_.find('\n'); end != std::string::npos) {
        std::string line = buffered_.substr(0, end);
        buffered_.erase(0, end + 1);
        return line;
      }
      if (!read_some(deadline)) return "";
    }
  }

  // Everything it writes to stdout until it closes it (or `limit` passes).
  std::string read_all(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (read_some(deadline)) {
    }
    return std::exchange(buffered_, {});
  }

  // Its exit status (128 + N for signal N), waiting at most `limit`; after that it is
  // killed and the answer is -1.
  int wait(std::chrono::milliseconds limit) {
    pollfd ended{pidfd_, POLLIN, 0};
    const bool exited = pidfd_ >= 0 && ::poll(&ended, 1, static_cast<int>(limit.count())) == 1;
    if (!exited) ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (!exited) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // SIGTERM, then its exit status as wait() gives it.
  int stop(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    ::kill(pid_, SIGTERM);
    return wait(limit);
  }

 private:
  // One read into buffered_; false at end of output, on error, or at the deadline.
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    pollfd readable{out_, POLLIN, 0};
    if (::poll(&readable, 1, remaining_ms(deadline)) != 1) return false;
    char chunk[4096];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffered_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int pidfd_ = -1;
  std::string buffered_;
};

}  // namespace test

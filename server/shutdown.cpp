#include "server/shutdown.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <system_error>

namespace server {
namespace {

// Where the signal handler writes. A plain int read from a signal handler must be
// lock-free atomic to be safe.
std::atomic<int> g_signal_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

// One notification: one byte. Async-signal-safe (a write, errno kept), so the signal
// handler and notify() share it.
void write_byte(int fd) {
  const int saved = errno;
  const char byte = 's';
  (void)!::write(fd, &byte, 1);
  errno = saved;
}

extern "C" void on_signal(int) {
  const int fd = g_signal_fd.load(std::memory_order_relaxed);
  if (fd >= 0) write_byte(fd);
}

}  // namespace

ShutdownSignal::ShutdownSignal() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

ShutdownSignal::~ShutdownSignal() {
  int expected = write_fd_;
  g_signal_fd.compare_exchange_strong(expected, -1);
  ::close(read_fd_);
  ::close(write_fd_);
}

void ShutdownSignal::notify() const {
  write_byte(write_fd_);
}

ShutdownSignal::Notified ShutdownSignal::notified() {
  return Notified(read_fd_);
}

void ShutdownSignal::install_handlers(ShutdownSignal& signal) {
  g_signal_fd.store(signal.write_fd_, std::memory_order_relaxed);
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // other threads' system calls carry on undisturbed
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

runtime::Poll<void> ShutdownSignal::Notified::poll(runtime::Context& cx) {
  // The dispatcher's task is polled for every connection it accepts, and this future with
  // it (when_any). Once a read found the pipe empty, only the reactor can say a byte came:
  // until it does, looking again is a read(2) per connection that answers EAGAIN.
  if (watch_ && watch_.hint().next_read() == runtime::ReadinessHint::Next::kWait) {
    watch_.wait_readable(cx);
    return runtime::Pending{};
  }
  for (;;) {
    char byte;
    const ssize_t n = ::read(fd_, &byte, 1);
    if (n == 1) return runtime::Ready{};
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      throw std::system_error(errno, std::generic_category(), "read shutdown pipe");
    }
    if (!watch_) watch_ = runtime::Socket(fd_);
    watch_.hint().on_would_block();
    watch_.wait_readable(cx);
    return runtime::Pending{};
  }
}

}  // namespace server

#include "server/shutdown_signal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <system_error>

#include "runtime/socket.hpp"
#include "runtime/tcp_receiver.hpp"

namespace server {
namespace {

// Where the signal handler writes: a duplicate of the installed signal's writing end, made
// by the first install_handlers() and never closed, so that a handler which has read it
// cannot write into a descriptor closed and reused meanwhile (~ShutdownSignal closes its
// own ends; a handler may run on any thread at any moment). A later install moves it onto
// the new signal with dup2, which is atomic: the handler reaches the old socket or the new
// one. A plain int read from a signal handler must be lock-free atomic to be safe.
// (tests/test_failure_paths.cpp, "the descriptor a signal handler writes to ...")
std::atomic<int> g_signal_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

// One notification: one byte. Async-signal-safe (a send, errno kept), so the signal handler
// and notify() share it. MSG_NOSIGNAL: once its ShutdownSignal is gone the handler's socket
// has no reader, and the byte is dropped without a SIGPIPE.
void write_byte(int fd) {
  const int saved = errno;
  const char byte = 's';
  (void)!::send(fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  errno = saved;
}

extern "C" void on_signal(int) {
  const int fd = g_signal_fd.load(std::memory_order_relaxed);
  if (fd >= 0) write_byte(fd);
}

// The signal's reading end, seen as a runtime Socket for as long as one wait lasts. The
// descriptor stays the signal's: it is released, never closed, however the wait ends
// (read, or cancelled by the when_any it is part of).
struct BorrowedSocket {
  runtime::Socket socket;
  ~BorrowedSocket() { (void)socket.release(); }
};

}  // namespace

ShutdownSignal::ShutdownSignal() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) {
    throw std::system_error(errno, std::generic_category(), "socketpair");
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

ShutdownSignal::~ShutdownSignal() {
  ::close(read_fd_);
  ::close(write_fd_);
}

void ShutdownSignal::notify() const {
  write_byte(write_fd_);
}

runtime::Task<void> ShutdownSignal::notified() {
  // The dispatcher's accept loop runs beside this wait (when_any), so the wait is polled
  // for every accepted connection; the receiver asks recv only after the reactor reports
  // the socket readable, so those polls cost no system call.
  BorrowedSocket end{runtime::Socket(read_fd_)};
  runtime::TcpReceiver receiver(end.socket);
  std::array<std::uint8_t, 1> byte{};
  // 0 would mean the writing end was closed: nobody can notify any more, which says stop
  // just as well (it cannot happen while this ShutdownSignal lives, as it holds both ends).
  (void)co_await receiver.read_some(byte);
}

int ShutdownSignal::handler_fd() {
  return g_signal_fd.load(std::memory_order_relaxed);
}

void ShutdownSignal::install_handlers(ShutdownSignal& signal) {
  const int current = g_signal_fd.load(std::memory_order_relaxed);
  if (current < 0) {
    const int copy = ::fcntl(signal.write_fd_, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) throw std::system_error(errno, std::generic_category(), "fcntl(F_DUPFD)");
    g_signal_fd.store(copy, std::memory_order_relaxed);
  } else if (::dup2(signal.write_fd_, current) < 0 || ::fcntl(current, F_SETFD, FD_CLOEXEC) < 0) {
    throw std::system_error(errno, std::generic_category(), "dup2");
  }
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // other threads' system calls carry on undisturbed
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

}  // namespace server

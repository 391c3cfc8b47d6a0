// The portable backend: poll(2), level-triggered, and a self-pipe for WakeupFd.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "runtime/poller.hpp"
#include "runtime/wakeup_fd.hpp"

namespace runtime {

namespace {
[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}
void make_nonblocking_cloexec(int fd) {
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) fail("fcntl(O_NONBLOCK)");
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) fail("fcntl(FD_CLOEXEC)");
}
// What an event without POLLERR or POLLHUP proves. poll(2) is asked for no more than the
// directions waited for, so it never knows that nothing is queued, nor sees urgent data
// or the peer's FIN: being level-triggered, it needs none of them. On Linux it asks the
// same tcp_poll as epoll does, so such an event proves the socket has no error. Other
// systems may report a failed connect as plain writability, with the error only in
// SO_ERROR: there the event proves nothing, and a connect asks the kernel how it ended.
#ifdef __linux__
constexpr EventHint kWithoutError = EventHint::kNoError;
#else
constexpr EventHint kWithoutError = EventHint::kNone;
#endif
}  // namespace

struct Poller::Impl {
  std::vector<short> interest;  // by fd: POLLIN/POLLOUT someone waits for, 0 for none
  std::vector<pollfd> fds;      // rebuilt from `interest` on every wait
};

Poller::Poller() : impl_(std::make_unique<Impl>()) {}
Poller::~Poller() = default;

const char* Poller::backend() {
  return "poll";
}

void Poller::set_interest(int fd, bool read, bool write) {
  auto& interest = impl_->interest;
  if (static_cast<std::size_t>(fd) >= interest.size()) interest.resize(fd + 1, 0);
  interest[fd] = static_cast<short>((read ? POLLIN : 0) | (write ? POLLOUT : 0));
}

void Poller::add_wakeup(int fd) {
  set_interest(fd, true, false);  // level-triggered and read-only already
}

void Poller::remove(int fd) {
  if (static_cast<std::size_t>(fd) < impl_->interest.size()) impl_->interest[fd] = 0;
}

void Poller::forget(int fd) {
  remove(fd);  // poll(2) has no kernel-side set: the two are the same here
}

void Poller::wait(int timeout_ms, std::vector<PollEvent>& events) {
  events.clear();
  auto& fds = impl_->fds;
  fds.clear();
  for (std::size_t fd = 0; fd < impl_->interest.size(); ++fd) {
    if (impl_->interest[fd] != 0)
      fds.push_back(pollfd{static_cast<int>(fd), impl_->interest[fd], 0});
  }
  const int count = poll(fds.data(), fds.size(), timeout_ms);
  if (count < 0) {
    if (errno == EINTR) return;
    fail("poll");
  }
  for (const pollfd& entry : fds) {
    if (entry.revents == 0) continue;
    const bool broken = entry.revents & (POLLHUP | POLLERR | POLLNVAL);
    events.push_back(PollEvent{
        .fd = entry.fd,
        .readable = broken || (entry.revents & POLLIN) != 0,
        .writable = broken || (entry.revents & POLLOUT) != 0,
        .hint = broken ? EventHint::kBroken : kWithoutError,
    });
  }
}

WakeupFd::WakeupFd() {
  int ends[2];
  if (pipe(ends) < 0) fail("pipe");
  read_fd_ = ends[0];
  write_fd_ = ends[1];
  // A constructor that throws runs no destructor: the ends are closed here, or never.
  try {
    make_nonblocking_cloexec(read_fd_);
    make_nonblocking_cloexec(write_fd_);
  } catch (...) {
    close(read_fd_);
    close(write_fd_);
    throw;
  }
}

WakeupFd::~WakeupFd() {
  close(read_fd_);
  close(write_fd_);
}

void WakeupFd::notify() {
  const char byte = 1;
  // EAGAIN means the pipe is full: it is readable already, which is the point.
  while (write(write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
}

void WakeupFd::drain() {
  char sink[256];
  for (;;) {
    const ssize_t n = read(read_fd_, sink, sizeof sink);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return;  // empty (EAGAIN)
  }
}

}  // namespace runtime

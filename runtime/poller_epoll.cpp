// The Linux backend: epoll, edge-triggered, and an eventfd for WakeupFd.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "runtime/poller.hpp"
#include "runtime/wakeup_fd.hpp"

namespace runtime {

namespace {
[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}
constexpr int kMaxEventsPerWait = 1024;

// An epoll event lists every direction, worked out from the socket as it is when the wait
// answers, so it says more than poll(2) can (readiness_hint.hpp has what each hint allows).
// EPOLLRDHUP alone is the peer's clean FIN. After our own shutdown(SHUT_WR) the peer's FIN
// comes as EPOLLHUP instead, so that end is taken as kBroken and the read of 0 is made.
// We never shutdown(SHUT_RD): on Linux that raises EPOLLRDHUP too, while data arriving
// later is still queued, which would make kCleanEnd unsound.
EventHint hint_of(std::uint32_t bits) {
  if (bits & (EPOLLHUP | EPOLLERR)) return EventHint::kBroken;
  if (bits & EPOLLPRI) return EventHint::kUrgent;
  if (bits & EPOLLRDHUP) return EventHint::kCleanEnd;
  if (!(bits & EPOLLIN)) return EventHint::kNothingToRead;
  return EventHint::kNoError;
}
}  // namespace

struct Poller::Impl {
  int epoll_fd = -1;
  std::vector<bool> added;  // by fd: already in the epoll set
  epoll_event buffer[kMaxEventsPerWait];
};

Poller::Poller() : impl_(std::make_unique<Impl>()) {
  impl_->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (impl_->epoll_fd < 0) fail("epoll_create1");
}

const char* Poller::backend() {
  return "epoll";
}

Poller::~Poller() {
  close(impl_->epoll_fd);
}

void Poller::set_interest(int fd, bool read, bool write) {
  if (!read && !write) return;  // edge-triggered: staying registered costs nothing
  auto& added = impl_->added;
  if (static_cast<std::size_t>(fd) >= added.size()) added.resize(fd + 1, false);
  if (added[fd]) return;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
  event.data.fd = fd;
  if (epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) fail("epoll_ctl(ADD)");
  added[fd] = true;
}

void Poller::add_wakeup(int fd) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLET;
  event.data.fd = fd;
  if (epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) fail("epoll_ctl(ADD)");
}

void Poller::remove(int fd) {
  auto& added = impl_->added;
  if (static_cast<std::size_t>(fd) >= added.size() || !added[fd]) return;
  added[fd] = false;
  epoll_ctl(impl_->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);  // fails only if already gone
}

// departs from the book: docs/BOOK.md, "A reactor: futures wait in `epoll`, not in the run queue"
void Poller::forget(int fd) {
  // close() removes the fd from the epoll set (we never dup it, so the descriptor is the
  // last reference to the open file): EPOLL_CTL_DEL would be a system call per connection
  // for nothing. A program that embeds the runtime and forks would break that premise
  // between fork and exec, and then a later socket that reuses the number could be handed
  // the old socket's events. Those are not only stray wake-ups: one that says "nothing to
  // read" (EventHint::kNothingToRead) would drain the new socket's hint after its data was
  // reported, and its reader would wait for ever; one that says "writable, no error"
  // would prove a connect still in its handshake. Such a program must not skip the DEL:
  // remove() does it.
  if (static_cast<std::size_t>(fd) < impl_->added.size()) impl_->added[fd] = false;
}

void Poller::wait(int timeout_ms, std::vector<PollEvent>& events) {
  events.clear();
  const int count = epoll_wait(impl_->epoll_fd, impl_->buffer, kMaxEventsPerWait, timeout_ms);
  if (count < 0) {
    if (errno == EINTR) return;
    fail("epoll_wait");
  }
  for (int i = 0; i < count; ++i) {
    const std::uint32_t bits = impl_->buffer[i].events;
    const bool broken = bits & (EPOLLHUP | EPOLLERR);
    events.push_back(PollEvent{
        .fd = impl_->buffer[i].data.fd,
        .readable = broken || (bits & (EPOLLIN | EPOLLRDHUP | EPOLLPRI)) != 0,
        .writable = broken || (bits & EPOLLOUT) != 0,
        .hint = hint_of(bits),
    });
  }
}

WakeupFd::WakeupFd() {
  read_fd_ = write_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (read_fd_ < 0) fail("eventfd");
}

WakeupFd::~WakeupFd() {
  close(read_fd_);
}

void WakeupFd::notify() {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated: the fd is readable already, which is the point.
  while (write(write_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void WakeupFd::drain() {
  std::uint64_t count;
  while (read(read_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
}

}  // namespace runtime

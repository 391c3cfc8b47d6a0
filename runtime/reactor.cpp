#include "runtime/reactor.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "runtime/socket.hpp"

namespace runtime {
namespace {
thread_local Reactor* t_current = nullptr;
}  // namespace

Reactor::Scope::Scope(Reactor& reactor) : previous_(t_current) {
  t_current = &reactor;
}
Reactor::Scope::~Scope() {
  t_current = previous_;
}

Reactor& Reactor::current() {
  if (!t_current) {
    throw std::logic_error(
        "no reactor on this thread: poll I/O and timer futures inside an Executor");
  }
  return *t_current;
}

Reactor::Reactor(Parker& parker) : parker_(parker) {
  poller_.set_interest(parker_.wakeup_fd().fd(), true, false);
}

Reactor::~Reactor() {
  for (Waiters& w : by_fd_) {
    if (w.owner) w.owner->detach_reactor();
  }
}

void Reactor::set_owner(int fd, Socket* owner) {
  waiters(fd).owner = owner;
}

Reactor::Waiters& Reactor::waiters(int fd) {
  if (static_cast<std::size_t>(fd) >= by_fd_.size()) by_fd_.resize(fd + 1);
  return by_fd_[fd];
}

void Reactor::update_interest(int fd) {
  const Waiters& w = by_fd_[fd];
  poller_.set_interest(fd, static_cast<bool>(w.reader), static_cast<bool>(w.writer));
}

void Reactor::wait_readable(int fd, const Waker& waker) {
  waiters(fd).reader = waker;
  update_interest(fd);
}

void Reactor::wait_writable(int fd, const Waker& waker) {
  waiters(fd).writer = waker;
  update_interest(fd);
}

void Reactor::forget_readable(int fd) {
  if (static_cast<std::size_t>(fd) >= by_fd_.size()) return;
  by_fd_[fd].reader = Waker();
  update_interest(fd);
}

void Reactor::forget_writable(int fd) {
  if (static_cast<std::size_t>(fd) >= by_fd_.size()) return;
  by_fd_[fd].writer = Waker();
  update_interest(fd);
}

void Reactor::deregister(int fd) {
  poller_.remove(fd);
  if (static_cast<std::size_t>(fd) < by_fd_.size()) by_fd_[fd] = Waiters{};
}

TimerId Reactor::add_timer(Clock::time_point deadline, const Waker& waker) {
  return timers_.insert(deadline, waker);
}
void Reactor::update_timer(TimerId id, const Waker& waker) {
  timers_.set_waker(id, waker);
}
void Reactor::cancel_timer(TimerId id) {
  timers_.cancel(id);
}

std::size_t Reactor::fds_waited_on() const {
  std::size_t count = 0;
  for (const Waiters& w : by_fd_)
    count += (w.reader || w.writer) ? 1 : 0;
  return count;
}

int Reactor::timeout_ms(Wait wait) const {
  if (wait == Wait::kNo) return 0;
  return wait_timeout_ms(timers_.next_deadline(), Clock::now());
}

int Reactor::wait_timeout_ms(std::optional<Clock::time_point> deadline, Clock::time_point now) {
  if (!deadline) return -1;
  const auto left = *deadline - now;
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, std::numeric_limits<int>::max()));
}

void Reactor::turn(Wait wait) {
  poller_.wait(timeout_ms(wait), events_);
  for (const PollEvent& event : events_)
    dispatch(event);
  timers_.fire_due(Clock::now());
}

void Reactor::dispatch(const PollEvent& event) {
  if (event.fd == parker_.wakeup_fd().fd()) {
    parker_.wakeup_fd().drain();  // its only job was to end the wait
    return;
  }
  if (static_cast<std::size_t>(event.fd) >= by_fd_.size()) return;
  Waiters& w = by_fd_[event.fd];
  if (event.readable) std::move(w.reader).wake();
  if (event.writable) std::move(w.writer).wake();
  update_interest(event.fd);
}

}  // namespace runtime

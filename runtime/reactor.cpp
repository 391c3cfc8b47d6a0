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
  poller_.add_wakeup(parker_.wakeup_fd().fd());
}

Reactor::~Reactor() {
  for (Socket* socket : sockets_) {
    if (socket) socket->detach_reactor();
  }
}

Socket*& Reactor::owner_slot(int fd) {
  if (static_cast<std::size_t>(fd) >= sockets_.size()) sockets_.resize(fd + 1, nullptr);
  return sockets_[fd];
}

void Reactor::attach(Socket& socket) {
  owner_slot(socket.fd()) = &socket;
}

void Reactor::watch(const Socket& socket) {
  poller_.set_interest(socket.fd(), socket.waits_to_read(), socket.waits_to_write());
}

void Reactor::detach(int fd) {
  poller_.remove(fd);
  if (static_cast<std::size_t>(fd) < sockets_.size()) sockets_[fd] = nullptr;
}

void Reactor::detach_closing(int fd) {
  poller_.forget(fd);
  if (static_cast<std::size_t>(fd) < sockets_.size()) sockets_[fd] = nullptr;
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
  for (const Socket* socket : sockets_)
    count += (socket && (socket->waits_to_read() || socket->waits_to_write())) ? 1 : 0;
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
  if (static_cast<std::size_t>(event.fd) >= sockets_.size()) return;
  // Waking only queues tasks, none runs during the turn, so no socket can go away between
  // the poller's answer and this lookup.
  if (Socket* socket = sockets_[event.fd]) {
    socket->on_ready(event);
    watch(*socket);
  }
}

}  // namespace runtime

#include "runtime/socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "runtime/reactor.hpp"

namespace runtime {

Socket::Socket(Socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      hint_(other.hint_),
      reactor_(std::exchange(other.reactor_, nullptr)),
      reader_(std::move(other.reader_)),
      writer_(std::move(other.writer_)) {
  other.forget_reactor_state();           // the empty shell knows nothing of a socket
  if (reactor_) reactor_->attach(*this);  // the reactor must find us at our new address
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    hint_ = other.hint_;
    reactor_ = std::exchange(other.reactor_, nullptr);
    reader_ = std::move(other.reader_);
    writer_ = std::move(other.writer_);
    other.forget_reactor_state();
    if (reactor_) reactor_->attach(*this);
  }
  return *this;
}

int Socket::release() {
  if (reactor_) std::exchange(reactor_, nullptr)->detach(fd_);
  forget_reactor_state();
  return std::exchange(fd_, -1);
}

void Socket::close() {
  if (fd_ < 0) return;
  if (reactor_) std::exchange(reactor_, nullptr)->detach_closing(fd_);
  forget_reactor_state();
  ::close(std::exchange(fd_, -1));  // no retry on EINTR: on Linux the fd is gone either way
}

void Socket::forget_reactor_state() {
  reader_ = Waker();
  writer_ = Waker();
  hint_ = ReadinessHint();
}

void Socket::register_here() {
  Reactor& here = Reactor::current();
  if (reactor_ == &here) return;
  // First wait, or the socket moved on to another executor (tests/test_tcp.cpp, "a stream
  // that waited on one executor can be read on another"): its readiness must now reach the
  // reactor whose executor is polling it, or the wake goes where nobody looks.
  if (reactor_) reactor_->detach(fd_);
  reactor_ = &here;
  reactor_->attach(*this);
}

void Socket::wait_readable(Context& cx) {
  register_here();
  reader_ = cx.waker();
  reactor_->watch(*this);
}

void Socket::wait_writable(Context& cx) {
  register_here();
  writer_ = cx.waker();
  reactor_->watch(*this);
}

void Socket::forget_readable() {
  if (!reader_) return;
  reader_ = Waker();
  if (reactor_) reactor_->watch(*this);
}

void Socket::forget_writable() {
  if (!writer_) return;
  writer_ = Waker();
  if (reactor_) reactor_->watch(*this);
}

void Socket::on_ready(const PollEvent& event) {
  hint_.on_event(event.readable, event.writable, event.hint);
  if (event.readable) std::move(reader_).wake();
  if (event.writable) std::move(writer_).wake();
}

void SocketWait::wait(Context& cx) {
  if (direction_ == Direction::kRead) {
    socket_->wait_readable(cx);
  } else {
    socket_->wait_writable(cx);
  }
  waiting_ = true;
}

void SocketWait::withdraw() {
  if (!std::exchange(waiting_, false)) return;
  if (direction_ == Direction::kRead) {
    socket_->forget_readable();
  } else {
    socket_->forget_writable();
  }
}

Socket Socket::open_tcp(int family) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  return Socket(fd);
}

void Socket::set_nodelay() {
  const int on = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // best effort
}

}  // namespace runtime

// Socket: one owned, nonblocking socket fd, and its link to the reactor.
//
// TcpListener and TcpStream are built on it; the leaf futures (accept, connect, TcpSender,
// TcpReceiver) call wait_readable / wait_writable after the OS answers EAGAIN. The fd is
// registered lazily with the reactor of the thread that first waits on it, which is what
// lets the server's main thread accept a connection and hand the bare fd to a worker: a
// socket belongs to the reactor of the thread that uses it. Closing deregisters first, so
// a later fd with the same number never inherits a stale waiter.
#pragma once

#include <utility>

#include "runtime/context.hpp"

namespace runtime {

class Reactor;

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) noexcept : fd_(fd) {}
  Socket(Socket&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), reactor_(std::exchange(other.reactor_, nullptr)) {}
  Socket& operator=(Socket&& other) noexcept;
  ~Socket() { close(); }

  int fd() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

  // Gives up the fd without closing it, e.g. to hand it to another thread's reactor.
  int release();
  void close();

  // For a leaf future whose system call said EAGAIN: wake cx's task when the socket can be
  // read (or written). Returns nothing: the caller returns Pending next.
  void wait_readable(Context& cx);
  void wait_writable(Context& cx);

  // A new nonblocking, close-on-exec TCP socket of the given address family.
  static Socket open_tcp(int family);
  void set_nodelay();  // small replies go out at once, not after Nagle's delay

 private:
  void register_here();

  int fd_ = -1;
  Reactor* reactor_ = nullptr;  // the reactor holding our waiters, once there is one
};

}  // namespace runtime

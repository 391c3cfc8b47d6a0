// Socket: one owned, nonblocking socket fd, and its link to the reactor.
//
// TcpListener and TcpStream are built on it; the leaf futures (accept, connect, TcpSender,
// TcpReceiver) call wait_readable / wait_writable after the OS answers EAGAIN. The fd is
// registered lazily with the reactor of the executor that waits on it, and moves to another
// executor's reactor when a task there waits on it: a socket belongs to the reactor of
// whoever uses it. Moving while the old executor still runs a task that uses the socket is
// not supported; to hand a socket to another thread, release() its fd (as the server's
// dispatcher does). One task reads and one task writes a socket at a time: the reactor
// keeps one waker per direction, and a second waiter would replace the first. Closing deregisters
// first, so a later fd with the same number never inherits a stale waiter.
#pragma once

#include <utility>

#include "runtime/context.hpp"

namespace runtime {

class Reactor;

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) noexcept : fd_(fd) {}
  Socket(Socket&& other) noexcept;
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
  // Withdraws such a wait before it was woken (see SocketWait).
  void forget_readable();
  void forget_writable();

  // Called by a reactor being destroyed: there is nothing left to deregister from.
  void detach_reactor() { reactor_ = nullptr; }

  // A new nonblocking, close-on-exec TCP socket of the given address family.
  static Socket open_tcp(int family);
  void set_nodelay();  // small replies go out at once, not after Nagle's delay

 private:
  void register_here();

  int fd_ = -1;
  Reactor* reactor_ = nullptr;  // the reactor holding our waiters, once there is one
};

// A leaf future's wait on a socket, in one direction: made after EAGAIN, withdrawn when the
// future finishes or is destroyed. Without it a cancelled read (a with_timeout that fired, a
// when_any loser) would leave its waker in the reactor, holding the task's allocation and
// counting in fds_waited_on() until the fd next turned ready or was closed. A finished
// future withdraws too: the wake that finished it may have been meant for a sibling.
// tests/test_reactor.cpp pins both.
class SocketWait {
 public:
  enum class Direction { kRead, kWrite };

  SocketWait(Socket& socket, Direction direction) : socket_(&socket), direction_(direction) {}
  SocketWait(SocketWait&& other) noexcept
      : socket_(other.socket_),
        direction_(other.direction_),
        waiting_(std::exchange(other.waiting_, false)) {}
  SocketWait& operator=(SocketWait&&) = delete;
  ~SocketWait() { withdraw(); }

  // After EAGAIN: wake cx's task when the socket is ready in our direction.
  void wait(Context& cx);
  // The future is done with the socket: forget the waker it left, if it left one.
  void withdraw();

 private:
  Socket* socket_;  // borrowed from the future's owner, which outlives the future
  Direction direction_;
  bool waiting_ = false;  // a waker of ours may be in the reactor
};

}  // namespace runtime

// Socket: one owned, nonblocking socket fd, its link to the reactor, the two tasks waiting on
// it (one per direction), and the hint that spares a system call whose answer is known.
//
// TcpListener and TcpStream are built on it; the leaf futures (accept, connect, TcpSender,
// TcpReceiver) call wait_readable / wait_writable after the OS answers EAGAIN. The fd is
// registered lazily with the reactor of the executor that waits on it, and moves to another
// executor's reactor when a task there waits on it: a socket belongs to the reactor of
// whoever uses it. Moving while the old executor still runs a task that uses the socket is
// not supported; hand a socket to another thread before any task waits on it (as the
// server's dispatcher does: an accepted socket is never registered on its thread), or
// release() its fd. One task reads and one task writes a socket at a time: the socket
// keeps one waker per direction, and a second waiter would replace the first. Closing
// deregisters first, so a later fd with the same number never inherits a stale waiter.
//
// The waiters live here, in the Socket (so in the coroutine frame that owns it), rather
// than in a table in each reactor: the reactor keeps one pointer per fd, not a row per fd
// in every worker's table.
// departs from the book: docs/BOOK.md, "Memory per connection is kept small"
#pragma once

#include <utility>

#include "runtime/context.hpp"
#include "runtime/poller.hpp"
#include "runtime/readiness_hint.hpp"
#include "runtime/waker.hpp"

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

  // What the reactor's events and the last reads told of this socket's readiness
  // (readiness_hint.hpp): a reader asks it before each recv, and tells it what the recv
  // found; a connect asks it whether the handshake has been seen to succeed.
  ReadinessHint& hint() { return hint_; }
  const ReadinessHint& hint() const { return hint_; }

  // The reactor's side (reactor.cpp): what this socket waits for, and its wake-up when a
  // turn found the fd ready (each ready direction's waiter is woken, once).
  bool waits_to_read() const { return static_cast<bool>(reader_); }
  bool waits_to_write() const { return static_cast<bool>(writer_); }
  void on_ready(const PollEvent& event);
  // Called by a reactor being destroyed: there is nothing left to deregister from.
  void detach_reactor() { reactor_ = nullptr; }

  // A new nonblocking, close-on-exec TCP socket of the given address family.
  static Socket open_tcp(int family);
  void set_nodelay();  // small replies go out at once, not after Nagle's delay

 private:
  void register_here();
  // Leaving the reactor (close, release, moved from): its waiters and its hint.
  void forget_reactor_state();

  int fd_ = -1;
  ReadinessHint hint_;          // spares the system calls whose answer is already known
  Reactor* reactor_ = nullptr;  // the reactor that wakes our waiters, once there is one
  Waker reader_;                // the task waiting to read, if one is
  Waker writer_;                // the task waiting to write, if one is
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
  // A waker of ours was left with the reactor and not yet withdrawn.
  bool waiting() const { return waiting_; }

 private:
  Socket* socket_;  // borrowed from the future's owner, which outlives the future
  Direction direction_;
  bool waiting_ = false;  // a waker of ours may be in the reactor
};

}  // namespace runtime

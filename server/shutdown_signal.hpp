// ShutdownSignal: how "stop" reaches the dispatcher's event loop, from a signal handler or
// from another thread (Server::request_shutdown, tests).
//
// A signal handler may do almost nothing safely; write(2) is one of the few things it may
// do. So a notification is one byte written to a pipe (the self-pipe trick), and the
// dispatcher awaits notified(): a future that reads one byte, or registers the pipe's read
// end with the dispatcher's reactor and waits until it is readable. Each notification is
// one byte, so a second SIGINT is a second notification (it cuts the grace period short).
#pragma once

#include "runtime/future.hpp"
#include "runtime/socket.hpp"

namespace server {

class ShutdownSignal {
 public:
  class Notified;

  ShutdownSignal();  // throws std::system_error if the pipe cannot be made
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Async-signal-safe: one write(2), errno preserved. A full pipe drops the byte, which is
  // harmless: a pipe full of notifications already says "stop".
  void notify() const;
  // Ready once a notification arrives (consuming it).
  Notified notified();

  // SIGINT and SIGTERM notify `signal` from now on; call once, from main().
  static void install_handlers(ShutdownSignal& signal);

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

class ShutdownSignal::Notified {
 public:
  using Output = void;

  explicit Notified(int fd) : fd_(fd) {}
  Notified(Notified&& other) noexcept : fd_(other.fd_), watch_(std::move(other.watch_)) {}
  // The pipe belongs to the ShutdownSignal: only our reactor registration is given up.
  ~Notified() { (void)watch_.release(); }
  runtime::Poll<void> poll(runtime::Context& cx);

 private:
  int fd_;
  // The read end wrapped as a Socket on the first wait, only to wait on it through the
  // reactor; released (not closed) with the future, since the pipe is the signal's.
  runtime::Socket watch_;
};

}  // namespace server

// ShutdownSignal: how "stop" reaches the dispatcher's event loop, from a signal handler or
// from another thread (Server::request_shutdown, tests).
//
// A signal handler may do almost nothing safely; write(2) is one of the few things it may
// do. So a notification is one byte written to a socket pair (the self-pipe trick), and the
// dispatcher awaits notified(): a task that reads one byte with a TcpReceiver, which waits
// in the dispatcher's reactor until the byte comes. A socket pair rather than a pipe, so
// that the reading end is a socket like any other and the runtime's receiver reads it
// as it reads a connection. Each notification is one byte, so a second SIGINT is a second
// notification (it cuts the grace period short).
#pragma once

#include "runtime/task.hpp"

namespace server {

class ShutdownSignal {
 public:
  ShutdownSignal();  // throws std::system_error if the socket pair cannot be made
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Async-signal-safe: one write(2), errno preserved. A full buffer drops the byte, which
  // is harmless: a buffer full of notifications already says "stop".
  void notify() const;
  // Ready once a notification arrives (consuming it).
  runtime::Task<void> notified();

  // SIGINT and SIGTERM notify `signal` from now on; call from main(), before the threads.
  // Throws std::system_error if the handlers' descriptor cannot be made.
  static void install_handlers(ShutdownSignal& signal);
  // The descriptor the handlers write to (-1 before the first install): it stays open for
  // the life of the process, whatever becomes of the signal (shutdown_signal.cpp).
  static int handler_fd();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

}  // namespace server

// TcpListener: a listening socket, and accept as a leaf future.
//
// The server's dispatcher thread owns one, accepts, and hands each new connection to a worker.
// Accept keeps going through EINTR and ECONNABORTED (a peer that gave up in the backlog),
// and reports EMFILE/ENFILE (out of file descriptors) to its caller, which must back off
// rather than spin: the listening socket stays readable while the backlog is full.
#pragma once

#include "runtime/future.hpp"
#include "runtime/socket.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/tcp_stream.hpp"

namespace runtime {

class TcpListener {
 public:
  class Accept;

  // Large enough that a burst of connections arriving together (the book's demo opens every
  // one at once) is not turned away; the kernel caps it at somaxconn.
  static constexpr int kDefaultBacklog = 16384;

  // kShared sets SO_REUSEPORT: several listeners (in one process or several) bind the same
  // address and port, and the kernel spreads new connections among them by a hash of each
  // connection's addresses. Every one of them must ask for it.
  enum class Sharing { kExclusive, kShared };

  // Binds (with SO_REUSEADDR, so a restarted server does not wait out TIME_WAIT) and
  // listens. Port 0 picks a free port: local_address() tells which.
  static TcpListener bind(const SocketAddress& address, int backlog = kDefaultBacklog,
                          Sharing sharing = Sharing::kExclusive);

  Accept accept();
  SocketAddress local_address() const { return SocketAddress::local_of(socket_.fd()); }
  Socket& socket() { return socket_; }

 private:
  explicit TcpListener(Socket socket) : socket_(std::move(socket)) {}
  Socket socket_;
};

class TcpListener::Accept {
 public:
  using Output = TcpStream;

  explicit Accept(TcpListener& listener)
      : listener_(&listener), wait_(listener.socket(), SocketWait::Direction::kRead) {}
  Poll<TcpStream> poll(Context& cx);

 private:
  TcpListener* listener_;
  SocketWait wait_;  // withdrawn when done or destroyed: a cancelled accept leaves no waker
};

}  // namespace runtime

// TcpStream: a connected TCP socket. Connecting is a leaf future (Connect); reading and
// writing are the futures of TcpReceiver and TcpSender, which borrow the stream's socket.
#pragma once

#include <chrono>

#include "runtime/future.hpp"
#include "runtime/socket.hpp"
#include "runtime/socket_address.hpp"
#include "runtime/task.hpp"

namespace runtime {

class TcpStream {
 public:
  class Connect;

  explicit TcpStream(Socket socket) : socket_(std::move(socket)) {}

  // Connects without blocking the thread; throws std::system_error on failure (for
  // example ECONNREFUSED). The second form gives up with ETIMEDOUT after `timeout`.
  static Connect connect(const SocketAddress& address);
  static Task<TcpStream> connect(SocketAddress address, std::chrono::milliseconds timeout);

  Socket& socket() { return socket_; }
  int fd() const { return socket_.fd(); }
  // Closes our writing side: the peer reads end of stream, and may still answer.
  void shutdown_write();

 private:
  Socket socket_;
};

// Nonblocking connect: connect() answers EINPROGRESS, and the socket turns writable when the
// handshake ends. A writable event with no error says it succeeded; otherwise SO_ERROR says
// how it ended. A wake-up is not proof of an outcome (when_any shares one waker among
// several futures), so "still connecting" is checked too.
class TcpStream::Connect {
 public:
  using Output = TcpStream;

  explicit Connect(const SocketAddress& address) : address_(address) {}
  Poll<TcpStream> poll(Context& cx);

 private:
  bool start();              // true once connected
  bool connected_at_once();  // right after start(): finished, with no wait
  bool finished();           // true once connected; false while the handshake is still going

  SocketAddress address_;
  Socket socket_;  // empty until the first poll
};

}  // namespace runtime

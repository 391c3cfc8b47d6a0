#include "runtime/tcp_stream.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <system_error>

#include "runtime/with_timeout.hpp"

namespace runtime {

namespace {
[[noreturn]] void fail(int error, const char* what) {
  throw std::system_error(error, std::generic_category(), what);
}
}  // namespace

TcpStream::Connect TcpStream::connect(const SocketAddress& address) {
  return Connect(address);
}

Task<TcpStream> TcpStream::connect(SocketAddress address, std::chrono::milliseconds timeout) {
  auto stream = co_await with_timeout(Connect(address), timeout);
  if (!stream) fail(ETIMEDOUT, "connect timed out");
  co_return std::move(*stream);
}

void TcpStream::shutdown_write() {
  ::shutdown(socket_.fd(), SHUT_WR);
}

Poll<TcpStream> TcpStream::Connect::poll(Context& cx) {
  // departs from the book: docs/BOOK.md, "A connect is checked at once"
  const bool connected = socket_ ? finished() : start() || connected_at_once();
  // Not a SocketWait like the other leaf futures: a Connect is often moved (into
  // with_timeout) and owns the socket it waits on, which a SocketWait would have to follow.
  // Its waiter is given up here, or with the socket if the Connect is dropped.
  if (connected) {
    socket_.forget_writable();  // the stream starts with no waiter left from the handshake
    return TcpStream(std::move(socket_));
  }
  socket_.wait_writable(cx);
  return Pending{};
}

// An interrupted connect goes on in the background (POSIX), so after EINTR it is asked
// again: EALREADY means still going, EISCONN done; a plain retry took EALREADY for a
// failure. (tests/test_failure_paths.cpp, "an interrupted connect ...")
bool TcpStream::Connect::start() {
  socket_ = Socket::open_tcp(address_.family());
  while (::connect(socket_.fd(), address_.get(), address_.size()) < 0) {
    if (errno == EINTR) continue;
    if (errno == EINPROGRESS || errno == EALREADY) return false;
    if (errno == EISCONN) return true;
    fail(errno, "connect");
  }
  return true;
}

// On loopback the handshake is usually over by the time connect() answers EINPROGRESS: one
// question to the kernel then spares a wait for the reactor, and the request goes out before
// the server has even accepted. The socket has never waited, so its first wait attaches it
// to the reactor, which reports whatever is queued: its first read need not ask recv.
bool TcpStream::Connect::connected_at_once() {
  if (!finished()) return false;
  socket_.hint().on_connected_unattached();
  return true;
}

// The reactor's word that the socket turned writable with no error means connected, with no
// system call (ReadinessHint::connect_proved): the usual path. Otherwise having a peer
// means connected, and only without one is SO_ERROR asked whether the handshake failed or
// is still going (a wake-up can be stale, or meant for a sibling future).
// departs from the book: docs/BOOK.md, "A reactor: futures wait in `epoll`, not in the run queue"
bool TcpStream::Connect::finished() {
  if (socket_.hint().connect_proved()) return true;
  sockaddr_storage peer;
  socklen_t peer_size = sizeof peer;
  if (getpeername(socket_.fd(), reinterpret_cast<sockaddr*>(&peer), &peer_size) == 0) return true;
  if (errno != ENOTCONN) fail(errno, "connect");
  int error = 0;
  socklen_t size = sizeof error;
  if (getsockopt(socket_.fd(), SOL_SOCKET, SO_ERROR, &error, &size) < 0) fail(errno, "getsockopt");
  if (error != 0) fail(error, "connect");
  return false;  // woken, but the handshake is still going
}

}  // namespace runtime

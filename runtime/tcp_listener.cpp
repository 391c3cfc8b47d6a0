#include "runtime/tcp_listener.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <system_error>

namespace runtime {

TcpListener TcpListener::bind(const SocketAddress& address, int backlog, Sharing sharing) {
  Socket socket = Socket::open_tcp(address.family());
  const int on = 1;
  setsockopt(socket.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (sharing == Sharing::kShared &&
      setsockopt(socket.fd(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) {
    throw std::system_error(errno, std::generic_category(), "setsockopt(SO_REUSEPORT)");
  }
  if (::bind(socket.fd(), address.get(), address.size()) < 0) {
    throw std::system_error(errno, std::generic_category(), "bind " + address.to_string());
  }
  if (::listen(socket.fd(), backlog) < 0) {
    throw std::system_error(errno, std::generic_category(), "listen");
  }
  return TcpListener(std::move(socket));
}

TcpListener::Accept TcpListener::accept() {
  return Accept(*this);
}

Poll<TcpStream> TcpListener::Accept::poll(Context& cx) {
  Socket& listening = listener_->socket();
  for (;;) {
    const int fd = accept4(listening.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      wait_.withdraw();
      return TcpStream(Socket(fd));
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_.wait(cx);
      return Pending{};
    }
    throw std::system_error(errno, std::generic_category(), "accept");
  }
}

}  // namespace runtime

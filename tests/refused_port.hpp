// RefusedPort: a loopback port where every connect is refused, for as long as the test holds
// it. A socket is bound to it and never listens: Linux answers a SYN there with a reset
// (ECONNREFUSED), and while the socket is open nobody else can bind the port. A port picked
// by binding and closing a socket promises neither: another process may take it meanwhile.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

#include "runtime/socket_address.hpp"

namespace test {

class RefusedPort {
 public:
  RefusedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    const runtime::SocketAddress any = runtime::SocketAddress::resolve("127.0.0.1", 0);
    if (::bind(fd_, any.get(), any.size()) < 0) {
      const int error = errno;
      ::close(fd_);
      throw std::system_error(error, std::generic_category(), "bind");
    }
    address_ = runtime::SocketAddress::local_of(fd_);
  }
  ~RefusedPort() { ::close(fd_); }
  RefusedPort(const RefusedPort&) = delete;
  RefusedPort& operator=(const RefusedPort&) = delete;

  const runtime::SocketAddress& address() const { return address_; }
  std::string port() const { return std::to_string(address_.port()); }

 private:
  int fd_ = -1;
  runtime::SocketAddress address_;
};

}  // namespace test

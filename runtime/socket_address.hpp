// SocketAddress: an IPv4 or IPv6 address and port, as the socket calls want it, parsed
// from and printed as "127.0.0.1:7878" / "[::1]:7878". Every socket in the project is
// made from one of these.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace runtime {

class SocketAddress {
 public:
  // A numeric IPv4 or IPv6 address, or a name such as "localhost" (resolved once, with a
  // blocking lookup: call it at start-up, not from a task). Throws std::invalid_argument
  // with the reason when the host cannot be used.
  static SocketAddress resolve(const std::string& host, std::uint16_t port);
  // The address a socket fd is bound to, or connected to.
  static SocketAddress local_of(int fd);
  static SocketAddress peer_of(int fd);

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const { return size_; }
  int family() const { return storage_.ss_family; }
  std::uint16_t port() const;
  std::string to_string() const;

 private:
  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

}  // namespace runtime

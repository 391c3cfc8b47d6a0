#include "runtime/socket_address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace runtime {

SocketAddress SocketAddress::resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  // Accept "[::1]", the form to_string() prints, as well as the bare "::1".
  const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
  const std::string name = bracketed ? host.substr(1, host.size() - 2) : host;
  const int status = getaddrinfo(name.c_str(), service.c_str(), &hints, &found);
  if (status != 0) {
    throw std::invalid_argument("cannot resolve host '" + host + "': " + gai_strerror(status));
  }
  SocketAddress address;
  std::memcpy(&address.storage_, found->ai_addr, found->ai_addrlen);
  address.size_ = found->ai_addrlen;
  freeaddrinfo(found);
  return address;
}

namespace {
void query(int fd, int (*call)(int, sockaddr*, socklen_t*), const char* what,
           sockaddr_storage& storage, socklen_t& size) {
  size = sizeof storage;
  if (call(fd, reinterpret_cast<sockaddr*>(&storage), &size) < 0) {
    throw std::system_error(errno, std::generic_category(), what);
  }
}
}  // namespace

SocketAddress SocketAddress::local_of(int fd) {
  SocketAddress address;
  query(fd, &getsockname, "getsockname", address.storage_, address.size_);
  return address;
}

SocketAddress SocketAddress::peer_of(int fd) {
  SocketAddress address;
  query(fd, &getpeername, "getpeername", address.storage_, address.size_);
  return address;
}

std::uint16_t SocketAddress::port() const {
  if (family() == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
}

std::string SocketAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text,
              sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(port());
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
  return std::string(text) + ":" + std::to_string(port());
}

}  // namespace runtime

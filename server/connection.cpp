#include "server/connection.hpp"

#include <exception>

#include "runtime/socket_address.hpp"

namespace server {

std::string describe(const Connection& connection) {
  std::string text = "#" + std::to_string(connection.id);
  try {
    text += " " + runtime::SocketAddress::peer_of(connection.socket.fd()).to_string();
  } catch (const std::exception&) {
    // A reset peer may have no address left to name; the id still identifies it.
  }
  return text;
}

}  // namespace server

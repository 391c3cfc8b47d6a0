// TcpSender: a future that writes a whole buffer to a socket (the book's TcpSender).
//
// A nonblocking send may take only part of the buffer; the sender remembers how much went
// out and continues from there when the socket is writable again, so no byte is sent twice
// and none is skipped. MSG_NOSIGNAL turns a peer that closed into an EPIPE error instead of
// a SIGPIPE that would kill the process. The buffer must outlive the future.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "runtime/future.hpp"
#include "runtime/socket.hpp"

namespace runtime {

class TcpSender {
 public:
  using Output = void;

  TcpSender(Socket& socket, std::span<const std::uint8_t> bytes)
      : socket_(&socket), bytes_(bytes), wait_(socket, SocketWait::Direction::kWrite) {}
  TcpSender(Socket& socket, std::string_view text)
      : TcpSender(socket, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}) {}

  // Throws std::system_error (EPIPE, ECONNRESET, ...) if the connection fails.
  Poll<void> poll(Context& cx);
  std::size_t written() const { return written_; }

 private:
  Socket* socket_;
  std::span<const std::uint8_t> bytes_;
  std::size_t written_ = 0;
  SocketWait wait_;  // withdrawn when done or destroyed: a cancelled send leaves no waker
};

}  // namespace runtime

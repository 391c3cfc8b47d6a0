#include "runtime/tcp_sender.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <system_error>

namespace runtime {

Poll<void> TcpSender::poll(Context& cx) {
  while (written_ < bytes_.size()) {
    const ssize_t n =
        ::send(socket_->fd(), bytes_.data() + written_, bytes_.size() - written_, MSG_NOSIGNAL);
    if (n >= 0) {
      written_ += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_.wait(cx);
      return Pending{};
    } else if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "send");
    }
  }
  wait_.withdraw();
  return Ready{};
}

}  // namespace runtime

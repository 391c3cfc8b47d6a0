#include "runtime/readable.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace runtime {

Poll<void> Readable::poll(Context& cx) {
  if (socket_->hint().next_read() == ReadinessHint::Next::kWait) {
    wait_.wait(cx);  // drained by the last read: only the reactor can tell more has come
    return Pending{};
  }
  if (wait_.waiting()) {
    // We waited after EAGAIN, were woken, and the hint does not say drained: no need to
    // look. (A stale event can make this a false alarm; the read that follows then finds
    // nothing and waits, so it costs a wake-up, never a lost byte.)
    wait_.withdraw();
    return Ready{};
  }
  for (;;) {
    char byte;
    // MSG_PEEK: look, do not take. The byte stays for the reader that comes next.
    const ssize_t n = ::recv(socket_->fd(), &byte, 1, MSG_PEEK);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      socket_->hint().on_would_block();
      wait_.wait(cx);
      return Pending{};
    }
    wait_.withdraw();
    return Ready{};
  }
}

}  // namespace runtime

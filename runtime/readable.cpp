#include "runtime/readable.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace runtime {

Poll<void> Readable::poll(Context& cx) {
  if (wait_.waiting() && socket_->maybe_readable()) {
    // We waited after EAGAIN and the reactor has since seen the socket readable: no need
    // to look again. (A stale event can make this a false alarm; the read that follows
    // then finds nothing and waits, so it costs a wake-up, never a lost byte.)
    wait_.withdraw();
    return Ready{};
  }
  if (!socket_->maybe_readable()) {  // drained by the last read: only the reactor can tell
    wait_.wait(cx);
    return Pending{};
  }
  for (;;) {
    char byte;
    // MSG_PEEK: look, do not take. The byte stays for the reader that comes next.
    const ssize_t n = ::recv(socket_->fd(), &byte, 1, MSG_PEEK);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      socket_->note_drained();
      wait_.wait(cx);
      return Pending{};
    }
    wait_.withdraw();
    return Ready{};
  }
}

}  // namespace runtime

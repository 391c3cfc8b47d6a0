// Poller: the operating system's readiness API behind one small interface, chosen at build
// time (make POLLER=epoll|poll): poller_epoll.cpp is the Linux default, poller_poll.cpp
// the portable POSIX fallback. The reactor (reactor.hpp) is the only user.
//
// The reactor reports which fds someone waits on and for what (set_interest). The epoll
// backend registers an fd once, edge-triggered for both directions, and ignores later
// changes: an edge arrives whenever new data or new buffer space does, and a future only
// waits after the OS said EAGAIN, so no edge it needs can have passed before it waited.
// The poll backend is level-triggered, so it watches exactly the directions asked for, and
// rebuilds its pollfd array from them on every wait: O(highest fd) per wait, acceptable
// for a fallback and the price of having no kernel-side set.
#pragma once

#include <memory>
#include <vector>

namespace runtime {

struct PollEvent {
  int fd;
  bool readable;  // also set for hang-up and error, so the reader finds out by reading
  bool writable;  // likewise for the writer
  // A read may now stop short with more to come, so a short read no longer proves the
  // socket drained: the peer closed its side or the socket failed (the end of stream is
  // reported once), or TCP urgent data arrived (a read stops at its mark).
  bool reads_stop_short;
  // Writable, with no error or hang-up. For a TCP socket whose connect is in progress, that
  // is proof the handshake succeeded: Linux reports no writability during the handshake and
  // an error once it failed (tcp_poll), so TcpStream::Connect need not ask the kernel.
  bool writable_sound;
  // The peer's end of stream has arrived (its FIN) and the socket reports no error, hang-up
  // or urgent data: every byte the peer sent is queued here already, so a read that drains
  // the socket has reached the end, and the read that would only say 0 can be skipped.
  // (EPOLLRDHUP. After our own shutdown(SHUT_WR) the peer's FIN comes as EPOLLHUP instead,
  // so this stays false and the read of 0 is made. We never shutdown(SHUT_RD): on Linux
  // that raises EPOLLRDHUP too, while data arriving later is still queued, which would
  // make this unsound.)
  bool clean_end;
  // Nothing to read when the wait answered, and the backend knows it: epoll reports both
  // directions in every event, and reports the next arrival as a new event, so a reader
  // may wait without a recv that would say EAGAIN (a connect's writable event, say, comes
  // before any reply can). poll(2) looks only at the directions waited for: never set there.
  bool not_readable;
};

class Poller {
 public:
  Poller();
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // "epoll" or "poll": the backend this program was linked with (make POLLER=...).
  static const char* backend();

  void set_interest(int fd, bool read, bool write);
  // The parker's wake-up fd: watched for reading only, for good. An eventfd is always
  // writable, and each drain would otherwise come back as a writable event: one more
  // wait and one more read for every unpark.
  void add_wakeup(int fd);
  void remove(int fd);  // before the fd is handed to another thread
  void forget(int fd);  // before the fd is closed, which takes it out of the kernel's set
  // Blocks at most timeout_ms (-1: no limit), then replaces `events` with what is ready.
  // EINTR returns with no events, which the caller treats as an early wake-up.
  void wait(int timeout_ms, std::vector<PollEvent>& events);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runtime

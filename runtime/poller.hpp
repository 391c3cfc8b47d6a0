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

#include "runtime/readiness_hint.hpp"

namespace runtime {

struct PollEvent {
  int fd;
  bool readable;   // also set for hang-up and error, so the reader finds out by reading
  bool writable;   // likewise for the writer
  EventHint hint;  // what else the backend could tell from the event (readiness_hint.hpp)
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

// WakeupFd: a file descriptor that another thread can make readable, so that a reactor
// blocked in epoll_wait or poll returns. The epoll backend uses an eventfd (one fd, one
// 8-byte counter); the portable poll backend uses a pipe. Each backend file
// (poller_epoll.cpp, poller_poll.cpp) implements this class next to its Poller.
#pragma once

namespace runtime {

class WakeupFd {
 public:
  WakeupFd();
  ~WakeupFd();
  WakeupFd(const WakeupFd&) = delete;
  WakeupFd& operator=(const WakeupFd&) = delete;

  int fd() const { return read_fd_; }  // what the reactor watches for readability
  void notify();                       // any thread; async-signal-safe
  void drain();                        // the owner, after fd() was reported readable

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;  // the same as read_fd_ for an eventfd
};

}  // namespace runtime

// Reactor: the part of a worker's loop that waits. One per executor (so one per thread).
//
// It holds three things: the Poller with every socket some future waits on, the timer heap
// that Sleep registers with, and the parker's wake-up fd, which another thread writes to
// end a wait early. A leaf future that got EAGAIN, or whose deadline is still ahead, leaves
// its waker here and returns Pending; turn() later wakes it, and the executor polls the
// task again. The book has no reactor (its futures return Pending and are polled again
// and again); this is what lets an idle worker use no CPU at all.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "runtime/parker.hpp"
#include "runtime/poller.hpp"
#include "runtime/timer_heap.hpp"
#include "runtime/waker.hpp"

namespace runtime {

class Socket;

class Reactor {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Wait { kNo, kUntilNextTimer };

  explicit Reactor(Parker& parker);
  // Sockets still registered here are told the reactor is gone (Socket::detach_reactor),
  // so one that outlives its executor closes without reaching into freed memory.
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // The reactor of the executor running on this thread; throws std::logic_error outside
  // one, since an I/O or timer future polled there could never be woken.
  static Reactor& current();

  // Socket's side (socket.cpp). A socket attaches on its first wait, and again from its new
  // address after a move, so that turn() wakes it and ~Reactor can detach it. Its waiters
  // live in the Socket itself: a connection costs the reactor one pointer, not a table row.
  void attach(Socket& socket);
  // The socket's waiters changed: tell the poller what it now waits for.
  void watch(const Socket& socket);
  // Before an fd is handed to another thread: forget it and take it out of the poller.
  void detach(int fd);
  // Before an fd is closed: forget it. Closing takes it out of the kernel's epoll set by
  // itself, so this saves a system call per connection.
  void detach_closing(int fd);

  TimerId add_timer(Clock::time_point deadline, const Waker& waker);
  void update_timer(TimerId id, const Waker& waker);
  void cancel_timer(TimerId id);

  // One turn: wait for readiness (kNo: just look; kUntilNextTimer: block until an fd is
  // ready, the next timer is due or an unpark arrives), then wake every waiter whose fd is
  // ready and every timer that is due.
  void turn(Wait wait);

  // How long a wait may block: until `deadline` rounded up to the millisecond (waking early
  // would find nothing due and spin once more), -1 for no deadline, and clamped to what
  // an int holds (a far deadline must not wrap to a negative "wait for ever").
  static int wait_timeout_ms(std::optional<Clock::time_point> deadline, Clock::time_point now);

  std::size_t timers() const { return timers_.size(); }
  std::size_t fds_waited_on() const;  // for tests: a finished future leaves none behind

  // Makes this the thread's current reactor for the scope's lifetime (Executor::Scope).
  class Scope {
   public:
    explicit Scope(Reactor& reactor);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Reactor* previous_;
  };

 private:
  Socket*& owner_slot(int fd);
  void dispatch(const PollEvent& event);
  int timeout_ms(Wait wait) const;

  Parker& parker_;
  Poller poller_;
  TimerHeap timers_;
  std::vector<Socket*> sockets_;  // indexed by fd (fds are small and dense); null: none here
  std::vector<PollEvent> events_;
};

}  // namespace runtime

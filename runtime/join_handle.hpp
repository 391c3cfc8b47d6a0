// JoinHandle<T>: what spawn() returns. It is itself a future (co_await it from another
// task, on any executor) and has a blocking get() for synchronous code, the book's recv().
// Dropping it detaches the task, which runs on regardless; abort() stops it.
#pragma once

#include <utility>

#include "runtime/detail/spawned_task.hpp"
#include "runtime/thread_parker.hpp"

namespace runtime {

template <class T>
class JoinHandle {
 public:
  using Output = T;

  explicit JoinHandle(detail::TaskWithOutput<T>* task) : task_(task) {}
  JoinHandle(JoinHandle&& other) noexcept : task_(std::exchange(other.task_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    if (this != &other) {
      reset();
      task_ = std::exchange(other.task_, nullptr);
    }
    return *this;
  }
  ~JoinHandle() { reset(); }

  // Ready with the task's output once it finished; rethrows what the task threw,
  // TaskAborted if abort() stopped it first, or TaskCancelled if its executor was
  // destroyed before it finished.
  Poll<T> poll(Context& cx) {
    if (!poll_finished(cx)) return Pending{};
    if constexpr (std::is_void_v<T>) {
      task_->take_output();
      return Ready{};
    } else {
      return task_->take_output();
    }
  }

  // Blocks the calling thread until the task finished. Never call it on the thread that
  // runs the task's executor: that executor would stop, and the task with it.
  T get() {
    ThreadParker parker;
    const Waker waker = parker.waker();
    Context cx(waker);
    for (;;) {
      auto result = poll(cx);
      if (result.is_ready()) {
        if constexpr (std::is_void_v<T>) {
          return;
        } else {
          return std::move(result).value();
        }
      }
      parker.park();
    }
  }

  bool is_finished() const { return task_->finished(); }

  // True once the task finished (poll() is then Ready); otherwise cx's waker is woken
  // when it does. What a TaskSet polls, so that it can take the output of one of many.
  bool poll_finished(Context& cx) { return task_->try_join(cx.waker()); }

  // Stops the task: its future is destroyed at its next suspension point, on its own
  // executor's thread (its timers and sockets released there), and poll() then throws
  // TaskAborted. From any thread, any number of times; no effect once the task finished
  // (its output stays), nor if the executor is gone (it was cancelled). The handle stays
  // valid: await it to know the frame is gone. (tests/test_abort.cpp)
  void abort() { task_->request_abort(); }

 private:
  void reset() {
    if (task_) std::exchange(task_, nullptr)->release_handle();
  }

  detail::TaskWithOutput<T>* task_;
};

}  // namespace runtime

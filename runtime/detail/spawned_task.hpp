// SpawnedTask<F>: one allocation per spawned task: the header the executor and wakers see,
// the slot the JoinHandle takes the output from, and the future itself. The future is
// destroyed the moment it finishes (closing its sockets at once), while the header lives
// on until the last waker and the handle let go of it.
#pragma once

#include <memory>
#include <new>
#include <optional>
#include <stdexcept>

#include "runtime/detail/task_header.hpp"
#include "runtime/future.hpp"

namespace runtime {

// What JoinHandle::get() and co_await on a handle throw for a task that never finished
// because its executor was destroyed first.
class TaskCancelled : public std::runtime_error {
 public:
  TaskCancelled() : std::runtime_error("task cancelled: its executor shut down first") {}
};

// What they throw for a task stopped by JoinHandle::abort before it finished.
class TaskAborted : public std::runtime_error {
 public:
  TaskAborted() : std::runtime_error("task aborted") {}
};

namespace detail {

// The typed part the JoinHandle<T> knows about, without knowing the future's type.
template <class T>
class TaskWithOutput : public TaskHeader {
 public:
  using TaskHeader::TaskHeader;

  // Only once finished. Rethrows what the future threw.
  T take_output() {
    std::lock_guard lock(join_lock_);
    if (error_) std::rethrow_exception(error_);
    // No output and no error: the future was destroyed before it finished, by an abort
    // (asked for before its executor shut down, or not) or by the shutdown alone.
    if (!output_) {
      if (abort_requested()) throw TaskAborted();
      throw TaskCancelled();
    }
    if constexpr (!std::is_void_v<T>) return std::move(*output_);
  }

 protected:
  std::optional<ValueOf<T>> output_;  // guarded by join_lock_
};

template <Future F>
class SpawnedTask final : public TaskWithOutput<OutputOf<F>> {
  using Output = OutputOf<F>;

 public:
  SpawnedTask(F future, std::shared_ptr<RunQueue> queue)
      : TaskWithOutput<Output>(&kVTable, std::move(queue)) {
    new (&future_) F(std::move(future));
  }

 private:
  ~SpawnedTask() { drop_future(); }

  static bool poll(TaskHeader* header) {
    auto* self = static_cast<SpawnedTask*>(header);
    if (header->abort_requested()) {
      cancel(header);  // the frame goes here, at a suspension point, on this thread
      return true;
    }
    WakerRef waker(header->raw_waker());
    Context cx(waker.get());
    std::exception_ptr error;
    try {
      auto poll = self->future_.poll(cx);
      if (poll.is_pending()) return false;
      self->store(std::move(poll));
    } catch (...) {
      error = std::current_exception();
    }
    self->drop_future();
    self->finish(error);
    return true;
  }

  static void cancel(TaskHeader* header) {
    auto* self = static_cast<SpawnedTask*>(header);
    self->drop_future();
    self->finish(nullptr);
  }

  static void destroy(TaskHeader* header) { delete static_cast<SpawnedTask*>(header); }

  void store(Poll<Output>&& poll) {
    std::lock_guard lock(this->join_lock_);
    if constexpr (std::is_void_v<Output>) {
      this->output_.emplace();
    } else {
      this->output_.emplace(std::move(poll).value());
    }
  }

  void drop_future() {
    if (future_alive_) {
      future_alive_ = false;
      future_.~F();
    }
  }

  static constexpr TaskVTable kVTable{&poll, &cancel, &destroy};

  union {
    F future_;  // alive until the task finishes or is cancelled
  };
  bool future_alive_ = true;
};

}  // namespace detail
}  // namespace runtime

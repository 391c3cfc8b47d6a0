#include "runtime/detail/task_header.hpp"

#include <cstdio>
#include <exception>
#include <stdexcept>

namespace runtime::detail {
namespace {

TaskHeader* header(const void* data) {
  return static_cast<TaskHeader*>(const_cast<void*>(data));
}

RawWaker clone_waker(const void* data);
void wake(const void* data) {
  header(data)->schedule();
  header(data)->unref();
}
void wake_by_ref(const void* data) {
  header(data)->schedule();
}
void drop_waker(const void* data) {
  header(data)->unref();
}

}  // namespace

const RawWakerVTable TaskHeader::kWakerVTable{&clone_waker, &wake, &wake_by_ref, &drop_waker};

namespace {
RawWaker clone_waker(const void* data) {
  header(data)->ref();
  return header(data)->raw_waker();
}
}  // namespace

void TaskHeader::schedule() {
  if (finished_.load(std::memory_order_acquire)) return;
  if (scheduled_.exchange(true, std::memory_order_acq_rel)) return;  // queued already
  ref();                                                             // the run queue's reference
  if (!queue_->push(this)) unref();  // the executor is gone: nobody will poll it
}

bool TaskHeader::try_join(const Waker& joiner) {
  std::lock_guard lock(join_lock_);
  if (finished_.load(std::memory_order_relaxed)) return true;
  joiner_ = joiner;
  return false;
}

void TaskHeader::release_handle() {
  {
    std::lock_guard lock(join_lock_);
    handle_alive_ = false;
    joiner_ = Waker();
  }
  unref();
}

void TaskHeader::finish(std::exception_ptr error) {
  Waker joiner;
  {
    std::lock_guard lock(join_lock_);
    error_ = error;
    finished_.store(true, std::memory_order_release);
    joiner = std::move(joiner_);
    if (error && !handle_alive_) {
      // Detached, so no JoinHandle will ever rethrow it: say so rather than lose it.
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "runtime: a detached task failed: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "runtime: a detached task failed with a non-standard exception\n");
      }
    }
  }
  std::move(joiner).wake();
}

}  // namespace runtime::detail

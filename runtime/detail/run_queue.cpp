#include "runtime/detail/run_queue.hpp"

namespace runtime::detail {
namespace {
// The queue whose executor is running on this thread, if any.
thread_local RunQueue* t_owned_queue = nullptr;
}  // namespace

RunQueue::OwnerScope::OwnerScope(RunQueue& queue) : previous_(t_owned_queue) {
  t_owned_queue = &queue;
}
RunQueue::OwnerScope::~OwnerScope() {
  t_owned_queue = previous_;
}

bool RunQueue::on_owner_thread() const {
  return t_owned_queue == this;
}

bool RunQueue::push(TaskHeader* task) {
  if (on_owner_thread()) {
    if (local_closed_) return false;
    local_.push_back(task);
    return true;
  }
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    remote_.push_back(task);
  }
  parker_.unpark();  // after the push is visible: see the proof in parker.hpp
  return true;
}

void RunQueue::take_all(std::vector<TaskHeader*>& batch) {
  batch.insert(batch.end(), local_.begin(), local_.end());
  local_.clear();
  std::lock_guard lock(mutex_);
  batch.insert(batch.end(), remote_.begin(), remote_.end());
  remote_.clear();
}

bool RunQueue::has_remote() {
  std::lock_guard lock(mutex_);
  return !remote_.empty();
}

void RunQueue::close(std::vector<TaskHeader*>& leftovers) {
  local_closed_ = true;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  take_all(leftovers);
}

}  // namespace runtime::detail

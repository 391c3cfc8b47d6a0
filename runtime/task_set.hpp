// TaskSet<T>: many spawned tasks, and their results as they complete (Tokio's JoinSet).
//
//   TaskSet<int> set;
//   for (int i = 0; i < n; ++i) set.spawn(fetch(i));
//   while (auto result = co_await set.join_next()) use(*result);  // nullopt: the set is empty
//
// join_next() is Ready with the output of a task that has finished, taken out of the set; a
// task that threw rethrows there (and is gone from the set too). Dropping the set aborts
// every task still in it (JoinHandle::abort): their frames are destroyed on their own
// executors, their timers and sockets released.
//
// The set holds the tasks' JoinHandles, and join_next() asks each in turn whether it has
// finished, leaving its waker with those that have not: O(n) per poll, so O(n^2) to drain n
// tasks, which is nothing for the tens or hundreds of tasks one function spawns. (Tokio
// keeps a list of the finished ones instead; that costs a wrapper around every task.)
// When several have finished since the last poll, the first in the set's order is taken.
//
// A pending join_next() may be dropped (the loser of a when_any) without losing a result:
// nothing is taken out of the set until the poll that returns it.
// (tests/test_task_set.cpp)
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/join_handle.hpp"

namespace runtime {

template <class T>
class TaskSet {
 public:
  class JoinNext;

  TaskSet() = default;
  TaskSet(TaskSet&&) noexcept = default;
  TaskSet& operator=(TaskSet&& other) noexcept {
    abort_all();
    tasks_ = std::move(other.tasks_);
    return *this;
  }
  ~TaskSet() { abort_all(); }

  // Spawns onto the executor running this thread (from a task), or onto `executor`.
  template <Future F>
  void spawn(F future) {
    add(runtime::spawn(std::move(future)));
  }
  template <Future F>
  void spawn(Executor& executor, F future) {
    add(executor.spawn(std::move(future)));
  }

  // A future of the next result, nullopt once the set is empty. Its output for a void T
  // is optional<Unit>.
  JoinNext join_next() { return JoinNext(*this); }

  // Aborts every task in the set and forgets them.
  void abort_all() {
    for (JoinHandle<T>& task : tasks_)
      task.abort();
    tasks_.clear();
  }

  std::size_t size() const { return tasks_.size(); }
  bool empty() const { return tasks_.empty(); }

 private:
  template <class U>
  void add(JoinHandle<U> task) {
    static_assert(std::is_same_v<U, T>, "every task of a TaskSet<T> returns T");
    tasks_.push_back(std::move(task));
  }

  // The finished task at `index`, out of the set (the last one takes its place).
  JoinHandle<T> take(std::size_t index) {
    JoinHandle<T> task = std::move(tasks_[index]);
    if (index + 1 != tasks_.size()) tasks_[index] = std::move(tasks_.back());
    tasks_.pop_back();
    return task;
  }

  std::vector<JoinHandle<T>> tasks_;
};

template <class T>
class TaskSet<T>::JoinNext {
 public:
  using Output = std::optional<ValueOf<T>>;

  explicit JoinNext(TaskSet& set) : set_(&set) {}

  Poll<Output> poll(Context& cx) {
    for (std::size_t i = 0; i < set_->tasks_.size(); ++i) {
      if (set_->tasks_[i].poll_finished(cx)) return output_of(set_->take(i));
    }
    if (set_->tasks_.empty()) return Output();
    return Pending{};  // every task left holds cx's waker, and wakes it when it finishes
  }

 private:
  // The task has finished, so its poll is Ready at once (or rethrows) whatever the waker.
  static Output output_of(JoinHandle<T> task) {
    const Waker none = Waker::noop();
    Context cx(none);
    auto result = task.poll(cx);
    if constexpr (std::is_void_v<T>) {
      (void)result;
      return Unit{};
    } else {
      return std::move(result).value();
    }
  }

  TaskSet* set_;
};

}  // namespace runtime

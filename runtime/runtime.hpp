// Runtime: executor threads in the background, for synchronous code (the book's "isolated
// module", chapter 9: async inside, a plain API outside).
//
//   runtime::Runtime background(2);                   // two executor threads
//   auto answer = background.spawn(fetch(address));   // returns at once
//   ... synchronous work ...
//   Reply reply = answer.get();                        // blocks until it is done
//
// spawn() may be called from any thread and hands the future to the threads in turn; the
// Handle it returns is how any thread learns the result: get() blocks for it (or rethrows
// what the future threw), wait_for() waits with a limit, try_get() answers at once. Each thread
// runs its executor's block_on on an Event that shutdown() sets; a thread with nothing to do parks
// in its reactor. shutdown() (or the destructor) stops and joins them: a task not finished by then
// is cancelled on its own thread, and its handle's get() throws RuntimeStopped.
// (tests/test_runtime.cpp)
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/event.hpp"
#include "runtime/executor.hpp"
#include "runtime/task.hpp"

namespace runtime {

// What a Handle's get() throws for a task the runtime cancelled at shutdown.
class RuntimeStopped : public std::runtime_error {
 public:
  RuntimeStopped() : std::runtime_error("the runtime shut down before the task finished") {}
};

namespace detail {

// Where a background task's outcome waits for its Handle: one of a value, an exception, or
// "cancelled", set once by the task's thread, read by any.
template <class T>
class ResultSlot {
 public:
  using Value = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  void set(std::variant<std::monostate, Value, std::exception_ptr> outcome) {
    {
      std::lock_guard lock(mutex_);
      outcome_ = std::move(outcome);
      done_ = true;
    }
    ready_.notify_all();
  }
  // Blocks until set; true if the outcome is there to take.
  void wait() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return done_; });
  }
  // Blocks until set or `limit` passes; true if set.
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> limit) {
    std::unique_lock lock(mutex_);
    return ready_.wait_for(lock, limit, [this] { return done_; });
  }
  bool done() {
    std::lock_guard lock(mutex_);
    return done_;
  }
  // After wait() or done(): the value, or what the task threw, or RuntimeStopped.
  T take() {
    std::lock_guard lock(mutex_);
    if (auto* error = std::get_if<std::exception_ptr>(&outcome_)) std::rethrow_exception(*error);
    if (outcome_.index() == 0) throw RuntimeStopped();
    if constexpr (!std::is_void_v<T>) return std::move(std::get<Value>(outcome_));
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  bool done_ = false;
  std::variant<std::monostate, Value, std::exception_ptr> outcome_;  // monostate: cancelled
};

// The one writer of a slot. It travels into the task's frame as a parameter, so that even
// a task cancelled before its first poll (its frame never started) reports "cancelled" as
// the frame is destroyed: a Handle must never wait for an outcome nobody will set.
template <class T>
class ResultSender {
 public:
  explicit ResultSender(std::shared_ptr<ResultSlot<T>> slot) : slot_(std::move(slot)) {}
  ResultSender(ResultSender&& other) noexcept : slot_(std::move(other.slot_)) {}
  ResultSender& operator=(ResultSender&&) = delete;
  ~ResultSender() {
    if (slot_) slot_->set(std::monostate{});
  }
  void set(
      std::variant<std::monostate, typename ResultSlot<T>::Value, std::exception_ptr> outcome) {
    std::exchange(slot_, nullptr)->set(std::move(outcome));
  }

 private:
  std::shared_ptr<ResultSlot<T>> slot_;
};

}  // namespace detail

class Runtime {
 public:
  template <class T>
  class Handle {
   public:
    // Blocks until the task is done: its value, or its exception rethrown (RuntimeStopped
    // if it was cancelled). Once per handle: the value is moved out.
    T get() {
      slot_->wait();
      return slot_->take();
    }
    // True once the task is done (get() will not block), waiting at most `limit`.
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> limit) {
      return slot_->wait_for(limit);
    }
    // The value if the task is done (the same rules as get()), or nullopt at once.
    std::optional<typename detail::ResultSlot<T>::Value> try_get() {
      if (!slot_->done()) return std::nullopt;
      if constexpr (std::is_void_v<T>) {
        slot_->take();
        return std::monostate{};
      } else {
        return slot_->take();
      }
    }

   private:
    friend class Runtime;
    explicit Handle(std::shared_ptr<detail::ResultSlot<T>> slot) : slot_(std::move(slot)) {}
    std::shared_ptr<detail::ResultSlot<T>> slot_;
  };

  explicit Runtime(unsigned threads = 1);
  ~Runtime() { shutdown(); }
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs `future` on one of the threads (in turn). Any thread; throws std::logic_error after
  // shutdown().
  template <Future F>
  Handle<OutputOf<F>> spawn(F future) {
    auto slot = std::make_shared<detail::ResultSlot<OutputOf<F>>>();
    std::shared_lock lock(stopping_);  // shutdown() waits for a spawn under way
    if (stopped_) throw std::logic_error("Runtime::spawn after shutdown()");
    auto task = fill(std::move(future), detail::ResultSender<OutputOf<F>>(slot));
    (void)next_executor().spawn(std::move(task));  // detached: the slot tells the outcome
    return Handle<OutputOf<F>>(std::move(slot));
  }

  // Stops the threads and joins them; tasks still running are cancelled. Idempotent.
  void shutdown();

 private:
  // Awaits the future and sends its outcome; destroyed unfinished, the sender says
  // "cancelled".
  template <class F, class T = OutputOf<F>>
  static Task<void> fill(F future, detail::ResultSender<T> sender) {
    std::variant<std::monostate, typename detail::ResultSlot<T>::Value, std::exception_ptr> outcome;
    try {
      if constexpr (std::is_void_v<T>) {
        co_await future;
        outcome.template emplace<1>();
      } else {
        auto value = co_await future;
        outcome.template emplace<1>(std::move(value));
      }
    } catch (...) {
      outcome.template emplace<2>(std::current_exception());
    }
    sender.set(std::move(outcome));
  }

  Executor& next_executor();
  void run_thread(std::promise<Executor*>& started);

  Event stop_;
  std::vector<Executor*> executors_;  // each owned by its thread, alive until stop_ is set
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
  std::shared_mutex stopping_;  // spawns share it; shutdown() takes it alone
  bool stopped_ = false;        // under stopping_
};

}  // namespace runtime

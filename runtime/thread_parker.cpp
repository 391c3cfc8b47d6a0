#include "runtime/thread_parker.hpp"

#include <atomic>
#include <cstdint>

namespace runtime {

struct ThreadParker::State {
  std::atomic<std::uint32_t> refs{1};
  std::atomic<bool> notified{false};

  void ref() { refs.fetch_add(1, std::memory_order_relaxed); }
  void unref() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  void notify() {
    notified.store(true, std::memory_order_release);
    notified.notify_one();
  }
};

namespace {

using State = ThreadParker::State;
State* state_of(const void* data) {
  return static_cast<State*>(const_cast<void*>(data));
}

RawWaker clone(const void* data);
void wake(const void* data) {
  state_of(data)->notify();
  state_of(data)->unref();
}
void wake_by_ref(const void* data) {
  state_of(data)->notify();
}
void drop(const void* data) {
  state_of(data)->unref();
}

constexpr RawWakerVTable kVTable{&clone, &wake, &wake_by_ref, &drop};

RawWaker clone(const void* data) {
  state_of(data)->ref();
  return RawWaker{data, &kVTable};
}

}  // namespace

ThreadParker::ThreadParker() : state_(new State) {}
ThreadParker::~ThreadParker() {
  state_->unref();
}

Waker ThreadParker::waker() const {
  return Waker(clone(state_));
}

void ThreadParker::park() {
  // exchange, not load: consume the notification so the next park blocks again.
  while (!state_->notified.exchange(false, std::memory_order_acquire)) {
    state_->notified.wait(false, std::memory_order_acquire);
  }
}

}  // namespace runtime

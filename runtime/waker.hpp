// Waker: the handle a pending future leaves behind so that it can be polled again.
//
// As in Rust, a waker is a raw data pointer plus a static table of four functions (clone,
// wake, wake_by_ref, drop). The executor's tasks (detail/task_header.hpp) are one kind of
// waker; the thread parker behind JoinHandle::get() is another; tests have counting ones.
// Nothing here knows which: that is the point of the vtable.
//
// Wakers are reference-counted by whatever their vtable points at, may be woken from any
// thread, any number of times, and stay safe to wake after the task they name is gone.
#pragma once

#include <new>
#include <utility>

namespace runtime {

struct RawWakerVTable;

struct RawWaker {
  const void* data = nullptr;
  const RawWakerVTable* vtable = nullptr;
};

struct RawWakerVTable {
  RawWaker (*clone)(const void* data);    // a new reference to the same target
  void (*wake)(const void* data);         // wake, and give up this reference
  void (*wake_by_ref)(const void* data);  // wake, keeping the reference
  void (*drop)(const void* data);         // give up this reference
};

class Waker {
 public:
  // An empty waker wakes nothing; it stands for "no waiter yet" in storage slots.
  Waker() = default;
  // Takes over one reference that `raw` already holds.
  explicit Waker(RawWaker raw) noexcept : raw_(raw) {}

  Waker(const Waker& other) : raw_(other.raw_.vtable ? other.clone_raw() : RawWaker{}) {}
  Waker(Waker&& other) noexcept : raw_(std::exchange(other.raw_, {})) {}
  Waker& operator=(const Waker& other) {
    // Re-registering the same waker on every poll is the common case: skip the refcount
    // traffic when it would change nothing.
    if (!will_wake(other)) *this = Waker(other);
    return *this;
  }
  Waker& operator=(Waker&& other) noexcept {
    if (this != &other) {
      reset();
      raw_ = std::exchange(other.raw_, {});
    }
    return *this;
  }
  ~Waker() { reset(); }

  // Wakes the target and releases this reference (the waker is empty afterwards).
  void wake() && {
    const RawWaker raw = std::exchange(raw_, {});
    if (raw.vtable) raw.vtable->wake(raw.data);
  }
  void wake_by_ref() const {
    if (raw_.vtable) raw_.vtable->wake_by_ref(raw_.data);
  }
  // True when both wake the same target, so storing `other` over this one changes nothing.
  bool will_wake(const Waker& other) const {
    return raw_.data == other.raw_.data && raw_.vtable == other.raw_.vtable;
  }
  explicit operator bool() const { return raw_.vtable != nullptr; }
  const RawWaker& raw() const { return raw_; }

  // A waker that does nothing, for polling something whose wake-up nobody needs.
  static Waker noop();

 private:
  RawWaker clone_raw() const { return raw_.vtable->clone(raw_.data); }
  void reset() {
    const RawWaker raw = std::exchange(raw_, {});
    if (raw.vtable) raw.vtable->drop(raw.data);
  }

  RawWaker raw_;
};

// Borrows a reference the caller already holds, without counting it: the executor lends one
// of these to every poll, which saves two atomic operations per poll. The borrowed Waker is
// never destroyed, so the reference is never dropped.
class WakerRef {
 public:
  explicit WakerRef(RawWaker raw) noexcept { new (&waker_) Waker(raw); }
  ~WakerRef() {}  // deliberately leaves waker_ alive: the reference belongs to the lender
  WakerRef(const WakerRef&) = delete;
  WakerRef& operator=(const WakerRef&) = delete;
  const Waker& get() const { return waker_; }

 private:
  union {
    Waker waker_;
  };
};

}  // namespace runtime
